"""Error values shared by the parser, the checker and the evaluator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class ExprError:
    """A problem in an expression, at code-point offsets ``[start, end)``.

    ``code`` is one of: ``syntax``, ``type``, ``unknown-identifier``,
    ``unknown-field``, ``unknown-function``, ``arity``, ``unknown-node``,
    ``not-dominated``, ``unknown-port``, ``unknown-env``, ``not-printable``,
    ``regex``.
    """

    start: int
    end: int
    message: str
    code: str
    severity: Literal["error", "warning"] = "error"

    def shifted(self, delta: int) -> ExprError:
        return ExprError(
            self.start + delta, self.end + delta, self.message, self.code, self.severity
        )


def arity_message(fn: str, given: int, lo: int, hi: int | None, *, method: bool) -> str:
    """The one wording of a wrong argument count, for the checker and the evaluator alike.

    ``given``, ``lo`` and ``hi`` count the receiver of a method-style call (``s.split(t)``
    passes two arguments); the message does not, as the user wrote it."""
    off = 1 if method else 0
    lo, n = lo - off, given - off
    if hi is None:
        want = f"at least {lo}"
    else:
        hi -= off
        want = str(lo) if lo == hi else f"{lo} to {hi}"
    plural = "" if want == "1" else "s"
    return f"`{fn}` expects {want} argument{plural}, got {n}"


class EvalError(Exception):
    """A run-time error while evaluating an expression."""

    def __init__(self, message: str, start: int = 0, end: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
