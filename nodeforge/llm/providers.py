"""The providers' wire formats: one class per API, each turning a :class:`ChatRequest`
into a URL, headers and a JSON body, and an answer (whole or streamed as SSE) back into
an :class:`Answer`. No I/O here: :mod:`nodeforge.llm.client` sends and receives.

* ``openai``-compatible chat completions (``POST {url}/chat/completions``): OpenAI and
  the local servers (``ollama``, ``vllm``, ``llamacpp``, ``lmstudio``); structured
  output as ``response_format: {"type": "json_schema", ...}``.
* ``azure`` OpenAI: ``POST {url}/openai/deployments/{deployment}/chat/completions
  ?api-version=...`` with an ``api-key`` header; the connector's model is the deployment.
* ``anthropic`` Messages API (``POST {url}/v1/messages``, ``x-api-key``,
  ``anthropic-version``); structured output as a forced tool call.
* ``gemini`` (``POST {url}/v1beta/models/{model}:generateContent``, or
  ``:streamGenerateContent?alt=sse``, ``x-goog-api-key``); structured output as
  ``responseMimeType: application/json`` with a ``responseSchema``.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nodeforge.llm.types import ChatRequest, LLMError, Message, Usage

ANTHROPIC_VERSION = "2023-06-01"
AZURE_API_VERSION = "2024-10-21"
ANTHROPIC_DEFAULT_MAX_TOKENS = 4096

#: provider -> default base URL. The local servers speak the OpenAI-compatible API.
DEFAULT_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "azure": "",  # https://<resource>.openai.azure.com: no default
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com",
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "llamacpp": "http://localhost:8080/v1",
    "lmstudio": "http://localhost:1234/v1",
}
PROVIDERS = tuple(DEFAULT_URLS)
#: Providers that run on the user's machine: no per-token price (cost 0).
LOCAL_PROVIDERS = frozenset({"ollama", "vllm", "llamacpp", "lmstudio"})

#: Gemini finish reasons that mean "blocked", not "done".
GEMINI_BLOCKED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)
#: Keys of a JSON Schema that Gemini's ``responseSchema`` (an OpenAPI subset) accepts.
GEMINI_SCHEMA_KEYS = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "propertyOrdering",
        "items",
        "anyOf",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
    }
)


@dataclass(frozen=True)
class Endpoint:
    """Where a provider is reached and with what credentials (from a connector)."""

    provider: str
    url: str
    api_key: str = ""
    api_version: str = ""


@dataclass(frozen=True)
class Answer:
    """A provider's answer in neutral terms."""

    text: str
    tool_input: Any | None  # the forced tool call's / function call's input, if any
    usage: Usage
    model: str
    refusal: str | None  # why the model declined, when it did


class Provider:
    """One wire format. Subclasses fill in the four conversions."""

    name = ""
    streams = True

    def url(self, ep: Endpoint, model: str, *, stream: bool) -> str:
        raise NotImplementedError

    def headers(self, ep: Endpoint) -> dict[str, str]:
        raise NotImplementedError

    def body(self, request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, data: Any) -> Answer:
        raise NotImplementedError

    def parse_stream(self, events: Iterable[str], on_delta: Callable[[str], None]) -> Answer:
        raise NotImplementedError

    def models_url(self, ep: Endpoint) -> str:
        raise NotImplementedError

    def model_ids(self, data: Any) -> list[str]:
        raise NotImplementedError


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _events_json(events: Iterable[str]) -> Iterable[dict[str, Any]]:
    for payload in events:
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise LLMError(
                "bad_response", f"a streamed event is not JSON: {payload[:80]!r}"
            ) from exc
        if isinstance(data, dict):
            if isinstance(data.get("error"), dict):
                message = str(data["error"].get("message", "error"))
                raise LLMError("unavailable", f"the provider failed while streaming: {message}")
            yield data


# -- OpenAI-compatible -----------------------------------------------------------------------


