"""auto on a pool above the exact limit stays within its stated tolerance of exact."""

from __future__ import annotations

import dataclasses

import matching
from tests.matching.factories import random_document

ISLANDS = 15


def island_pool(n: int, seed: int) -> matching.Pool:
    """Sync-only members in islands of disjoint availability, so exact can solve the
    islands (connected components) separately and quickly."""
    doc = random_document(n, seed, n_topics=40, wants=0.5)
    for k, member in enumerate(doc["participants"]):
        island = k % ISLANDS
        member["timezone"] = "UTC"
        member["format"] = {"sync": member["format"]["sync"] if k % 3 else "great", "async": "no"}
        if member["format"]["sync"] == "no":
            member["format"]["sync"] = "okay"
        start = 2 * (island // 7)
        member["availability"] = [
            {
                "day": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][island % 7],
                "start": f"{start:02d}:00",
                "end": f"{start + 2:02d}:00",
            }
        ]
    return matching.Pool.from_dict(doc)


def test_auto_reaches_its_tolerance_of_exact_on_a_3000_pool() -> None:
    pool = island_pool(3000, 11)
    exact = matching.solve(pool, solver="exact")
    auto = matching.solve(pool, solver="auto")
    assert auto.solver == "auto:candidates"
    assert auto.total_millis <= exact.total_millis
    assert auto.total_millis >= 0.995 * exact.total_millis


SMALL_BLOCKS = matching.Tuning(
    exact_limit=100, block_limit=200, block_size=120, k=10, large="blocks"
)


def test_blocks_give_a_valid_matching_close_to_exact() -> None:
    pool = matching.Pool.from_dict(random_document(500, 4, wants=0.5, paused=0.05))
    exact = matching.solve(pool, solver="exact")
    blocks = matching.solve(pool, tuning=SMALL_BLOCKS)
    assert blocks.solver == "auto:blocks"
    seen = [m for pair in blocks.pairs for m in pair.members]
    assert len(seen) == len(set(seen))
    for pair in blocks.pairs:
        assert pair.millis == pool.score_millis(*pair.members)
    assert {u.id for u in blocks.unmatched} | set(seen) == set(pool.ids)
    # tiny blocks (a quarter of the pool) lose more than real ones (docs/matching.md)
    assert 0.93 * exact.total_millis <= blocks.total_millis <= exact.total_millis


def test_refining_blocks_never_lowers_the_total() -> None:
    pool = matching.Pool.from_dict(random_document(500, 9))
    totals = [
        matching.solve(pool, tuning=dataclasses.replace(SMALL_BLOCKS, refine_rounds=r)).total_millis
        for r in (0, 1, 2)
    ]
    assert totals == sorted(totals)


def test_blocks_keep_mutual_wants_together() -> None:
    pool = matching.Pool.from_dict(random_document(500, 6, wants=1.0))
    blocks = matching.solve(pool, tuning=dataclasses.replace(SMALL_BLOCKS, refine_rounds=0))
    exact = matching.solve(pool, solver="exact")
    mutual = sum(p.mutual_want for p in exact.pairs)
    assert sum(p.mutual_want for p in blocks.pairs) >= 0.9 * mutual
