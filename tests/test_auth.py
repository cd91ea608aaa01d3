"""The authenticated gateway (``--auth-config``): JWT checks at the upgrade, each user
confined to their own roots, per-user rate and concurrency limits."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from nodeforge.server.auth import (
    AuthConfigError,
    Busy,
    JobGate,
    Principal,
    TokenBucket,
    UserLimits,
    UserRegistry,
    load_auth_config,
)
from nodeforge.server.gateway import Gateway, GatewayConfig
from tests.lsp.harness import WORKSPACE
from tests.lsp.wsclient import WsClient

SECRET = "an-hmac-secret-of-sixty-four-bytes-" + "x" * 29
AUDIENCE = "nodeforge-editor"
ISSUER = "https://login.example.test"


def write_private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def make_setup(tmp: Path, extra: str = "", limits: str = "") -> Path:
    """alice and bob, each with a copy of the test workspace; returns the config file."""
    for user in ("alice", "bob"):
        shutil.copytree(WORKSPACE, tmp / "ws" / user, ignore=shutil.ignore_patterns(".nodeforge"))
    write_private(tmp / "jwt.secret", SECRET)
    config = tmp / "auth.toml"
    config.write_text(
        f"""
[jwt]
algorithms = ["HS256"]
secret_file = "jwt.secret"
audience = "{AUDIENCE}"
issuer = "{ISSUER}"
leeway_seconds = 5
{extra}
[limits]
slot_wait_seconds = 0
{limits}
[users.alice]
roots = ["ws/alice"]