class OpenAIProvider(Provider):
    name = "openai"

    def url(self, ep: Endpoint, model: str, *, stream: bool) -> str:
        return ep.url.rstrip("/") + "/chat/completions"

    def headers(self, ep: Endpoint) -> dict[str, str]:
        return {"Authorization": f"Bearer {ep.api_key}"} if ep.api_key else {}

    def body(self, request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
        }
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": dict(request.json_schema),
                    "strict": False,
                },
            }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def parse(self, data: Any) -> Answer:
        top = _obj(data)
        choices = top.get("choices")
        if not isinstance(choices, list) or not choices:
            raise LLMError("bad_response", "the answer has no choices")
        first = _obj(choices[0])
        message = _obj(first.get("message"))
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        refusal = message.get("refusal") if isinstance(message.get("refusal"), str) else None
        if refusal is None and first.get("finish_reason") == "content_filter":
            refusal = "the provider's content filter stopped the answer"
        tool_input = None
        calls = message.get("tool_calls")
        if isinstance(calls, list) and calls:
            args = _obj(_obj(calls[0]).get("function")).get("arguments")
            if isinstance(args, str):
                tool_input = _tool_json(args)
        usage = _obj(top.get("usage"))
        return Answer(
            text,
            tool_input,
            Usage(_int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))),
            str(top.get("model") or ""),
            refusal,
        )

    def parse_stream(self, events: Iterable[str], on_delta: Callable[[str], None]) -> Answer:
        text: list[str] = []
        refusal: list[str] = []
        tool_args: list[str] = []
        usage = Usage(0, 0)
        model = ""
        filtered = False
        for chunk in _events_json(events):
            model = str(chunk.get("model") or model)
            if isinstance(chunk.get("usage"), dict):
                u = chunk["usage"]
                usage = Usage(_int(u.get("prompt_tokens")), _int(u.get("completion_tokens")))
            for choice in chunk.get("choices") or []:
                choice = _obj(choice)
                delta = _obj(choice.get("delta"))
                if isinstance(delta.get("content"), str) and delta["content"]:
                    text.append(delta["content"])
                    on_delta(delta["content"])
                if isinstance(delta.get("refusal"), str):
                    refusal.append(delta["refusal"])
                for call in delta.get("tool_calls") or []:
                    args = _obj(_obj(call).get("function")).get("arguments")
                    if isinstance(args, str):
                        tool_args.append(args)
                if choice.get("finish_reason") == "content_filter":
                    filtered = True
        reason = "".join(refusal) or None
        if reason is None and filtered:
            reason = "the provider's content filter stopped the answer"
        tool_input = _tool_json("".join(tool_args)) if tool_args else None
        return Answer("".join(text), tool_input, usage, model, reason)

    def models_url(self, ep: Endpoint) -> str:
        return ep.url.rstrip("/") + "/models"

    def model_ids(self, data: Any) -> list[str]:
        return [str(_obj(m).get("id")) for m in _obj(data).get("data") or [] if _obj(m).get("id")]


class LocalProvider(OpenAIProvider):
    """Ollama, vLLM, llama.cpp's server, LM Studio: the OpenAI-compatible API, usually
    without a key."""


class AzureProvider(OpenAIProvider):
    name = "azure"

    def _base(self, ep: Endpoint) -> str:
        if not ep.url:
            raise LLMError(
                "config", "an azure connector needs url (https://<resource>.openai.azure.com)"
            )
        return ep.url.rstrip("/")

    def url(self, ep: Endpoint, model: str, *, stream: bool) -> str:
        version = urllib.parse.quote(ep.api_version or AZURE_API_VERSION, safe="")
        deployment = urllib.parse.quote(model, safe="")
        return (
            f"{self._base(ep)}/openai/deployments/{deployment}/chat/completions"
            f"?api-version={version}"
        )

    def headers(self, ep: Endpoint) -> dict[str, str]:
        return {"api-key": ep.api_key} if ep.api_key else {}

    def models_url(self, ep: Endpoint) -> str:
        version = urllib.parse.quote(ep.api_version or AZURE_API_VERSION, safe="")
        return f"{self._base(ep)}/openai/models?api-version={version}"

    def model_ids(self, data: Any) -> list[str]:
        return []  # deployments are named by the user; the listed models say nothing of them


def _tool_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise LLMError(
            "bad_response", f"the tool call's arguments are not valid JSON ({exc})"
        ) from exc


# -- Anthropic ---------------------------------------------------------------------------------


def _merge_turns(messages: Iterable[Message]) -> tuple[str, list[dict[str, str]]]:
    """System text, and user/assistant turns with consecutive same-role turns joined
    (Anthropic and Gemini want them alternating)."""
    system: list[str] = []
    turns: list[dict[str, str]] = []
    for m in messages:
        if m.role == "system":
            system.append(m.content)
        elif turns and turns[-1]["role"] == m.role:
            turns[-1]["content"] += "\n\n" + m.content
        else:
            turns.append({"role": m.role, "content": m.content})
    return "\n\n".join(system), turns


