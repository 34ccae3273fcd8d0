"""The blocks' refinement: its last round re-solves the partition's blocks, whose
duals then cover every pair inside a block, and no round lowers the total."""

from __future__ import annotations

import numpy as np
import pytest

import matching
from matching.partition import partition
from matching.scoring import score_block, score_pairs
from matching.solver import Tuning, _Progress, _refine, _solve_blocks

from .factories import random_document

# candidate lists longer than a block: each block is solved on all its pairs
WHOLE_BLOCKS = Tuning(
    exact_limit=40, block_limit=60, block_size=60, k=100, refine_k=100, pool_factor=1
)


@pytest.mark.parametrize("seed", range(3))
def test_last_round_solves_the_partition_blocks_exactly(seed: int) -> None:
    f = matching.Pool.from_dict(random_document(240, 30 + seed)).features
    nodes = np.random.default_rng(seed).permutation(np.flatnonzero(f.active))
    blocks = partition(f, nodes, WHOLE_BLOCKS.block_size)
    assert len(blocks) > 2
    labels = np.full(f.n, -1, dtype=np.int64)
    for b, block in enumerate(blocks):
        labels[block] = b
    t = Tuning(**{**WHOLE_BLOCKS.__dict__, "refine_rounds": 1})
    # no pairs yet: every member is a single, regrouped into its partition block
    _, duals = _refine(f, nodes, [], seed, _Progress(None, 1), t, labels)
    assert duals is not None
    y2 = np.zeros(f.n, dtype=np.int64)
    y2[nodes] = duals.y2
    block = score_block(f, nodes, nodes)
    w = np.where(block.allowed, block.millis.astype(np.int64), 0)
    bound = y2[nodes][:, None] + y2[nodes][None, :]
    for members, z in zip(duals.blossoms, duals.z.tolist(), strict=True):
        inside = np.zeros(len(nodes), dtype=bool)
        inside[members] = True
        bound = bound + 2 * z * np.outer(inside, inside)
    same = labels[nodes][:, None] == labels[nodes][None, :]
    # inside a block the duals are optimal, so they cover every pair there ...
    assert (2 * w <= bound)[same].all()
    # ... and across blocks they do not: the proof pass has work to do
    assert not (2 * w <= bound)[~same].all()


@pytest.mark.parametrize("seed", range(3))
def test_refinement_never_lowers_the_total(seed: int) -> None:
    f = matching.Pool.from_dict(random_document(300, 40 + seed)).features
    nodes = np.random.default_rng(seed).permutation(np.flatnonzero(f.active))
    totals = []
    for rounds in (0, 1, 2, 3):
        t = Tuning(exact_limit=40, block_limit=60, block_size=70, k=5, refine_rounds=rounds)
        pairs, _ = _solve_blocks(f, nodes, "blossom", seed, _Progress(None, 1), t)
        a = np.array([p[0] for p in pairs], dtype=np.int64)
        b = np.array([p[1] for p in pairs], dtype=np.int64)
        scored, _ = score_pairs(f, a, b)
        assert scored.allowed.all()
        totals.append(int(scored.millis.astype(np.int64).sum()))
    assert totals == sorted(totals)
