"""Whether generated Go is already as gofmt prints it, decided conservatively in Python.

The generator writes node methods the way gofmt prints them (tabs, one statement per
line, ``//`` between a doc comment and its ``//line`` directive), so a flow's node
methods rarely need gofmt, which took 40-70 ms of a 1,000-node flow's generation. This
check says yes only for text made of constructs whose gofmt printing is known: tab
indentation by bracket depth, canonical spaces around commas, keywords and assignments,
binary operators only at a statement's top level with spaces gofmt keeps (one
precedence, or comparisons under ``&&``/``||``), one-line blocks only for short function
literals, no alignment (at most one trailing comment in a row, no multi-line composite
literals, struct types or declaration groups), doc comments of plain sentences. Anything
else (a template written another way, an unusual expression) answers no and is
formatted by gofmt as before. Tests format every golden and benchmark flow both ways.
"""

from __future__ import annotations

import re

__all__ = ["gofmt_clean"]

# Strings, runes and raw strings (one line), each replaced by "" before the checks.
_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)+\'|`[^`\n]*`')
_OPERATOR = re.compile(
    r"&&|\|\||==|!=|<=|>=|<<=|>>=|<<|>>|&\^=|&\^|<-|\+\+|--|:=|\+=|-=|\*=|/=|%=|&=|\|=|\^="
    r"|[-+*/%&|^<>!=]"
)
_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "|": 4,
    "^": 4,
    "*": 5,
    "/": 5,
    "%": 5,
    "<<": 5,
    ">>": 5,
    "&": 5,
    "&^": 5,
}
_ASSIGN = {":=", "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&^="}
_OPERAND_END = re.compile(r"[\w)\]}\"]$")
_BAD_SPACING = re.compile(r"  |\( | \)|\[ | \]| ,|,[^ ]| ;|;[^ ]|\t| $|\{ \}|[)}]\w|\] \w|\w\"\"")
_KEYWORD_PAREN = re.compile(r"\b(?:if|for|switch|return|go|defer|case|else|select)\(")
_CONTROL_PAREN = re.compile(r"^(?:if|for|switch|\} else if) \(")
_BLOCK_START = re.compile(r"^(?:if|for|switch|select|else|\} else|func)\b")
_LABEL = re.compile(r"^\w+:$")
_DOC_TEXT = re.compile(r"^// [A-Za-z0-9_]")
_DOC_LIST = re.compile(r"^// (?:\d+[.)]|[-*+]) ")
_GROUP = re.compile(r"^(?:var|const|type|import) \($")
_KEYWORDS = frozenset(
    {
        *("break", "case", "chan", "const", "continue", "default", "defer", "else"),
        *("fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map"),
        *("package", "range", "return", "select", "struct", "switch", "type", "var"),
    }
)
_SPACED = re.compile(r"(\w+) [(\[]|\. | \.| \{[^ ]| \{\}")
_TOP = re.compile(r"func \(\w|func \w|var \w|type \w|const \w|\}")
_FUNC_LIT = re.compile(r"func\([^()]*\)(?: [\w.*\[\]]+)? \{ ")


# Digits do not change any answer (each is kept as a digit, lengths stay): a flow's
# nodes of one kind give methods equal but for their numbers, checked once.
_DIGITS = str.maketrans("123456789", "000000000")
_known: dict[str, bool] = {}
_KNOWN_MAX = 4096
# The answers of _line_info, a function of its arguments alone: a declaration not seen
# before (the first of each shape in a process) is mostly lines seen before.
_lines: dict[tuple[str, bool, int], tuple[bool, int, int]] = {}


def gofmt_clean(text: str) -> bool:
    """Whether ``text`` (top-level Go declarations separated by one blank line, no
    package clause) is surely printed unchanged by gofmt, but for its trailing blank
    lines. ``False`` means only "not sure"."""
    if text.startswith("\n"):
        return False
    parts = text.translate(_DIGITS).rstrip("\n").split("\n\n")
    for part in parts:
        clean = _known.get(part)
        if clean is None:
            clean = _part_clean(part)
            if len(_known) >= _KNOWN_MAX:
                _known.clear()
            _known[part] = clean
        if not clean:
            return False
    return True


