"""The checks of what runs (NF018 conditions, NF031-NF034): their parsers on their own,
and their answers against the runtime's (catalog/nf/runtimecheck: nf.ParseCron, Go's HTTP
client, nf.ScheduleInput) so that what `nodeforge check` accepts the app accepts, and the
simulator gives a schedule's tick as the app does."""

from __future__ import annotations

import itertools
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from nodeforge.analysis.engine import analyze
from nodeforge.analysis.rules.runtime import cgo_import, url_problem
from nodeforge.analysis.schedule import (
    check_cron,
    check_timezone,
    go_duration_seconds,
    schedule_output,
    time_zones,
)
from nodeforge.analysis.sqlparams import scan_placeholders
from nodeforge.analysis.workspace import load_workspace
from nodeforge.codegen.build import go_env
from nodeforge.sandbox.simulate import simulate
from tests.conftest import BROKEN, ROOT

# -- SQL placeholders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "dialect", "placeholders", "needed"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "sqlite", [("?", 1), ("?", 2)], 2),
        ("SELECT ?2, ?, ?1", "sqlite", [("?2", 2), ("?", 3), ("?1", 1)], 3),
        ("SELECT $1, $1, $2", "sqlite", [("$1", 1), ("$1", 1), ("$2", 2)], 2),
        ("SELECT :id, @id, $id", "sqlite", [(":id", None), ("@id", None), ("$id", None)], 0),
        ("SELECT '?', \"?\", `?`, [?] -- ?\n/* ? */ ?", "sqlite", [("?", 1)], 1),
        ("SELECT 'it''s ?' || ?", "sqlite", [("?", 1)], 1),
        ("SELECT a::text, data ? 'k', $1 FROM t", "postgres", [("$1", 1)], 1),
        ("SELECT $$ $1 $$, $q$ $2 $q$, $3", "postgres", [("$3", 3)], 3),
        ("SELECT E'\\' $1', '$2', a$3, $4", "postgres", [("$4", 4)], 4),
        ("SELECT /* /* $1 */ $2 */ $3", "postgres", [("$3", 3)], 3),
        ("SELECT x FROM t", "postgres", [], 0),
    ],
)
def test_placeholders(
    sql: str, dialect: Any, placeholders: list[tuple[str, int | None]], needed: int
) -> None:
    found = scan_placeholders(sql, dialect)
    assert [(p.text, p.number) for p in found.placeholders] == placeholders
    assert found.needed == needed
    for p in found.placeholders:
        assert sql[p.start : p.end] == p.text


def test_postgres_gaps() -> None:
    assert scan_placeholders("SELECT $1, $3", "postgres").missing_numbers() == [2]


# -- schedules ----------------------------------------------------------------------------


def test_go_durations() -> None:
    assert go_duration_seconds("1h30m") == 5400
    assert go_duration_seconds("1.5s") == 1.5
    assert go_duration_seconds(".5h") == 1800
    assert go_duration_seconds("500ms") == 0.5
    for bad in ("", "5", "1x", "h", ".s", "1h 30m"):
        assert go_duration_seconds(bad) is None, bad


def test_cron_problems_point_at_the_field() -> None:
    spec = "0 25 * * 1-5"
    (problem,) = check_cron(spec)
    assert spec[problem.start : problem.end] == "25"
    assert "hour" in problem.message and "0-23" in problem.message


def test_time_zones_come_from_the_pinned_tzdata() -> None:
    zones = time_zones()
    assert {"UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"} <= zones
    assert check_timezone("Europe/Paris") is None
    assert "did you mean `Europe/Paris`" in (check_timezone("Europe/Pari") or "")
    assert "case-sensitive" in (check_timezone("europe/paris") or "")


