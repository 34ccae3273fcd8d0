"""auto on a pool above the exact limit stays within its stated tolerance of exact."""

from __future__ import annotations

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
