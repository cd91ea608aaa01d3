"""``nodeforge deploy kubernetes``: the manifests validate offline against the Kubernetes
API schemas (kubernetes-validate bundles them), carry no connector value, probe the app's
/healthz and /readyz, and the app drains on SIGTERM as the manifests expect."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from nodeforge.cli import main
from nodeforge.deploy.kubernetes import KubernetesOptions, manifests
from nodeforge.deploy.yamltext import dump
from nodeforge.project import connectors as c
from tests.test_build_support import EXAMPLES, built, free_port, make_workspace, needs_go

K8S_VERSION = "1.37.0"


def _validate(doc: dict[str, Any]) -> None:
    import kubernetes_validate

    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: a connection attempt fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access during offline validation")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The examples with their connectors stored, secrets planted."""
    ws = tmp_path / "ws"
    ws.mkdir()
    for f in EXAMPLES.glob("*.flow.json"):
        (ws / f.name).write_text(f.read_text())
    (ws / "db").mkdir()
    for f in (EXAMPLES / "db").glob("*.sql"):
        (ws / "db" / f.name).write_text(f.read_text())
    (ws / "nodeforge.toml").write_text((EXAMPLES / "nodeforge.toml").read_text())
    monkeypatch.setenv(c.KEY_DIR_ENV, str(tmp_path / "keys"))
    c.add(ws, "events", "nats", {"url": "nats://nats.internal:4222", "user": "app",
                                 "password": "PLANTED-nats-pw"}, replace=True)  # fmt: skip
    c.add(ws, "mailer", "smtp", {"host": "smtp.internal", "password": "PLANTED-smtp-pw"},
          replace=True)  # fmt: skip
    return ws


def test_manifests_validate_offline_and_hold_names_only(
    workspace: Path, tmp_path: Path, offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deploy"
    code = main(["deploy", "kubernetes", str(workspace), "-o", str(out), "--image",
                 "registry.example/shop:1.2.3", "--otlp-endpoint", "http://otel:4318",
                 "--replicas", "3"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    docs = {p.name: yaml.safe_load(p.read_text()) for p in (out / "kubernetes").glob("*.yaml")}
    assert sorted(docs) == [
        "configmap.yaml", "deployment.yaml", "hpa.yaml", "pdb.yaml", "service.yaml",
    ]  # fmt: skip
    for doc in docs.values():
        _validate(doc)
    # Nothing written holds a connector value, only names.
    for path in out.rglob("*"):
        if path.is_file() and "src" not in path.relative_to(out).parts:
            text = path.read_text(errors="replace")
            assert "PLANTED" not in text and "nats.internal" not in text, path
    pod = docs["deployment.yaml"]["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["image"] == "registry.example/shop:1.2.3"
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"secretRef": {"name": "examples-connectors"}} in app["envFrom"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert app["securityContext"]["readOnlyRootFilesystem"] is True
    assert app["resources"]["requests"] and app["resources"]["limits"]
    config = docs["configmap.yaml"]["data"]
    assert config["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel:4318"
    assert config["NODEFORGE_CONNECTOR_SHOPDB_SCHEMA"] == "/etc/nodeforge/db/shopdb.sql"
    drain = int(config["NODEFORGE_DRAIN_DELAY"].removesuffix("s"))
    shutdown = int(config["NODEFORGE_SHUTDOWN_TIMEOUT"].removesuffix("s"))
    assert pod["terminationGracePeriodSeconds"] > drain + shutdown
    assert docs["hpa.yaml"]["spec"]["minReplicas"] == 3
    assert docs["service.yaml"]["spec"]["ports"][0]["targetPort"] == "http"
    dockerfile = (out / "Dockerfile").read_text()
    assert "FROM gcr.io/distroless/static-debian12:nonroot" in dockerfile
    assert "-extldflags=-static" in dockerfile and "USER 65532:65532" in dockerfile
    example = (out / "connectors.env.example").read_text()
    assert "NODEFORGE_CONNECTOR_EVENTS_PASSWORD=\n" in example  # the name, no value
    assert (out / "src" / "main.go").is_file() and (out / "db" / "shopdb.sql").is_file()
    assert "SQLite connectors" in capsys.readouterr().err  # not shared between replicas


def test_a_broken_manifest_is_refused_by_the_validator(offline: None) -> None:
    """The validation can fail: a probe without a handler, a bad replica count."""
    import kubernetes_validate

    docs = manifests("shop", {}, [], KubernetesOptions())
    bad = json.loads(json.dumps(docs["deployment.yaml"]))
    bad["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(bad)
    typo = json.loads(json.dumps(docs["service.yaml"]))
    typo["spec"]["portz"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(typo)


def test_yaml_text_round_trips_hostile_strings() -> None:
    doc = {"a": ["x: y", "- z", "#c", "'q'", '"d"', "\n", "yes", "null", "1e3", "@", "é\u2028"],
           "b": {"k:v": True, "n": 0, "e": {}, "l": []}}  # fmt: skip
    assert yaml.safe_load(dump(doc)) == doc


def test_deploy_needs_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "hello.flow.json").write_text(json.dumps(HELLO))
    assert main(["deploy", "kubernetes", str(tmp_path), "-o", str(tmp_path / "o")]) == 2
    assert "nodeforge.toml" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # no folder given and none found: argparse refuses
        main(["deploy", "kubernetes", str(tmp_path / "missing"), "-o", str(tmp_path / "o")])


HELLO = {
    "nodeforge": "1",
    "id": "hello",
    "name": "Hello",
    "nodes": [
        {"id": "get", "type": "http/trigger", "version": "1.0.0",
         "config": {"method": "GET", "path": "/hello"}},
        {"id": "ok", "type": "http/respond", "version": "1.0.0",
         "config": {"status": 200, "body": "{\"hello\": \"world\"}"}},
    ],
    "connections": [{"from": "get.out", "to": "ok.in"}],
}  # fmt: skip


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@needs_go
def test_sigterm_drains_not_ready_first_then_exits(tmp_path: Path) -> None:
    """What the manifests rely on: on SIGTERM /readyz answers 503 at once (endpoints stop
    sending traffic) while requests are still served during NODEFORGE_DRAIN_DELAY, then
    the app exits 0."""
    result = built(make_workspace(tmp_path / "hello", HELLO))
    assert result.binary is not None
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODEFORGE_")}
    env.update(NODEFORGE_ADDR=f"127.0.0.1:{port}", NODEFORGE_DRAIN_DELAY="3s")
    proc = subprocess.Popen([str(result.binary)], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if _get(port, "/readyz") == (200, b'{"status":"ready"}'):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 2
        while _get(port, "/readyz")[0] != 503:
            assert time.monotonic() < deadline, "still ready after SIGTERM"
            time.sleep(0.02)
        status, body = _get(port, "/readyz")
        assert status == 503 and json.loads(body)["status"] == "draining"
        assert _get(port, "/healthz")[0] == 200
        assert _get(port, "/hello") == (200, b'{"hello":"world"}\n')  # still served
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
