"""auto above block_limit ("auto:global"): the auction's LP duals, raised by the last
short-pair scan, must cover every allowed pair (checked here independently of the
engine), bound networkx's optimum, and come with a valid matching."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import matching
from matching.auction import assignment, double_cover, matching_of
from tests.matching.factories import random_document, random_ends
from tests.matching.test_certificate import certificate_covers_every_pair, networkx_optimum

GLOBAL = matching.Tuning(exact_limit=10, block_limit=20, global_pool=4, global_short=3)


@pytest.mark.parametrize("rounds", [0, 1, 3])
@pytest.mark.parametrize("seed", range(4))
def test_global_bound_covers_every_pair_and_bounds_the_optimum(seed: int, rounds: int) -> None:
    pool = matching.Pool.from_dict(random_document(120 + 20 * seed, 50 + seed, paused=0.05))
    result = matching.solve(pool, tuning=dataclasses.replace(GLOBAL, global_rounds=rounds))
    assert result.solver == "auto:global"
    cert = result.certificate
    assert cert is not None
    assert certificate_covers_every_pair(pool, cert)
    assert not cert.blossoms or (cert.z >= 0).all()
    optimum = networkx_optimum(pool)
    assert result.upper_bound_millis == cert.bound2 // 2
    assert result.upper_bound_millis >= optimum >= result.total_millis
    assert (result.gap == 0.0) == (result.upper_bound_millis == result.total_millis)
    # every member in at most one pair, every pair allowed and scored as the pool does
    seen = [m for p in result.pairs for m in p.members]
    assert len(seen) == len(set(seen))
    for p in result.pairs:
        assert p.millis == pool.score_millis(*p.members)


def test_global_is_deterministic_and_a_tampered_dual_fails() -> None:
    pool = matching.Pool.from_dict(random_document(150, 7))
    first = matching.solve(pool, tuning=GLOBAL)
    again = matching.solve(pool, tuning=GLOBAL)
    assert first.to_dict() == again.to_dict()
    cert = first.certificate
    assert cert is not None and certificate_covers_every_pair(pool, cert)
    u, v, w = pool.allowed_pairs()
    position = {int(x): k for k, x in enumerate(cert.members.tolist())}
    pu = np.array([position[x] for x in u.tolist()])
    pv = np.array([position[x] for x in v.tolist()])
    slack = cert.y2[pu] + cert.y2[pv] - 2 * w
    tight = int(np.argmin(slack))
    y2 = cert.y2.copy()
    y2[pu[tight]] -= slack[tight] + 1 + 2 * int(cert.z.sum())
    assert not certificate_covers_every_pair(pool, dataclasses.replace(cert, y2=y2))


@pytest.mark.parametrize("seed", range(6))
def test_auction_duals_cover_the_graph_and_bound_its_matchings(seed: int) -> None:
    import networkx as nx

    rng = np.random.default_rng(seed)
    n = 40
    u, v = random_ends(rng, n, 150)
    w = rng.integers(1, 1000, len(u))
    csr = double_cover(n, u, v, w)
    assigned, y2 = assignment(csr, np.zeros(n, dtype=np.int64))
    assert sorted(assigned.tolist()) == list(range(n))  # a perfect assignment
    ptr, col, ww = csr
    rows = np.repeat(np.arange(n), np.diff(ptr))
    assert (y2[rows] + y2[col] >= 2 * ww).all() and (y2 >= 0).all()
    mate = matching_of(csr, assigned)
    assert all(mate[mate[i]] == i for i in np.flatnonzero(mate >= 0))
    g = nx.Graph()
    for a, b, x in zip(rows.tolist(), col.tolist(), ww.tolist(), strict=True):
        if a != b:
            g.add_edge(a, b, weight=x)
    best = sum(g[a][b]["weight"] for a, b in nx.max_weight_matching(g))
    got = sum(g[i][int(mate[i])]["weight"] for i in range(n) if mate[i] > i)
    assert int(y2.sum()) // 2 >= best >= got


def test_unknown_large_strategy_is_refused() -> None:
    pool = matching.Pool.from_dict(random_document(30, 1))
    with pytest.raises(ValueError, match=r"Tuning\.large"):
        matching.solve(pool, tuning=dataclasses.replace(GLOBAL, large="islands"))


def test_global_reports_progress_up_to_the_end() -> None:
    pool = matching.Pool.from_dict(random_document(80, 2))
    seen: list[tuple[int, int]] = []
    matching.solve(pool, tuning=GLOBAL, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1]


def test_global_solve_ignores_the_input_order() -> None:
    doc = random_document(150, 8, wants=0.3)
    people = list(doc["participants"])
    np.random.default_rng(1).shuffle(people)
    shuffled = {**doc, "participants": people}
    first = matching.solve(matching.Pool.from_dict(doc), tuning=GLOBAL)
    again = matching.solve(matching.Pool.from_dict(shuffled), tuning=GLOBAL)
    assert first.solver == "auto:global"
    assert first.to_dict() == again.to_dict()
