"""Edge lists for the solvers: all allowed pairs, or hub-corrected top-k candidates.

All pairs are scored in row blocks with the vectorised scorer; no pair is ever
visited in a Python loop. Only allowed pairs with a positive score become edges:
a non-positive edge is never needed in a maximum-weight matching.

Candidates: for each member i keep the m = k * pool_factor best partners by raw
score, then re-rank them by score(i, j) - r_j / 2, where r_j is the mean of j's own
top-k raw scores, and keep the best k (k and pool_factor come from solver.Tuning).
Without the correction a few "hub" members appear in everyone's list and the
candidate graph loses partners for the rest. Edge weights stay the true scores.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matching.pair_kernel import Kernel
from matching.scoring import Features, score_block

ROW_CHUNK = 256
HUB_WEIGHT = 0.5
# up to this many nodes the candidate scan keeps the whole score matrix (int32:
# 256 MB at 8,000) and scores only its upper triangle
SYMMETRIC_LIMIT = 8000

Edges = tuple[np.ndarray, np.ndarray, np.ndarray]  # (u, v, weight), u < v, local indices
Tick = Callable[[], None]


def all_pair_edges(f: Features, nodes: np.ndarray, tick: Tick | None = None) -> Edges:
    """Every allowed pair with a positive score, as local indices into `nodes`."""
    n = len(nodes)
    us, vs, ws = [], [], []
    for start in range(0, n, ROW_CHUNK):
        stop = min(start + ROW_CHUNK, n)
        block = score_block(f, nodes[start:stop], nodes[start:])
        keep = block.allowed & (block.millis > 0)
        # upper triangle only: column local index > row local index
        keep &= np.arange(start, n)[None, :] > np.arange(start, stop)[:, None]
        r, c = np.nonzero(keep)
        us.append(r + start)
        vs.append(c + start)
        ws.append(block.millis[r, c].astype(np.int64))
        if tick is not None:
            tick()
    if not us:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(us), np.concatenate(vs), np.concatenate(ws)


def _symmetric_scores(f: Features, nodes: np.ndarray, tick: Tick | None) -> np.ndarray:
    """Every pair's score (-1 where forbidden or not positive) as an n x n matrix,
    scoring only the upper triangle and mirroring it: half the products of scoring
    full rows, for pools whose matrix fits in memory."""
    n = len(nodes)
    dtype = np.int32 if f.block_dtype == np.float32 else np.int64
    full = np.empty((n, n), dtype=dtype)
    for start in range(0, n, ROW_CHUNK):
        stop = min(start + ROW_CHUNK, n)
        block = score_block(f, nodes[start:stop], nodes[start:])
        vals = np.where(block.allowed & (block.millis > 0), block.millis, -1).astype(dtype)
        full[start:stop, start:] = vals
        full[start:, start:stop] = vals.T
        if tick is not None:
            tick()
    return full


def _scanned_pool(
    f: Features, nodes: np.ndarray, m: int, tick: Tick | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's m best raw scores (-1 where fewer) by row blocks of `score_block`:
    the path for pools too wide for the compiled scan."""
    n = len(nodes)
    top_idx = np.zeros((n, m), dtype=np.int64)
    top_val = np.full((n, m), -1, dtype=np.int64)
    full = _symmetric_scores(f, nodes, tick) if n <= SYMMETRIC_LIMIT else None
    for start in range(0, n, ROW_CHUNK):
        stop = min(start + ROW_CHUNK, n)
        if full is not None:
            vals = full[start:stop].astype(np.int64)
        else:
            block = score_block(f, nodes[start:stop], nodes)
            vals = np.where(block.allowed & (block.millis > 0), block.millis, -1).astype(np.int64)
            if tick is not None:
                tick()
        if m < n:
            idx = np.argpartition(-vals, m - 1, axis=1)[:, :m]
        else:
            idx = np.broadcast_to(np.arange(n), (stop - start, n))[:, :m]
        top_idx[start:stop] = idx
        top_val[start:stop] = np.take_along_axis(vals, idx, axis=1)
    return top_idx, top_val


def candidate_edges(
    f: Features,
    nodes: np.ndarray,
    k: int,
    pool_factor: int,
    tick: Tick | None = None,
) -> Edges:
    """Hub-corrected top-k partners of every node (symmetrised), local indices."""
    return candidate_pool(f, nodes, k, pool_factor, tick)[0]


def candidate_pool(
    f: Features,
    nodes: np.ndarray,
    k: int,
    pool_factor: int,
    tick: Tick | None = None,
) -> tuple[Edges, Edges, np.ndarray]:
    """The candidate edges, the raw pool they were picked from (each node's
    k * pool_factor best partners by raw score, not deduplicated, u < v), and each
    node's ceiling: no allowed pair of that node outside the pool scores more (0 when
    the pool holds all of the node's positive pairs)."""
    n = len(nodes)
    m = min(k * pool_factor, max(n - 1, 1))
    kernel = Kernel(f, nodes)
    if kernel.fast:
        # the compiled scan: every pair once, exact scores, each row's m best kept
        top_idx32, top_val, sizes = kernel.pool(m)
        top_idx = top_idx32.astype(np.int64)
        top_val[np.arange(m)[None, :] >= sizes[:, None]] = -1
        if tick is not None:
            for _ in range(-(-n // ROW_CHUNK)):
                tick()
    else:
        top_idx, top_val = _scanned_pool(f, nodes, m, tick)
    valid = top_val > 0
    # r_j: mean of j's own top-k raw scores (which k, not their order, matters)
    ordered = -np.partition(-top_val, min(k, m) - 1, axis=1)[:, :k]
    counts = (ordered > 0).sum(axis=1)
    sums = np.where(ordered > 0, ordered, 0).sum(axis=1)
    reach = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    key = np.where(valid, top_val - HUB_WEIGHT * reach[top_idx], -np.inf)
    kk = min(k, m)
    if kk < m:
        pick = np.argpartition(-key, kk - 1, axis=1)[:, :kk]
    else:
        pick = np.broadcast_to(np.arange(m), (n, m))
    rows = np.repeat(np.arange(n), pick.shape[1])
    cols = np.take_along_axis(top_idx, pick, axis=1).ravel()
    weights = np.take_along_axis(top_val, pick, axis=1).ravel()
    keep = np.take_along_axis(valid, pick, axis=1).ravel()
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    u = np.minimum(rows, cols)
    v = np.maximum(rows, cols)
    code, first = np.unique(u * n + v, return_index=True)
    pool_rows = np.repeat(np.arange(n), m)[valid.ravel()]
    pool_cols = top_idx[valid]
    pool = (
        np.minimum(pool_rows, pool_cols),
        np.maximum(pool_rows, pool_cols),
        top_val[valid],
    )
    # a full row's m-th best bounds every pair left out of it
    if m >= n - 1:
        ceiling = np.zeros(n, dtype=np.int64)
    else:
        full = valid.all(axis=1)
        ceiling = np.where(full, top_val.min(axis=1), 0)
    return (code // n, code % n, weights[first]), pool, ceiling.astype(np.int64)
