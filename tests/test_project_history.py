"""The internal flow history: save/history/diff/restore, the user's git left alone,
kill -9 during saves, concurrent saves. Real git repositories, no mocks."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nodeforge.cli import main
from nodeforge.project.fsutil import ProjectError
from nodeforge.project.history import History, canonical_text
from nodeforge.project.semantic_diff import diff_flows
from nodeforge.project.workspace_init import init_workspace, project_info, set_project

FLOW = "flows/hello.flow.json"


def make_ws(path: Path) -> Path:
    init_workspace(path, example=True, owner="ops@example.com")
    return path.resolve()


def edit_path(root: Path, new: str) -> None:
    f = root / FLOW
    data = json.loads(f.read_text())
    data["nodes"][0]["config"]["path"] = new
    f.write_text(json.dumps(data))


def git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="u",
        GIT_AUTHOR_EMAIL="u@x",
        GIT_COMMITTER_NAME="u",
        GIT_COMMITTER_EMAIL="u@x",
    )
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    ).stdout


# -- init and metadata ------------------------------------------------------------------------


def test_init_creates_workspace_and_refuses_twice(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "shop")
    assert (root / "nodeforge.toml").is_file()
    assert (root / "flows").is_dir() and (root / "nodes").is_dir()
    assert ".nodeforge/" in (root / ".gitignore").read_text().splitlines()
    info = project_info(root)
    assert info.name == "shop" and info.owner == "ops@example.com" and len(info.id) == 36
    with pytest.raises(ProjectError, match="already"):
        init_workspace(root)
    # the analysis layer reads what init wrote
    from nodeforge.analysis.workspace import load_workspace

    ws = load_workspace(root)
    assert ws.name == "shop" and ws.owner == "ops@example.com"


def test_init_keeps_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")
    init_workspace(tmp_path)
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.nodeforge/\n"


def test_project_set_keeps_comments_and_connectors(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    cfg = root / "nodeforge.toml"
    cfg.write_text(cfg.read_text() + '\n# my db\n[connectors.shopdb]\ntype = "sqlite"\n')
    info = set_project(root, description='Orders "and" support', name="Shop")
    assert info.description == 'Orders "and" support' and info.name == "Shop"
    assert info.connectors == {"shopdb": "sqlite"}
    assert "# my db" in cfg.read_text()
    with pytest.raises(ProjectError):
        set_project(root, colour="red")


def test_cli_init_and_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "w"), "--name", "W", "--owner", "me"]) == 0
    assert main(["project", "set", "-w", str(tmp_path / "w"), "--description", "d"]) == 0
    capsys.readouterr()
    assert main(["project", "-w", str(tmp_path / "w"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "W" and data["description"] == "d" and data["owner"] == "me"
    assert main(["init", str(tmp_path / "w")]) == 1


# -- save, history, diff, restore -------------------------------------------------------------


def test_save_history_diff_restore(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    h = History(root)
    first = h.save(root / FLOW, "first")
    assert first.created and first.node_versions == ["http/respond@1.0.0", "http/trigger@1.1.0"]
    again = h.save(root / FLOW)
    assert not again.created and again.commit == first.commit
    edit_path(root, "/hi")  # non-canonical layout on disk: history keeps the canonical one
    second = h.save(root / FLOW, "second")
    assert second.created
    revs = h.log(FLOW)
    assert [r.commit for r in revs] == [second.commit, first.commit]
    assert revs[0].node_versions == ["http/respond@1.0.0", "http/trigger@1.1.0"]
    saved = h.read(FLOW, "@0")
    assert saved == canonical_text(saved) and '"/hi"' in saved
    # commit message carries the message and the trailers
    msg = git(h.git_dir, "--git-dir", str(h.git_dir), "log", "-1", "--format=%B")
    assert "second" in msg and f"Flow: {FLOW}" in msg and "Node-Version: http/trigger@1.1.0" in msg
    # the node version lock
    lock = h.lock_at()
    assert lock["flows"][FLOW] == ["http/respond@1.0.0", "http/trigger@1.1.0"]
    assert lock["nodes"]["http/trigger@1.1.0"]["digest"].startswith("sha256:")
    assert json.loads((root / ".nodeforge/lock.json").read_text()) == lock
    # semantic diff
    d = diff_flows(h.read(FLOW, "@1"), h.read(FLOW, "@0"), "a", "b")
    assert [c.id for c in d.nodes_changed] == ["hello"]
    change = d.nodes_changed[0].changes[0]
    assert (change.path, change.before, change.after) == ("config.path", "/hello", "/hi")
    assert '-        "path": "/hello"' in d.text_diff
    # restore: refused when dirty, a new commit otherwise
    edit_path(root, "/dirty")
    with pytest.raises(ProjectError, match="not in the history"):
        h.restore(root / FLOW, "@1")
    with pytest.raises(ProjectError, match="unsaved changes in the editor"):
        h.restore(root / FLOW, "@1", editor_dirty=True)
    restored = h.restore(root / FLOW, first.commit[:8], force=True)
    assert restored.created
    assert '"/hello"' in (root / FLOW).read_text()
    revs = h.log(FLOW)
    assert len(revs) == 3 and revs[0].message.startswith("restore flows/hello.flow.json to ")
    assert revs[0].commit == restored.commit
    # history never rewritten: the old commits are still ancestors
    assert {first.commit, second.commit} <= {r.commit for r in revs}
    assert h.fsck()[0]


def test_restore_refuses_unknown_revisions(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    h = History(root)
    h.save(root / FLOW)
    for bad in ("@5", "deadbeef", "main; rm -rf /", "HEAD~1"):
        with pytest.raises(ProjectError):
            h.restore(root / FLOW, bad)


def test_diff_covers_nodes_connections_tests() -> None:
    a = {
        "nodeforge": "1",
        "id": "f",
        "name": "F",
        "nodes": [
            {"id": "a", "type": "http/trigger", "version": "1.0.0", "config": {"path": "/x"}},
            {"id": "b", "type": "flow/if", "version": "1.0.0", "config": {"condition": "true"}},
        ],
        "connections": [{"from": "a.out", "to": "b.in"}],
        "tests": [{"name": "t1", "trigger": "a", "input": {}}],
    }
    b = json.loads(json.dumps(a))
    b["name"] = "G"
    b["nodes"][1] = {"id": "c", "type": "util/log", "version": "1.0.0", "config": {}}
    b["nodes"][0]["version"] = "1.1.0"
    b["nodes"][0]["config"]["method"] = "GET"
    b["connections"] = [{"from": "a.out", "to": "c.in"}]
    b["tests"] = [{"name": "t2", "trigger": "a", "input": {}}]
    d = diff_flows(json.dumps(a), json.dumps(b))
    assert [n["id"] for n in d.nodes_added] == ["c"]
    assert [n["id"] for n in d.nodes_removed] == ["b"]
    changes = {c.path: (c.kind, c.before, c.after) for c in d.nodes_changed[0].changes}
    assert changes == {
        "version": ("changed", "1.0.0", "1.1.0"),
        "config.method": ("added", None, "GET"),
    }
    assert d.connections_added == ["a.out -> c.in"]
    assert d.connections_removed == ["a.out -> b.in"]
    assert d.tests_added == ["t2"] and d.tests_removed == ["t1"]
    assert [(c.path, c.after) for c in d.flow_changes] == [("name", "G")]
    text = d.render()
    assert "+ node c (util/log@1.0.0)" in text and "- connection a.out -> b.in" in text
    assert json.loads(json.dumps(d.to_json()))["nodes_added"][0]["id"] == "c"


def test_cli_history_diff_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_ws(tmp_path)
    w = ["-w", str(root)]
    flow = str(root / FLOW)
    assert main(["save", flow, "-m", "one", *w]) == 0
    edit_path(root, "/two")
    assert main(["save", flow, *w]) == 0
    capsys.readouterr()
    assert main(["history", flow, "--json", *w]) == 0
    revs = json.loads(capsys.readouterr().out)
    assert len(revs) == 2
    assert main(["diff", flow, "@1", "@0", "--json", *w]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["nodes_changed"][0]["changes"][0]["after"] == "/two"
    edit_path(root, "/three")
    assert main(["restore", flow, "@1", *w]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["restore", flow, "@1", "--force", *w]) == 0
    assert '"/hello"' in (root / FLOW).read_text()
    assert main(["save", *w]) == 0  # every flow; nothing changed
    assert "unchanged" in capsys.readouterr().out


def test_broken_json_is_not_saved(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    (root / FLOW).write_text('{"nodes": [')
    with pytest.raises(ProjectError, match="not valid JSON"):
        History(root).save(root / FLOW)


def test_flow_outside_workspace_refused(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "ws")
    other = tmp_path / "x.flow.json"
    other.write_text("{}")
    with pytest.raises(ProjectError, match="outside the workspace"):
        History(root).save(other)


# -- the user's own git repository ----------------------------------------------------------


def _snapshot(repo: Path) -> dict[str, str]:
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "symbolic": git(repo, "symbolic-ref", "HEAD"),
        "refs": git(repo, "for-each-ref"),
        "index": git(repo, "ls-files", "--stage"),
        "staged": git(repo, "diff", "--cached", "--name-status"),
        "config": (repo / ".git" / "config").read_text(),
        "stash": git(repo, "stash", "list"),
        "objects": git(repo, "count-objects", "-v"),
    }


def test_workspace_inside_user_git_repo_is_untouched(tmp_path: Path) -> None:
    repo = tmp_path / "userrepo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    (repo / "README").write_text("mine\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "user commit")
    git(repo, "branch", "feature")
    root = make_ws(repo / "app")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")  # a staged, uncommitted change in the user's index
    before = _snapshot(repo)
    h = History(root)
    h.save(root / FLOW, "one")
    edit_path(root, "/v2")
    h.save(root / FLOW, "two")
    h.restore(root / FLOW, "@1", force=True)
    # even with the user's GIT_DIR/GIT_INDEX_FILE exported (a hook running nodeforge)
    old = {k: os.environ.get(k) for k in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE")}
    os.environ.update(
        GIT_DIR=str(repo / ".git"), GIT_INDEX_FILE=str(repo / ".git/index"), GIT_WORK_TREE=str(repo)
    )
    try:
        edit_path(root, "/v3")
        h.save(root / FLOW, "three")
        assert main(["history", str(root / FLOW), "-w", str(root)]) == 0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    after = _snapshot(repo)
    assert after == before
    assert len(h.log(FLOW)) == 4
    # .nodeforge/ is ignored by the user's repo thanks to init's .gitignore
    status = git(repo, "status", "--porcelain", "--ignored")
    assert "!! app/.nodeforge/" in status
    assert "history.git" not in git(repo, "status", "--porcelain")


# -- durability -------------------------------------------------------------------------------


SAVER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from nodeforge.project.history import History
    root, tag, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    flow = root / "flows" / "hello.flow.json"
    h = History(root)
    h.recover()
    from nodeforge.analysis.ide import format_document
    from nodeforge.analysis.workspace import load_workspace
    load_workspace(root)  # warm: the kill should land in saves, not in start-up
    format_document("{}")
    print("ready", flush=True)
    for i in range(count):
        text = json.dumps({"nodeforge": "1", "id": "hello", "name": f"{tag}-{i}", "nodes": [],
                           "connections": []})
        r = h.save(flow, f"{tag} {i}", text=text)
        print(json.dumps({"i": i, "commit": r.commit, "notes": r.notes}), flush=True)
    """
)


