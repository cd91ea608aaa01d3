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


class EvalError(Exception):
    """A run-time error while evaluating an expression."""

    def __init__(self, message: str, start: int = 0, end: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
