"""Every command line verb given missing and malformed paths (issue 10, item 14): a usage
error (exit 2) with a clear message on stderr, and nothing created anywhere."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge.cli import build_parser, main
from nodeforge.commands.paths import PathError, check_path
from nodeforge.project.workspace_init import init_workspace

FLOW = "ws/flows/hello.flow.json"

# (verb, argv, a fragment of the message). Paths are relative to a scratch folder holding
# `ws/` (a workspace with one flow), `empty/` (a folder without flows) and `file.txt`.
CASES: list[tuple[str, list[str], str]] = [
    ("check", ["check", "missing.flow.json"], "missing.flow.json: no such file or folder"),
    ("check", ["check", "empty"], "empty: no *.flow.json files in this folder"),
    ("check", ["check", "ws", "-o", "nope/report.txt"], "the folder nope does not exist"),
    ("check", ["check", "ws", "-o", "empty"], "empty: is a folder, not a file"),
    ("check", ["check", "file.txt/x.flow.json"], "a part of the path is a file"),
    ("format", ["format", "missing.flow.json"], "no such file or folder"),
    ("format", ["format", "empty"], "no *.flow.json files"),
    ("generate", ["generate", "nonexistent"], "nonexistent: no such file or folder"),
    ("generate", ["generate", "nope/x.flow.json"], "nope/x.flow.json: no such file"),
    ("generate", ["generate", "ws", "-o", "nope/deeper/gen"], "the folder nope/deeper does"),
    ("generate", ["generate", "ws", "-o", "file.txt"], "file.txt: is not a folder"),
    ("build", ["build", "nonexistent"], "nonexistent: no such file or folder"),
    ("build", ["build", "nope/x.flow.json"], "nope/x.flow.json: no such file or folder"),
    ("build", ["build", "empty"], "empty: no *.flow.json files"),
    ("build", ["build", "ws", "-o", "nope/bin/app"], "the folder nope/bin does not exist"),
    ("build", ["build", "ws", "--out-dir", "nope/gen"], "the folder nope does not exist"),
    ("build", ["build", ""], "an empty path"),
    ("build", ["build", "a\0b"], "NUL"),
    ("build", ["build", "x" * 5000], "too long"),
    ("run", ["run", "nonexistent"], "nonexistent: no such file or folder"),
    ("run", ["run", "empty"], "empty: no *.flow.json files"),
    ("test", ["test", "nonexistent"], "no such file or folder"),
    ("test", ["test", "empty"], "no *.flow.json files"),
    ("watch", ["watch", "nonexistent", "--no-run"], "no such file or folder"),
    ("watch", ["watch", "empty", "--no-run"], "no *.flow.json files"),
    ("simulate", ["simulate", "missing.flow.json"], "missing.flow.json: no such file"),
    ("simulate", ["simulate", "ws/flows"], "ws/flows: is a folder, not a file"),
    ("simulate", ["simulate", FLOW, "--input", "nope.json"], "nope.json: no such file"),
    ("simulate", ["simulate", FLOW, "--fixtures", "nope.json"], "nope.json: no such file"),
    ("simulate", ["simulate", FLOW, "--env", "nope.json"], "nope.json: no such file"),
    ("test-node", ["test-node", "missing.flow.json", "n"], "missing.flow.json: no such"),
    ("test-node", ["test-node", FLOW, "n", "--input", "nope.json"], "nope.json: no such"),
    ("test-node", ["test-node", FLOW, "n", "--env", "nope.json"], "nope.json: no such"),
    ("init", ["init", "nope/deeper"], "the folder nope does not exist"),
    ("init", ["init", "file.txt"], "file.txt: is not a folder"),
    ("project", ["project", "-w", "nonexistent"], "nonexistent: no such file or folder"),
    ("project", ["project", "-w", "empty"], "is not a Nodeforge workspace"),
    ("project", ["project"], "is not inside a Nodeforge workspace"),
    ("save", ["save", "missing.flow.json", "-w", "ws"], "missing.flow.json: no such file"),
    ("save", ["save"], "is not inside a Nodeforge workspace"),
    ("history", ["history", "ws/nope/x.flow.json"], "the folder ws/nope does not exist"),
    ("history", ["history", "ws/flows/gone.flow.json"], "no saved versions of it"),
    ("history", ["history", "-w", "file.txt"], "file.txt: is not a folder"),
    ("diff", ["diff", "ws/flows/gone.flow.json"], "no such flow file, and no saved"),
    ("diff", ["diff", FLOW, "-w", "empty"], "is not a Nodeforge workspace"),
    ("restore", ["restore", "ws/flows/gone.flow.json", "@0"], "no such flow file"),
    ("restore", ["restore", "nope/x.flow.json", "@0"], "the folder nope does not exist"),
    ("upgrade", ["upgrade", "missing.flow.json", "-w", "ws"], "missing.flow.json: no such"),
    ("upgrade", ["upgrade", "-w", "empty"], "is not a Nodeforge workspace"),
    ("upgrade", ["upgrade", "empty/x.flow.json"], "no such file"),
    ("fork", ["fork", "--status", "-w", "nonexistent"], "no such file or folder"),
    ("fork", ["fork", "--status"], "is not inside a Nodeforge workspace"),
    ("connector", ["connector", "list"], "is not inside a Nodeforge workspace"),
    ("connector", ["connector", "env", "-w", "ws", "-o", "nope/app.env"], "folder nope does"),
    ("connector", ["connector", "env", "-w", "ws", "-o", "empty"], "is a folder, not a file"),
]
CASES += [
    ("lsp", ["lsp", "--log-file", "nope/lsp.log"], "the folder nope does not exist"),
    ("lsp", ["lsp", "--ws", "127.0.0.1:0", "--token-file", "nope.txt"], "nope.txt: no such"),
    ("lsp", ["lsp", "--ws", "127.0.0.1:0", "--auth-config", "nope.toml"], "nope.toml: no such"),
    ("lsp", ["lsp", "--ws", "127.0.0.1:0", "--base", "nonexistent"], "nonexistent: no such"),
    ("dap", ["dap", "--log-file", "nope/dap.log"], "the folder nope does not exist"),
    ("runs", ["runs", "list", "--path", "nonexistent"], "nonexistent: no such file or folder"),
    ("runs", ["runs", "show", "x", "--db", "nope.db"], "nope.db: no such file"),
    ("worker", ["worker", "--nats", "nats://x", "--work-dir", "nope/w"], "folder nope does"),
    ("worker", ["worker", "--nats", "nats://x", "--log-file", "empty"], "is a folder, not"),
    ("serve", ["serve", "nonexistent"], "nonexistent: no such file or folder"),
    ("serve", ["serve", "ws", "--web-root", "nonexistent"], "nonexistent: no such file"),
    ("serve", ["serve", "ws", "--token-file", "nope.txt"], "nope.txt: no such file"),
    ("assist", ["assist", "x", "--flow", "missing.flow.json"], "missing.flow.json: no such"),
    ("assist", ["assist", "x", "-o", "nope/x.flow.json"], "the folder nope does not exist"),
    ("assist", ["assist", "x", "-w", "nonexistent"], "nonexistent: no such file or folder"),
    ("deploy", ["deploy", "kubernetes", "nonexistent", "-o", "out"], "nonexistent: no such"),
    ("deploy", ["deploy", "kubernetes", "ws", "-o", "nope/k8s"], "the folder nope does not"),
    ("node", ["node", "new", "acme/thing", "-w", "nonexistent"], "nonexistent: no such"),
    ("node", ["node", "new", "acme/thing"], "is not inside a Nodeforge workspace"),
    ("llm", ["llm", "usage", "-w", "nonexistent"], "nonexistent: no such file or folder"),
]
CASES += [
    ("connector", ["connector", action, "-w", "nonexistent", *extra], "no such file or folder")
    for action, extra in (
        ("add", ["db", "-t", "sqlite", "--set", "path=x"]),
        ("list", []),
        ("show", ["db"]),
        ("test", ["db"]),
        ("remove", ["db"]),
        ("env", ["-o", "app.env"]),
        ("exec", ["--", "true"]),
    )
]
#: Verbs without path arguments.
NO_PATHS = {"schema", "daemon"}


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    folder = tmp_path / "scratch"
    folder.mkdir()
    init_workspace(folder / "ws", example=True)
    (folder / "empty").mkdir()
    (folder / "file.txt").write_text("not a flow\n")
    monkeypatch.setenv("NODEFORGE_KEY_DIR", str(folder / "keys"))
    monkeypatch.delenv("NODEFORGE_SECRET_KEY", raising=False)
    monkeypatch.chdir(folder)
    yield folder


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


@pytest.mark.parametrize(("verb", "argv", "message"), CASES, ids=[" ".join(c[1]) for c in CASES])
def test_bad_path_is_a_usage_error(
    scratch: Path, capsys: pytest.CaptureFixture[str], verb: str, argv: list[str], message: str
) -> None:
    before = _tree(scratch)
    code = _run(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert message in err, err
    assert err.startswith(f"nodeforge {verb}") or f"nodeforge {verb}" in err, err
    assert "internal error" not in err and "Traceback" not in err
    assert _tree(scratch) == before  # nothing created, not even .nodeforge/ or keys/


def test_every_verb_is_covered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    verbs = set(sub.choices) - NO_PATHS
    assert verbs <= {verb for verb, _, _ in CASES}, verbs - {verb for verb, _, _ in CASES}


def test_the_real_cli_on_missing_paths(tmp_path: Path) -> None:
    """The issue's own commands, through the installed console entry point."""
    missing = tmp_path / "nonexistent"
    for argv in (
        ["build", str(missing)],
        ["build", str(tmp_path / "nope" / "x.flow.json")],
        ["run", str(missing)],
        ["test", str(missing)],
        ["generate", str(missing)],
        ["watch", str(missing)],
        ["check", str(tmp_path)],
        ["run"],  # the current folder, which holds no flow
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "nodeforge", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
            env={**os.environ, "NODEFORGE_KEY_DIR": str(tmp_path / "keys")},
        )
        assert proc.returncode == 2, (argv, proc.stdout, proc.stderr)
        assert f"nodeforge {argv[0]}: error: argument" in proc.stderr, proc.stderr
        assert list(tmp_path.iterdir()) == [], argv  # nothing created


def test_check_path_kinds(tmp_path: Path) -> None:
    flow = tmp_path / "a.flow.json"
    flow.write_text("{}")
    assert check_path(str(flow), "flows") == flow
    assert check_path(str(tmp_path), "flows") == tmp_path
    assert check_path("-", "input") == Path("-")
    assert check_path(str(tmp_path / "new"), "output_folder") == tmp_path / "new"
    assert check_path(str(tmp_path / "out.txt"), "output_file") == tmp_path / "out.txt"
    assert check_path(str(tmp_path / "deleted.flow.json"), "tracked")
    with pytest.raises(PathError, match="is not a folder"):
        check_path(str(flow), "folder")
    with pytest.raises(PathError, match="is not a regular file"):
        check_path("/dev/null", "file")
    with pytest.raises(PathError, match="no such file"):
        check_path("-", "file")  # only inputs read stdin
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(PathError, match="symbolic links"):
        check_path(str(tmp_path / "loop"), "flows")
