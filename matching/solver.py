"""Maximum-total-score matching of a pool: exact, auto (certified / global / blocks), greedy.

* "exact", and "auto" up to `Tuning.block_limit` active members: the certified
  loop (`_certified`): our blossom (matching/blossom.py, integer milli weights) on
  the hub-corrected top-k candidate graph, then every allowed pair its duals do
  not cover is added and the graph re-solved until none is left: a proven maximum
  of the total score over all allowed pairs (`Result.gap == 0`).
  `Result.solver`: "exact", "auto:exact" (up to `exact_limit`), "auto:candidates".
* "auto" above `block_limit`: the whole pool at once (global_solve.py): one
  whole-pool candidate scan, an auction on the matching LP without odd sets, its
  most short pairs added, and a last scan that raises its duals into a proven
  bound; "auto:global". Needs the pair kernel (`Kernel.fast`).
* "auto" above `block_limit` with `Tuning(large="blocks")`, or a pool too wide for
  the pair kernel: the pool is split into blocks of at most
  `block_size` (see partition.py), each block's candidate graph is solved,
  members unmatched in every block get one more pass together, then
  `refine_rounds` rounds regroup the pairs into new blocks and re-solve them
  (never lowering the total): at random, except the last round, whose duals give
  the bound, which regroups by the partition again; "auto:blocks". Its bound needs every pair
  checked against the block duals: one compiled pass (pair_kernel.py) at any size,
  or, for pools too wide for the kernel, `score_block` up to `bound_limit` members.
* "greedy": heaviest edge first over the same graph auto would use (a reference).

Ties are broken deterministically: nodes enter the graph in an order given by a
permutation of the id-sorted members drawn from `config.seed`; the same input and
seed give the same result, another seed may pick another of several equally good
matchings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from matching.blossom import Matching, max_weight_matching
from matching.candidates import (
    ROW_CHUNK,
    Edges,
    all_pair_edges,
    candidate_edges,
    candidate_pool,
)
from matching.certify import (
    Check,
    check_all_pairs,
    check_all_pairs_compiled,
    check_outside_pool,
    pool_violators,
)
from matching.explain import explain_pairs, explain_trio
from matching.global_solve import solve_global
from matching.pair_kernel import Kernel
from matching.partition import partition
from matching.pool import Pool
from matching.result import (
    MET_EVERYONE_RECENTLY,
    NO_COMPATIBLE_PARTNER,
    ODD_ONE_OUT,
    PAUSED,
    Certificate,
    Pair,
    Result,
    Unmatched,
)
from matching.scoring import Features, score_block, score_pairs


@dataclass(frozen=True)
class Tuning:
    """Sizes auto works with (defaults measured, see docs/matching.md)."""

    exact_limit: int = 2000  # auto solves all pairs exactly up to this many active members
    block_limit: int = 20000  # above, the pool is split into blocks
    block_size: int = 10000  # members per block (measured: 5,000 loses 2.6 % at 30,000)
    refine_rounds: int = 2  # regroup-and-resolve rounds after the blocks
    k: int = 20  # candidates kept per member
    refine_k: int = 20  # candidates kept per member in refinement rounds
    pool_factor: int = 50  # raw candidates scanned per kept one
    # blocks: raw candidates kept per member before the hub correction (a block needs
    # no ceiling, and 1,000 of 5,000 made the scan a heap of pushes)
    block_pool: int = 200
    max_solves: int = 50  # certified loop: re-solves before settling for the bound
    # blocks, pools too wide for the pair kernel: the all-pairs bound scores every
    # pair with score_block (N² / 2); above this, no bound
    bound_limit: int = 20000
    # above block_limit: "global" (the whole pool, bounded by the LP without odd sets;
    # needs the pair kernel, else blocks) or "blocks"
    large: str = "global"
    global_pool: int = 16  # global: best partners per member in the first graph
    global_short: int = 16  # global: most short pairs kept per member per scan
    global_rounds: int = 1  # global: short-pair scans whose pairs join the graph


DEFAULT_TUNING = Tuning()
SOLVERS = ("auto", "exact", "greedy")

Progress = Callable[[int, int], None]


class _Progress:
    """Progress ticks, and the seconds spent per phase (`solve(timings=...)`)."""

    def __init__(
        self, callback: Progress | None, total: int, timings: dict[str, float] | None = None
    ) -> None:
        self.callback = callback
        self.total = max(total, 1)
        self.done = 0
        self.timings = {} if timings is None else timings

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

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


def _blossom(n: int, edges: Edges) -> list[tuple[int, int]]:
    """Our blossom (matching.blossom), as pairs of local indices."""
    a, b = max_weight_matching(n, *edges).pairs()
    return list(zip(a.tolist(), b.tolist(), strict=True))


def _union(n: int, first: Edges, second: Edges) -> Edges:
    u = np.concatenate([first[0], second[0]])
    v = np.concatenate([first[1], second[1]])
    w = np.concatenate([first[2], second[2]])
    code, at = np.unique(u * n + v, return_index=True)
    return code // n, code % n, w[at]


def _certified(
    f: Features, nodes: np.ndarray, progress: _Progress, t: Tuning
) -> tuple[list[tuple[int, int]], Certificate | None, int]:
    """Solve the candidate graph, then add every allowed pair its duals do not cover
    and re-solve until none is left: a maximum over all pairs, with its proof.

    Violators are first looked for in the cached raw candidate pool (cheap), then
    among the pairs outside it whose score ceiling the duals do not already cover
    (`certify.check_outside_pool`, the proof). Returns (global pairs, the dual
    certificate of the all-pairs upper bound, number of solves).
    """
    n = len(nodes)
    if n < 2:
        return [], None, 0
    with progress.phase("candidates"):
        edges, pool, ceiling = candidate_pool(f, nodes, t.k, t.pool_factor, tick=progress.tick)
    with progress.phase("matching"):
        m = max_weight_matching(n, *edges)
    solves = 1
    while True:
        while True:
            with progress.phase("proof"):
                extra = pool_violators(m, *pool)
            if len(extra[0]) == 0:
                break
            edges = _union(n, edges, extra)
            # re-solve from the last solution: only the violators' ends start over
            with progress.phase("matching"):
                m = max_weight_matching(n, *edges, start=m)
            solves += 1
        with progress.phase("proof"):
            check = check_outside_pool(f, nodes, m, pool, ceiling)
        progress.tick()
        if check.certified or solves >= t.max_solves:
            break
        edges = _union(n, edges, (check.u, check.v, check.w))
        with progress.phase("matching"):
            m = max_weight_matching(n, *edges, start=m)
        solves += 1
    a, b = m.pairs()
    pairs = [(int(nodes[x]), int(nodes[y])) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    return pairs, _certificate(nodes, m, check), solves


def _certificate(nodes: np.ndarray, m: Matching, check: Check) -> Certificate:
    """The duals, raised so they cover every pair (by each node's shortfall, and the
    cover's odd sets if any), in pool indices."""
    return Certificate(
        members=nodes.copy(),
        y2=m.y2 + check.excess2,
        blossoms=[nodes[b] for b in [*m.blossoms, *check.cover_blossoms]],
        z=np.concatenate([m.z, check.cover_z]).astype(np.int64),
    )


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
    with progress.phase("candidates"):
        if graph == "all":
            edges = all_pair_edges(f, nodes, progress.tick)
        else:
            edges = candidate_edges(f, nodes, t.k, t.pool_factor, tick=progress.tick)
    with progress.phase("matching"):
        pairs = _greedy(len(nodes), edges) if method == "greedy" else _blossom(len(nodes), edges)
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
    labels: np.ndarray | None = None,
) -> tuple[list[tuple[int, int]], Matching | None]:
    """Large-neighbourhood search: regroup the current pairs at random into new blocks
    and re-solve each block on its candidates plus its current pairs. A block's new
    matching is at least as heavy as the pairs it contains, so the total never drops."""
    rank = np.empty(f.n, dtype=np.int64)
    rank[nodes] = np.arange(len(nodes))
    duals: Matching | None = None
    for round_no in range(t.refine_rounds):
        rng = np.random.default_rng([seed, round_no])
        matched = np.zeros(f.n, dtype=bool)
        for a, b in pairs:
            matched[a] = matched[b] = True
        units = [np.array(p, dtype=np.int64) for p in pairs]
        units += [np.array([x], dtype=np.int64) for x in nodes[~matched[nodes]].tolist()]
        blocks: list[list[np.ndarray]]
        if labels is not None and round_no == t.refine_rounds - 1:
            # the last round, whose duals become the bound, regroups by the partition:
            # a member's best partners are mostly in its own coherent block, so far
            # fewer pairs across blocks are short than with random blocks
            blocks = [[] for _ in range(int(labels.max()) + 1)]
            for unit in units:
                blocks[int(labels[unit[0]])].append(unit)
            blocks = [parts for parts in blocks if parts]
        else:
            order = rng.permutation(len(units))
            blocks = [[]]
            size = 0
            for k in order.tolist():
                if size + len(units[k]) > t.block_size:
                    blocks.append([])
                    size = 0
                blocks[-1].append(units[k])
                size += len(units[k])
        new_pairs: list[tuple[int, int]] = []
        y2 = np.zeros(len(nodes), dtype=np.int64)
        blossoms: list[np.ndarray] = []
        zs: list[int] = []
        for parts in blocks:
            block = np.concatenate(parts)
            block = block[np.argsort(rank[block])]
            local = np.full(f.n, -1, dtype=np.int64)
            local[block] = np.arange(len(block))
            with progress.phase("candidates"):
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
            with progress.phase("matching"):
                m = max_weight_matching(len(block), u, v, w)
            a, b = m.pairs()
            new_pairs.extend(zip(block[a].tolist(), block[b].tolist(), strict=True))
            # this block's duals, in positions of `nodes`, for the all-pairs bound
            y2[rank[block]] = m.y2
            blossoms.extend(rank[block[members]] for members in m.blossoms)
            zs.extend(m.z.tolist())
        pairs = new_pairs
        duals = Matching(
            mate=np.full(len(nodes), -1, dtype=np.int64),
            y2=y2,
            blossoms=blossoms,
            z=np.array(zs, dtype=np.int64),
        )
    return pairs, duals


