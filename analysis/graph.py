"""The flow as a directed graph of nodes: order, reachability, cycles, dominance.

Hand-written rather than networkx: these walks run on every keystroke over up to
5,000 nodes, and plain dicts of lists keep them in the low milliseconds.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    source_port: str
    target: str
    target_port: str
    index: int  # index of the connection in the document


_new_object = object.__new__
# The slots' own setters: a frozen dataclass' ``__init__`` sets each field through
# ``object.__setattr__``, twice as slow, and an edge is made per connection.
_EDGE_SETTERS = tuple(
    Edge.__dict__[name].__set__ for name in ("source", "source_port", "target", "target_port")
)
_set_index = Edge.__dict__["index"].__set__


def new_edge(source: str, source_port: str, target: str, target_port: str, index: int) -> Edge:
    """``Edge(source, source_port, target, target_port, index)``, faster."""
    edge = _new_object(Edge)
    set_source, set_source_port, set_target, set_target_port = _EDGE_SETTERS
    set_source(edge, source)
    set_source_port(edge, source_port)
    set_target(edge, target)
    set_target_port(edge, target_port)
    _set_index(edge, index)
    return edge


_Derived = tuple["weakref.ref[FlowGraph]", tuple[str, ...], frozenset[str], bool]


class FlowGraph:
    def __init__(
        self,
        node_ids: Iterable[str],
        edges: Iterable[Edge],
        triggers: Iterable[str],
        joins: Iterable[str] = (),
    ) -> None:
        self.nodes: list[str] = list(dict.fromkeys(node_ids))
        successors: dict[str, list[Edge]] = {n: [] for n in self.nodes}
        predecessors: dict[str, list[Edge]] = {n: [] for n in self.nodes}
        for edge in edges:
            out, into = successors.get(edge.source), predecessors.get(edge.target)
            if out is not None and into is not None:
                out.append(edge)
                into.append(edge)
        # Kept as tuples, per node of every open document: a tuple of one edge takes 48
        # bytes, a list grown by appending 88, and every node without edges shares ().
        # An edge that is the only one out of its source and into its target (a chain)
        # is one tuple, shared by both.
        out_of: dict[str, tuple[Edge, ...]] = {n: tuple(e) for n, e in successors.items()}
        in_to: dict[str, tuple[Edge, ...]] = {}
        for n, edges_in in predecessors.items():
            if len(edges_in) == 1 and len(alone := out_of[edges_in[0].source]) == 1:
                in_to[n] = alone
            else:
                in_to[n] = tuple(edges_in)
        self.successors: dict[str, tuple[Edge, ...]] = out_of
        self.predecessors: dict[str, tuple[Edge, ...]] = in_to
        self.triggers: list[str] = [t for t in triggers if t in self.successors]
        # Nodes that wait for all their inputs (e.g. flow/merge) instead of any one.
        self.joins: frozenset[str] = frozenset(joins)
        self._reachable: set[str] | None = None
        self._cycles: list[list[str]] | None = None
        self._order: list[str] | None = None
        self._acyclic = False  # set by Kahn's order: every node placed
        self._roots = 0  # set by Kahn's order: how many nodes it starts from (no input)
        # Set by ``with_nodes`` and ``with_edges``: the graph this one was derived from
        # (weakly: graphs would chain), the nodes touched (added, of another manifest, or
        # with other edges in), those removed, and whether the nodes touched and removed
        # had no edge (so no other node's reachability changed).
        self.derived: _Derived | None = None

    @classmethod
    def with_nodes(
        cls,
        base: FlowGraph,
        edges: list[Edge],
        node_ids: list[str],
        triggers: list[str],
        joins: Iterable[str],
        added: list[str],
        removed: set[str],
        touched: Iterable[str] = (),
    ) -> FlowGraph:
        """``FlowGraph(node_ids, edges, triggers, joins)``, where ``base`` was built from
        ``edges`` too, ``node_ids`` are ``base``'s nodes less ``removed`` plus ``added``,
        and no edge touches an added, removed or ``touched`` node (a node dropped on the
        canvas or deleted; ``touched``: those and the nodes of another manifest). The
        edge lists are shared; when the nodes kept are in the same order and the added
        ones come last, Kahn's order and reachability are ``base``'s with those nodes
        placed, not walked again (else the graph is built afresh). ``base`` is kept
        weakly (``derived``): graphs would chain."""
        kept = base.nodes
        if removed:
            kept = [n for n in kept if n not in removed]
        if len(node_ids) != len(kept) + len(added) or node_ids[: len(kept)] != kept:
            return cls(node_ids, edges, triggers, joins)
        successors, predecessors = dict(base.successors), dict(base.predecessors)
        for nid in removed:
            del successors[nid], predecessors[nid]
        for nid in added:
            successors[nid] = ()
            predecessors[nid] = ()
        derived = (weakref.ref(base), tuple(touched), frozenset(removed), True)
        graph = cls._derived(node_ids, successors, predecessors, triggers, joins, derived)
        if base._order is not None and base._acyclic:
            # The nodes without input come first, in document order (Kahn's queue); the
            # added ones have none and come last in the document: after those of base.
            order = [n for n in base._order if n not in removed] if removed else base._order[:]
            roots = base._roots - len(removed)
            order[roots:roots] = added
            graph._order, graph._acyclic, graph._roots = order, True, roots + len(added)
        if base._reachable is not None:
            triggers_now = set(graph.triggers)
            new_triggers = triggers_now.intersection(added)
            if {t for t in base.triggers if t not in removed} | new_triggers == triggers_now:
                graph._reachable = base._reachable - removed if removed else set(base._reachable)
                graph._reachable |= new_triggers
        return graph

    @classmethod
    def _derived(
        cls,
        node_ids: list[str],
        successors: dict[str, tuple[Edge, ...]],
        predecessors: dict[str, tuple[Edge, ...]],
        triggers: list[str],
        joins: Iterable[str],
        derived: _Derived,
    ) -> FlowGraph:
        """A graph of these edge lists, its order, reachability and cycles not found yet
        (:meth:`with_nodes` and :meth:`with_edges` take over what they can)."""
        graph = cls.__new__(cls)
        graph.nodes = node_ids
        graph.successors, graph.predecessors = successors, predecessors
        graph.triggers = [t for t in triggers if t in successors]
        graph.joins = frozenset(joins)
        graph._reachable, graph._cycles, graph._order = None, None, None
        graph._acyclic = False
        graph._roots = 0
        graph.derived = derived
        return graph

    @classmethod
    def with_edges(
        cls,
        base: FlowGraph,
        node_ids: list[str],
        edges: list[Edge],
        triggers: list[str],
        joins: Iterable[str],
        gone: list[Edge],
        new: list[Edge],
    ) -> FlowGraph:
        """``FlowGraph(node_ids, edges, triggers, joins)`` where ``edges`` are ``base``'s
        less ``gone`` plus ``new``, all of whose connections come after every other's
        (connections appended, or the last ones removed): only the edge lists of the
        nodes those touch are made again. Kahn's order is found afresh; reachability is
        updated for the edges (when neither graph has merge nodes) or found afresh."""
        if node_ids != base.nodes:
            return cls(node_ids, edges, triggers, joins)
        successors, predecessors = dict(base.successors), dict(base.predecessors)
        dropped = {id(e) for e in gone}
        for nid in {e.source for e in gone} | {e.source for e in new}:
            kept = [e for e in successors[nid] if id(e) not in dropped]
            successors[nid] = (*kept, *(e for e in new if e.source == nid))
        for nid in {e.target for e in gone} | {e.target for e in new}:
            kept = [e for e in predecessors[nid] if id(e) not in dropped]
            predecessors[nid] = (*kept, *(e for e in new if e.target == nid))
        retargeted = tuple({e.target for e in gone} | {e.target for e in new})
        derived = (weakref.ref(base), retargeted, frozenset[str](), False)
        graph = cls._derived(base.nodes, successors, predecessors, triggers, joins, derived)
        if base._reachable is not None and not graph.joins and not base.joins:
            graph._reachable = _reach_with(base, graph, gone, new)
        return graph

    def reachable(self) -> set[str]:
        """Nodes that some trigger leads to."""
        if self._reachable is None:
            # Kept as a copy: a set grown one node at a time can have twice the table
            # it needs (0.26 MB more at 5,000 nodes).
            self._reachable = set(self.reachable_from(self.triggers))
        return self._reachable

    def reachable_from(self, starts: Iterable[str], blocked: str | None = None) -> set[str]:
        """The nodes a run from ``starts`` can reach, ``starts`` included, never passing
        through ``blocked``. A join (``flow/merge``) is reached only once every distinct
        source feeding it is: it waits for all its inputs."""
        seen: set[str] = set()
        arrived: dict[str, int] = {}
        queue = deque(s for s in starts if s != blocked)
        seen.update(queue)
        while queue:
            node = queue.popleft()
            for edge in self.successors[node]:
                nxt = edge.target
                if nxt in seen or nxt == blocked:
                    continue
                if nxt in self.joins:
                    arrived[nxt] = arrived.get(nxt, 0) + 1
                    needed = len({e.source for e in self.predecessors[nxt]})
                    if arrived[nxt] < needed:
                        continue
                seen.add(nxt)
                queue.append(nxt)
        return seen

    def branches_meet(self, edges: Iterable[Edge]) -> bool:
        """Whether two of the branches starting at ``edges`` (a fan-out of one port) reach
        the same join (``flow/merge``). The generated app runs such branches at the same
        time (``nf.Parallel``), and the simulator follows it: every branch runs to its
        end, then the first failing branch's error fails the fan-out."""
        seen_by: list[set[str]] = []
        for e in edges:
            seen: set[str] = set()
            todo = [e.target]
            while todo:
                n = todo.pop()
                if n in seen:
                    continue
                seen.add(n)
                todo.extend(x.target for x in self.successors.get(n, []))
            seen_by.append({n for n in seen if n in self.joins})
        return any(
            seen_by[i] & seen_by[j] for i in range(len(seen_by)) for j in range(i + 1, len(seen_by))
        )

    def surely_runs_before(self, first: str, then: str) -> bool:
        """Whether ``first`` has run on every path from a trigger to ``then``."""
        if first == then or first not in self.successors or then not in self.successors:
            return False
        if then not in self.reachable():
            return True  # unreachable nodes are reported on their own; do not pile on
        return then not in self.reachable_from(self.triggers, blocked=first)

    def topological_order(self) -> list[str]:
        """Kahn's order; nodes on cycles follow in document order."""
        if self._order is None:
            self._order = self._kahn()
        return self._order

    def _kahn(self) -> list[str]:
        successors = self.successors
        indegree = {n: len(edges) for n, edges in self.predecessors.items()}
        queue = deque(n for n, count in indegree.items() if count == 0)
        self._roots = len(queue)
        order: list[str] = []
        place, take, ready = order.append, queue.popleft, queue.append
        while queue:
            node = take()
            place(node)
            for edge in successors[node]:
                target = edge.target
                count = indegree[target] - 1
                indegree[target] = count
                if count == 0:
                    ready(target)
        self._acyclic = len(order) == len(self.nodes)
        if not self._acyclic:
            placed = set(order)
            order.extend(n for n in self.nodes if n not in placed)
        return order

    def cycles(self) -> list[list[str]]:
        """Strongly connected components with a cycle (Tarjan's, iteratively); none
        when Kahn's order, which the types check needs anyway, placed every node."""
        if self._cycles is None:
            self.topological_order()
            self._cycles = [] if self._acyclic else self._find_cycles()
        return self._cycles

    def _find_cycles(self) -> list[list[str]]:
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        result: list[list[str]] = []
        counter = 0
        for root in self.nodes:
            if root in index:
                continue
            work: list[tuple[str, int]] = [(root, 0)]
            while work:
                node, i = work.pop()
                if i == 0:
                    index[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(node)
                succ = self.successors[node]
                if i < len(succ):
                    work.append((node, i + 1))
                    nxt = succ[i].target
                    if nxt not in index:
                        work.append((nxt, 0))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    self_loop = any(e.target == node for e in self.successors[node])
                    if len(component) > 1 or self_loop:
                        result.append(sorted(component, key=self.nodes.index))
        return result


def _reach_with(
    base: FlowGraph, graph: FlowGraph, gone: list[Edge], new: list[Edge]
) -> set[str] | None:
    """The nodes reachable in ``graph``, which is ``base`` (whose reachable nodes are
    known) less the edges ``gone`` plus the edges ``new``, neither graph with a join;
    None when that takes a walk of its own. An edge removed into a node that leads
    nowhere leaves that node reached by its other inputs only; an edge added from a
    reached node reaches what its target leads to."""
    assert base._reachable is not None
    reach = set(base._reachable)
    targets = {e.target for e in gone}
    if any(base.successors[t] for t in targets):
        return None  # a node leading on lost an input: what it led to may be lost too
    for target in targets:
        inputs = graph.predecessors[target]
        if target not in graph.triggers and not any(e.source in reach for e in inputs):
            reach.discard(target)
    todo = [e.target for e in new if e.source in reach and e.target not in reach]
    while todo:
        node = todo.pop()
        if node not in reach:
            reach.add(node)
            todo.extend(e.target for e in graph.successors[node] if e.target not in reach)
    return reach
