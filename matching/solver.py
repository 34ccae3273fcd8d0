"""Maximum-total-score matching of a pool: exact, auto (candidates / blocks), greedy.

* "exact": rustworkx's blossom max_weight_matching on every allowed pair with a
  positive score, integer milli weights: a proven maximum of the total score.
* "auto": exact up to `Tuning.exact_limit` active members; up to `block_limit`
  the hub-corrected top-k candidate graph; above, the pool is split into blocks
  of at most `block_size` (see partition.py), each block's candidate graph is
  solved, members unmatched in every block get one more pass together, then
  `refine_rounds` rounds regroup the pairs at random into new blocks and re-solve
  them (never lowering the total).
  `Result.solver` says which ran: "auto:exact", "auto:candidates", "auto:blocks".
* "greedy": heaviest edge first over the same graph auto would use (a reference).

Ties are broken deterministically: nodes enter the graph in an order given by a
permutation of the id-sorted members drawn from `config.seed`; the same input and
seed give the same result, another seed may pick another of several equally good
matchings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import rustworkx as rx

from matching.candidates import (
    ROW_CHUNK,
    Edges,
    all_pair_edges,
    candidate_edges,
)
from matching.explain import explain_pairs, explain_trio
from matching.partition import partition
from matching.pool import Pool
from matching.result import (
    MET_EVERYONE_RECENTLY,
    NO_COMPATIBLE_PARTNER,
    ODD_ONE_OUT,
    PAUSED,
    Pair,
    Result,
    Unmatched,
)
from matching.scoring import Features, score_block, score_pairs


@dataclass(frozen=True)
class Tuning:
    """Sizes auto works with (defaults measured, see docs/matching.md)."""

    exact_limit: int = 2000  # auto solves all pairs exactly up to this many active members
    block_limit: int = 8000  # above, the pool is split into blocks
    block_size: int = 5000  # members per block
    refine_rounds: int = 2  # regroup-and-resolve rounds after the blocks
    k: int = 20  # candidates kept per member
    refine_k: int = 20  # candidates kept per member in refinement rounds
    pool_factor: int = 50  # raw candidates scanned per kept one


DEFAULT_TUNING = Tuning()
SOLVERS = ("auto", "exact", "greedy")

Progress = Callable[[int, int], None]


class _Progress:
    def __init__(self, callback: Progress | None, total: int) -> None:
        self.callback = callback
        self.total = max(total, 1)
        self.done = 0

    def tick(self) -> None:
        self.done = min(self.done + 1, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def finish(self) -> None:
        self.done = self.total
        if self.callback is not None:
            self.callback(self.done, self.total)


def _chunks(n: int) -> int:
    return -(-n // ROW_CHUNK)


def _graph(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> rx.PyGraph:
    # Edges are unique: multigraph=True skips rustworkx's duplicate check (20x faster).
    graph = rx.PyGraph(multigraph=True)
    graph.add_nodes_from(range(n))
    graph.extend_from_weighted_edge_list(list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True)))
    return graph


def _max_weight(n: int, edges: Edges) -> list[tuple[int, int]]:
    """Blossom on each connected component separately (exact, and far faster)."""
    u, v, w = edges
    graph = _graph(n, u, v, w)
    components = [c for c in rx.connected_components(graph) if len(c) > 1]
    if len(components) <= 1:
        matching = rx.max_weight_matching(graph, max_cardinality=False, weight_fn=int)
        return [(min(a, b), max(a, b)) for a, b in matching]
    label = np.full(n, -1, dtype=np.int64)
    local = np.zeros(n, dtype=np.int64)
    members_of = []
    for k, component in enumerate(sorted(components, key=min)):
        members = np.array(sorted(component), dtype=np.int64)
        label[members] = k
        local[members] = np.arange(len(members))
        members_of.append(members)
    order = np.argsort(label[u], kind="stable")
    bounds = np.searchsorted(label[u][order], np.arange(len(members_of) + 1))
    out = []
    for k, members in enumerate(members_of):
        pick = order[bounds[k] : bounds[k + 1]]
        sub = _graph(len(members), local[u[pick]], local[v[pick]], w[pick])
        for a, b in rx.max_weight_matching(sub, max_cardinality=False, weight_fn=int):
            x, y = int(members[a]), int(members[b])
            out.append((min(x, y), max(x, y)))
    return out


def _greedy(n: int, edges: Edges) -> list[tuple[int, int]]:
    u, v, w = edges
    order = np.lexsort((v, u, -w))
    taken = np.zeros(n, dtype=bool)
    out = []
    for a, b in zip(u[order].tolist(), v[order].tolist(), strict=True):
        if not taken[a] and not taken[b]:
            taken[a] = taken[b] = True
            out.append((a, b))
    return out


def _match(
    f: Features, nodes: np.ndarray, method: str, graph: str, progress: _Progress, t: Tuning
) -> list[tuple[int, int]]:
    """Match `nodes` (global indices); returns global index pairs."""
    if len(nodes) < 2:
        return []
    if graph == "all":
        edges = all_pair_edges(f, nodes, progress.tick)
    else:
        edges = candidate_edges(f, nodes, t.k, t.pool_factor, tick=progress.tick)
    pairs = _greedy(len(nodes), edges) if method == "greedy" else _max_weight(len(nodes), edges)
    return [(int(nodes[a]), int(nodes[b])) for a, b in pairs]


def _pass_rest(
    f: Features,
    nodes: np.ndarray,
    pairs: list[tuple[int, int]],
    method: str,
    progress: _Progress,
    t: Tuning,
) -> list[tuple[int, int]]:
    """Match the members left over after the blocks among themselves."""
    matched = np.zeros(f.n, dtype=bool)
    for a, b in pairs:
        matched[a] = matched[b] = True
    rest = nodes[~matched[nodes]]
    graph = "all" if len(rest) <= t.exact_limit else "candidates"
    return pairs + _match(f, rest, method, graph, progress, t)


def _refine(
    f: Features,
    nodes: np.ndarray,
    pairs: list[tuple[int, int]],
    seed: int,
    progress: _Progress,
    t: Tuning,
) -> list[tuple[int, int]]:
    """Large-neighbourhood search: regroup the current pairs at random into new blocks
    and re-solve each block on its candidates plus its current pairs. A block's new
    matching is at least as heavy as the pairs it contains, so the total never drops."""
    rank = np.empty(f.n, dtype=np.int64)
    rank[nodes] = np.arange(len(nodes))
    for round_no in range(t.refine_rounds):
        rng = np.random.default_rng([seed, round_no])
        matched = np.zeros(f.n, dtype=bool)
        for a, b in pairs:
            matched[a] = matched[b] = True
        units = [np.array(p, dtype=np.int64) for p in pairs]
        units += [np.array([x], dtype=np.int64) for x in nodes[~matched[nodes]].tolist()]
        order = rng.permutation(len(units))
        blocks: list[list[np.ndarray]] = [[]]
        size = 0
        for k in order.tolist():
            if size + len(units[k]) > t.block_size:
                blocks.append([])
                size = 0
            blocks[-1].append(units[k])
            size += len(units[k])
        new_pairs: list[tuple[int, int]] = []
        for parts in blocks:
            block = np.concatenate(parts)
            block = block[np.argsort(rank[block])]
            local = np.full(f.n, -1, dtype=np.int64)
            local[block] = np.arange(len(block))
            u, v, w = candidate_edges(f, block, t.refine_k, t.pool_factor, tick=progress.tick)
            old = [p for p in parts if len(p) == 2]
            if old:
                ou = local[np.array([p[0] for p in old])]
                ov = local[np.array([p[1] for p in old])]
                ow = score_pairs(f, block[ou], block[ov])[0].millis.astype(np.int64)
                lo, hi = np.minimum(ou, ov), np.maximum(ou, ov)
                n = len(block)
                code, first = np.unique(np.concatenate([u * n + v, lo * n + hi]), return_index=True)
                w = np.concatenate([w, ow])[first]
                u, v = code // n, code % n
            for a, b in _max_weight(len(block), (u, v, w)):
                new_pairs.append((int(block[a]), int(block[b])))
        pairs = new_pairs
    return pairs


def _solve_blocks(
    f: Features, nodes: np.ndarray, method: str, seed: int, progress: _Progress, t: Tuning
) -> list[tuple[int, int]]:
    rank = np.empty(f.n, dtype=np.int64)
    rank[nodes] = np.arange(len(nodes))
    pairs: list[tuple[int, int]] = []
    for block in partition(f, nodes, t.block_size):
        ordered = block[np.argsort(rank[block])]
        pairs.extend(_match(f, ordered, method, "candidates", progress, t))
    pairs = _pass_rest(f, nodes, pairs, method, progress, t)
    if method != "greedy" and t.refine_rounds:
        pairs = _refine(f, nodes, pairs, seed, progress, t)
        pairs = _pass_rest(f, nodes, pairs, method, progress, t)
    return pairs


def _reasons(f: Features, members: np.ndarray, active: np.ndarray) -> dict[int, str]:
    """Why each active unmatched member has no partner (ignoring odd-one-out policy)."""
    reasons: dict[int, str] = {}
    for start in range(0, len(members), ROW_CHUNK):
        rows = members[start : start + ROW_CHUNK]
        has = score_block(f, rows, active).allowed.any(axis=1)
        for i in rows[has].tolist():
            reasons[i] = ODD_ONE_OUT
        # only members with no allowed partner are scored again, ignoring history
        rest = rows[~has]
        if len(rest):
            has_loose = score_block(f, rest, active, ignore_history=True).allowed.any(axis=1)
            for i, loose in zip(rest.tolist(), has_loose.tolist(), strict=True):
                reasons[i] = MET_EVERYONE_RECENTLY if loose else NO_COMPATIBLE_PARTNER
    return reasons


def _attach_trios(
    f: Features, pairs: list[tuple[int, int]], odd: list[int]
) -> tuple[list[tuple[int, ...]], list[int]]:
    """Attach each odd one out (in id order) to the pair it adds most to."""
    groups: list[tuple[int, ...]] = list(pairs)
    if not pairs:
        return groups, odd
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    free = np.ones(len(pairs), dtype=bool)
    # deterministic tie-break: the pair whose sorted member ids come first
    id_rank = np.arange(len(pairs))
    names = sorted(range(len(pairs)), key=lambda k: sorted((f.ids[a[k]], f.ids[b[k]])))
    id_rank[np.array(names)] = np.arange(len(pairs))
    left: list[int] = []
    for u in sorted(odd, key=lambda k: f.ids[k]):
        block = score_block(f, np.array([u]), np.concatenate([a, b]))
        ok = block.allowed[0]
        vals = block.millis[0].astype(np.int64)
        both = ok[: len(pairs)] & ok[len(pairs) :] & free
        if not both.any():
            left.append(u)
            continue
        gain = np.where(both, vals[: len(pairs)] + vals[len(pairs) :], np.iinfo(np.int64).min)
        best = np.flatnonzero(gain == gain.max())
        k = int(best[np.argmin(id_rank[best])])
        free[k] = False
        groups[k] = (int(a[k]), int(b[k]), u)
    return groups, left


def solve(
    pool: Pool,
    solver: str = "auto",
    progress: Progress | None = None,
    *,
    tuning: Tuning = DEFAULT_TUNING,
) -> Result:
    """Match the pool to maximise the total pair score; see the module docstring."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r} (auto, exact, greedy)")
    f = pool.features
    active = np.flatnonzero(f.active)
    rng = np.random.default_rng(pool.config.seed)
    nodes = active[rng.permutation(len(active))]
    n = len(nodes)

    t = tuning
    if solver == "exact" or (solver == "auto" and n <= t.exact_limit):
        label = "exact" if solver == "exact" else "auto:exact"
        mode = "all"
    elif n <= t.block_limit:
        label, mode = "auto:candidates", "candidates"
    else:
        label, mode = "auto:blocks", "blocks"
    if solver == "greedy":
        label = "greedy"
        if n <= t.exact_limit:
            mode = "all"
    method = "greedy" if solver == "greedy" else "blossom"

    if mode == "blocks":
        # one tick per scored row chunk: every pass scores each block's rows once
        passes = 1 + (t.refine_rounds if method != "greedy" else 0)
        per_pass = _chunks(n) + -(-n // t.block_size)
        tracker = _Progress(progress, passes * per_pass + 2)
        pairs = _solve_blocks(f, nodes, method, pool.config.seed, tracker, t)
    else:
        tracker = _Progress(progress, _chunks(n) + 1)
        pairs = _match(f, nodes, method, mode, tracker, t)

    matched = np.zeros(f.n, dtype=bool)
    for a, b in pairs:
        matched[a] = matched[b] = True
    left = active[~matched[active]]
    reasons = _reasons(f, left, active)
    groups: list[tuple[int, ...]] = list(pairs)
    if pool.config.odd == "trio":
        odd = [i for i in left.tolist() if reasons[i] == ODD_ONE_OUT]
        groups, _ = _attach_trios(f, pairs, odd)
        for group in groups:
            for i in group[2:]:
                reasons.pop(i, None)

    twos = [g for g in groups if len(g) == 2]
    out: list[Pair] = explain_pairs(
        f,
        pool.document,
        np.array([g[0] for g in twos], dtype=np.int64),
        np.array([g[1] for g in twos], dtype=np.int64),
    )
    out += [explain_trio(f, pool.document, list(g)) for g in groups if len(g) == 3]
    out.sort(key=lambda p: (-(p.millis or 0), p.members))
    total = sum(p.millis or 0 for p in out)
    unmatched = [Unmatched(f.ids[i], PAUSED) for i in np.flatnonzero(~f.active).tolist()]
    unmatched += [Unmatched(f.ids[i], reason) for i, reason in reasons.items()]
    unmatched.sort(key=lambda u: u.id)
    tracker.finish()
    return Result(pairs=out, unmatched=unmatched, total_millis=total, solver=label)
