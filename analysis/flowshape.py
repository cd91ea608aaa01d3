"""Whether a flow document has the file format's structure, without pydantic.

:mod:`nodeforge.analysis.model` defines the format as pydantic models, and the structure
check (``NF002``) judges documents by them. Importing pydantic and building those
validators costs ~20 ms of every ``nodeforge check`` and ``generate`` (pydantic's plugin
lookup imports ``importlib.metadata``), for documents that are nearly always plainly
valid. The functions here answer for those in plain Python, and ask the models (imported
then) only about documents they are not sure of: anything invalid or unusual (a key
spelt by field name rather than alias, a pattern matched by a non-ASCII digit...). So
the verdict is the models' own by construction; only its cost differs
(``tests/test_flowshape.py`` checks the two agree on many mutated documents).
"""

from __future__ import annotations

import re
from functools import partial
from itertools import chain, repeat
from operator import is_not, itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import TypeAdapter

__all__ = ["flow_valid", "nodes_valid", "surely_valid_flow", "surely_valid_node"]

# The models' patterns (model.py) with ASCII classes and no `$` before a final newline
# (pydantic-core's regexes match `$` at the very end only): what they accept here the
# models accept; the rest is left to them.
_NODE_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_TYPE = re.compile(r"[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*\Z")
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\Z")
_ENDPOINT = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?\Z")

_NODE_KEYS = frozenset({"id", "type", "version", "title", "description", "position", "config"})
_FLOW_KEYS = frozenset(
    {"$schema", "nodeforge", "id", "name", "description", "nodes", "connections", "tests"}
)
_TEST_KEYS = frozenset({"name", "trigger", "input", "expect", "fixtures"})


def _text(value: Any, pattern: re.Pattern[str]) -> bool:
    return type(value) is str and pattern.match(value) is not None


def _optional_str(value: Any) -> bool:
    return value is None or type(value) is str


def _number(value: Any) -> bool:
    # An int too large for a float is not a number to the model (10**400 is refused).
    return type(value) is float or (type(value) is int and -(2**63) <= value < 2**63)


def _str_dict(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str for k in value)


def surely_valid_node(node: Any) -> bool:
    """True when ``node`` is certainly valid as ``model.Node`` (strict); False says only
    that this function is not sure."""
    if type(node) is not dict or not node.keys() <= _NODE_KEYS:
        return False
    node_id, node_type, version = node.get("id"), node.get("type"), node.get("version")
    if type(node_id) is not str or _node_id(node_id) is None:
        return False
    # A flow has few types and versions: each is matched once.
    if type(node_type) is not str or type(version) is not str:
        return False
    if node_type not in _good_types:
        if _TYPE.match(node_type) is None or len(_good_types) > _MAX_KNOWN:
            return False
        _good_types.add(node_type)
    if version not in _good_versions:
        if _VERSION.match(version) is None or len(_good_versions) > _MAX_KNOWN:
            return False
        _good_versions.add(version)
    title, description = node.get("title"), node.get("description")
    if not (title is None or type(title) is str) or not (
        description is None or type(description) is str
    ):
        return False
    position = node.get("position")
    if position is not None and not (
        type(position) is dict
        and position.keys() == _XY
        and _number(position["x"])
        and _number(position["y"])
    ):
        return False
    config = node.get("config", _EMPTY)
    return config is _EMPTY or _str_dict(config)


_node_id = _NODE_ID.match
_good_types: set[str] = set()
_good_versions: set[str] = set()
_MAX_KNOWN = 10_000
_XY = frozenset({"x", "y"})
_EMPTY: dict[str, Any] = {}

# Ids and endpoints tested all at once, joined by newlines (``_ids``, ``_endpoints``):
# their characters, and what must not follow a newline (each id starts with a letter).
_ID_CHARS = re.compile(r"[a-z0-9_\n]*\Z")
_ID_BREAK = re.compile(r"\n(?![a-z])")
_TWO_DOTS = re.compile(r"\.[a-z0-9_]*\.")
_get = dict.get
_DICT = {dict}
_STR = {str}
_OPTIONAL_STR = {str, type(None)}
_NUMBERS = {int, float}
_TWO = {2}
_not_none = partial(is_not, None)
_get_xy = itemgetter("x", "y")
_get_ends = itemgetter("from", "to")


def _ids(texts: list[str]) -> bool:
    """Whether each of ``texts`` (strings, at least one) matches ``_NODE_ID``: none holds
    a newline, and joined by newlines they hold only its characters, and a letter
    starts the text and follows each newline."""
    joined = "\n".join(texts)
    return joined.count("\n") == len(texts) - 1 and _joined_ids(joined)


def _joined_ids(joined: str) -> bool:
    return (
        _ID_CHARS.match(joined) is not None
        and "a" <= joined[:1] <= "z"
        and _ID_BREAK.search(joined) is None
    )


def _endpoints(texts: list[str]) -> bool:
    """Whether each of ``texts`` (strings, at least one) matches ``_ENDPOINT``: an id, or
    two joined by one dot. Joined by newlines: no two dots on a line, and with each dot
    made a newline, ids (``_ids``)."""
    joined = "\n".join(texts)
    return (
        joined.count("\n") == len(texts) - 1
        and _TWO_DOTS.search(joined) is None
        and _joined_ids(joined.replace(".", "\n"))
    )


def _values(items: list[dict[str, Any]], key: str) -> list[Any]:
    """``item.get(key)`` of each item (all dicts), in one pass in C."""
    return list(map(_get, items, repeat(key)))


