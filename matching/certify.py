"""Proving a sparse-graph matching optimal over every allowed pair, or bounding it.

A maximum-weight matching of a candidate graph comes with optimal duals
(`blossom.Matching`). They cover every candidate edge; if they also cover every
other allowed pair (2 w_ij <= y2_i + y2_j + 2 Σ_{B ∋ i,j} z_B), they are a feasible
solution of the all-pairs matching LP's dual whose objective equals the matching's
weight: the matching is optimal over all pairs. Pairs they do not cover
("violators") are added to the graph and the graph re-solved, until none is left.

Any stage also gives a proven upper bound: raising y2_i by the largest violation in
row i makes the duals feasible for every pair, and their objective bounds the
all-pairs optimum (weak duality).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from matching.blossom import Matching, max_weight_matching
from matching.candidates import ROW_CHUNK
from matching.pair_kernel import Kernel
from matching.scoring import Features, score_block, score_pairs

Tick = Callable[[], None]


def odd_set_sums(m: Matching, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ z_B over the blossoms B holding both a[k] and b[k] (vertex indices of m)."""
    out = np.zeros(len(a), dtype=np.int64)
    if len(a) == 0 or not m.blossoms:
        return out
    inside = np.zeros(len(m.mate), dtype=bool)
    for members, z in zip(m.blossoms, m.z.tolist(), strict=True):
        if z == 0:
            continue
        inside[members] = True
        out += np.where(inside[a] & inside[b], z, 0)
        inside[members] = False
    return out


@dataclass
class Check:
    """One scan of every allowed pair of `nodes` against a matching's duals."""

    u: np.ndarray  # violators (local indices, u < v) and their weights
    v: np.ndarray
    w: np.ndarray
    excess2: np.ndarray  # per node: how far its doubled dual falls short, >= 0
    bound2: int  # twice a proven upper bound on the all-pairs optimum
    # odd sets (local indices) and their z added by the cover, if any
    cover_blossoms: list[np.ndarray] = field(default_factory=list)
    cover_z: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def certified(self) -> bool:
        return len(self.u) == 0


def check_all_pairs(f: Features, nodes: np.ndarray, m: Matching, tick: Tick | None = None) -> Check:
    """Score every pair of `nodes` (global indices; m's vertices are their positions)
    in row blocks and compare each allowed, positive pair with the duals."""
    n = len(nodes)
    y2 = m.y2
    us, vs, ws, ss = [], [], [], []
    for start in range(0, n, ROW_CHUNK):
        stop = min(start + ROW_CHUNK, n)
        block = score_block(f, nodes[start:stop], nodes[start:])
        w = block.millis.astype(np.int64)
        # the odd-set terms only add slack: pairs short even without them are checked
        slack = y2[start:stop, None] + y2[None, start:] - 2 * w
        short = block.allowed & (w > 0) & (slack < 0)
        short &= np.arange(start, n)[None, :] > np.arange(start, stop)[:, None]
        r, c = np.nonzero(short)
        us.append(r + start)
        vs.append(c + start)
        ws.append(w[r, c])
        ss.append(slack[r, c])
        if tick is not None:
            tick()
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    w = np.concatenate(ws) if ws else np.zeros(0, np.int64)
    s = np.concatenate(ss) if ss else np.zeros(0, np.int64)
    s = s + 2 * odd_set_sums(m, u, v)
    bad = s < 0
    u, v, w, s = u[bad], v[bad], w[bad], s[bad]
    excess2 = np.zeros(n, dtype=np.int64)
    np.maximum.at(excess2, u, -s)
    bound2 = m.weight_bound2 + int(excess2.sum())
    return Check(u=u, v=v, w=w, excess2=excess2, bound2=bound2)


