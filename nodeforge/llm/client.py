"""The client: one :meth:`LLMClient.chat` does scrubbing, the cache, the request with
retries (streamed when the caller wants deltas), parsing, structured data and accounting.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from nodeforge.llm.cache import ResponseCache, cache_key
from nodeforge.llm.config import ConnectorSettings, LLMConfig
from nodeforge.llm.jsonextract import NoJSON, extract_json
from nodeforge.llm.providers import Answer, AnthropicProvider, provider
from nodeforge.llm.scrub import Scrubber
from nodeforge.llm.transport import HTTPAnswer, RetryPolicy, Sleep, Stream, Transport
from nodeforge.llm.types import ChatRequest, ChatResponse, LLMError, Message, Usage
from nodeforge.llm.usage import UsageLog, estimate_cost, usage_record

log = logging.getLogger("nodeforge.llm")


class LLMClient:
    """Talks to one ``llm`` connector's provider."""

    def __init__(
        self,
        settings: ConnectorSettings,
        *,
        config: LLMConfig | None = None,
        cache: ResponseCache | None = None,
        usage_log: UsageLog | None = None,
        scrubber: Scrubber | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.settings = settings
        self.config = config or LLMConfig()
        self.cache = cache
        self.usage_log = usage_log
        self.scrubber = scrubber or Scrubber()
        if settings.api_key:
            self.scrubber.add([settings.api_key])
        self.provider = provider(settings.provider)
        self.transport = Transport(
            timeout_s=self.config.timeout_s,
            policy=RetryPolicy(max_retries=self.config.max_retries),
            sleep=sleep,
        )

    @property
    def connector(self) -> str:
        return self.settings.name

    def model_for(self, request: ChatRequest) -> str:
        model = request.model or self.settings.model
        if not model:
            raise LLMError(
                "config",
                f"connector `{self.settings.name}` has no model: "
                f"`nodeforge connector add {self.settings.name} -t llm --replace --set model=...`",
            )
        return model

    def scrubbed(self, request: ChatRequest) -> ChatRequest:
        """``request`` with every known secret value removed from its messages and schema."""
        return dataclasses.replace(
            request,
            messages=tuple(
                Message(m.role, self.scrubber.text(m.content)) for m in request.messages
            ),
            json_schema=self.scrubber.data(request.json_schema)
            if request.json_schema is not None
            else None,
        )

    def chat(
        self,
        request: ChatRequest,
        *,
        on_delta: Callable[[str], None] | None = None,
        show_prompt: Callable[[dict[str, Any]], None] | None = None,
    ) -> ChatResponse:
        try:
            return self._chat(request, on_delta, show_prompt)
        except LLMError as exc:
            raise LLMError(
                exc.kind, self.scrubber.text(str(exc.args[0])), status=exc.status
            ) from None

    def _chat(
        self,
        request: ChatRequest,
        on_delta: Callable[[str], None] | None,
        show_prompt: Callable[[dict[str, Any]], None] | None,
    ) -> ChatResponse:
        started = time.monotonic()
        model = self.model_for(request)
        clean = self.scrubbed(request)
        stream = on_delta is not None and self.provider.streams
        body = self.provider.body(clean, model, stream=stream)
        if show_prompt is not None:
            show_prompt(json.loads(json.dumps(body)))
        key = cache_key(
            provider=self.settings.provider,
            url=self.settings.url,
            model=model,
            messages=clean.messages,
            temperature=clean.temperature,
            max_tokens=clean.max_tokens,
            json_schema=clean.json_schema,
            schema_name=clean.schema_name,
        )
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                response = self._from_cache(hit, model)
                if response is not None:
                    if on_delta is not None and response.text:
                        on_delta(response.text)
                    self._account(request.feature, response, started, error=None)
                    return response
        url = self.provider.url(self.settings.endpoint, model, stream=stream)
        log.debug(
            "%s request to %s (model %s, feature %s)",
            self.settings.provider,
            url,
            model,
            request.feature,
        )
        sent = self.transport.post(
            url, self.provider.headers(self.settings.endpoint), body, stream=stream
        )
        retries = self.transport.retries
        answer = self._answer(sent, on_delta)
        used_model = answer.model or model
        cost = estimate_cost(
            self.settings.provider,
            used_model,
            answer.usage.input_tokens,
            answer.usage.output_tokens,
            self.config.pricing,
        )
        response = ChatResponse(
            text=answer.text,
            data=None,
            usage=answer.usage,
            model=used_model,
            provider=self.settings.provider,
            cached=False,
            cost_usd=cost,
            retries=retries,
        )
        try:
            if answer.refusal is not None:
                raise LLMError("refused", f"the model refused: {answer.refusal}")
            if clean.json_schema is not None:
                response = self._with_data(clean, answer, response)
        except LLMError as exc:
            self._account(request.feature, response, started, error=exc.kind)
            raise
        self._account(request.feature, response, started, error=None)
        if self.cache is not None:
            self.cache.put(
                key,
                {
                    "text": response.text,
                    "data": response.data,
                    "model": response.model,
                    "usage": [response.usage.input_tokens, response.usage.output_tokens],
                },
            )
        return response

    def _answer(self, sent: HTTPAnswer | Stream, on_delta: Callable[[str], None] | None) -> Answer:
        if isinstance(sent, Stream):
            return self.provider.parse_stream(sent.events(), on_delta or (lambda _t: None))
        try:
            data = json.loads(sent.body)
        except ValueError as exc:
            raise LLMError(
                "bad_response", f"the provider's answer is not JSON ({exc}): {sent.body[:80]!r}"
            ) from exc
        return self.provider.parse(data)

    def _with_data(
        self, request: ChatRequest, answer: Answer, response: ChatResponse
    ) -> ChatResponse:
        if answer.tool_input is not None:
            data = answer.tool_input
            if isinstance(self.provider, AnthropicProvider):
                data = AnthropicProvider.unwrap(request, data)
            text = answer.text or json.dumps(data, ensure_ascii=False)
            return dataclasses.replace(response, text=text, data=data)
        try:
            data = extract_json(answer.text)
        except NoJSON as exc:
            raise LLMError("bad_response", f"no structured answer: {exc}") from None
        return dataclasses.replace(response, data=data)

    def _from_cache(self, hit: dict[str, Any], model: str) -> ChatResponse | None:
        text = hit.get("text")
        if not isinstance(text, str):
            return None
        return ChatResponse(
            text=text,
            data=hit.get("data"),
            usage=Usage(0, 0),
            model=str(hit.get("model") or model),
            provider=self.settings.provider,
            cached=True,
            cost_usd=0.0,
        )

    def _account(
        self, feature: str, response: ChatResponse, started: float, *, error: str | None
    ) -> None:
        if self.usage_log is None:
            return
        record = usage_record(
            feature=feature,
            provider=response.provider,
            connector=self.settings.name,
            model=response.model,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            cost_usd=response.cost_usd,
            cached=response.cached,
            retries=response.retries,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        if error is not None:
            record["error"] = error
        try:
            self.usage_log.append(record)
        except OSError as exc:  # accounting must not lose an answer
            log.warning("cannot record LLM usage in %s: %s", self.usage_log.path, exc)
