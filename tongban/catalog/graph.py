"""Bundle dependency graphs: cycle check and the critical path of promised limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter


class DependencyCycle(Exception):
    def __init__(self, cycle: list[str]) -> None:
        super().__init__(" → ".join(cycle))
        self.cycle = cycle


def topological_order(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Nodes with every upstream before its downstreams; ties keep the given node order.

    Raises DependencyCycle naming the nodes of one cycle, first node repeated at the end.
    """
    ordered_nodes = list(dict.fromkeys(nodes))
    position = {node: index for index, node in enumerate(ordered_nodes)}
    predecessors: dict[str, set[str]] = {node: set() for node in ordered_nodes}
    for upstream, downstream in edges:
        predecessors.setdefault(downstream, set()).add(upstream)
        predecessors.setdefault(upstream, set())
    sorter = TopologicalSorter(predecessors)
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = list(exc.args[1])
        raise DependencyCycle(cycle) from exc
    result: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: position.get(n, len(position)))
        result.extend(ready)
        sorter.done(*ready)
    return result


@dataclass(frozen=True)
class CriticalPath:
    days: int
    path: list[str]  # the nodes on the longest path, upstream first
    finish: dict[str, int]  # earliest finish of every node (days from the start)


def critical_path(durations: Mapping[str, int], edges: Iterable[tuple[str, str]]) -> CriticalPath:
    """Longest path through the DAG where every node takes `durations[node]` days.

    A downstream item starts when all its upstream items have finished, so the bundle's
    total time is the heaviest chain, not the sum.
    """
    edge_list = [(u, d) for u, d in edges if u in durations and d in durations]
    order = topological_order(durations, edge_list)
    upstreams: dict[str, list[str]] = {node: [] for node in durations}
    for upstream, downstream in edge_list:
        upstreams[downstream].append(upstream)
    finish: dict[str, int] = {}
    via: dict[str, str | None] = {}
    for node in order:
        before = max(upstreams[node], key=lambda u: finish[u], default=None)
        start = finish[before] if before is not None else 0
        finish[node] = start + durations[node]
        via[node] = before
    if not finish:
        return CriticalPath(0, [], {})
    # The first node (in order) reaching the maximum keeps the result deterministic.
    end = max(order, key=lambda n: finish[n])
    path = [end]
    while (previous := via[path[-1]]) is not None:
        path.append(previous)
    path.reverse()
    return CriticalPath(finish[end], path, finish)