[users.bob]
roots = ["ws/bob"]
"""
    )
    return config


def token(sub: str = "alice", key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"sub": sub, "aud": AUDIENCE, "iss": ISSUER, "iat": now}
    payload["exp"] = now + 600
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    gw = Gateway(
        GatewayConfig(port=0, ping_interval=None, auth=load_auth_config(make_setup(tmp_path)))
    )
    await gw.start()
    yield gw
    assert gw.server is not None
    gw.server.close()
    await gw.server.wait_closed()


def url(gw: Gateway) -> str:
    return f"ws://127.0.0.1:{gw.port}/"


async def client_for(gw: Gateway, bearer: str) -> WsClient:
    client = await WsClient.connect(
        url(gw), additional_headers={"Authorization": f"Bearer {bearer}"}
    )
    await client.initialize(None)
    return client


async def refused(gw: Gateway, bearer: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    with pytest.raises(InvalidStatus) as caught:
        await connect(url(gw), additional_headers=headers)
    response = caught.value.response
    assert not gw.clients
    return response.status_code, response.body.decode()


# -- refusals at the upgrade ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("bearer", "status", "reason"),
    [
        (lambda: None, 401, "missing bearer token"),
        (lambda: "not-a-jwt", 401, "malformed token"),
        (lambda: token(exp=int(time.time()) - 60), 401, "token expired"),
        (lambda: token(nbf=int(time.time()) + 600), 401, "not yet valid"),
        (lambda: token(aud="another-service"), 401, "another audience"),
        (lambda: token(aud=None), 401, "lacks the `aud` claim"),
        (lambda: token(iss="https://evil.example"), 401, "another issuer"),
        (lambda: token(key="another-secret-" + "y" * 50), 401, "another key"),
        (lambda: token(sub="mallory"), 403, "user `mallory` has no workspace here"),
        (lambda: token(algorithm="HS512"), 401, "algorithm 'HS512' is not accepted"),
    ],
    ids=[
        "missing",
        "malformed",
        "expired",
        "not-yet-valid",
        "wrong-audience",
        "no-audience",
        "wrong-issuer",
        "wrong-key",
        "unknown-user",
        "other-algorithm",
    ],
)
async def test_bad_tokens_are_refused_before_the_upgrade(
    gateway: Gateway, bearer: Any, status: int, reason: str
) -> None:
    got_status, body = await refused(gateway, bearer())
    assert got_status == status
    assert reason in body


async def test_leeway_accepts_a_token_just_expired(gateway: Gateway) -> None:
    client = await client_for(gateway, token(exp=int(time.time()) - 2))  # leeway is 5 s
    await client.stop()


async def test_token_in_query_and_subprotocol(gateway: Gateway) -> None:
    bearer = token()
    by_query = await WsClient.connect(url(gateway) + f"?token={bearer}")
    by_protocol = await WsClient.connect(url(gateway), subprotocols=[f"nodeforge.token.{bearer}"])  # type: ignore[list-item]
    for client in (by_query, by_protocol):
        assert (await client.initialize(None))["result"]["serverInfo"]["name"] == "nodeforge"
        await client.stop()


# -- each user in their own roots ----------------------------------------------------------


async def test_user_reaches_own_workspace_and_not_another_users(
    gateway: Gateway, tmp_path: Path
) -> None:
    alice = await client_for(gateway, token("alice"))
    own = tmp_path / "ws" / "alice" / "flows" / "pinger.flow.json"
    other = tmp_path / "ws" / "bob" / "flows" / "pinger.flow.json"
    generated = await alice.request(
        "workspace/executeCommand",
        {"command": "nodeforge.generate", "arguments": [{"uri": own.as_uri()}]},
        timeout=60,
    )
    assert "result" in generated and "error" not in generated, generated  # it ran
    for value in (other.as_uri(), str(other), f"{own.parent}/../../bob/flows/pinger.flow.json"):
        answer = await alice.request(
            "workspace/executeCommand",
            {"command": "nodeforge.build", "arguments": [{"uri": value}]},
        )
        message = answer["error"]["message"]
        assert "outside the workspace roots of user `alice`" in message, answer
    assert not (tmp_path / "ws" / "bob" / ".nodeforge").exists()  # nothing ran there
    await alice.stop()


async def test_document_of_another_user_is_not_opened(gateway: Gateway, tmp_path: Path) -> None:
    bob = await client_for(gateway, token("bob"))
    alices = tmp_path / "ws" / "alice" / "flows" / "pinger.flow.json"
    bob.open(alices)
    deadline = time.monotonic() + 10
    while not any(
        n["method"] == "window/showMessage" and "not opening" in n["params"]["message"]
        for n in bob.notifications
    ):
        assert time.monotonic() < deadline, bob.notifications
        await asyncio.sleep(0.02)
    await bob.stop()


# -- limits --------------------------------------------------------------------------------


async def test_rate_limit_refuses_requests_with_a_clear_error(tmp_path: Path) -> None:
    config = load_auth_config(
        make_setup(tmp_path, limits="messages_per_second = 0.5\nmessage_burst = 4")
    )
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, auth=config))
    await gw.start()
    try:
        alice = await client_for(gw, token("alice"))  # initialize + initialized: 2 of 4
        params = {"query": "ping"}
        answers = await asyncio.gather(
            *(alice.request("workspace/symbol", params) for _ in range(6))
        )
        errors = [a["error"] for a in answers if "error" in a]
        assert "result" in answers[0]
        assert len(errors) >= 3
        assert all(e["code"] == -32803 for e in errors)
        assert "rate limit: user `alice` may send 0.5 messages a second" in errors[0]["message"]
        # bob has his own bucket
        bob = await client_for(gw, token("bob"))
        assert "result" in await bob.request("workspace/symbol", params)
        await bob.close()
        await alice.close()
    finally:
        assert gw.server is not None
        gw.server.close()
        await gw.server.wait_closed()


async def test_connection_closes_when_its_token_expires(tmp_path: Path) -> None:
    file = make_setup(tmp_path)
    file.write_text(file.read_text().replace("leeway_seconds = 5", "leeway_seconds = 0"))
    config = load_auth_config(file)
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, auth=config))
    await gw.start()
    try:
        client = await client_for(gw, token(exp=int(time.time()) + 2))
        await asyncio.wait_for(client.ws.wait_closed(), 15)
        assert client.ws.close_code == 1008
        assert client.ws.close_reason == "token expired"
        with pytest.raises(ConnectionClosed):
            await client.ws.send("{}")
    finally:
        assert gw.server is not None
        gw.server.close()
        await gw.server.wait_closed()


async def test_concurrency_limit_per_user() -> None:
    principal = Principal("alice", (), UserLimits(concurrent_builds=1, slot_wait_seconds=0))
    registry = UserRegistry()
    first = JobGate("alice", registry.state(principal))
    second = JobGate("alice", registry.state(principal))  # another connection, same user
    other = JobGate("bob", registry.state(Principal("bob", (), principal.limits)))
    async with first.slot("build"):
        with pytest.raises(Busy, match="user `alice` already has 1 build"):
            async with second.slot("build"):
                pass
        async with other.slot("build"), second.slot("node test"):
            pass  # bob's slots and alice's node tests are separate
    async with second.slot("build"):
        pass  # freed


async def test_concurrency_limit_waits_for_a_slot() -> None:
    limits = UserLimits(concurrent_node_tests=1, slot_wait_seconds=30)
    gate = JobGate("alice", UserRegistry().state(Principal("alice", (), limits)))
    order: list[str] = []

    async def job(name: str, release: asyncio.Event | None) -> None:
        async with gate.slot("node test"):
            order.append(f"start {name}")
            if release is not None:
                await release.wait()
            order.append(f"end {name}")

    release = asyncio.Event()
    first = asyncio.create_task(job("a", release))
    await asyncio.sleep(0)
    second = asyncio.create_task(job("b", None))
    await asyncio.sleep(0.05)
    assert order == ["start a"]
    release.set()
    await asyncio.gather(first, second)
    assert order == ["start a", "end a", "start b", "end b"]


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_time() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.take() and not bucket.take()
    now[0] += 100
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]  # capped at burst


# -- public keys (RS256, ES256) through a JWKS file -------------------------------------------


def jwks_setup(tmp: Path) -> tuple[Path, Any, Any]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, key, algo in (
        ("r1", rsa_key, jwt.algorithms.RSAAlgorithm),
        ("e1", ec_key, jwt.algorithms.ECAlgorithm),
    ):
        jwk = json.loads(algo.to_jwk(key.public_key()))
        jwk["kid"] = kid
        keys.append(jwk)
    write_private(tmp / "jwks.json", json.dumps({"keys": keys}))
    (tmp / "ws" / "alice").mkdir(parents=True)
    config = tmp / "auth.toml"
    config.write_text(
        '[jwt]\nalgorithms = ["RS256", "ES256"]\njwks_file = "jwks.json"\n'
        '[users.alice]\nroots = ["ws/alice"]\n'
    )
    return config, rsa_key, ec_key


async def test_rs256_and_es256_through_jwks(tmp_path: Path) -> None:
    config, rsa_key, ec_key = jwks_setup(tmp_path)
    gw = Gateway(GatewayConfig(port=0, ping_interval=None, auth=load_auth_config(config)))
    await gw.start()
    try:
        exp = int(time.time()) + 600

        def signed(key: Any, algorithm: str, kid: str) -> str:
            return jwt.encode({"sub": "alice", "exp": exp}, key, algorithm, headers={"kid": kid})

        for bearer in (signed(rsa_key, "RS256", "r1"), signed(ec_key, "ES256", "e1")):
            client = await client_for(gw, bearer)
            await client.stop()
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        status, body = await refused(gw, signed(stranger, "RS256", "r1"))
        assert (status, "another key" in body) == (401, True)
        status, body = await refused(gw, signed(rsa_key, "RS256", "r9"))
        assert (status, "unknown key" in body) == (401, True)
        # an HMAC token made with the public key as its secret (algorithm confusion)
        status, body = await refused(gw, token(key=SECRET, algorithm="HS256"))
        assert (status, "not accepted" in body) == (401, True)
    finally:
        assert gw.server is not None
        gw.server.close()
        await gw.server.wait_closed()


# -- configuration -------------------------------------------------------------------------


def test_config_errors(tmp_path: Path) -> None:
    config = make_setup(tmp_path)
    (tmp_path / "jwt.secret").chmod(0o644)
    with pytest.raises(AuthConfigError, match="accessible to other users"):
        load_auth_config(config)
    write_private(tmp_path / "jwt.secret", "short")
    with pytest.raises(AuthConfigError, match="at least 32"):
        load_auth_config(config)
    write_private(tmp_path / "jwt.secret", SECRET)
    text = config.read_text()
    config.write_text(text.replace('roots = ["ws/bob"]', 'roots = ["ws/nobody"]'))
    with pytest.raises(AuthConfigError, match=r"\[users.bob\]: root .* is not a directory"):
        load_auth_config(config)
    config.write_text(text.replace("slot_wait_seconds = 0", "builds_at_once = 2"))
    with pytest.raises(AuthConfigError, match="unknown limit `builds_at_once`"):
        load_auth_config(config)
    config.write_text(text.replace('roots = ["ws/bob"]', 'roots = ["/"]'))
    with pytest.raises(AuthConfigError, match="refusing / as a root"):
        load_auth_config(config)


def test_command_line_refuses_a_token_with_auth_config(tmp_path: Path) -> None:
    config = make_setup(tmp_path)
    for extra in (["--token", "x"], ["--no-token"], ["--base", str(tmp_path)]):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "nodeforge",
                "lsp",
                "--ws",
                ":0",
                "--auth-config",
                str(config),
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
    (tmp_path / "jwt.secret").chmod(0o640)
    proc = subprocess.run(
        [sys.executable, "-m", "nodeforge", "lsp", "--ws", ":0", "--auth-config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "chmod 600" in proc.stderr, proc.stderr
