"""The compiled pair scorer gives exactly `score_pairs`' integers; its pool scan keeps
each member's best partners exactly and does not depend on the thread count."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import matching
from matching.certify import check_all_pairs, check_all_pairs_compiled
from matching.pair_kernel import (
    FORBIDDEN,
    Kernel,
    _ceilings,
    _row_words,
    _split_pairs,
    _split_rows,
)
from matching.scoring import score_block, score_pairs
from matching.solver import Tuning, _Progress, _solve_blocks

from .factories import random_document

POOLS = [
    {"seed": 1},
    {"seed": 2, "kinds": 0.5, "paused": 0.1},
    {"seed": 3, "wants": 2.0, "blocks": 3.0, "history": 8.0},
    {"seed": 4, "availability": 1.0, "priority": 0.3},
    {"seed": 5, "availability": 0.0, "kinds": 1.0, "n_topics": 128, "n_claims": 25},
]


def _pool(n: int, knobs: dict) -> matching.Pool:
    knobs = dict(knobs)
    return matching.Pool.from_dict(random_document(n, knobs.pop("seed"), **knobs))


@pytest.mark.parametrize("knobs", POOLS)
def test_compiled_scores_equal_score_pairs_on_random_pools(knobs: dict) -> None:
    f = _pool(250, knobs).features
    kernel = Kernel(f)
    a, b = (x.ravel() for x in np.meshgrid(np.arange(f.n), np.arange(f.n)))
    millis, allowed = kernel.score(a, b)
    reference, _ = score_pairs(f, a, b)
    assert np.array_equal(allowed, reference.allowed)
    assert np.array_equal(millis[allowed], reference.millis.astype(np.int64)[allowed])


def test_kernel_over_a_subset_uses_positions_in_it() -> None:
    f = _pool(200, POOLS[2]).features
    nodes = np.random.default_rng(0).permutation(f.n)[:120]
    kernel = Kernel(f, nodes)
    a, b = (x.ravel() for x in np.meshgrid(np.arange(120), np.arange(120)))
    millis, allowed = kernel.score(a, b)
    reference, _ = score_pairs(f, nodes[a], nodes[b])
    assert np.array_equal(allowed, reference.allowed)
    assert np.array_equal(millis[allowed], reference.millis.astype(np.int64)[allowed])


@pytest.mark.parametrize(
    ("knobs", "n", "m"), [(POOLS[0], 700, 30), (POOLS[1], 400, 60), (POOLS[2], 300, 400)]
)
def test_pool_scan_keeps_each_members_best_partners(knobs: dict, n: int, m: int) -> None:
    f = _pool(n, knobs).features
    nodes = np.random.default_rng(1).permutation(np.flatnonzero(f.active))
    kernel = Kernel(f, nodes)
    assert kernel.fast
    top_idx, top_val, sizes = kernel.pool(m)
    block = score_block(f, nodes, nodes)
    scores = np.where(block.allowed & (block.millis > 0), block.millis.astype(np.int64), -1)
    for r in range(len(nodes)):
        best = np.sort(scores[r][scores[r] > 0])[::-1][:m]
        kept = top_val[r, : sizes[r]]
        assert np.array_equal(np.sort(kept)[::-1], best)
        assert np.array_equal(scores[r, top_idx[r, : sizes[r]]], kept)


def test_pool_scan_does_not_depend_on_the_thread_count() -> None:
    f = _pool(600, POOLS[1]).features
    kernel = Kernel(f, np.flatnonzero(f.active))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kernel.pool(40)
        numba.set_num_threads(before)
        many = kernel.pool(40)
    finally:
        numba.set_num_threads(before)
    for x, y in zip(one, many, strict=True):
        assert np.array_equal(x, y)


@pytest.mark.parametrize("tiles", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_scan_splits_cover_every_tile_pair_once(tiles: int, workers: int) -> None:
    split = _split_pairs(tiles, workers)
    seen = [tuple(p) for w in split.tolist() for p in w if p[0] >= 0]
    assert sorted(seen) == [(a, b) for a in range(tiles) for b in range(a, tiles)]
    rows = _split_rows(tiles, workers)
    assert sorted(a for w in rows.tolist() for a in w if a >= 0) == list(range(tiles))


def _covers_every_pair(f, nodes, y2, blossoms, z) -> bool:  # type: ignore[no-untyped-def]
    """Independent check: 2 w <= y2_i + y2_j + 2 Σ z_B over every allowed pair."""
    block = score_block(f, nodes, nodes)
    w = np.where(block.allowed, block.millis.astype(np.int64), 0)
    bound = y2[:, None] + y2[None, :]
    for members, zb in zip(blossoms, z.tolist(), strict=True):
        inside = np.zeros(len(nodes), dtype=bool)
        inside[members] = True
        bound = bound + 2 * zb * np.outer(inside, inside)
    return bool((2 * w <= bound).all())


@pytest.mark.parametrize("knobs", [POOLS[0], POOLS[1]])
def test_compiled_dual_check_proves_a_bound_no_looser_than_the_block_scan(knobs: dict) -> None:
    f = _pool(900, knobs).features
    nodes = np.random.default_rng(2).permutation(np.flatnonzero(f.active))
    tuning = Tuning(block_size=250, k=10, pool_factor=5)
    _, duals = _solve_blocks(f, nodes, "blossom", 0, _Progress(None, 1), tuning)
    assert duals is not None
    reference = check_all_pairs(f, nodes, duals)
    assert len(reference.u) > 0  # blocks leave pairs short: the check has work to do
    kernel = Kernel(f, nodes)
    for cap in (len(nodes), 1):
        check = check_all_pairs_compiled(kernel, duals, cap=cap)
        y2 = duals.y2 + check.excess2
        blossoms = [*duals.blossoms, *check.cover_blossoms]
        z = np.concatenate([duals.z, check.cover_z])
        assert _covers_every_pair(f, nodes, y2, blossoms, z)
        odd = sum(int(zb) * (len(b) // 2) for zb, b in zip(z.tolist(), blossoms, strict=True))
        assert check.bound2 == int(y2.sum()) + 2 * odd
        if cap == len(nodes):
            assert check.bound2 <= reference.bound2
    # a tampered dual fails the independent check
    assert not _covers_every_pair(f, nodes, duals.y2, duals.blossoms, duals.z)


@numba.njit
def _row_ceilings_compiled(i, n, tq, tb, gp, step, clip, units, columns, out):  # type: ignore[no-untyped-def]
    _ceilings(i, i + 1, n, _row_words(i, tq, tb, gp), step, clip, units, columns, out)


def _row_ceilings(i: int, n: int, tq, step, clip, kernel: Kernel, out: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    """The scan's ceilings of row i against every j > i (its row words stay uint64)."""
    _row_ceilings_compiled(
        i,
        n,
        tq,
        kernel.topic_bits,
        kernel.gap_planes,
        step,
        clip,
        kernel.units,
        kernel.columns,
        out,
    )