def _spawn(root: Path, tag: str, count: int, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", SAVER, str(root), tag, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        start_new_session=True,
    )


def _acked(out: str) -> list[dict[str, object]]:
    rows = []
    for line in out.splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut by the kill
            rows.append(json.loads(line))
    return rows


@pytest.mark.parametrize(
    "point", ["after-journal", "after-blob", "after-tree", "after-commit", "after-ref"]
)
def test_kill_at_each_step_of_a_save(tmp_path: Path, point: str) -> None:
    root = make_ws(tmp_path)
    h = History(root)
    base = h.save(root / FLOW, "base")
    proc = _spawn(root, "crash", 1, NODEFORGE_TEST_CRASH_AT=point)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    ok, out = h.fsck()
    assert ok, out
    notes = h.recover()
    landed = point == "after-ref"
    head_names = json.loads(h.read(FLOW, "@0"))["name"]
    if landed:
        assert head_names == "crash-0"
        assert not any("interrupted" in n for n in notes)
    else:
        assert h.head() == base.commit
        assert any("was interrupted and is not in the history" in n for n in notes), notes
    assert not h.pending_path.exists()
    assert h.recover() == []  # reported once
    # and the history keeps working
    edit_path(root, "/after")
    assert h.save(root / FLOW).created
    assert h.fsck()[0]
    if not landed:
        assert "interrupted" in (root / ".nodeforge/history.log").read_text()


