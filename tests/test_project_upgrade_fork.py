"""``nodeforge upgrade`` (config migrations, re-check, lock) and ``nodeforge fork``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nodeforge.analysis.engine import analyze
from nodeforge.analysis.workspace import load_workspace
from nodeforge.cli import main
from nodeforge.project.fork import fork_base, fork_hints, fork_node, fork_status
from nodeforge.project.fsutil import ProjectError
from nodeforge.project.history import History
from nodeforge.project.lockfile import verify_lock
from nodeforge.project.upgrade import upgrade_file, upgrade_text
from nodeforge.project.workspace_init import init_workspace

FLOW = {
    "nodeforge": "1",
    "id": "up",
    "name": "Up",
    "nodes": [
        {
            "id": "hook",
            "type": "http/trigger",
            "version": "1.1.0",
            "config": {"method": "GET", "path": "/up"},
        },
        {
            "id": "call",
            "type": "http/request",
            "version": "1.0.0",
            "config": {"method": "GET", "url": "https://x.example/a"},
        },
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
    ],
    "connections": [{"from": "hook.out", "to": "call.in"}, {"from": "call.out", "to": "reply.in"}],
}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "flows" / "up.flow.json").write_text(json.dumps(FLOW, indent=2) + "\n")
    return root.resolve()


def test_upgrade_applies_migrations_and_rechecks(ws: Path) -> None:
    flow = ws / "flows" / "up.flow.json"
    workspace = load_workspace(ws)
    assert any(
        d.code == "NF021" for d in analyze(flow.read_text(), "", None, workspace).diagnostics
    )
    dry = upgrade_file(ws, flow, workspace, dry_run=True)
    assert not dry.written and json.loads(flow.read_text()) == FLOW
    assert [(u.node, u.from_version, u.to_version, u.config_migrated) for u in dry.upgrades] == [
        ("call", "1.0.0", "1.2.0", True)
    ]
    result = upgrade_file(ws, flow, workspace)
    assert result.written and result.new_errors == []
    data = json.loads(flow.read_text())
    call = data["nodes"][1]
    assert call["version"] == "1.2.0"
    assert call["config"]["timeout_ms"] == 30000 and call["config"]["retries"] == 0
    assert call["config"]["client_errors"] == "error"  # 1.1.0 -> 1.2.0 keeps the behaviour
    after = analyze(flow.read_text(), "", None, workspace)
    assert not any(d.code == "NF021" for d in after.diagnostics)
    assert not any(d.severity == 1 for d in after.diagnostics)  # no errors
    again = upgrade_file(ws, flow, workspace)
    assert again.upgrades == [] and not again.written


def test_upgrade_matches_the_editor_quick_fix(ws: Path) -> None:
    from nodeforge.analysis.ide import code_actions

    text = (ws / "flows" / "up.flow.json").read_text()
    workspace = load_workspace(ws)
    analysis = analyze(text, "", None, workspace)
    diag = next(d for d in analysis.diagnostics if d.code == "NF021")
    action = code_actions(analysis, diag.span, [diag])[0]
    edited = text
    for edit in sorted(action.edits, key=lambda e: e.span.start, reverse=True):
        edited = edited[: edit.span.start] + edit.new_text + edited[edit.span.end :]
    assert upgrade_text(text, workspace).text == edited


def test_upgrade_to_and_filters(ws: Path) -> None:
    workspace = load_workspace(ws)
    text = (ws / "flows" / "up.flow.json").read_text()
    with pytest.raises(ProjectError, match="needs one node type"):
        upgrade_text(text, workspace, to="1.1.0")
    with pytest.raises(ProjectError, match=r"has no version 9\.9\.9"):
        upgrade_text(text, workspace, to="9.9.9", node_type="http/request")
    r = upgrade_text(text, workspace, to="1.1.0", node_type="http/request")
    assert [u.node for u in r.upgrades] == ["call"]
    r = upgrade_text(text, workspace, node_ids=["reply"])
    assert r.upgrades == []
    with pytest.raises(ProjectError, match="not valid JSON"):
        upgrade_text("{", workspace)


def test_upgrade_cli_and_history_lock(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = ws / "flows" / "up.flow.json"
    h = History(ws)
    h.save(flow, "before the upgrade")
    assert h.lock_at()["flows"]["flows/up.flow.json"] == [
        "http/request@1.0.0",
        "http/respond@1.0.0",
        "http/trigger@1.1.0",
    ]
    assert main(["upgrade", "-w", str(ws), "--dry-run"]) == 0
    assert "call http/request 1.0.0 -> 1.2.0 (config migrated)" in capsys.readouterr().out
    assert main(["upgrade", str(flow), "-w", str(ws)]) == 0
    h.save(flow, "upgraded")
    lock = h.lock_at()
    assert "http/request@1.2.0" in lock["flows"]["flows/up.flow.json"]
    assert lock["nodes"]["http/request@1.2.0"]["source"] == "standard"
    assert verify_lock(ws, lock) == []
    # the lock of the older commit still names 1.0.0, which the catalog still has
    old = h.lock_at(h.log("flows/up.flow.json")[1].commit)
    assert "http/request@1.0.0" in old["nodes"] and verify_lock(ws, old) == []


def test_lock_detects_a_changed_custom_node(ws: Path) -> None:
    fork_node(ws, "util/log@1.0.0", "audit")
    flow = ws / "flows" / "log.flow.json"
    flow.write_text(
        json.dumps(
            {
                "nodeforge": "1",
                "id": "log",
                "name": "Log",
                "nodes": [{"id": "a", "type": "util/audit", "version": "1.0.0", "config": {}}],
                "connections": [],
            }
        )
    )
    h = History(ws)
    h.save(flow)
    lock = h.lock_at()
    assert lock["nodes"]["util/audit@1.0.0"]["source"] == "workspace:nodes/audit"
    assert verify_lock(ws, lock, "flows/log.flow.json") == []
    go = next((ws / "nodes" / "audit").glob("*.go"))
    go.write_text(go.read_text() + "\n// changed\n")
    assert verify_lock(ws, lock, "flows/log.flow.json") == [
        "util/audit@1.0.0 changed since it was locked (workspace:nodes/audit)"
    ]


def test_fork(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = fork_node(ws, "http/request@1.0.0", "acme_request")
    assert (info.type, info.version, info.folder) == (
        "http/acme_request",
        "1.0.0",
        "nodes/acme_request",
    )
    assert info.newer_base and info.base_latest == "1.2.0" and not info.modified
    folder = ws / "nodes" / "acme_request"
    manifest = json.loads((folder / "node.json").read_text())
    assert manifest["type"] == "http/acme_request" and manifest["migrations"] == []
    record = json.loads((folder / "fork.json").read_text())
    assert record["forked_from"]["type"] == "http/request"
    assert record["forked_from"]["version"] == "1.0.0"
    go = (folder / "request.go").read_text()
    assert "\npackage httpacmerequest\n" in go
    base = fork_base(folder / "node.json")
    assert base is not None and (base.base_type, base.base_version) == ("http/request", "1.0.0")
    assert base.go_package == "httpacmerequest"
    assert fork_base(Path(str(workspace_catalog_manifest()))) is None
    # analysis uses it
    workspace = load_workspace(ws)
    assert workspace.catalog.get("http/acme_request", "1.0.0") is not None
    flow = dict(FLOW)
    flow["nodes"] = [dict(n) for n in FLOW["nodes"]]
    flow["nodes"][1]["type"] = "http/acme_request"
    analysis = analyze(json.dumps(flow), "", None, workspace)
    assert not [d for d in analysis.diagnostics if d.severity == 1]
    # status and hints
    assert [f.type for f in fork_status(ws)] == ["http/acme_request"]
    assert "http/request 1.2.0 is out" in fork_hints(ws)[0]
    (folder / "request.go").write_text(go + "\n// mine\n")
    assert fork_status(ws)[0].modified
    # refusals
    with pytest.raises(ProjectError, match="already"):
        fork_node(ws, "http/request@1.1.0", "acme_request")
    with pytest.raises(ProjectError, match="standard node type"):
        fork_node(ws, "http/request", "http/request")
    with pytest.raises(ProjectError, match="no standard node"):
        fork_node(ws, "http/requst", "x")
    with pytest.raises(ProjectError, match="invalid node name"):
        fork_node(ws, "http/request", "Bad-Name")
    with pytest.raises(ProjectError, match="has no version"):
        fork_node(ws, "http/request@7.0.0", "y")
    # CLI
    assert main(["fork", "http/request", "--as", "acme/mailer_http", "-w", str(ws)]) == 0
    assert (ws / "nodes" / "mailer_http" / "node.json").exists()
    assert main(["fork", "--status", "--json", "-w", str(ws)]) == 0
    out = capsys.readouterr().out
    statuses = json.loads(out[out.index("[") :])
    assert {s["type"] for s in statuses} == {"http/acme_request", "acme/mailer_http"}
    assert not list((ws / ".nodeforge").glob("fork-tmp/*"))


def workspace_catalog_manifest() -> Path:
    from nodeforge.analysis.workspace import standard_catalog

    manifest = standard_catalog().get("http/request", "1.0.0")
    assert manifest is not None
    return manifest.path


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")
def test_forked_go_code_is_gofmt_clean(ws: Path) -> None:
    fork_node(ws, "email/send@1.0.0", "mailer")
    gofmt = Path(shutil.which("go") or "go").parent / "gofmt"
    out = subprocess.run(
        [str(gofmt), "-l", str(ws / "nodes" / "mailer")], capture_output=True, text=True, check=True
    )
    assert out.stdout == ""


# -- migrations never silently overwrite a value the user set (issue 10, item 7) ----------------


def _with_call_config(ws: Path, **config: object) -> Path:
    data = json.loads(json.dumps(FLOW))
    data["nodes"][1]["config"].update(config)
    flow = ws / "flows" / "up.flow.json"
    flow.write_text(json.dumps(data, indent=2) + "\n")
    return flow


def test_upgrade_conflicts_stop_the_upgrade(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flow = _with_call_config(ws, timeout_ms=5000, retries=3)
    before = flow.read_text()
    workspace = load_workspace(ws)
    result = upgrade_file(ws, flow, workspace)
    assert not result.written and flow.read_text() == before
    assert {
        (c["node"], c["key"], c["flow_value"], c["migration_value"]) for c in result.conflicts
    } == {
        ("call", "timeout_ms", 5000, 30000),
        ("call", "retries", 3, 0),
    }
    # the CLI: the dry run shows both values; the upgrade stops (exit 1); --force writes
    assert main(["upgrade", "-w", str(ws), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "conflict: `timeout_ms`: the flow has 5000" in out and "30000" in out
    assert "`retries`: the flow has 3" in out
    assert main(["upgrade", "-w", str(ws)]) == 1
    out = capsys.readouterr().out
    assert "not written" in out and "--force" in out and flow.read_text() == before
    assert main(["upgrade", "-w", str(ws), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["conflicts"][0]["flow_value"] in (5000, 3)
    assert main(["upgrade", "-w", str(ws), "--force"]) == 0
    call = json.loads(flow.read_text())["nodes"][1]
    assert call["version"] == "1.2.0" and call["config"]["timeout_ms"] == 30000


def test_upgrade_rename_onto_a_set_key_is_a_conflict(ws: Path) -> None:
    from nodeforge.analysis.ide import code_actions
    from nodeforge.project.commands import run_command

    (ws / "nodeforge.toml").write_text(
        (ws / "nodeforge.toml").read_text() + '\n[connectors.wa]\ntype = "whatsapp"\n'
    )
    data = {
        "nodeforge": "1",
        "id": "wa",
        "name": "Wa",
        "nodes": [
            {"id": "go", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "send",
                "type": "whatsapp/send",
                "version": "1.0.0",
                "config": {"connector": "wa", "to": "1555", "text": "from text", "body": "mine"},
            },
        ],
        "connections": [{"from": "go.out", "to": "send.in"}],
    }
    flow = ws / "flows" / "wa.flow.json"
    flow.write_text(json.dumps(data, indent=2) + "\n")
    text = flow.read_text()
    workspace = load_workspace(ws)
    # the editor's quick fix is shown disabled, with both values, and edits nothing
    analysis = analyze(text, "", None, workspace)
    diag = next(d for d in analysis.diagnostics if d.code == "NF021")
    (action,) = code_actions(analysis, diag.span, [diag])
    assert action.edits == [] and action.disabled is not None
    assert '"mine"' in action.disabled and '"from text"' in action.disabled
    # the language server's upgrade commands report it and write nothing
    plan = run_command(ws, "upgrade.plan", {"flow": str(flow)})
    assert plan[0]["conflicts"][0]["key"] == "body" and not plan[0]["written"]
    applied = run_command(ws, "upgrade.apply", {"flow": str(flow)})
    assert applied[0]["conflicts"] and not applied[0]["written"] and flow.read_text() == text
    forced = run_command(ws, "upgrade.apply", {"flow": str(flow), "force": True})
    assert forced[0]["written"]
    send = json.loads(flow.read_text())["nodes"][1]
    assert send["version"] == "2.0.0" and send["config"]["body"] == "from text"