def _solve_blocks(
    f: Features, nodes: np.ndarray, method: str, seed: int, progress: _Progress, t: Tuning
) -> tuple[list[tuple[int, int]], Matching | None]:
    rank = np.empty(f.n, dtype=np.int64)
    rank[nodes] = np.arange(len(nodes))
    t = replace(t, pool_factor=max(1, t.block_pool // t.k))
    pairs: list[tuple[int, int]] = []
    with progress.phase("partition"):
        blocks = partition(f, nodes, t.block_size)
    labels = np.full(f.n, -1, dtype=np.int64)
    for b, block in enumerate(blocks):
        labels[block] = b
    for block in blocks:
        ordered = block[np.argsort(rank[block])]
        pairs.extend(_match(f, ordered, method, "candidates", progress, t))
    pairs = _pass_rest(f, nodes, pairs, method, progress, t)
    duals = None
    if method != "greedy" and t.refine_rounds:
        pairs, duals = _refine(f, nodes, pairs, seed, progress, t, labels)
        pairs = _pass_rest(f, nodes, pairs, method, progress, t)
    return pairs, duals


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
    timings: dict[str, float] | None = None,
) -> Result:
    """Match the pool to maximise the total pair score; see the module docstring.

    `timings`, when given, receives the seconds spent per phase (partition,
    candidates, matching, proof, explain), for benches."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r} (auto, exact, greedy)")
    if tuning.large not in ("global", "blocks"):
        raise ValueError(f"unknown Tuning.large {tuning.large!r} (global, blocks)")
    f = pool.features
    active = np.flatnonzero(f.active)
    rng = np.random.default_rng(pool.config.seed)
    nodes = active[rng.permutation(len(active))]
    n = len(nodes)

    t = tuning
    kernel: Kernel | None = None
    if solver == "exact" or (solver == "auto" and n <= t.exact_limit):
        label = "exact" if solver == "exact" else "auto:exact"
        mode = "all"
    elif n <= t.block_limit:
        label, mode = "auto:candidates", "candidates"
    else:
        label, mode = "auto:blocks", "blocks"
        if t.large == "global" and solver != "greedy":
            kernel = Kernel(f, nodes)
            if kernel.fast:
                label, mode = "auto:global", "global"
    if solver == "greedy":
        label = "greedy"
        if n <= t.exact_limit:
            mode = "all"
    method = "greedy" if solver == "greedy" else "blossom"

    certificate: Certificate | None = None
    if mode == "global":
        # one tick as each step ends: the scans, auctions and the proof
        tracker = _Progress(progress, 2 * t.global_rounds + 5, timings)

        @contextmanager
        def step(name: str) -> Iterator[None]:
            with tracker.phase(name):
                yield
            tracker.tick()

        assert kernel is not None  # mode "global" is chosen on it
        mate, duals, check = solve_global(
            kernel, t.global_pool, t.global_short, t.global_rounds, step
        )
        a = np.flatnonzero(mate > np.arange(n))
        pairs = list(zip(nodes[a].tolist(), nodes[mate[a]].tolist(), strict=True))
        certificate = _certificate(nodes, duals, check)
    elif mode == "blocks":
        # one tick per scored row chunk: every pass scores each block's rows once
        passes = 1 + (t.refine_rounds if method != "greedy" else 0)
        per_pass = _chunks(n) + -(-n // t.block_size)
        tracker = _Progress(progress, passes * per_pass + 2 + _chunks(n), timings)
        pairs, duals = _solve_blocks(f, nodes, method, pool.config.seed, tracker, t)
        if duals is not None:
            with tracker.phase("proof"):
                # built once: a pool too wide for the kernel was told so above
                kernel = kernel or Kernel(f, nodes)
                if kernel.fast:
                    # one compiled pass over all N²/2 pairs: a bound at any size
                    check = check_all_pairs_compiled(kernel, duals)
                    certificate = _certificate(nodes, duals, check)
                elif n <= t.bound_limit:
                    check = check_all_pairs(f, nodes, duals, tick=tracker.tick)
                    certificate = _certificate(nodes, duals, check)
    elif method == "greedy":
        tracker = _Progress(progress, _chunks(n) + 1, timings)
        pairs = _match(f, nodes, method, mode, tracker, t)
    else:
        # candidate scan, one proof scan, and usually a second one
        tracker = _Progress(progress, 3 * _chunks(n) + 1, timings)
        pairs, certificate, _ = _certified(f, nodes, tracker, t)
    explain_started = time.perf_counter()
    matching_millis = int(score_pairs(f, *_pair_arrays(pairs))[0].millis.sum()) if pairs else 0

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
    tracker.timings["explain"] = time.perf_counter() - explain_started
    # the optimum is a whole number of millis: the floor of the dual objective bounds it
    upper = None if certificate is None else certificate.bound2 // 2
    if upper is None and method != "greedy" and n < 2:
        upper = 0
    return Result(
        pairs=out,
        unmatched=unmatched,
        total_millis=total,
        solver=label,
        upper_bound_millis=upper,
        matching_millis=matching_millis,
        certificate=certificate,
    )


def _pair_arrays(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([p[0] for p in pairs], dtype=np.int64),
        np.array([p[1] for p in pairs], dtype=np.int64),
    )