# -- the runtime's answers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("go") is None:
        pytest.skip("needs the Go toolchain")
    binary = tmp_path_factory.mktemp("runtimecheck") / "runtimecheck"
    proc = subprocess.run(
        ["go", "build", "-o", str(binary), "./nf/runtimecheck"],
        cwd=ROOT / "catalog",
        env=go_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return binary


def ask(binary: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = "\n".join(json.dumps(r) for r in requests) + "\n"
    proc = subprocess.run(
        [str(binary)], input=text, capture_output=True, text=True, check=True, timeout=300
    )
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len(requests)
    return answers


_FIELD_PARTS = ["*", "0", "1", "5", "7", "12", "23", "24", "31", "32", "59", "60", "-1", "x"]


def _cron_specs() -> list[str]:
    """Fixed cases, then fields built from parts (numbers in and out of every range,
    ranges both ways, steps, lists) and whole expressions of 4 to 6 of them."""
    rng = random.Random(20261204)
    fixed = [
        "0 9 * * 1-5",
        "*/15 9-17 * * 1-5",
        "0 0 1 1 *",
        "0 0 * * 7",
        "0 0 * * 0,7",
        "5/10 * * * *",
        "0 0 29 2 *",
        "0 0 * * MON",
        "* * * *",
        "* * * * * *",
        "",
        "   ",
        "@daily",
        "@hourly",
        " @weekly ",
        "@fortnightly",
        "@every 1s",
        "@every 90m",
        "@every 999ms",
        "@every 1h30m",
        "@every",
        "@every 5",
        "@every -5m",
        "@Every 5m",
        "*/0 * * * *",
        "1-5/2 * * * *",
        "+5 * * * *",
        "5-3 * * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "0 0 * 0 *",
    ]

    def field() -> str:
        kind = rng.randrange(4)
        a, b = rng.choice(_FIELD_PARTS), rng.choice(_FIELD_PARTS)
        if kind == 0:
            return a
        if kind == 1:
            return f"{a}-{b}"
        if kind == 2:
            return f"{a}/{rng.choice(['0', '1', '2', '15', 'x'])}"
        return f"{a},{b}"

    generated = [
        " ".join(field() for _ in range(rng.choice([4, 5, 5, 5, 5, 6]))) for _ in range(1500)
    ]
    return fixed + generated


def test_checker_and_app_accept_the_same_schedules(runtime: Path) -> None:
    specs = _cron_specs()
    answers = ask(runtime, [{"op": "cron", "spec": s, "tz": "UTC"} for s in specs])
    disagree = [
        (spec, check_cron(spec), answer)
        for spec, answer in zip(specs, answers, strict=True)
        if (not check_cron(spec)) != answer["ok"]
    ]
    assert not disagree, disagree[:5]
    accepted = sum(a["ok"] for a in answers)
    assert 0 < accepted < len(specs)  # both kinds are exercised


def test_every_checked_time_zone_loads_in_the_app(runtime: Path) -> None:
    zones = sorted(time_zones())
    wrong = ["Europe/Pariss", "europe/paris", "Mars/Olympus", "GMT+1", "EST5"]
    answers = ask(runtime, [{"op": "cron", "spec": "@daily", "tz": z} for z in [*zones, *wrong]])
    refused = [z for z, a in zip(zones, answers, strict=False) if not a["ok"]]
    assert not refused, refused[:10]
    for zone, answer in zip(wrong, answers[len(zones) :], strict=True):
        assert check_timezone(zone) is not None, zone
        if zone != "europe/paris":  # Go on a case-insensitive file system would take it
            assert not answer["ok"], zone


def test_checker_and_app_agree_on_literal_urls(runtime: Path) -> None:
    hosts = ["api.example.com", "api.example.com:8443", "", "api example.com", "a:80a", "[::1]:80"]
    schemes = ["https://", "http://", "ftp://", "", "HTTPS://", "//"]
    paths = ["", "/orders", "/orders?id=1", "#x"]
    # (an empty URL is NF006: the config schema wants at least one character)
    urls = [s + h + p for s, h, p in itertools.product(schemes, hosts, paths) if s + h + p]
    urls += ["/api/orders", " https://api.example.com", "https://", "http:///x", "mailto:x@y"]
    answers = ask(runtime, [{"op": "url", "url": u} for u in urls])
    disagree = [
        (u, url_problem(u, complete=True), a)
        for u, a in zip(urls, answers, strict=True)
        if (url_problem(u, complete=True) is None) != a["ok"]
    ]
    assert not disagree, disagree[:5]


def test_simulator_gives_the_tick_as_the_app(runtime: Path) -> None:
    cases = [
        ("2026-12-04T08:00:00Z", "Europe/Paris"),
        ("2026-07-04T08:00:00.250Z", "Europe/London"),
        ("2026-12-04T08:00:00Z", "Europe/London"),
        ("2026-03-29T00:59:59Z", "Europe/Madrid"),
        ("2026-12-04T09:00:00+01:00", "UTC"),
        ("2026-12-04T08:00:00Z", "Asia/Kolkata"),
        ("2026-12-04T08:00:00Z", "America/St_Johns"),
        ("yesterday", "UTC"),
        ("2026-12-04 08:00:00Z", "UTC"),
    ]
    answers = ask(runtime, [{"op": "schedule", "time": t, "tz": z} for t, z in cases])
    for (time, tz), answer in zip(cases, answers, strict=True):
        assert schedule_output(time, tz) == answer, (time, tz)


def test_a_schedule_flow_simulates_its_local_time() -> None:
    text = json.dumps(
        {
            "nodeforge": "1",
            "id": "tick",
            "nodes": [
                {
                    "id": "every_morning",
                    "type": "trigger/schedule",
                    "version": "1.0.0",
                    "config": {"cron": "0 9 * * *", "timezone": "Europe/Paris"},
                },
                {
                    "id": "log",
                    "type": "util/log",
                    "version": "1.0.0",
                    "config": {"message": "{{ input.local_time }} ({{ input.timezone }})"},
                },
            ],
            "connections": [{"from": "every_morning.out", "to": "log.in"}],
        }
    )
    workspace = load_workspace(None)
    analysis = analyze(text, workspace=workspace)
    assert not analysis.diagnostics, analysis.diagnostics
    result = simulate(analysis, {"time": "2026-12-04T08:00:00Z"}, trigger="every_morning")
    out = result["nodes"]["every_morning"]["outputs"]["out"]
    assert out == {
        "time": "2026-12-04T08:00:00Z",
        "local_time": "2026-12-04T09:00:00+01:00",
        "timezone": "Europe/Paris",
    }


def test_broken_examples_exist() -> None:
    names = ("sql_placeholders", "respond_without_request", "bad_schedules", "bad_urls")
    for name in (*names, "cgo_import"):
        assert (BROKEN / f"{name}.flow.json").exists()


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('import "C"\nfunc Run() {}', True),
        ('// #include <stdlib.h>\nimport "C"', True),
        ('/* #include <x.h> */\nimport "C"', True),
        ('import (\n\t"context"\n\t"C"\n)', True),
        ('import (\n\t"context"; "C"\n)', True),
        ('x := "/*"\nimport "C"', True),
        ('import _ "C"', True),
        ('import "context"', False),
        ('// import "C"\nfunc Run() {}', False),
        ('/* import "C" */', False),
        ('s := `import "C"`', False),
        ('s := "import \\"C\\""', False),
        ('import (\n\t"fmt" // "C"\n)', False),
        ('import "CC"', False),
    ],
)
def test_cgo_import_is_found_outside_comments_and_strings(source: str, found: bool) -> None:
    at = cgo_import(source)
    assert (at is not None) == found, source
    if at is not None:
        assert source[at[0] : at[1]] == '"C"'


def test_a_node_test_of_cgo_code_says_why_instead_of_undefined_run() -> None:
    from nodeforge.sandbox.nodetest import NodeTestError, load_flow, plan

    analysis = load_flow(BROKEN / "cgo_import.flow.json")
    with pytest.raises(NodeTestError, match=r"node `preamble`: `import \"C\"` \(cgo\)"):
        plan(analysis, "preamble")
    assert plan(analysis, "mentions_only").kind == "code"
