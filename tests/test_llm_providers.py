"""The LLM providers against a local fake speaking each real wire format (tests/llm_fake.py):
plain text, structured output, JSON in (fenced) content, refusals, malformed answers,
timeouts, 429 with Retry-After, auth failures, streaming, the cache, usage accounting,
planted secrets, connector selection and tests, `nodeforge llm usage`; and the pure logic
(cache keys, cost, Retry-After, JSON extraction, Gemini schemas, the scrubber)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nodeforge.cli import main
from nodeforge.llm import ChatRequest, LLMError, Message, client_for
from nodeforge.llm.cache import ResponseCache, cache_key
from nodeforge.llm.config import LLMConfig, Price, choose_connector, parse_llm_table
from nodeforge.llm.jsonextract import NoJSON, extract_json
from nodeforge.llm.providers import gemini_schema
from nodeforge.llm.scrub import REDACTED, Scrubber, workspace_secrets
from nodeforge.llm.transport import RetryPolicy, backoff_delay, parse_retry_after
from nodeforge.llm.usage import estimate_cost, price_of, summarize
from nodeforge.project import connectors
from nodeforge.project.commands import run_command
from nodeforge.project.workspace_init import init_workspace
from tests import llm_fake as fake

PROVIDERS = ("openai", "azure", "anthropic", "gemini")
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
    "required": ["name", "n"],
    "additionalProperties": False,
}
ANSWER = {"name": "orders", "n": 3}
KEY = "sk-test-KEY-0123456789abcdef"


@pytest.fixture(autouse=True)
def key_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("keys")
    monkeypatch.setenv(connectors.KEY_DIR_ENV, str(path))
    monkeypatch.delenv(connectors.KEY_ENV, raising=False)
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    return root.resolve()


@pytest.fixture
def server() -> Iterator[fake.FakeLLMServer]:
    with fake.FakeLLMServer(api_key=KEY) as s:
        yield s


def set_llm_table(root: Path, text: str) -> None:
    path = root / "nodeforge.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[llm]\n" + text, encoding="utf-8")


class Waits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, s: float) -> None:
        self.seconds.append(s)


def ask(text: str = "Say hello", **kw: Any) -> ChatRequest:
    return ChatRequest(
        messages=(Message("system", "You are terse."), Message("user", text)),
        feature="assist",
        **kw,
    )


def usage_records(root: Path) -> list[dict[str, Any]]:
    path = root / ".nodeforge" / "llm-usage.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- each provider's wire format ------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_text(ws: Path, server: fake.FakeLLMServer, provider: str) -> None:
    fake.configure(ws, server, provider=provider, model="gpt-4o-mini", api_key=KEY)
    server.add(fake.text("Hello there", input_tokens=1000, output_tokens=500))
    answer = client_for(ws, "assist").chat(ask())
    assert answer.text == "Hello there"
    assert answer.data is None
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (1000, 500)
    assert answer.provider == provider and not answer.cached
    assert answer.cost_usd == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1e6)
    (req,) = server.posts()
    body = req.json
    if provider == "openai":
        assert req.path == "/openai/v1/chat/completions"
        assert req.headers["authorization"] == f"Bearer {KEY}"
        assert body["model"] == "gpt-4o-mini"
        assert body["messages"][0] == {"role": "system", "content": "You are terse."}
    elif provider == "azure":
        assert req.path.startswith("/azure/openai/deployments/gpt-4o-mini/chat/completions?")
        assert "api-version=2024-10-21" in req.path
        assert req.headers["api-key"] == KEY and "authorization" not in req.headers
    elif provider == "anthropic":
        assert req.path == "/anthropic/v1/messages"
        assert req.headers["x-api-key"] == KEY
        assert req.headers["anthropic-version"] == "2023-06-01"
        assert body["system"] == "You are terse."
        assert body["messages"] == [{"role": "user", "content": "Say hello"}]
        assert body["max_tokens"] > 0
    else:
        assert req.path == "/gemini/v1beta/models/gpt-4o-mini:generateContent"
        assert req.headers["x-goog-api-key"] == KEY
        assert body["systemInstruction"] == {"parts": [{"text": "You are terse."}]}
        assert body["contents"] == [{"role": "user", "parts": [{"text": "Say hello"}]}]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_structured_output(ws: Path, server: fake.FakeLLMServer, provider: str) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(fake.structured(ANSWER))
    answer = client_for(ws, "assist").chat(ask(json_schema=SCHEMA, schema_name="flow"))
    assert answer.data == ANSWER
    assert json.loads(answer.text) == ANSWER
    body = server.posts()[0].json
    if provider in ("openai", "azure"):
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "flow"
        assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    elif provider == "anthropic":
        assert body["tools"][0]["name"] == "flow"
        assert body["tools"][0]["input_schema"] == SCHEMA
        assert body["tool_choice"] == {"type": "tool", "name": "flow"}
    else:
        config = body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        assert "additionalProperties" not in config["responseSchema"]
        assert config["responseSchema"]["required"] == ["name", "n"]


def test_anthropic_tool_for_a_non_object_schema_is_wrapped_and_unwrapped(
    ws: Path, server: fake.FakeLLMServer
) -> None:
    fake.configure(ws, server, provider="anthropic", api_key=KEY)
    schema = {"type": "array", "items": {"type": "string"}}
    server.add(fake.structured({"answer": ["a", "b"]}))
    answer = client_for(ws, "assist").chat(ask(json_schema=schema))
    assert answer.data == ["a", "b"]
    tool = server.posts()[0].json["tools"][0]
    assert tool["input_schema"]["properties"]["answer"] == schema


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("form", ["fenced", "plain"])
def test_json_in_message_content_is_accepted(
    ws: Path, server: fake.FakeLLMServer, provider: str, form: str
) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(fake.fenced(ANSWER) if form == "fenced" else fake.json_content(ANSWER))
    answer = client_for(ws, "assist").chat(ask(json_schema=SCHEMA))
    assert answer.data == ANSWER


@pytest.mark.parametrize("provider", PROVIDERS)
def test_refusal(ws: Path, server: fake.FakeLLMServer, provider: str) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(fake.refusal("I cannot help with that request."))
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist").chat(ask())
    assert err.value.kind == "refused"
    if provider != "gemini":
        assert "I cannot help" in str(err.value)
    else:
        assert "SAFETY" in str(err.value)
    assert usage_records(ws)[-1]["error"] == "refused"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_json(ws: Path, server: fake.FakeLLMServer, provider: str) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(fake.malformed(), fake.raw(b"<html>oops</html>"))
    client = client_for(ws, "assist")
    with pytest.raises(LLMError) as err:
        client.chat(ask(json_schema=SCHEMA))
    assert err.value.kind == "bad_response"
    assert "fenced block is not valid JSON" in str(err.value)
    with pytest.raises(LLMError) as err:
        client.chat(ask("again"))
    assert err.value.kind == "bad_response" and "not JSON" in str(err.value)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_timeout(ws: Path, server: fake.FakeLLMServer, provider: str) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    set_llm_table(ws, "timeout_s = 0.3\nmax_retries = 0\n")
    server.add(fake.delayed(1.5, fake.text("too late")))
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist").chat(ask())
    assert err.value.kind == "timeout"


def test_timeout_is_retried(ws: Path, server: fake.FakeLLMServer) -> None:
    fake.configure(ws, server, api_key=KEY)
    set_llm_table(ws, "timeout_s = 0.3\nmax_retries = 1\n")
    server.add(fake.delayed(1.5, fake.text("too late")), fake.text("in time"))
    waits = Waits()
    answer = client_for(ws, "assist", sleep=waits).chat(ask())
    assert answer.text == "in time" and answer.retries == 1
    assert waits.seconds == [0.5]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_with_retry_after_then_success(
    ws: Path, server: fake.FakeLLMServer, provider: str
) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(
        fake.status(429, "slow down", retry_after="2"),
        fake.status(503, "overloaded"),
        fake.text("finally"),
    )
    waits = Waits()
    answer = client_for(ws, "assist", sleep=waits).chat(ask())
    assert answer.text == "finally"
    assert answer.retries == 2
    assert waits.seconds == [2.0, 1.0]  # Retry-After, then the backoff 0.5 * 2**1
    assert len(server.posts()) == 3
    assert usage_records(ws)[-1]["retries"] == 2


def test_retry_after_as_http_date_and_the_cap(ws: Path, server: fake.FakeLLMServer) -> None:
    fake.configure(ws, server, api_key=KEY)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    server.add(
        fake.status(429, retry_after=soon.strftime("%a, %d %b %Y %H:%M:%S GMT")),
        fake.text("ok"),
        fake.status(429, "quota", retry_after="3600"),
    )
    waits = Waits()
    client = client_for(ws, "assist", sleep=waits)
    assert client.chat(ask()).text == "ok"
    assert 2.0 < waits.seconds[0] <= 5.0
    with pytest.raises(LLMError) as err:
        client.chat(ask("other"))
    assert err.value.kind == "rate_limited" and "3600" in str(err.value)


def test_rate_limit_and_failures_are_bounded(ws: Path, server: fake.FakeLLMServer) -> None:
    fake.configure(ws, server, api_key=KEY)
    set_llm_table(ws, "max_retries = 2\n")
    server.add(*[fake.status(429, retry_after="0") for _ in range(3)])
    server.add(*[fake.status(500) for _ in range(3)])
    waits = Waits()
    client = client_for(ws, "assist", sleep=waits)
    with pytest.raises(LLMError) as err:
        client.chat(ask())
    assert err.value.kind == "rate_limited"
    with pytest.raises(LLMError) as err:
        client.chat(ask("b"))
    assert err.value.kind == "unavailable"
    assert len(server.posts()) == 6


@pytest.mark.parametrize("provider", PROVIDERS)
def test_401_is_auth_and_the_key_is_never_echoed(tmp_path: Path, ws: Path, provider: str) -> None:
    with fake.FakeLLMServer(api_key="the-right-key-000") as server:
        fake.configure(ws, server, provider=provider, api_key=KEY)
        with pytest.raises(LLMError) as err:
            client_for(ws, "assist").chat(ask())
        assert err.value.kind == "auth" and err.value.status == 401
    with fake.FakeLLMServer([fake.status(401, f"Incorrect API key provided: {KEY}")]) as server:
        fake.configure(ws, server, provider=provider, api_key=KEY)
        with pytest.raises(LLMError) as err:
            client_for(ws, "assist").chat(ask())
        assert err.value.kind == "auth"
        assert KEY not in str(err.value) and REDACTED in str(err.value)


def test_unknown_path_is_config(ws: Path) -> None:
    with fake.FakeLLMServer() as server:
        connectors.add(
            ws, "llm", "llm", {"url": server.base + "/nowhere/v1", "model": "m"}, replace=True
        )
        with pytest.raises(LLMError) as err:
            client_for(ws, "assist").chat(ask())
    assert err.value.kind == "config"


def test_connection_refused_is_unavailable(ws: Path) -> None:
    with fake.FakeLLMServer() as server:
        url = server.url()
    connectors.add(ws, "llm", "llm", {"url": url, "model": "m"}, replace=True)
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist").chat(ask())
    assert err.value.kind == "unavailable"


# -- streaming --------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streaming_text(ws: Path, server: fake.FakeLLMServer, provider: str) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(fake.text("one two three four five six", input_tokens=9, output_tokens=6))
    deltas: list[str] = []
    answer = client_for(ws, "assist").chat(ask(), on_delta=deltas.append)
    assert len(deltas) >= 3
    assert "".join(deltas) == answer.text == "one two three four five six"
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (9, 6)
    req = server.posts()[0]
    if provider == "gemini":
        assert req.path.endswith(":streamGenerateContent?alt=sse")
    else:
        assert req.json["stream"] is True
    assert req.headers["accept"] == "text/event-stream"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streaming_structured_and_refusal(
    ws: Path, server: fake.FakeLLMServer, provider: str
) -> None:
    fake.configure(ws, server, provider=provider, api_key=KEY)
    server.add(fake.structured(ANSWER), fake.refusal("No."))
    client = client_for(ws, "assist")
    answer = client.chat(ask(json_schema=SCHEMA), on_delta=lambda _t: None)
    assert answer.data == ANSWER
    with pytest.raises(LLMError) as err:
        client.chat(ask("other"), on_delta=lambda _t: None)
    assert err.value.kind == "refused"


# -- cache and accounting ----------------------------------------------------------------------


def test_repeated_request_is_cached_and_costs_nothing(ws: Path, server: fake.FakeLLMServer) -> None:
    fake.configure(ws, server, model="gpt-4o", api_key=KEY)
    server.add(fake.structured(ANSWER, input_tokens=2000, output_tokens=100))
    server.add(fake.text("warmer"))
    client = client_for(ws, "assist")
    first = client.chat(ask(json_schema=SCHEMA))
    deltas: list[str] = []
    second = client_for(ws, "assist").chat(ask(json_schema=SCHEMA), on_delta=deltas.append)
    assert not first.cached and first.cost_usd == pytest.approx(0.006)
    assert second.cached and second.cost_usd == 0.0 and second.usage.input_tokens == 0
    assert second.data == ANSWER and deltas == [second.text]
    assert len(server.posts()) == 1
    third = client.chat(ask(temperature=0.7))  # another request
    assert not third.cached and third.text == "warmer"
    records = usage_records(ws)
    assert [r["cached"] for r in records] == [False, True, False]
    assert records[1]["cost_usd"] == 0.0


def test_cache_can_be_turned_off(ws: Path, server: fake.FakeLLMServer) -> None:
    fake.configure(ws, server, api_key=KEY)
    set_llm_table(ws, "[llm.cache]\nenabled = false\n")
    server.add(fake.text("a"), fake.text("b"))
    client = client_for(ws, "assist")
    assert [client.chat(ask()).text for _ in range(2)] == ["a", "b"]


def test_usage_accounting_and_the_cli(
    ws: Path, server: fake.FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.configure(ws, server, model="claude-sonnet-4-20250514", provider="anthropic", api_key=KEY)
    fake.configure(ws, server, name="local", model="llama3.1:8b", provider="ollama", api_key=KEY)
    fake.configure(ws, server, name="mystery", model="my-finetune", api_key=KEY)
    set_llm_table(ws, 'default = "llm"\n')
    server.add(fake.text("a", input_tokens=1000, output_tokens=1000))
    server.add(fake.text("b", input_tokens=10, output_tokens=10))
    server.add(fake.text("c", input_tokens=5, output_tokens=5))
    client_for(ws, "assist").chat(ask("one"))
    client_for(ws, "adapter", connector="local").chat(
        ChatRequest(messages=(Message("user", "two"),), feature="adapter")
    )
    client_for(ws, "assist", connector="mystery").chat(ask("three"))
    client_for(ws, "assist").chat(ask("one"))  # cached
    records = usage_records(ws)
    assert [r["model"] for r in records] == [
        "claude-sonnet-4-20250514",
        "llama3.1:8b",
        "my-finetune",
        "claude-sonnet-4-20250514",
    ]
    assert records[0]["cost_usd"] == pytest.approx(0.018)
    assert records[1]["cost_usd"] == 0.0  # local provider
    assert records[2]["cost_usd"] is None  # unknown model
    today = records[0]["day"]

    assert main(["llm", "usage", "--format", "json", "-w", str(ws)]) == 0
    summary = json.loads(capsys.readouterr().out)
    total = summary["total"]
    assert total["requests"] == 4 and total["cached"] == 1 and total["unpriced"] == 1
    assert total["input_tokens"] == 1015 and total["cost_usd"] == pytest.approx(0.018)
    rows = {(r["feature"], r["model"]): r for r in summary["rows"]}
    assert rows[("assist", "claude-sonnet-4-20250514")]["requests"] == 2
    assert rows[("adapter", "llama3.1:8b")]["day"] == today

    assert main(["llm", "usage", "-w", str(ws), "--day", today]) == 0
    text = capsys.readouterr().out
    assert "claude-sonnet-4-20250514" in text and "(+1 unpriced)" in text
    assert text.splitlines()[-1].startswith("total")
    assert main(["llm", "usage", "-w", str(ws), "--day", "1999-01-01"]) == 0
    assert "no LLM requests recorded on 1999-01-01" in capsys.readouterr().out
    assert main(["llm", "usage", "-w", str(ws), "--day", "yesterday-ish"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err

    # the editor's command answers the same data
    assert run_command(ws, "nodeforge.llm.usage", {}) == summary
    assert run_command(ws, "llm.usage", {"day": "today"})["total"]["requests"] == 4

    # pricing overrides in nodeforge.toml
    toml = ws / "nodeforge.toml"
    toml.write_text(toml.read_text() + '[llm.pricing."my-finetune"]\ninput = 1.0\noutput = 2.0\n')
    server.add(fake.text("d", input_tokens=1_000_000, output_tokens=1_000_000))
    answer = client_for(ws, "assist", connector="mystery").chat(ask("four"))
    assert answer.cost_usd == pytest.approx(3.0)


# -- secrets ------------------------------------------------------------------------------------

PLANTED = {
    "llm_key": "sk-planted-LLM-key-A1B2C3D4",
    "pg_password": "pl4nted-pg-S3CRET-9f8e",
    "http_key": "pl4nted-http-TOKEN-77aa",
    "env_value": "pl4nted-ENV-value-1234",
    "redact_env": "pl4nted-extra-ENV-5678",
}


def test_planted_secrets_never_reach_the_provider(
    ws: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="nodeforge.llm")
    connectors.add(
        ws,
        "shopdb",
        "postgres",
        {"database": "shop", "user": "app", "password": PLANTED["pg_password"]},
        replace=True,
    )
    connectors.add(
        ws,
        "api",
        "http",
        {"url": "https://api.example.com", "api_key": PLANTED["http_key"]},
        replace=True,
    )
    flows = ws / "flows"
    flows.mkdir(exist_ok=True)
    (flows / "uses_env.flow.json").write_text(
        json.dumps({"nodes": [{"id": "a", "config": {"url": "{{ env.SHOP_TOKEN }}"}}]}),
        encoding="utf-8",
    )
    monkeypatch.setenv("SHOP_TOKEN", PLANTED["env_value"])
    monkeypatch.setenv("EXTRA_SECRET", PLANTED["redact_env"])
    everything = " | ".join(PLANTED.values())
    mentions = f"Use these: {everything}; and quoted: {json.dumps(PLANTED)}"
    for provider in PROVIDERS:
        with fake.FakeLLMServer(api_key=PLANTED["llm_key"]) as server:
            fake.configure(ws, server, provider=provider, api_key=PLANTED["llm_key"])
            (ws / "nodeforge.toml").write_text(
                (ws / "nodeforge.toml").read_text().split("\n[llm]")[0]
                + '\n[llm]\nredact_env = ["EXTRA_SECRET"]\n',
                encoding="utf-8",
            )
            server.add(fake.text(f"I saw {REDACTED}"), fake.structured(ANSWER))
            shown: list[dict[str, Any]] = []
            client = client_for(ws, "assist", use_cache=False)
            client.chat(
                ChatRequest(
                    messages=(Message("system", mentions), Message("user", mentions)),
                    feature="assist",
                ),
                show_prompt=shown.append,
            )
            schema = {**SCHEMA, "description": f"token {PLANTED['http_key']}"}
            client.chat(ask(mentions, json_schema=schema), on_delta=lambda _t: None)
            assert len(server.posts()) == 2
            for req in server.posts():
                body = req.raw.decode("utf-8")
                assert REDACTED in body
                for value in PLANTED.values():
                    assert value not in body, (provider, value)
                    assert value not in req.path
            assert all(v not in json.dumps(shown) for v in PLANTED.values())
    assert "request to" in caplog.text  # the client logs its requests, without keys
    assert all(v not in caplog.text for v in PLANTED.values())
    for path in (ws / ".nodeforge").rglob("llm*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert all(v not in text for v in PLANTED.values()), path


def test_workspace_secrets_collects_connectors_env_and_url_passwords(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connectors.add(
        ws,
        "hook",
        "http",
        {"url": "https://user:url-pass-%40x@api.example.com/"},
        replace=True,
    )
    (ws / "flows").mkdir(exist_ok=True)
    (ws / "flows" / "a.flow.json").write_text('{"x": "env.ORDERS_API + env.BASE"}')
    monkeypatch.setenv("ORDERS_API", "orders-secret-value")
    monkeypatch.setenv("UNRELATED", "not-collected-value")
    monkeypatch.setenv("NODEFORGE_CONNECTOR_OTHER_PASSWORD", "conn-env-password")
    monkeypatch.setenv("NODEFORGE_CONNECTOR_OTHER_HOST", "db.example.com")
    values = workspace_secrets(ws)
    assert "url-pass-@x" in values and "orders-secret-value" in values
    assert "conn-env-password" in values
    assert "not-collected-value" not in values and "db.example.com" not in values


# -- connector selection, settings and tests ------------------------------------------------


def test_connector_choice(ws: Path, server: fake.FakeLLMServer) -> None:
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist")
    assert err.value.kind == "config" and "no llm connector" in str(err.value)
    fake.configure(ws, server, name="main")
    assert client_for(ws, "assist").connector == "main"  # the only one: no configuration
    fake.configure(ws, server, name="claude", provider="anthropic")
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist")
    assert "several llm connectors (claude, main)" in str(err.value)
    set_llm_table(ws, 'default = "main"\nassist = "claude"\n')
    assert client_for(ws, "assist").connector == "claude"
    assert client_for(ws, "adapter").connector == "main"
    assert client_for(ws, "assist", connector="main").connector == "main"
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist", connector="nope")
    assert "--connector names `nope`" in str(err.value)


def test_connector_settings_validation(ws: Path) -> None:
    with pytest.raises(Exception, match="unknown llm provider `acme`"):
        connectors.add(ws, "x", "llm", {"provider": "acme"}, replace=True)
    with pytest.raises(Exception, match="azure llm connector needs url"):
        connectors.add(ws, "x", "llm", {"provider": "azure"}, replace=True)
    connectors.add(ws, "claude", "llm", {"provider": "anthropic", "model": "m"}, replace=True)
    assert connectors.show(ws, "claude").settings["url"] == "https://api.anthropic.com"
    env = connectors.runtime_env(ws, ["claude"])
    assert env["NODEFORGE_CONNECTOR_CLAUDE_PROVIDER"] == "anthropic"
    assert env["NODEFORGE_CONNECTOR_CLAUDE_URL"] == "https://api.anthropic.com"
    connectors.add(ws, "plain", "llm", {"model": "m"}, replace=True)
    assert connectors.runtime_env(ws, ["plain"])["NODEFORGE_CONNECTOR_PLAIN_PROVIDER"] == "openai"


def test_model_is_needed(ws: Path, server: fake.FakeLLMServer) -> None:
    connectors.add(ws, "llm", "llm", {"url": server.url(), "api_key": KEY}, replace=True)
    with pytest.raises(LLMError) as err:
        client_for(ws, "assist").chat(ask())
    assert err.value.kind == "config" and "has no model" in str(err.value)
    server.add(fake.text("named"))
    assert client_for(ws, "assist").chat(ask(model="given")).text == "named"
    assert server.posts()[0].json["model"] == "given"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connector_test_per_provider(ws: Path, provider: str) -> None:
    with fake.FakeLLMServer(api_key=KEY, models=["fake-model", "other"]) as server:
        fake.configure(ws, server, provider=provider, api_key=KEY)
        result = connectors.test(ws, "llm", timeout=5)
        assert result.ok, result.message
        assert result.details["provider"] == provider
        if provider != "azure":
            assert result.details["model"] == "listed"
        fake.configure(ws, server, provider=provider, api_key=KEY, model="absent")
        result = connectors.test(ws, "llm", timeout=5)
        assert result.ok == (provider == "azure")  # azure deployments are not listed
        fake.configure(ws, server, provider=provider, api_key="wrong-key-1234")
        result = connectors.test(ws, "llm", timeout=5)
        assert not result.ok and "rejected the credentials" in result.message
        assert "wrong-key-1234" not in result.message
        (get,) = [r for r in server.requests if r.method == "GET"][:1]
        expected = {
            "openai": "/openai/v1/models",
            "azure": "/azure/openai/models?api-version=2024-10-21",
            "anthropic": "/anthropic/v1/models",
            "gemini": "/gemini/v1beta/models",
        }[provider]
        assert get.path == expected


def test_local_provider_speaks_openai_and_costs_nothing(ws: Path) -> None:
    with fake.FakeLLMServer([fake.fenced(ANSWER, input_tokens=500, output_tokens=50)]) as server:
        fake.configure(ws, server, provider="ollama", model="qwen2.5-coder:7b")
        answer = client_for(ws, "assist").chat(ask(json_schema=SCHEMA))
    assert answer.data == ANSWER and answer.cost_usd == 0.0 and answer.provider == "ollama"
    assert "authorization" not in server.posts()[0].headers


# -- pure logic ---------------------------------------------------------------------------------


def test_cache_key() -> None:
    base: dict[str, Any] = {
        "provider": "openai",
        "url": "https://api.openai.com/v1/",
        "model": "gpt-4o",
        "messages": (Message("user", "hi"),),
        "temperature": 0.0,
        "max_tokens": None,
        "json_schema": {"b": 1, "a": [1, 2]},
        "schema_name": "answer",
    }
    key = cache_key(**base)
    assert len(key) == 64 and key == cache_key(**base)
    assert key == cache_key(**{**base, "url": "https://api.openai.com/v1"})
    assert key == cache_key(**{**base, "json_schema": {"a": [1, 2], "b": 1}})
    for change in (
        {"provider": "azure"},
        {"model": "gpt-4o-mini"},
        {"messages": (Message("system", "hi"),)},
        {"messages": (Message("user", "hi!"),)},
        {"temperature": 0.1},
        {"max_tokens": 10},
        {"json_schema": None},
        {"schema_name": "other"},
    ):
        assert cache_key(**{**base, **change}) != key, change


def test_cache_ttl_and_size_cap(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c", ttl_s=100, max_bytes=10_000)
    cache.put("aa" + "0" * 62, {"text": "x"}, now=1000)
    assert cache.get("aa" + "0" * 62, now=1050) == {"text": "x"}
    assert cache.get("aa" + "0" * 62, now=1101) is None  # expired, and removed
    assert not cache.entries()
    big = "y" * 3000
    for i in range(3):  # about 3 KB each: three fit under the cap
        cache.put(f"{i:02d}" + "f" * 62, {"text": big}, now=2000 + i)
    assert len(cache.entries()) == 3
    assert cache.get("00" + "f" * 62, now=2010) is not None  # a hit refreshes the entry
    cache.put("09" + "f" * 62, {"text": big}, now=2011)
    kept = {p.name[:2] for p, _, _ in cache.entries()}
    assert sum(s for _, _, s in cache.entries()) <= 10_000
    assert "00" in kept and "09" in kept and "01" not in kept


def test_cost_and_prices() -> None:
    assert price_of("gpt-4o") == Price(2.50, 10.00)
    assert price_of("gpt-4o-mini-2024-07-18") == Price(0.15, 0.60)
    assert price_of("gpt-4o-2024-08-06") == Price(2.50, 10.00)
    assert price_of("models/gemini-2.0-flash-001") == Price(0.10, 0.40)
    assert price_of("gpt-4oops") is None
    assert price_of("my-model") is None
    assert estimate_cost("openai", "gpt-4o", 1_000_000, 0) == pytest.approx(2.5)
    assert estimate_cost("openai", "my-model", 10, 10) is None
    assert estimate_cost("vllm", "my-model", 10, 10) == 0.0
    over = {"my-model": Price(1, 1), "gpt-4o": Price(0, 0)}
    assert estimate_cost("openai", "my-model", 500_000, 500_000, over) == pytest.approx(1.0)
    assert estimate_cost("openai", "gpt-4o-2024-08-06", 10, 10, over) == 0.0


def test_summarize() -> None:
    records = [
        {"day": "2026-12-04", "feature": "assist", "model": "m", "input_tokens": 3,
         "output_tokens": 1, "cost_usd": 0.5, "cached": False},
        {"day": "2026-12-04", "feature": "assist", "model": "m", "input_tokens": 0,
         "output_tokens": 0, "cost_usd": 0.0, "cached": True},
        {"day": "2026-12-05", "feature": "adapter", "model": "x", "input_tokens": 2,
         "output_tokens": 2, "cost_usd": None, "cached": False},
    ]  # fmt: skip
    s = summarize(records)
    assert [(r["day"], r["feature"], r["requests"]) for r in s["rows"]] == [
        ("2026-12-04", "assist", 2),
        ("2026-12-05", "adapter", 1),
    ]
    assert s["total"] == {
        "requests": 3,
        "cached": 1,
        "input_tokens": 5,
        "output_tokens": 3,
        "cost_usd": 0.5,
        "unpriced": 1,
    }
    assert summarize(records, day="2026-12-05")["total"]["requests"] == 1


def test_retry_after_parsing() -> None:
    now = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after(" 0 ", now=now) == 0.0
    assert parse_retry_after("-3", now=now) == 0.0
    assert parse_retry_after("Fri, 04 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 04 Dec 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None and parse_retry_after("") is None
    policy = RetryPolicy(max_retries=5, base_delay_s=0.5, max_delay_s=4)
    assert [backoff_delay(i, policy, None) for i in range(5)] == [0.5, 1, 2, 4, 4]
    assert backoff_delay(0, policy, 3) == 3 and backoff_delay(0, policy, 60) == 4


def test_extract_json() -> None:
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json("  [1, 2]\n") == [1, 2]
    assert extract_json('Sure!\n```json\n{"a": 1}\n```\nDone.') == {"a": 1}
    assert extract_json('```\n{"a": 2}\n```') == {"a": 2}
    assert extract_json('```python\nx = 1\n```\n```json\n{"a": 3}\n```') == {"a": 3}
    assert extract_json('Here: {"a": {"b": [1]}} and more text') == {"a": {"b": [1]}}
    assert extract_json('{"a": "```"}') == {"a": "```"}
    for bad in ("", "no json here", '```json\n{"a": 1,,}\n```', "{broken"):
        with pytest.raises(NoJSON):
            extract_json(bad)


def test_gemini_schema() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"], "examples": ["x"]},
            "b": {"const": "k"},
            "c": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "d": {"type": "array", "items": {"type": "object", "additionalProperties": False}},
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    assert gemini_schema(schema) == {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True},
            "b": {"enum": ["k"]},
            "c": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "d": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["a"],
    }


def test_scrubber() -> None:
    s = Scrubber(["p@ss word/1", "abc", "tok-123456", "tok-123456-longer"])
    assert s.text("x p@ss word/1 y") == f"x {REDACTED} y"
    assert s.text("url p%40ss%20word%2F1") == f"url {REDACTED}"
    assert s.text("tok-123456-longer") == REDACTED  # the longer value first
    assert s.text("abc stays: too short to tell from words") == (
        "abc stays: too short to tell from words"
    )
    assert s.data({"k tok-123456": ["tok-123456", 3]}) == {f"k {REDACTED}": [REDACTED, 3]}
    assert Scrubber().text("anything") == "anything"


def test_llm_table_parsing(tmp_path: Path) -> None:
    path = tmp_path / "nodeforge.toml"
    config = parse_llm_table(
        {
            "llm": {
                "default": "a",
                "assist": "b",
                "timeout_s": 5,
                "cache": {"ttl_s": 10, "max_mb": 1},
                "pricing": {"m": {"input": 1, "output": 2}},
            }
        },
        path,
    )
    assert config.features == {"assist": "b"} and config.default == "a"
    assert config.cache_max_bytes == 1024 * 1024 and config.pricing["m"] == Price(1, 2)
    for bad, needle in (
        ({"llm": []}, "must be a table"),
        ({"llm": {"assist": 3}}, "must name an llm connector"),
        ({"llm": {"timeout_s": -1}}, "timeout_s must be a number"),
        ({"llm": {"cache": {"enabled": "yes"}}}, "enabled must be true or false"),
        ({"llm": {"pricing": {"m": {"input": 1}}}}, "pricing"),
        ({"llm": {"redact_env": "X"}}, "redact_env"),
    ):
        with pytest.raises(LLMError, match=needle) as err:
            parse_llm_table(bad, path)
        assert err.value.kind == "config" and str(path) in str(err.value)
    assert choose_connector(LLMConfig(), ["only"], "x", None) == "only"