def _all_nodes_surely_valid(nodes: list[Any]) -> bool:
    """``all(map(surely_valid_node, nodes))`` for the common case, each test run over
    every node at once (in C) rather than node by node: True only when each node would
    pass :func:`surely_valid_node`; False says only that this function is not sure (the
    caller then asks node by node)."""
    if not nodes:
        return True
    if set(map(type, nodes)) != _DICT or not all(map(_NODE_KEYS.issuperset, nodes)):
        return False
    ids = _values(nodes, "id")
    if set(map(type, ids)) != _STR or not _ids(ids):
        return False
    try:  # a flow has few types and versions: each is looked at once
        types, versions = set(_values(nodes, "type")), set(_values(nodes, "version"))
    except TypeError:  # not hashable: not a string
        return False
    if set(map(type, types)) != _STR or set(map(type, versions)) != _STR:
        return False
    for node_type in types.difference(_good_types):
        if _TYPE.match(node_type) is None or len(_good_types) > _MAX_KNOWN:
            return False
        _good_types.add(node_type)
    for version in versions.difference(_good_versions):
        if _VERSION.match(version) is None or len(_good_versions) > _MAX_KNOWN:
            return False
        _good_versions.add(version)
    texts = [*_values(nodes, "title"), *_values(nodes, "description")]
    if not set(map(type, texts)) <= _OPTIONAL_STR:
        return False
    positions = list(filter(_not_none, _values(nodes, "position")))
    if positions:
        numbers = _pair_values(positions, _get_xy)
        if numbers is None:
            return False
        kinds = set(map(type, numbers))
        if not kinds <= _NUMBERS:
            return False
        if int in kinds:  # each int in the model's range (any float is a number to it)
            ints = numbers if len(kinds) == 1 else [v for v in numbers if type(v) is int]
            if not (min(ints) >= -(2**63) and max(ints) < 2**63):
                return False
    configs = list(map(_get, nodes, repeat("config"), repeat(_EMPTY)))
    return set(map(type, configs)) == _DICT and set(map(type, chain.from_iterable(configs))) <= _STR


def _all_connections_surely_valid(connections: list[Any]) -> bool:
    """``all(map(_surely_valid_connection, connections))`` for the common case, in C
    over all of them (as ``_all_nodes_surely_valid``); False: not sure."""
    if not connections:
        return True
    ends = _pair_values(connections, _get_ends)
    return ends is not None and set(map(type, ends)) == _STR and _endpoints(ends)


def _pair_values(items: list[Any], get: Callable[[Any], tuple[Any, Any]]) -> list[Any] | None:
    """The two values ``get`` reads of each item, in order, when every item is a dict of
    exactly two keys and those are the two (``x`` and ``y``, ``from`` and ``to``); else
    None."""
    if set(map(type, items)) != _DICT or set(map(len, items)) != _TWO:
        return None
    try:
        return list(chain.from_iterable(map(get, items)))
    except KeyError:
        return None


def _surely_valid_connection(connection: Any) -> bool:
    return (
        type(connection) is dict
        and connection.keys() == {"from", "to"}
        and _text(connection["from"], _ENDPOINT)
        and _text(connection["to"], _ENDPOINT)
    )


def _surely_valid_test(test: Any) -> bool:
    return (
        type(test) is dict
        and test.keys() <= _TEST_KEYS
        and type(test.get("name")) is str
        and _text(test.get("trigger"), _NODE_ID)
        and ("fixtures" not in test or _str_dict(test["fixtures"]))
    )


def surely_valid_flow(value: Any) -> bool:
    """True when ``value`` is certainly valid as ``model.Flow`` (strict), nodes included;
    False says only that this function is not sure."""
    if type(value) is not dict or not value.keys() <= _FLOW_KEYS:
        return False
    if not (
        value.get("nodeforge") == "1"
        and type(value.get("nodeforge")) is str
        and _text(value.get("id"), _NODE_ID)
        and _optional_str(value.get("$schema"))
        and _optional_str(value.get("name"))
        and _optional_str(value.get("description"))
    ):
        return False
    for key, all_valid, item_valid in (
        ("nodes", _all_nodes_surely_valid, surely_valid_node),
        ("connections", _all_connections_surely_valid, _surely_valid_connection),
        ("tests", None, _surely_valid_test),
    ):
        items = value.get(key, [])
        if type(items) is not list:
            return False
        if (all_valid is None or not all_valid(items)) and not all(map(item_valid, items)):
            return False
    return True


def nodes_valid(nodes: list[Any]) -> bool:
    """Whether every one of ``nodes`` is valid as ``model.Node`` (strict, as the
    ``NodeFields`` validator says); the models are asked only when this is not sure."""
    if _all_nodes_surely_valid(nodes) or all(map(surely_valid_node, nodes)):
        return True
    from pydantic import ValidationError

    try:
        _nodes_adapter().validate_python(nodes, strict=True)
    except ValidationError:
        return False
    return True


def flow_valid(value: Any) -> bool:
    """Whether ``value`` is valid as ``model.Flow`` (strict); the model is asked only when
    this is not sure."""
    if surely_valid_flow(value):
        return True
    from pydantic import ValidationError

    from nodeforge.analysis.model import Flow

    try:
        Flow.model_validate(value, strict=True)
    except ValidationError:
        return False
    return True


_adapter: list[TypeAdapter[Any]] = []


def _nodes_adapter() -> TypeAdapter[Any]:
    if not _adapter:
        from pydantic import TypeAdapter

        from nodeforge.analysis.model import NodeFields

        _adapter.append(TypeAdapter(list[NodeFields]))
    return _adapter[0]