@pytest.mark.parametrize("knobs", POOLS)
def test_vectorised_ceiling_bounds_every_pair_and_forbids_only_forbidden_ones(knobs: dict) -> None:
    f = _pool(220, knobs).features
    kernel = Kernel(f)
    tq, step, clip = kernel._scan()
    millis, allowed = kernel.score(*(x.ravel() for x in np.triu_indices(f.n, 1)))
    out = np.empty(f.n, dtype=np.int64)
    at = 0
    for i in range(f.n - 1):
        _row_ceilings(i, f.n, tq, step, clip, kernel, out)
        width = f.n - 1 - i
        ceiling, w, ok = out[:width], millis[at : at + width], allowed[at : at + width]
        at += width
        assert (ceiling[ok] >= w[ok]).all()
        # FORBIDDEN only where no kind or format is feasible, i.e. never on an allowed pair
        assert not (ok & (ceiling == FORBIDDEN)).any()


@pytest.mark.parametrize("knobs", POOLS)
def test_dual_scan_lists_exactly_the_pairs_brute_force_finds_short(knobs: dict) -> None:
    f = _pool(300, knobs).features
    nodes = np.random.default_rng(3).permutation(f.n)
    kernel = Kernel(f, nodes)
    block = score_block(f, nodes, nodes)
    w = np.where(block.allowed & (block.millis > 0), block.millis.astype(np.int64), 0)
    rng = np.random.default_rng(4)
    # duals around each row's typical score: some pairs short, most covered
    y2 = rng.integers(0, 2 * max(1, int(w.max())), size=len(nodes)).astype(np.int64)
    i, j, ws, s, counts, excess2 = kernel.short_pairs(y2, cap=len(nodes))
    short = (2 * w > y2[:, None] + y2[None, :]) & (w > 0)
    short = np.triu(short, 1)
    ei, ej = np.nonzero(short)
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
        zip(ei.tolist(), ej.tolist(), strict=True)
    )
    assert np.array_equal(ws, w[i, j])
    assert np.array_equal(s, y2[i] + y2[j] - 2 * w[i, j])
    assert np.array_equal(counts, short.sum(axis=1))
    expected = np.where(short, 2 * w - y2[:, None] - y2[None, :], 0).max(axis=1)
    assert np.array_equal(excess2, np.maximum(expected, 0))


@pytest.mark.parametrize(("knobs", "m"), [(POOLS[0], 5), (POOLS[1], 40), (POOLS[2], 3)])
def test_short_pool_keeps_each_members_most_short_pairs(knobs: dict, m: int) -> None:
    f = _pool(500, knobs).features
    nodes = np.random.default_rng(2).permutation(np.flatnonzero(f.active))
    kernel = Kernel(f, nodes)
    block = score_block(f, nodes, nodes)
    scores = np.where(block.allowed & (block.millis > 0), block.millis.astype(np.int64), 0)
    # duals that cover some pairs and not others
    y2 = np.random.default_rng(3).integers(0, int(scores.max()) * 2, len(nodes))
    top_idx, top_val, sizes, worst = kernel.short_pool(y2, m)
    short = np.where(scores > 0, 2 * scores - y2[:, None] - y2[None, :], 0)
    np.fill_diagonal(short, 0)
    assert np.array_equal(worst, np.maximum(short.max(axis=1), 0))
    for r in range(len(nodes)):
        best = np.sort(short[r][short[r] > 0])[::-1][:m]
        kept = top_val[r, : sizes[r]]
        assert np.array_equal(kept, best)
        assert np.array_equal(short[r, top_idx[r, : sizes[r]]], kept)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kernel.short_pool(y2, m)
    finally:
        numba.set_num_threads(before)
    for x, y in zip(one, (top_idx, top_val, sizes, worst), strict=True):
        assert np.array_equal(x, y)