def _part_clean(text: str) -> bool:
    """:func:`gofmt_clean` of one declaration (with its doc comment)."""
    if not text or text.startswith("\n"):
        return False
    depth = 0  # open brackets before the line
    parens = 0  # of which parentheses and square brackets (a statement going on)
    blank = True  # the previous line was blank (or the text's start)
    prev_comment = False  # the previous line ended with a trailing comment
    prev_doc = False  # the previous line was a top-level `//` comment line
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if not line:
            if blank or depth:
                return False  # gofmt drops repeated blank lines and those in blocks here
            blank, prev_comment, prev_doc = True, False, False
            continue
        if line.startswith("//line "):
            if prev_doc and lines[n - 1] != "//":
                return False  # gofmt puts `//` between a doc comment and a directive
            blank, prev_comment = False, False
            continue
        tabs = len(line) - len(line.lstrip("\t"))
        body = line[tabs:]
        if not body or body[0] == " " or line.endswith((" ", "\t")):
            return False
        if body.startswith("//"):
            if depth == 0:
                nxt = lines[n + 1] if n + 1 < len(lines) else ""
                if body == "//":  # only before a directive: no second paragraph
                    if tabs or not nxt.startswith("//line "):
                        return False
                elif tabs or not _DOC_TEXT.match(body) or _DOC_LIST.match(body):
                    return False
                prev_doc = True
            else:
                nxt = lines[n + 1].lstrip("\t") if n + 1 < len(lines) else ""
                if tabs != depth or nxt.startswith(("case ", "default:", "}", ")", "//line")):
                    return False
                prev_doc = False
            blank, prev_comment = False, False
            continue
        if "/*" in body or body.count("`") % 2:
            return False
        code = _LITERAL.sub('""', body)
        if '"' in code.replace('""', "") or "'" in code or "`" in code:
            return False  # a literal this scan does not know
        comment = code.find("//")
        if comment >= 0:
            if prev_comment or comment == 0 or code[comment - 1 : comment] != " ":
                return False
            if code[comment - 2 : comment - 1] == " " or not code[comment:].startswith("// "):
                return False
            code = code[: comment - 1]
            prev_comment = True
        else:
            prev_comment = False
        closers = len(code) - len(code.lstrip("})]"))
        want = depth - (1 if closers else 0)
        if code.startswith(("case ", "default:")):
            want = depth - 1
        elif _LABEL.match(code):
            return False
        if tabs != want or want < 0:
            return False
        if depth == 0 and not _TOP.match(code):
            return False  # `func(r *T)`, a declaration broken over lines
        key = (code, parens > 0, len(body))
        info = _lines.get(key)
        if info is None:
            info = _line_info(*key)
            if len(_lines) >= _KNOWN_MAX:
                _lines.clear()
            _lines[key] = info
        if not info[0]:
            return False
        depth += info[1]
        parens += info[2]
        if depth < 0:
            return False
        blank, prev_doc = False, False
    return depth == 0


def _line_info(code: str, continued: bool, width: int) -> tuple[bool, int, int]:
    """The checks of one line's code that depend on it alone (literals replaced, no
    comment; ``continued``: inside a statement's parentheses; ``width``: the line's length
    without its indentation): whether they pass, and then how many brackets and how many
    parentheses and square brackets it leaves open (negative: closes)."""
    closers = len(code) - len(code.lstrip("})]"))
    balance = 0
    for i, c in enumerate(code):
        if c in "([{":
            balance += 1
        elif c in ")]}":
            balance -= 1
            if balance < 0 and i >= closers:
                return _FAILED  # `return nil}`: a block closed after a statement
    if not _statement_clean(code, continued, width):
        return _FAILED
    opened = code.count("{") + code.count("(") + code.count("[")
    closed = code.count("}") + code.count(")") + code.count("]")
    if opened - closed > 1 or (closers > 1 and opened - closed < -1):
        return _FAILED  # gofmt indents once for several brackets on one line
    parens = code.count("(") + code.count("[") - code.count(")") - code.count("]")
    return True, opened - closed, parens


_FAILED = (False, 0, 0)


