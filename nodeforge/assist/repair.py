"""The ask / check / repair loop every assistant feature runs.

One round: send the conversation, read the structured answer, hand it to the feature's
checker (the analysis for flows and adapters, the sandbox for Go). A clean answer ends
the loop; otherwise the next round sends the first messages again plus the model's
last answer and its problems (earlier rounds are dropped: the request stays one
proposal long). An answer that cannot be read as JSON counts as a round with that
problem. A refusal, or a provider error (auth, config, timeout, rate limit, outage),
ends the loop at once. After ``max_rounds`` rounds with problems nothing is offered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from nodeforge.assist import prompts
from nodeforge.llm.types import ChatRequest, ChatResponse, LLMError, Message

T = TypeVar("T")
DEFAULT_MAX_ROUNDS = 3
MAX_ROUNDS_LIMIT = 10

#: What a checker returns: the accepted value (or None) and the problems found.
Checked = tuple[T | None, list[str]]


class ChatClient(Protocol):
    """What the loop needs of :class:`nodeforge.llm.LLMClient`."""

    def chat(
        self,
        request: ChatRequest,
        *,
        on_delta: Callable[[str], None] | None = None,
        show_prompt: Callable[[dict[str, Any]], None] | None = None,
    ) -> ChatResponse: ...


@dataclass
class Attempt:
    """One round: whether its answer was accepted, and what was wrong with it."""

    round: int
    ok: bool
    problems: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    model_ms: float = 0.0  # waiting for the model
    check_ms: float = 0.0  # the checker (analysis, sandbox) and the bookkeeping

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "ok": self.ok,
            "problems": self.problems,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached": self.cached,
        }


@dataclass
class Outcome(Generic[T]):
    """How a loop ended. ``value`` is set only when ``ok``; ``error_kind`` is the
    :class:`LLMError` kind that stopped it (``refused``, ``auth``, ...), if any."""

    ok: bool
    value: T | None
    attempts: list[Attempt]
    message: str = ""
    error_kind: str | None = None

    @property
    def rounds(self) -> int:
        return len(self.attempts)

    @property
    def input_tokens(self) -> int:
        return sum(a.input_tokens for a in self.attempts)

    @property
    def output_tokens(self) -> int:
        return sum(a.output_tokens for a in self.attempts)


def check_rounds(value: Any) -> int:
    """``max_rounds`` from a user: an integer from 1 to :data:`MAX_ROUNDS_LIMIT`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("the number of rounds must be an integer")
    if not 1 <= value <= MAX_ROUNDS_LIMIT:
        raise ValueError(f"the number of rounds must be between 1 and {MAX_ROUNDS_LIMIT}")
    return value


def run_loop(
    client: ChatClient,
    messages: Sequence[Message],
    check: Callable[[Any], Checked[T]],
    *,
    feature: str,
    schema: dict[str, Any],
    schema_name: str,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    show_prompt: Callable[[dict[str, Any]], None] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> Outcome[T]:
    """Ask, check, repair, at most ``max_rounds`` times (see the module's docstring)."""
    check_rounds(max_rounds)
    base = list(messages)
    follow_up: list[Message] = []
    attempts: list[Attempt] = []
    for number in range(1, max_rounds + 1):
        if on_round is not None:
            on_round(number)
        request = ChatRequest(
            tuple(base + follow_up),
            feature=feature,
            json_schema=schema,
            schema_name=schema_name,
        )
        asked = time.perf_counter()
        try:
            response = client.chat(request, show_prompt=show_prompt)
        except LLMError as exc:
            if exc.kind != "bad_response":
                return Outcome(False, None, attempts, _stopped(exc), exc.kind)
            attempt = Attempt(number, False, [f"the answer could not be read: {exc.args[0]}"])
            attempt.model_ms = (time.perf_counter() - asked) * 1000
            attempts.append(attempt)
            follow_up = [Message("user", unreadable_message(str(exc.args[0])))]
            continue
        answered = time.perf_counter()
        attempt = Attempt(
            number,
            False,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            cached=response.cached,
            model_ms=(answered - asked) * 1000,
        )
        attempts.append(attempt)
        if response.data is None:
            attempt.problems = ["the answer holds no JSON object"]
            value: T | None = None
        else:
            value, attempt.problems = check(response.data)
        if value is not None and not attempt.problems:
            attempt.ok = True
            attempt.check_ms = (time.perf_counter() - answered) * 1000
            return Outcome(True, value, attempts, f"accepted after {number} round(s)")
        if not attempt.problems:
            attempt.problems = ["the answer was not accepted"]
        follow_up = [
            Message("assistant", response.text),
            Message("user", prompts.repair_message(attempt.problems)),
        ]
        attempt.check_ms = (time.perf_counter() - answered) * 1000
    last = attempts[-1].problems if attempts else []
    first = f"; first: {last[0]}" if last else ""
    return Outcome(
        False,
        None,
        attempts,
        f"no acceptable answer after {max_rounds} round(s): {len(last)} problem(s) left{first}",
    )


def unreadable_message(reason: str) -> str:
    return (
        f"Your answer could not be read as JSON ({reason}). Answer again with one JSON "
        "object in the requested form, nothing else."
    )


def _stopped(exc: LLMError) -> str:
    if exc.kind == "refused":
        return f"the model refused: {exc.args[0]}"
    return f"the model request failed ({exc.kind}): {exc.args[0]}"
