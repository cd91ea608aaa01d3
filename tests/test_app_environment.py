"""The environment a built app runs with (issue 10, item 6): one function builds it for
`nodeforge run`, `test`, `watch`, `connector exec` and the language server's run. The app
never gets the connector key, only the decrypted settings of the connectors its flows use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nodeforge.cli import build_parser
from nodeforge.codegen.build import BuildResult, app_environment
from nodeforge.codegen.module import FlowInput
from nodeforge.project import connectors as c
from nodeforge.project.workspace_init import init_workspace

SECRET = "pl4nted-S3CRET-value-7f3a9"


@pytest.fixture(autouse=True)
def key_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("keys")
    monkeypatch.setenv(c.KEY_DIR_ENV, str(path))
    monkeypatch.delenv(c.KEY_ENV, raising=False)
    return path


def _flow(name: str, connector: str) -> dict[str, Any]:
    return {
        "id": name,
        "name": name,
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "read",
                "type": "sql/query",
                "version": "1.0.0",
                "config": {"connector": connector, "query": "select 1 as one"},
            },
        ],
        "connections": [{"from": "start", "to": "read"}],
    }


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace whose flow uses `shopdb`; `mail` and `api` are stored but unused. The
    key comes from NODEFORGE_SECRET_KEY, as on a server."""
    root = tmp_path / "ws"
    init_workspace(root)
    root = root.resolve()
    monkeypatch.setenv(c.KEY_ENV, c.generate_key())
    c.add(root, "shopdb", "sqlite", {"path": "shop.db"}, replace=False)
    c.add(root, "mail", "smtp", {"host": "h", "password": SECRET}, replace=False)
    c.add(root, "api", "http", {"url": "http://x", "api_key": SECRET}, replace=False)
    (root / "flows" / "orders.flow.json").write_text(json.dumps(_flow("orders", "shopdb")))
    return root


def _connector_vars(env: dict[str, str]) -> set[str]:
    return {k for k in env if k.startswith("NODEFORGE_CONNECTOR_")}


def test_only_used_connectors_and_no_key(ws: Path) -> None:
    base = {
        "PATH": "/usr/bin:/bin",
        c.KEY_ENV: "the key itself",
        c.KEY_DIR_ENV: "/somewhere",
        "NODEFORGE_CONNECTOR_MAIL_HOST": "inherited, but mail is not used",
        "NODEFORGE_CONNECTOR_SHOPDB_SCHEMA": "/inherited/schema.sql",
    }
    env = app_environment(ws, ["shopdb"], base=base)
    assert env["PATH"] == "/usr/bin:/bin"
    assert c.KEY_ENV not in env and c.KEY_DIR_ENV not in env
    assert _connector_vars(env) == {
        "NODEFORGE_CONNECTOR_SHOPDB_PATH",
        "NODEFORGE_CONNECTOR_SHOPDB_SCHEMA",
    }
    assert env["NODEFORGE_CONNECTOR_SHOPDB_SCHEMA"] == "/inherited/schema.sql"  # env wins
    assert SECRET not in json.dumps(env)
    # no connector used: nothing decrypted, no key needed at all
    assert _connector_vars(app_environment(ws, [], base=base)) == set()


def test_build_result_names_the_connectors_its_flows_use(ws: Path) -> None:
    text = (ws / "flows" / "orders.flow.json").read_text()
    rel = "flows/orders.flow.json"
    result = BuildResult(
        "succeeded", ws, ws, None, None, flows={rel: FlowInput(ws / rel, rel, text)}
    )
    assert result.connectors == ["shopdb"]


def test_connector_exec_passes_no_key(ws: Path) -> None:
    script = (
        "import json, os; print(json.dumps({k: v for k, v in os.environ.items() "
        "if k.startswith('NODEFORGE_')}))"
    )

    def child_env(*extra: str) -> dict[str, str]:
        proc = subprocess.run(
            [
                *(sys.executable, "-m", "nodeforge", "connector", "exec", "-w", str(ws)),
                *extra,
                *("--", sys.executable, "-c", script),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        env: dict[str, str] = json.loads(proc.stdout)
        return env

    env = child_env()
    assert c.KEY_ENV not in env and c.KEY_DIR_ENV not in env
    assert _connector_vars(env) == {"NODEFORGE_CONNECTOR_SHOPDB_PATH"}
    env = child_env("--connector", "mail")
    assert c.KEY_ENV not in env
    assert env["NODEFORGE_CONNECTOR_MAIL_PASSWORD"] == SECRET
    assert "NODEFORGE_CONNECTOR_SHOPDB_PATH" not in env


def test_nodeforge_run_passes_no_key(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nodeforge.commands import run_app

    rel = "flows/orders.flow.json"
    flow = FlowInput(ws / rel, rel, (ws / rel).read_text())
    fake = BuildResult("succeeded", ws, ws, Path("/bin/true"), None, flows={rel: flow})
    monkeypatch.setattr(run_app, "build", lambda path, **options: fake)
    seen: dict[str, dict[str, str]] = {}

    class Proc:
        def __init__(self, argv: list[str], env: dict[str, str]) -> None:
            seen["env"] = env

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(run_app.subprocess, "Popen", Proc)
    monkeypatch.setattr(run_app.signal, "signal", lambda *a: None)
    args = build_parser().parse_args(["run", str(ws), "--addr", "127.0.0.1:0"])
    assert run_app.run(args) == 0
    env = seen["env"]
    assert c.KEY_ENV not in env and c.KEY_DIR_ENV not in env
    assert _connector_vars(env) == {"NODEFORGE_CONNECTOR_SHOPDB_PATH"}
    assert env["NODEFORGE_CONNECTOR_SHOPDB_PATH"] == "shop.db"