def _statement_clean(code: str, continued: bool, width: int) -> bool:
    """The checks of one line's code (literals replaced, no comment); ``width``: the
    line's length with its literals, without its indentation."""
    if _BAD_SPACING.search(code) or _KEYWORD_PAREN.search(code) or _CONTROL_PAREN.match(code):
        return False
    if _GROUP.match(code) or code.endswith((";", "struct {", "interface {")):
        return False
    for m in _SPACED.finditer(code):
        word = m.group(1)
        text = m.group()
        if text == " {}" and code[m.start() - 1 : m.start()] == ")":
            continue  # func() {}
        if word is None or word in _KEYWORDS:
            if word is not None:
                continue
            return False
        if text.endswith("[") and (code.startswith(("var ", "func ")) or "(" in code):
            # `var x []T`, parameters `(b []byte)`: unless it is an index `x [0]`
            before = code[: m.start()].rstrip()
            if code.startswith("var ") and before == "var":
                continue
            if before.endswith(("(", ",")):
                continue
        return False
    if code.endswith("{") and not code.endswith(" {") and code != "{":
        if _BLOCK_START.match(code) or code.rstrip("{").endswith(")"):
            return False  # a block's brace without its space
        return False  # a multi-line composite literal: gofmt aligns its keys' values
    if " }" in code and "{ " not in code:
        return False  # `T{A: 1 }`
    # one-line blocks: only short function literals (gofmt keeps those)
    if "{ " in code and (code.count("{ ") != 1 or width > 80 or not _FUNC_LIT.search(code)):
        return False
    if not _colons_clean(code):
        return False
    levels: set[int] = set()
    bracket = 0
    comma = False
    prev_end = 0
    for m in _OPERATOR.finditer(code):
        op = m.group()
        start, end = m.start(), m.end()
        inner = code[prev_end:start]
        bracket += inner.count("(") + inner.count("[") + inner.count("{")
        bracket -= inner.count(")") + inner.count("]") + inner.count("}")
        comma = comma or ("," in inner and bracket == 0)
        prev_end = start
        before = code[start - 1 : start]
        after = code[end : end + 1]
        if op in _ASSIGN:
            if before != " " or after not in (" ", ""):
                return False
            if bracket == 0:
                if levels and comma:
                    return False
                levels, comma = set(), False  # each side of an assignment on its own
            continue
        if op in ("++", "--"):
            if after not in ("", ")", ";") or before in (" ", ""):
                return False
            continue
        if op == "<-":
            return False
        if op == "!":
            if after in (" ", "") or after == "=":
                return False
            continue
        binary = before == " " and after == " "
        if not binary:
            prefix = code[:start]
            if after == " " or (prefix and _OPERAND_END.search(prefix) and before != " "):
                if op == "*" and before == "]":
                    continue  # []*T
                return False
            if prefix.endswith(" ") and _OPERAND_END.search(prefix.rstrip()):
                last = prefix.rstrip().rsplit(" ", 1)[-1].lstrip("(")
                declares = code.startswith(("func ", "var ")) or "func(" in code
                if last not in _KEYWORDS and not (op == "*" and declares):
                    return False  # `a &b`: a binary operator spaced on one side
            continue  # unary: &x, *p, -1
        if continued or bracket != 0 or code[end + 1 : end + 2] in ("-", "+", "*", "&", "^"):
            return False
        left = code[: start - 1]
        if not _OPERAND_END.search(left) or left.rsplit(" ", 1)[-1] in _KEYWORDS:
            return False  # a unary operator followed by a space: `& x`
        if code.startswith("func ") or "func(" in code:
            return False  # a signature: `) * T` is a pointer type
        levels.add(_PRECEDENCE[op])
    tail = code[prev_end:]
    bracket += tail.count("(") + tail.count("[") + tail.count("{")
    comma = comma or ("," in tail and bracket - tail.count(")") - tail.count("]") <= 0)
    if len(levels) > 1 and max(levels) >= 4:
        return False  # gofmt drops the spaces around the higher operators
    # in a list (`return a + b, nil`) gofmt writes `a+b`
    return not (levels and comma)


def _colons_clean(code: str) -> bool:
    """A key's colon as gofmt writes it (``Key: value``; ``a[1:2]`` in an index)."""
    if " :" in code.replace(" :=", ""):
        return False
    stack: list[str] = []
    for i, c in enumerate(code):
        if c in "([{":
            stack.append(c)
        elif c in ")]}":
            if stack:
                stack.pop()
        elif c == ":" and code[i + 1 : i + 2] not in (" ", "=", "") and stack[-1:] != ["["]:
            return False
    return True
