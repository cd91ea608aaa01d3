"""HTTP for the providers, on the standard library (``urllib.request``).

One POST with a per-read timeout and an overall deadline, bounded retries with
exponential backoff on 429, 5xx, 529 and timeouts (honouring ``Retry-After`` in seconds
or as an HTTP date, capped), and Server-Sent Events for streaming. Why the standard
library: see docs/llm.md ("HTTP client").
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from nodeforge.llm.types import LLMError

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
USER_AGENT = "nodeforge-llm"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3  # retries after the first attempt
    base_delay_s: float = 0.5  # first backoff; doubled each retry
    max_delay_s: float = 30.0  # cap on one wait (backoff or Retry-After)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP
    date (RFC 9110 10.2.3). None when absent or unreadable; never negative."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, policy: RetryPolicy, retry_after: float | None) -> float:
    """The wait before retry number ``attempt`` (0-based): the server's ``Retry-After``
    when it gave one, else ``base * 2**attempt``; both capped at ``max_delay_s``."""
    if retry_after is not None:
        return min(retry_after, policy.max_delay_s)
    return float(min(policy.base_delay_s * 2.0**attempt, policy.max_delay_s))


@dataclass
class HTTPAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class Stream:
    """An open streaming response: iterate :meth:`events` for SSE ``data`` payloads."""

    def __init__(self, response: Any, deadline: float) -> None:
        self._response = response
        self._deadline = deadline

    def events(self) -> Iterator[str]:
        """Each event's ``data`` (lines joined by newlines); ``[DONE]`` ends the stream."""
        data: list[str] = []
        try:
            while True:
                if time.monotonic() > self._deadline:
                    raise LLMError("timeout", "the streamed answer took too long")
                try:
                    raw = self._response.readline()
                except TimeoutError as exc:
                    raise LLMError("timeout", "the provider stopped sending") from exc
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    if data:
                        payload = "\n".join(data)
                        data = []
                        if payload.strip() == "[DONE]":
                            return
                        yield payload
                    continue
                if line.startswith(":"):
                    continue
                field, _, rest = line.partition(":")
                if field == "data":
                    data.append(rest[1:] if rest.startswith(" ") else rest)
            if data and "\n".join(data).strip() != "[DONE]":
                yield "\n".join(data)
        finally:
            self._response.close()


Sleep = Callable[[float], None]


class Transport:
    """POSTs JSON with retries. ``sleep`` is injectable so tests see the waits."""

    def __init__(
        self,
        *,
        timeout_s: float = 60.0,
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.timeout_s = timeout_s
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.retries = 0  # of the last call
        self.waits: list[float] = []  # of the last call
        self._opener = urllib.request.build_opener()

    def post(
        self,
        url: str,
        headers: dict[str, str],
        body: dict[str, Any],
        *,
        stream: bool = False,
        describe_error: Callable[[int, bytes], str] | None = None,
    ) -> HTTPAnswer | Stream:
        """POST ``body`` as JSON; retry transient failures; raise :class:`LLMError` for
        the rest. A 2xx answer is read whole, or returned as a :class:`Stream`."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.retries = 0
        self.waits = []
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                return self._once(url, headers, data, stream=stream)
            except _Transient as exc:
                failure = exc.error
                retry_after = exc.retry_after
            except LLMError:
                raise
            if attempt >= self.policy.max_retries:
                raise failure
            if retry_after is not None and retry_after > self.policy.max_delay_s:
                raise LLMError(
                    failure.kind,
                    f"{failure.args[0]}; the provider asks to wait {retry_after:.0f} s "
                    f"(more than the {self.policy.max_delay_s:.0f} s we wait)",
                    status=failure.status,
                )
            wait = backoff_delay(attempt, self.policy, retry_after)
            self.waits.append(wait)
            self.sleep(wait)
            attempt += 1
            self.retries = attempt

    def _once(
        self, url: str, headers: dict[str, str], data: bytes, *, stream: bool
    ) -> HTTPAnswer | Stream:
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "text/event-stream" if stream else "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        deadline = time.monotonic() + self.timeout_s
        try:
            response = self._opener.open(request, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
            payload = exc.read(1 << 20) if exc.fp is not None else b""
            header_map = {k.lower(): v for k, v in exc.headers.items()} if exc.headers else {}
            error = http_error(status, payload)
            if status in RETRY_STATUSES:
                raise _Transient(error, parse_retry_after(header_map.get("retry-after"))) from None
            raise error from None
        except TimeoutError as exc:
            raise _Transient(
                LLMError("timeout", f"no answer within {self.timeout_s:g} s"), None
            ) from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise _Transient(
                    LLMError("timeout", f"no answer within {self.timeout_s:g} s"), None
                ) from exc
            raise LLMError("unavailable", f"cannot reach the provider: {reason}") from exc
        except (ConnectionError, OSError) as exc:
            raise LLMError("unavailable", f"cannot reach the provider: {exc}") from exc
        if stream:
            return Stream(response, deadline)
        try:
            with response:
                chunks = []
                while True:
                    if time.monotonic() > deadline:
                        raise _Transient(
                            LLMError("timeout", f"no answer within {self.timeout_s:g} s"), None
                        )
                    chunk = response.read(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
                header_map = {k.lower(): v for k, v in response.headers.items()}
                return HTTPAnswer(int(response.status), header_map, b"".join(chunks))
        except TimeoutError as exc:
            raise _Transient(
                LLMError("timeout", f"no answer within {self.timeout_s:g} s"), None
            ) from exc


class _Transient(Exception):
    def __init__(self, error: LLMError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def error_message(payload: bytes) -> str:
    """The provider's own error text: ``{"error": {"message": ...}}`` (OpenAI, Anthropic,
    Gemini all use this shape), else the start of the body."""
    try:
        data = json.loads(payload)
    except ValueError:
        text = payload.decode("utf-8", "replace").strip()
        return text[:300]
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
        if isinstance(data.get("message"), str):
            return str(data["message"])[:300]
    return payload.decode("utf-8", "replace")[:300]


def http_error(status: int, payload: bytes) -> LLMError:
    """The :class:`LLMError` for a non-2xx answer."""
    text = error_message(payload)
    suffix = f": {text}" if text else ""
    if status in (401, 403):
        return LLMError(
            "auth", f"the provider refused the credentials (HTTP {status}){suffix}", status=status
        )
    if status == 429:
        return LLMError("rate_limited", f"rate limited (HTTP 429){suffix}", status=status)
    if status == 404:
        return LLMError(
            "config",
            f"not found (HTTP 404: wrong URL, model or deployment?){suffix}",
            status=status,
        )
    if status >= 500 or status in (408, 409):
        return LLMError(
            "unavailable", f"the provider failed (HTTP {status}){suffix}", status=status
        )
    return LLMError(
        "bad_response", f"the provider rejected the request (HTTP {status}){suffix}", status=status
    )
