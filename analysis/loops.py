"""``flow/foreach``'s ``collect`` (1.1.0): the expression evaluated once per element after
that element's branch has run, whose values ``done`` carries as ``results``.

Three things set it apart from a node's other expressions, and every layer asks here:
its ``input`` is the element (the ``item`` port's type), not the loop's input; it reads
the nodes of the loop body, which run after the loop node itself; and so the loop's
``done`` type is known only once the body is typed (the types check types the loop node
again at that point, see ``rules/checks.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nodeforge.analysis.expressions import TypeEnv
from nodeforge.analysis.graph import FlowGraph
from nodeforge.analysis.types import ANY, Type

LOOP_TYPE = "flow/foreach"
COLLECT: tuple[str | int, ...] = ("collect",)


def is_collect_site(manifest: Any, config_path: tuple[str | int, ...]) -> bool:
    """Whether ``config_path`` of a node of ``manifest`` is a loop's ``collect``."""
    return (
        manifest is not None
        and manifest.type == LOOP_TYPE
        and tuple(config_path) == COLLECT
        and "collect" in manifest.expressions
    )


def collects(manifest: Any, config: Mapping[str, Any]) -> bool:
    """Whether a node is a loop with a ``collect`` expression."""
    return is_collect_site(manifest, COLLECT) and isinstance(config.get("collect"), str)


def collect_env(env: TypeEnv, item: Type | None) -> TypeEnv:
    """``env`` with ``input`` the loop's element (``item``: the item port's type)."""
    return TypeEnv(
        input=item if item is not None else ANY,
        nodes=env.nodes,
        visible_nodes=env.visible_nodes,
        env_names=env.env_names,
        known_nodes=env.known_nodes,
        vars=env.vars,
    )


def body(graph: FlowGraph, loop: str) -> set[str]:
    """The nodes a run from the loop's ``item`` port can reach (the loop itself aside)."""
    starts = [e.target for e in graph.successors.get(loop, []) if e.source_port == "item"]
    return graph.reachable_from(starts, blocked=loop) if starts else set()


def runs_for_every_item(graph: FlowGraph, loop: str, manifest_of: Callable[[str], Any]) -> set[str]:
    """The body nodes that run for every element (``collect`` may read them).

    A target of the ``item`` port runs (every target of one port runs); a node runs when
    a node that runs sends on a port that always sends: ``out`` of a node whose only
    other port is an unconnected ``error`` (an error then fails the execution), a nested
    loop's ``done``; not a branch of ``flow/if``/``flow/switch``, nor ports that are
    alternatives (``valid``/``invalid``, a connected ``error``). A ``flow/merge`` runs
    when all its inputs come from such ports.
    """
    inside = body(graph, loop)
    sure: set[str] = set()
    changed = True
    while changed:
        changed = False
        for nid in graph.nodes:
            if nid not in inside or nid in sure:
                continue
            edges = graph.predecessors[nid]
            fired = [
                (e.source == loop and e.source_port == "item")
                or (e.source in sure and _always_sends(graph, e.source, e.source_port, manifest_of))
                for e in edges
            ]
            ok = all(fired) if nid in graph.joins else any(fired)
            if edges and ok:
                sure.add(nid)
                changed = True
    return sure


def _always_sends(graph: FlowGraph, nid: str, port: str, manifest_of: Callable[[str], Any]) -> bool:
    manifest = manifest_of(nid)
    if manifest is None:
        return False
    if manifest.type == LOOP_TYPE:
        return port == "done"
    if manifest.kind == "control" and manifest.type != "flow/merge":
        return False
    connected = {e.source_port for e in graph.successors.get(nid, [])}
    return all(
        other == port or (other == "error" and other not in connected) for other in manifest.outputs
    )


def loop_around(graph: FlowGraph, node: str, manifest_of: Callable[[str], Any]) -> str | None:
    """A loop whose body holds ``node`` (the first in document order), or None."""
    for nid in graph.nodes:
        m = manifest_of(nid)
        if m is not None and m.type == LOOP_TYPE and node in body(graph, nid):
            return nid
    return None
