"""`auto` above `Tuning.block_limit` ("auto:global"): the whole pool at once, bounded
by the matching LP without odd sets (`auction.py`).

1. One whole-pool scan (`Kernel.pool`) gives each member's best partners: the graph.
2. The auction solves the graph's assignment: doubled duals y2 that cover every
   graph edge, and a matching read off its cycles.
3. One more whole-pool scan (`Kernel.short_pool`) lists each member's most short
   pairs against y2 (the pairs the graph missed that the LP wants: ranked by
   shortfall, not by score, so a member whose good partners are hubs gets its own);
   they are added and the auction continues from its prices. Repeated
   `Tuning.global_rounds` times.
4. A last scan against the final duals proves the bound: a member with more short
   pairs than it kept is raised by its largest shortfall; the kept short pairs of
   the others are covered at least cost (`certify.least_cover`). The raised duals cover
   every allowed pair, so their sum bounds the optimum (weak duality).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import numpy as np

from matching.auction import assignment, double_cover, matching_of
from matching.blossom import Matching
from matching.certify import Check, least_cover
from matching.pair_kernel import Kernel

Phase = Callable[[str], AbstractContextManager[None]]
WARM_EPS = 25  # millis: the auction's first ε after edges are added to a solved graph


def _edges(idx: np.ndarray, val: np.ndarray, cnt: np.ndarray) -> Iterator[np.ndarray]:
    rows = np.repeat(np.arange(len(cnt)), cnt)
    kept = np.arange(idx.shape[1])[None, :] < cnt[:, None]
    yield rows
    yield idx[kept].astype(np.int64)
    yield val[kept].astype(np.int64)


def solve_global(
    kernel: Kernel, pool_m: int, short_m: int, rounds: int, phase: Phase
) -> tuple[np.ndarray, Matching, Check]:
    """(mate in kernel order, the LP duals as a `Matching` without odd sets, the
    check that raises them to cover every allowed pair)."""
    n = kernel.n
    with phase("candidates"):
        u, v, w = _edges(*kernel.pool(pool_m))
    with phase("matching"):
        csr = double_cover(n, u, v, w)
        price = np.zeros(n, dtype=np.int64)
        assigned, y2 = assignment(csr, price)
    for round_no in range(rounds + 1):
        with phase("proof"):
            idx, short, cnt, worst = kernel.short_pool(y2, short_m)
        a, b, s = _edges(idx, short, cnt)
        if round_no == rounds or len(a) == 0:
            break
        with phase("matching"):
            # s = 2 w − y2_a − y2_b exactly, so the weight comes back without rescoring
            u = np.concatenate([u, a])
            v = np.concatenate([v, b])
            w = np.concatenate([w, (s + y2[a] + y2[b]) // 2])
            csr = double_cover(n, u, v, w)
            assigned, y2 = assignment(csr, price, WARM_EPS)
    with phase("matching"):
        mate = matching_of(csr, assigned)
    with phase("proof"):
        overflow = cnt >= short_m
        excess2 = np.where(overflow, worst, 0)
        keep = ~overflow[a] & ~overflow[b] & (a < b)
        cover2, blossoms, z = least_cover(n, a[keep], b[keep], s[keep])
        excess2 = excess2 + cover2
        duals = Matching(mate=mate, y2=y2, blossoms=[], z=np.zeros(0, dtype=np.int64))
        odd = sum(int(zb) * (len(bl) // 2) for zb, bl in zip(z.tolist(), blossoms, strict=True))
        bound2 = int(y2.sum()) + int(excess2.sum()) + 2 * odd
        ww = (s + y2[a] + y2[b]) // 2
        check = Check(
            u=a, v=b, w=ww, excess2=excess2, bound2=bound2, cover_blossoms=blossoms, cover_z=z
        )
    return mate, duals, check
