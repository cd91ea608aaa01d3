"""Snippet text (LSP/TextMate syntax) for clients that cannot expand snippets."""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"\\(?P<escaped>[\\$},|])"  # an escaped character
    r"|\$\{\d+:(?P<default>(?:\\.|[^}\\])*)\}"  # ${1:default}
    r"|\$\{\d+\|(?P<choice>(?:\\.|[^,|\\])*)(?:,(?:\\.|[^|\\])*)*\|\}"  # ${1|first,second|}
    r"|\$\{\d+\}|\$\d+"  # $1, ${1}, $0
)


def snippet_plain_text(snippet: str) -> str:
    """What a snippet inserts when every placeholder keeps its default (a choice: its
    first option) and the cursor stops vanish."""

    def one(m: re.Match[str]) -> str:
        if m.group("escaped") is not None:
            return m.group("escaped")
        inner = m.group("default")
        if inner is None:
            inner = m.group("choice")
        if inner is None:
            return ""
        return re.sub(r"\\(.)", r"\1", inner)

    return _TOKEN.sub(one, snippet)
