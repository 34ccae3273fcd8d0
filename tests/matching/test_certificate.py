"""auto's proven upper bound: its dual certificate is checked here against every
allowed pair, independently of the engine, and compared with networkx's optimum."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest

import matching
from tests.matching.factories import random_document


def certificate_covers_every_pair(pool: matching.Pool, cert: matching.Certificate) -> bool:
    """Recompute every allowed pair's slack from the certificate's duals (odd sets
    included): True when none is negative and no dual is."""
    if (cert.y2 < 0).any() or (cert.z < 0).any():
        return False
    u, v, w = pool.allowed_pairs()  # pool indices, exact millis
    y2 = np.zeros(len(pool), dtype=np.int64)
    covered = np.zeros(len(pool), dtype=bool)
    y2[cert.members] = cert.y2
    covered[cert.members] = True
    if not covered[u].all() or not covered[v].all():
        return False
    odd = np.zeros(len(u), dtype=np.int64)
    for members, z in zip(cert.blossoms, cert.z.tolist(), strict=True):
        inside = np.zeros(len(pool), dtype=bool)
        inside[members] = True
        odd += np.where(inside[u] & inside[v], z, 0)
    return bool((y2[u] + y2[v] + 2 * odd - 2 * w >= 0).all())


def networkx_optimum(pool: matching.Pool) -> int:
    u, v, w = pool.allowed_pairs()
    g = nx.Graph()
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    return sum(g[a][b]["weight"] for a, b in nx.max_weight_matching(g))


# Tiny candidate graphs force violators and re-solves on small pools.
SPARSE = matching.Tuning(exact_limit=10, k=2, pool_factor=2)


@pytest.mark.parametrize("tuning", [matching.DEFAULT_TUNING, SPARSE], ids=["default", "sparse"])
@pytest.mark.parametrize("seed", range(5))
def test_auto_is_certified_optimal(seed: int, tuning: matching.Tuning) -> None:
    pool = matching.Pool.from_dict(random_document(70 + 15 * seed, seed, paused=0.05))
    result = matching.solve(pool, tuning=tuning)
    optimum = networkx_optimum(pool)
    cert = result.certificate
    assert cert is not None
    assert certificate_covers_every_pair(pool, cert)
    assert result.upper_bound_millis == cert.bound2 // 2
    assert result.upper_bound_millis >= optimum
    assert result.total_millis == optimum
    assert result.gap == 0.0
    assert result.to_dict()["gap"] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_bound_holds_when_the_loop_stops_early_or_blocks_run(seed: int) -> None:
    pool = matching.Pool.from_dict(random_document(160, 20 + seed))
    optimum = networkx_optimum(pool)
    early = dataclasses.replace(SPARSE, max_solves=1, k=1, pool_factor=1)
    blocks = matching.Tuning(exact_limit=40, block_limit=60, block_size=50, k=4, large="blocks")
    for tuning in (early, blocks):
        result = matching.solve(pool, tuning=tuning)
        assert result.certificate is not None
        assert certificate_covers_every_pair(pool, result.certificate)
        assert result.upper_bound_millis >= optimum >= result.total_millis
        # gap 0 only when proven optimal, and a positive gap bounds the true loss
        assert (result.gap == 0.0) == (result.upper_bound_millis == result.total_millis)
        assert result.gap >= (optimum - result.total_millis) / result.upper_bound_millis


def test_tampered_certificate_fails() -> None:
    pool = matching.Pool.from_dict(random_document(90, 3))
    cert = matching.solve(pool).certificate
    assert cert is not None and certificate_covers_every_pair(pool, cert)
    u, v, w = pool.allowed_pairs()
    position = {int(x): k for k, x in enumerate(cert.members.tolist())}
    y2 = cert.y2.copy()
    # the pair with the least slack: lowering either end's dual uncovers it
    slack = y2[[position[x] for x in u.tolist()]] + y2[[position[x] for x in v.tolist()]] - 2 * w
    tight = int(np.argmin(slack))
    y2[position[int(u[tight])]] -= slack[tight] + 1 + 2 * int(cert.z.sum())
    tampered = dataclasses.replace(cert, y2=y2)
    assert not certificate_covers_every_pair(pool, tampered)


def test_greedy_has_no_bound() -> None:
    pool = matching.Pool.from_dict(random_document(40, 1))
    result = matching.solve(pool, solver="greedy")
    assert result.upper_bound is None and result.gap is None
    assert result.to_dict()["upper_bound"] is None
