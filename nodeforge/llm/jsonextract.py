"""JSON out of a model's message text: the whole text, a fenced block, or the first
balanced object or array in prose. Local models often ignore structured-output requests
and answer ```` ```json ... ``` ```` or "Here it is: {...}"; all are accepted."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)(?:\r?\n)?[ \t]*```", re.DOTALL)
_DECODER = json.JSONDecoder()


class NoJSON(ValueError):
    """The text holds no JSON value; the message says what was seen."""


def extract_json(text: str) -> Any:
    """The JSON value the text carries. Tries, in order: the stripped text as a whole,
    each fenced code block (``json`` labelled first), then the first ``{`` or ``[`` from
    which a complete value decodes. Raises :class:`NoJSON`."""
    stripped = text.strip()
    if not stripped:
        raise NoJSON("the answer is empty")
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    blocks = _FENCE.findall(stripped)
    blocks.sort(key=lambda b: 0 if b[0].lower() in ("json", "jsonc", "json5") else 1)
    first_error: str | None = None
    for _lang, body in blocks:
        try:
            return json.loads(body)
        except ValueError as exc:
            first_error = first_error or f"a fenced block is not valid JSON ({exc})"
    if first_error:
        raise NoJSON(first_error)
    for match in re.finditer(r"[\[{]", stripped):
        try:
            value, _end = _DECODER.raw_decode(stripped, match.start())
        except ValueError:
            continue
        if isinstance(value, dict | list):
            return value
    raise NoJSON(f"no JSON object in the answer (it starts {stripped[:60]!r})")