def check_all_pairs_compiled(kernel: Kernel, m: Matching, cap: int = 16) -> Check:
    """`check_all_pairs` in one compiled pass (`Kernel.short_pairs`; m's vertices are
    the kernel's members), with a cheaper raise: see `least_cover`. A row with more than
    `cap` short pairs is raised by its largest shortfall without the odd-set
    correction instead (larger, still a proof)."""
    i, j, w, s, counts, raw_excess2 = kernel.short_pairs(m.y2, cap)
    overflow = counts > cap
    s = s + 2 * odd_set_sums(m, i, j)
    bad = (s < 0) & ~overflow[i]
    i, j, w, s = i[bad], j[bad], w[bad], s[bad]
    excess2, blossoms, z = least_cover(kernel.n, i, j, -s)
    excess2[overflow] += raw_excess2[overflow]
    odd = sum(int(zb) * (len(b) // 2) for zb, b in zip(z.tolist(), blossoms, strict=True))
    bound2 = m.weight_bound2 + int(excess2.sum()) + 2 * odd
    return Check(u=i, v=j, w=w, excess2=excess2, bound2=bound2, cover_blossoms=blossoms, cover_z=z)


def least_cover(
    n: int, u: np.ndarray, v: np.ndarray, short2: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """The least raise of the duals that covers every doubled shortfall short2 on the
    pairs (u, v): the optimal duals of a maximum-weight matching of those pairs with
    weights short2 (LP duality again; an odd set may join the certificate). Charging
    each shortfall to one end, as `check_all_pairs` does, costs the sum of a star's
    shortfalls where this costs its largest. Halving the doubled duals, rounded up,
    keeps every pair covered: short2 <= e2_u + e2_v + 2 Σ z_B."""
    if len(u) == 0:
        return np.zeros(n, dtype=np.int64), [], np.zeros(0, dtype=np.int64)
    cover = max_weight_matching(n, u, v, short2)
    return (cover.y2 + 1) // 2, list(cover.blossoms), (cover.z + 1) // 2


def pool_violators(
    m: Matching, u: np.ndarray, v: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The edges (u, v, w) that m's duals do not cover: a cheap pre-check on a cached
    edge pool before the full scan."""
    slack = m.y2[u] + m.y2[v] - 2 * w
    short = np.flatnonzero(slack < 0)
    slack_short = slack[short] + 2 * odd_set_sums(m, u[short], v[short])
    keep = short[slack_short < 0]
    return u[keep], v[keep], w[keep]


PAIR_CHUNK = 1 << 21


def _violations(
    f: Features, nodes: np.ndarray, m: Matching, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact scores of the pairs (a, b) (local indices); the allowed ones the duals
    leave short, with their (negative) doubled slack."""
    block, _ = score_pairs(f, nodes[a], nodes[b])
    w = block.millis.astype(np.int64)
    slack = m.y2[a] + m.y2[b] - 2 * w
    short = np.flatnonzero(block.allowed & (w > 0) & (slack < 0))
    slack = slack[short] + 2 * odd_set_sums(m, a[short], b[short])
    bad = slack < 0
    keep = short[bad]
    return a[keep], b[keep], w[keep], slack[bad]


def check_outside_pool(
    f: Features,
    nodes: np.ndarray,
    m: Matching,
    pool: tuple[np.ndarray, np.ndarray, np.ndarray],
    ceiling: np.ndarray,
) -> Check:
    """The proof without scoring every pair.

    Pairs in the pool are checked on their cached exact weights. A pair (i, j) in
    neither node's pool scores at most min(ceiling_i, ceiling_j), so the duals cover it
    whenever y2_i + y2_j >= 2 min(ceiling_i, ceiling_j); only the pairs where that
    fails are scored exactly (few: one end needs a small dual). Together that covers
    every allowed pair.
    """
    n = len(nodes)
    y2 = m.y2
    pu, pv, pw = pool
    slack = y2[pu] + y2[pv] - 2 * pw
    short = np.flatnonzero(slack < 0)
    s_short = slack[short] + 2 * odd_set_sums(m, pu[short], pv[short])
    bad = s_short < 0
    us, vs, ws, ss = [pu[short][bad]], [pv[short][bad]], [pw[short][bad]], [s_short[bad]]

    order = np.argsort(y2, kind="stable")
    ys = y2[order]
    # j can only matter for i when y2_j < 2 ceiling_i - y2_i
    counts = np.searchsorted(ys, 2 * ceiling - y2, side="left")
    rows = np.flatnonzero(counts > 0)
    start = 0
    while start < len(rows):
        total = np.cumsum(counts[rows[start:]])
        stop = start + max(1, int(np.searchsorted(total, PAIR_CHUNK, side="right")))
        chunk = rows[start:stop]
        c = counts[chunk]
        i = np.repeat(chunk, c)
        offsets = np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c)
        j = order[offsets]
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        need = (i != j) & (y2[i] + y2[j] < 2 * np.minimum(ceiling[i], ceiling[j]))
        code = np.unique(lo[need] * n + hi[need])
        a, b, w, s = _violations(f, nodes, m, code // n, code % n)
        us.append(a)
        vs.append(b)
        ws.append(w)
        ss.append(s)
        start = stop
    u = np.concatenate(us)
    v = np.concatenate(vs)
    w = np.concatenate(ws)
    s = np.concatenate(ss)
    if len(u):
        code, first = np.unique(u * n + v, return_index=True)
        u, v, w, s = code // n, code % n, w[first], s[first]
    excess2 = np.zeros(n, dtype=np.int64)
    np.maximum.at(excess2, u, -s)
    return Check(u=u, v=v, w=w, excess2=excess2, bound2=m.weight_bound2 + int(excess2.sum()))