def test_half_made_repository_is_replaced(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    state = root / ".nodeforge"
    (state / "history.git.tmp-99999").mkdir(parents=True)  # a killed init
    (state / "history.git").mkdir()  # no HEAD: never completed
    h = History(root)
    assert h.save(root / FLOW).created
    assert h.fsck()[0]
    assert not list(state.glob("history.git.tmp-*"))


def test_stale_git_lock_is_recovered(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    h = History(root)
    h.save(root / FLOW)
    (h.git_dir / "refs/heads/main.lock").write_text("garbage")
    (h.git_dir / "config.lock").write_text("")
    edit_path(root, "/x")
    r = h.save(root / FLOW)
    assert r.created
    assert any("stale git lock" in n for n in r.notes)
    assert not (h.git_dir / "refs/heads/main.lock").exists()


def test_kill_9_at_random_times_keeps_repository_consistent(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    h = History(root)
    h.save(root / FLOW, "base")
    rng = random.Random(1234)
    acked: list[str] = []
    rounds = int(os.environ.get("NODEFORGE_KILL_ROUNDS", "24"))
    for r in range(rounds):
        proc = _spawn(root, f"r{r}", 1000)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.5))  # a save takes ~50-100 ms: kills land anywhere
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        acked.extend(str(row["commit"]) for row in _acked(out))
        ok, fsck_out = h.fsck()
        assert ok, f"round {r}: {fsck_out}"
    assert len(acked) > rounds  # the kills landed in the middle of save loops
    h.recover()
    chain = {rev.commit for rev in h.log()}
    missing = [c for c in acked if c not in chain]
    assert missing == [], "an acknowledged save was lost"
    # every commit of the chain is readable and holds a parseable flow
    for rev in h.log(FLOW):
        json.loads(h.read(FLOW, rev.commit))
    edit_path(root, "/end")
    assert h.save(root / FLOW).created
    assert h.fsck()[0]


def test_concurrent_saves_are_serialised_and_all_kept(tmp_path: Path) -> None:
    root = make_ws(tmp_path)
    n = 15
    procs = [_spawn(root, tag, n) for tag in ("A", "B")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    h = History(root)
    acked = [str(row["commit"]) for out, _ in outs for row in _acked(out)]
    assert len(acked) == 2 * n
    revs = h.log(FLOW)
    assert len(revs) == 2 * n  # linear, nothing lost
    assert set(acked) == {r.commit for r in revs}
    names = {json.loads(h.read(FLOW, r.commit))["name"] for r in revs}
    assert names == {f"{t}-{i}" for t in "AB" for i in range(n)}
    assert h.fsck()[0]