def _is_object_schema(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "object" or ("properties" in schema and "type" not in schema)


class AnthropicProvider(Provider):
    name = "anthropic"
    #: The tool's input wraps a non-object schema in {"answer": ...} (tools take objects).
    WRAP_KEY = "answer"

    def _base(self, ep: Endpoint) -> str:
        return re.sub(r"/v1/?$", "", ep.url.rstrip("/"))

    def url(self, ep: Endpoint, model: str, *, stream: bool) -> str:
        return self._base(ep) + "/v1/messages"

    def headers(self, ep: Endpoint) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if ep.api_key:
            headers["x-api-key"] = ep.api_key
        return headers

    def body(self, request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
        system, turns = _merge_turns(request.messages)
        if not turns or turns[0]["role"] != "user":
            turns.insert(0, {"role": "user", "content": "(start)"})
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": request.max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
            "messages": turns,
            "temperature": request.temperature,
        }
        if system:
            body["system"] = system
        if request.json_schema is not None:
            schema = dict(request.json_schema)
            if not _is_object_schema(schema):
                schema = {
                    "type": "object",
                    "properties": {self.WRAP_KEY: schema},
                    "required": [self.WRAP_KEY],
                }
            body["tools"] = [
                {
                    "name": request.schema_name,
                    "description": "Give the answer with this tool; its input is the answer.",
                    "input_schema": schema,
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": request.schema_name}
        if stream:
            body["stream"] = True
        return body

    @staticmethod
    def unwrap(request: ChatRequest, value: Any) -> Any:
        """The answer from a tool input (undoing the wrapping of non-object schemas)."""
        wrapped = request.json_schema is not None and not _is_object_schema(request.json_schema)
        if wrapped and isinstance(value, dict) and AnthropicProvider.WRAP_KEY in value:
            return value[AnthropicProvider.WRAP_KEY]
        return value

    def parse(self, data: Any) -> Answer:
        top = _obj(data)
        if top.get("type") == "error":
            raise LLMError("unavailable", str(_obj(top.get("error")).get("message", "error")))
        blocks = top.get("content")
        if not isinstance(blocks, list):
            raise LLMError("bad_response", "the answer has no content blocks")
        text: list[str] = []
        tool_input = None
        for block in blocks:
            block = _obj(block)
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                text.append(block["text"])
            elif block.get("type") == "tool_use" and tool_input is None:
                tool_input = block.get("input")
        usage = _obj(top.get("usage"))
        refusal = None
        if top.get("stop_reason") == "refusal":
            refusal = "".join(text) or "the model declined to answer"
        return Answer(
            "".join(text),
            tool_input,
            Usage(_int(usage.get("input_tokens")), _int(usage.get("output_tokens"))),
            str(top.get("model") or ""),
            refusal,
        )

    def parse_stream(self, events: Iterable[str], on_delta: Callable[[str], None]) -> Answer:
        text: list[str] = []
        tool_json: list[str] = []
        tool_seen = False
        input_tokens = output_tokens = 0
        model = ""
        stop_reason = None
        for event in _events_json(events):
            kind = event.get("type")
            if kind == "message_start":
                message = _obj(event.get("message"))
                model = str(message.get("model") or "")
                usage = _obj(message.get("usage"))
                input_tokens = _int(usage.get("input_tokens"))
                output_tokens = _int(usage.get("output_tokens"))
            elif kind == "content_block_start":
                block = _obj(event.get("content_block"))
                if block.get("type") == "tool_use":
                    tool_seen = True
            elif kind == "content_block_delta":
                delta = _obj(event.get("delta"))
                if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
                    text.append(delta["text"])
                    on_delta(delta["text"])
                elif delta.get("type") == "input_json_delta":
                    tool_json.append(str(delta.get("partial_json") or ""))
            elif kind == "message_delta":
                stop_reason = _obj(event.get("delta")).get("stop_reason") or stop_reason
                usage = _obj(event.get("usage"))
                if "output_tokens" in usage:
                    output_tokens = _int(usage.get("output_tokens"))
                if "input_tokens" in usage:
                    input_tokens = _int(usage.get("input_tokens"))
        tool_input = _tool_json("".join(tool_json) or "{}") if tool_seen else None
        refusal = None
        if stop_reason == "refusal":
            refusal = "".join(text) or "the model declined to answer"
        return Answer("".join(text), tool_input, Usage(input_tokens, output_tokens), model, refusal)

    def models_url(self, ep: Endpoint) -> str:
        return self._base(ep) + "/v1/models"

    def model_ids(self, data: Any) -> list[str]:
        return [str(_obj(m).get("id")) for m in _obj(data).get("data") or [] if _obj(m).get("id")]


# -- Gemini ------------------------------------------------------------------------------------


def gemini_schema(schema: Any) -> Any:
    """A JSON Schema narrowed to what Gemini's ``responseSchema`` accepts (unknown keys
    such as ``additionalProperties`` or ``$schema`` dropped; ``type: [x, "null"]``
    becomes ``nullable``; ``const`` becomes a one-value ``enum``)."""
    if isinstance(schema, list):
        return [gemini_schema(s) for s in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            if len(kinds) == 1:
                out["type"] = kinds[0]
            if "null" in value:
                out["nullable"] = True
        elif key == "const":
            out["enum"] = [value]
        elif key == "properties" and isinstance(value, Mapping):
            out["properties"] = {k: gemini_schema(v) for k, v in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = gemini_schema(value)
        elif key == "oneOf":
            out["anyOf"] = gemini_schema(value)
        elif key in GEMINI_SCHEMA_KEYS:
            out[key] = value
    return out


class GeminiProvider(Provider):
    name = "gemini"

    def _base(self, ep: Endpoint) -> str:
        base = ep.url.rstrip("/")
        if not re.search(r"/v\d+(alpha|beta)?\d*$", base):
            base += "/v1beta"
        return base

    def url(self, ep: Endpoint, model: str, *, stream: bool) -> str:
        name = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
        name = urllib.parse.quote(name, safe="/")
        if stream:
            return f"{self._base(ep)}/{name}:streamGenerateContent?alt=sse"
        return f"{self._base(ep)}/{name}:generateContent"

    def headers(self, ep: Endpoint) -> dict[str, str]:
        return {"x-goog-api-key": ep.api_key} if ep.api_key else {}

    def body(self, request: ChatRequest, model: str, *, stream: bool) -> dict[str, Any]:
        system, turns = _merge_turns(request.messages)
        contents = [
            {
                "role": "model" if t["role"] == "assistant" else "user",
                "parts": [{"text": t["content"]}],
            }
            for t in turns
        ]
        config: dict[str, Any] = {"temperature": request.temperature}
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if request.json_schema is not None:
            config["responseMimeType"] = "application/json"
            config["responseSchema"] = gemini_schema(request.json_schema)
        body: dict[str, Any] = {"contents": contents, "generationConfig": config}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        return body

    @staticmethod
    def _chunk(data: dict[str, Any]) -> tuple[str, str | None, str | None, Usage | None, str]:
        feedback = _obj(data.get("promptFeedback"))
        if feedback.get("blockReason"):
            return "", f"the prompt was blocked ({feedback['blockReason']})", None, None, ""
        text: list[str] = []
        finish = None
        candidates = data.get("candidates")
        if isinstance(candidates, list) and candidates:
            cand = _obj(candidates[0])
            for part in _obj(cand.get("content")).get("parts") or []:
                part = _obj(part)
                if isinstance(part.get("text"), str) and not part.get("thought"):
                    text.append(part["text"])
            finish = cand.get("finishReason")
        refusal = None
        if finish in GEMINI_BLOCKED:
            refusal = f"the answer was blocked ({finish})"
        meta = data.get("usageMetadata")
        usage = None
        if isinstance(meta, dict):
            usage = Usage(
                _int(meta.get("promptTokenCount")), _int(meta.get("candidatesTokenCount"))
            )
        return "".join(text), refusal, finish, usage, str(data.get("modelVersion") or "")

    def parse(self, data: Any) -> Answer:
        top = _obj(data)
        if "candidates" not in top and "promptFeedback" not in top:
            raise LLMError("bad_response", "the answer has no candidates")
        text, refusal, _finish, usage, model = self._chunk(top)
        return Answer(text, None, usage or Usage(0, 0), model, refusal)

    def parse_stream(self, events: Iterable[str], on_delta: Callable[[str], None]) -> Answer:
        text: list[str] = []
        refusal = None
        usage = Usage(0, 0)
        model = ""
        for chunk in _events_json(events):
            piece, blocked, _finish, chunk_usage, chunk_model = self._chunk(chunk)
            if piece:
                text.append(piece)
                on_delta(piece)
            refusal = blocked or refusal
            usage = chunk_usage or usage
            model = chunk_model or model
        return Answer("".join(text), None, usage, model, refusal)

    def models_url(self, ep: Endpoint) -> str:
        return self._base(ep) + "/models"

    def model_ids(self, data: Any) -> list[str]:
        out = []
        for m in _obj(data).get("models") or []:
            name = str(_obj(m).get("name") or "")
            if name:
                out.append(name.removeprefix("models/"))
        return out


_PROVIDERS: dict[str, Provider] = {
    "openai": OpenAIProvider(),
    "azure": AzureProvider(),
    "anthropic": AnthropicProvider(),
    "gemini": GeminiProvider(),
    **{name: LocalProvider() for name in LOCAL_PROVIDERS},
}


def provider(name: str) -> Provider:
    """The wire format of provider ``name`` (LLMError ``config`` for an unknown one)."""
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise LLMError(
            "config", f"unknown LLM provider `{name}` (one of {', '.join(PROVIDERS)})"
        ) from None
