"""``nats`` connectors: settings checked when stored, and the connection test against a
real ``nats-server`` (JetStream on; with a token, a wrong one is refused and not echoed)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge.project import connectors as c
from nodeforge.project.fsutil import ProjectError
from tests.nats_support import free_port, require_nats_server, wait_for_port


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "nodeforge.toml").write_text('[project]\nname = "q"\n')
    monkeypatch.setenv(c.KEY_DIR_ENV, str(tmp_path / "keys"))
    return root


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "http://nats:4222"}, "nats://, tls://"),
        ({"url": "nats://"}, "nats://, tls://"),
        ({"url": "nats://a:4222", "user": "u", "token": "t"}, "one way to log in"),
        ({"url": "nats://a:4222", "password": "p"}, "a password needs a user"),
        ({"url": "nats://a:4222", "tls_cert": "c.pem"}, "go together"),
        ({"url": "nats://a:4222", "tls": "yes"}, "true or false"),
        ({}, "needs url"),
    ],
)
def test_bad_settings_are_refused(ws: Path, settings: dict[str, str], message: str) -> None:
    with pytest.raises(ProjectError, match=message):
        c.add(ws, "events", "nats", settings, replace=True)


def test_a_url_password_is_masked(ws: Path) -> None:
    c.add(ws, "events", "nats", {"url": "nats://app:s3cret@nats:4222"}, replace=True)
    assert "s3cret" not in str(c.show(ws, "events").to_json())


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [require_nats_server(), "-js", "-sd", str(tmp_path / "js"), "-a", "127.0.0.1",
         "-p", str(port), "--auth", "right-token-123"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_connection_test_logs_in_and_asks_jetstream(ws: Path, token_server: str) -> None:
    c.add(ws, "events", "nats", {"url": token_server, "token": "right-token-123"}, replace=True)
    result = c.test(ws, "events", timeout=5)
    assert result.ok, result.message
    assert "JetStream" in result.message and result.details["server_version"]
    c.add(ws, "events", "nats", {"url": token_server, "token": "wrong-token-456"}, replace=True)
    result = c.test(ws, "events", timeout=5)
    assert not result.ok
    assert "wrong-token-456" not in result.message + str(result.details)


def test_connection_test_without_a_server_fails(ws: Path) -> None:
    c.add(ws, "events", "nats", {"url": f"nats://127.0.0.1:{free_port()}"}, replace=True)
    result = c.test(ws, "events", timeout=2)
    assert not result.ok and "cannot connect" in result.message
