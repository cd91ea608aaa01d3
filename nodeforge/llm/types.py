"""The provider interface's plain data: requests, responses, usage, errors.

Everything here is immutable and free of I/O, so the assistant features can build
requests and tests can compare responses without a provider at hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]

#: The kinds of :class:`LLMError`, from the caller's point of view:
#: ``config`` (no or wrong connector, unknown provider, model not found), ``auth`` (the
#: provider refused the key), ``rate_limited`` (429 after every retry), ``timeout``,
#: ``refused`` (the model or its safety filter declined), ``bad_response`` (the answer
#: cannot be read: malformed JSON, no structured data where a schema was asked, a 4xx
#: about the request) and ``unavailable`` (5xx after every retry, connection refused).
ERROR_KINDS = (
    "config",
    "auth",
    "rate_limited",
    "timeout",
    "refused",
    "bad_response",
    "unavailable",
)


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    feature: str  # "assist" | "adapter" | "customize" | ...: accounting and config lookup
    model: str | None = None  # None: the connector's model
    temperature: float = 0.0
    max_tokens: int | None = None
    json_schema: Mapping[str, Any] | None = None  # ask for structured output with this schema
    schema_name: str = "answer"


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ChatResponse:
    text: str  # the message content as given (for a tool call: the tool's input as JSON)
    data: Any | None  # the parsed JSON when json_schema was asked, else None
    usage: Usage
    model: str
    provider: str
    cached: bool
    cost_usd: float | None
    retries: int = 0  # extension: how many retries (429, 5xx, timeouts) this answer took


class LLMError(Exception):
    """A failed model request; ``kind`` is one of :data:`ERROR_KINDS`. The message never
    holds a key (it is scrubbed like a prompt)."""

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown LLMError kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.status = status

    def __str__(self) -> str:
        return f"{self.kind}: {self.args[0]}"
