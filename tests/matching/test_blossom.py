"""matching.max_weight_matching: the classic hard cases, random graphs against networkx,
and its dual certificate recomputed here independently of the solver."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from matching import Matching, blossom, max_weight_matching
from tests.matching.factories import random_ends

# van Rantwijk's mwmatching test graphs, as networkx's test suite carries them:
# (edges, expected matched pairs). Vertex 0 is unused in the originals.
CLASSIC = {
    "single edge": ([(0, 1, 1)], {(0, 1)}),
    "two path": ([(1, 2, 10), (2, 3, 11)], {(2, 3)}),
    "path": ([(1, 2, 5), (2, 3, 11), (3, 4, 5)], {(2, 3)}),
    "square": ([(1, 4, 2), (2, 3, 2), (1, 2, 1), (3, 4, 4)], {(1, 2), (3, 4)}),
    "negative weights": (
        [(1, 2, 2), (1, 3, -2), (2, 3, 1), (2, 4, -1), (3, 4, -6)],
        {(1, 2)},
    ),
    "S-blossom": ([(1, 2, 8), (1, 3, 9), (2, 3, 10), (3, 4, 7)], {(1, 2), (3, 4)}),
    "S-blossom augmented": (
        [(1, 2, 8), (1, 3, 9), (2, 3, 10), (3, 4, 7), (1, 6, 5), (4, 5, 6)],
        {(1, 6), (2, 3), (4, 5)},
    ),
    "S-blossom relabelled T": (
        [(1, 2, 9), (1, 3, 8), (2, 3, 10), (1, 4, 5), (4, 5, 4), (1, 6, 3)],
        {(1, 6), (2, 3), (4, 5)},
    ),
    "S-blossom relabelled T 2": (
        [(1, 2, 9), (1, 3, 8), (2, 3, 10), (1, 4, 5), (4, 5, 3), (1, 6, 4)],
        {(1, 6), (2, 3), (4, 5)},
    ),
    "S-blossom relabelled T 3": (
        [(1, 2, 9), (1, 3, 8), (2, 3, 10), (1, 4, 5), (4, 5, 3), (3, 6, 4)],
        {(1, 2), (3, 6), (4, 5)},
    ),
    "nested S-blossom": (
        [(1, 2, 9), (1, 3, 9), (2, 3, 10), (2, 4, 8), (3, 5, 8), (4, 5, 10), (5, 6, 6)],
        {(1, 3), (2, 4), (5, 6)},
    ),
    "nested S-blossom relabel": (
        [
            (1, 2, 10), (1, 7, 10), (2, 3, 12), (3, 4, 20), (3, 5, 20),
            (4, 5, 25), (5, 6, 10), (6, 7, 10), (7, 8, 8),
        ],
        {(1, 2), (3, 4), (5, 6), (7, 8)},
    ),
    "nested S-blossom expand": (
        [
            (1, 2, 8), (1, 3, 8), (2, 3, 10), (2, 4, 12), (3, 5, 12),
            (4, 5, 14), (4, 6, 12), (5, 7, 12), (6, 7, 14), (7, 8, 12),
        ],
        {(1, 2), (3, 5), (4, 6), (7, 8)},
    ),
    "S-blossom relabel expand": (
        [
            (1, 2, 23), (1, 5, 22), (1, 6, 15), (2, 3, 25),
            (3, 4, 22), (4, 5, 25), (4, 8, 14), (5, 7, 13),
        ],
        {(1, 6), (2, 3), (4, 8), (5, 7)},
    ),
    "nested S-blossom relabel expand": (
        [
            (1, 2, 19), (1, 3, 20), (1, 8, 8), (2, 3, 25), (2, 4, 18),
            (3, 5, 18), (4, 5, 13), (4, 7, 7), (5, 6, 7),
        ],
        {(1, 8), (2, 3), (4, 7), (5, 6)},
    ),
    "nasty blossom 1": (
        [
            (1, 2, 45), (1, 5, 45), (2, 3, 50), (3, 4, 45), (4, 5, 50),
            (1, 6, 30), (3, 9, 35), (4, 8, 35), (5, 7, 26), (9, 10, 5),
        ],
        {(1, 6), (2, 3), (4, 8), (5, 7), (9, 10)},
    ),
    "nasty blossom 2": (
        [
            (1, 2, 45), (1, 5, 45), (2, 3, 50), (3, 4, 45), (4, 5, 50),
            (1, 6, 30), (3, 9, 35), (4, 8, 26), (5, 7, 40), (9, 10, 5),
        ],
        {(1, 6), (2, 3), (4, 8), (5, 7), (9, 10)},
    ),
    "nasty blossom least slack": (
        [
            (1, 2, 45), (1, 5, 45), (2, 3, 50), (3, 4, 45), (4, 5, 50),
            (1, 6, 30), (3, 9, 35), (4, 8, 28), (5, 7, 26), (9, 10, 5),
        ],
        {(1, 6), (2, 3), (4, 8), (5, 7), (9, 10)},
    ),
    "nasty blossom augmenting": (
        [
            (1, 2, 45), (1, 7, 45), (2, 3, 50), (3, 4, 45), (4, 5, 95),
            (4, 6, 94), (5, 6, 94), (6, 7, 50), (1, 8, 30), (3, 11, 35),
            (5, 9, 36), (7, 10, 26), (11, 12, 5),
        ],
        {(1, 8), (2, 3), (4, 6), (5, 9), (7, 10), (11, 12)},
    ),
    "nasty blossom expand recursively": (
        [
            (1, 2, 40), (1, 3, 40), (2, 3, 60), (2, 4, 55), (3, 5, 55), (4, 5, 50),
            (1, 8, 15), (5, 7, 30), (7, 6, 10), (8, 10, 10), (4, 9, 30),
        ],
        {(1, 2), (3, 5), (4, 9), (6, 7), (8, 10)},
    ),
}  # fmt: skip


def _arrays(edges):
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges], dtype=np.int64)
    n = int(max(u.max(), v.max())) + 1
    return n, u, v, w


def certificate_holds(n: int, u, v, w, m: Matching) -> bool:
    """Recompute the optimality certificate from the graph and the returned values only.

    Feasible duals (y >= 0, z >= 0, 2 w_ij <= y2_i + y2_j + 2 Σ_{B ∋ i,j} z_B for every
    edge) whose objective equals twice the matching's weight prove the matching is a
    maximum (weak LP duality for the matching polytope with odd-set constraints).
    """
    mate = m.mate
    if len(mate) != n or len(m.y2) != n:
        return False
    for i in range(n):
        if mate[i] != -1 and (mate[mate[i]] != i or mate[i] == i):
            return False
    if (m.y2 < 0).any() or (m.z < 0).any():
        return False
    heaviest: dict[tuple[int, int], int] = {}
    for a, b, c in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        key = (min(a, b), max(a, b))
        heaviest[key] = max(c, heaviest.get(key, c))
    inside = [set(b.tolist()) for b in m.blossoms]
    for (a, b), c in heaviest.items():
        odd = sum(int(z) for z, s in zip(m.z.tolist(), inside, strict=True) if a in s and b in s)
        if 2 * c > int(m.y2[a]) + int(m.y2[b]) + 2 * odd:
            return False
    weight = 0
    for a in range(n):
        b = int(mate[a])
        if b > a:
            if (a, b) not in heaviest:
                return False
            weight += heaviest[(a, b)]
    objective = int(m.y2.sum()) + 2 * sum(
        int(z) * (len(s) // 2) for z, s in zip(m.z.tolist(), inside, strict=True)
    )
    return objective == 2 * weight


def _pairs(m: Matching) -> set[tuple[int, int]]:
    a, b = m.pairs()
    return set(zip(a.tolist(), b.tolist(), strict=True))


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_graphs(name: str, warm: bool) -> None:
    edges, expected = CLASSIC[name]
    n, u, v, w = _arrays(edges)
    m = max_weight_matching(n, u, v, w, warm_start=warm)
    assert _pairs(m) == expected
    assert certificate_holds(n, u, v, w, m)


def _networkx_weight(n: int, u, v, w) -> int:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for a, b, c in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        if not g.has_edge(a, b) or g[a][b]["weight"] < c:
            g.add_edge(a, b, weight=c)
    return sum(g[a][b]["weight"] for a, b in nx.max_weight_matching(g))


@pytest.mark.parametrize("batch", [1, 2, 64], ids=["1 root", "2 roots", "64 roots"])
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_match_networkx(
    seed: int, warm: bool, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # trees grown per stage change the path the algorithm takes, never the optimum
    monkeypatch.setattr(blossom, "ROOTS_PER_STAGE", batch)
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(2, 30))
        m_edges = int(rng.integers(1, n * (n - 1) // 2 + 2))
        u, v = random_ends(rng, n, m_edges)
        if len(u) == 0:
            continue
        # few distinct weights make ties and blossoms common
        w = rng.integers(-2, int(rng.choice([3, 6, 50, 10**6])), len(u))
        m = max_weight_matching(n, u, v, w, warm_start=warm)
        assert certificate_holds(n, u, v, w, m)
        weight = sum(
            max(c for a, b, c in zip(u, v, w, strict=True) if {a, b} == {x, int(m.mate[x])})
            for x in range(n)
            if m.mate[x] > x
        )
        assert weight == _networkx_weight(n, u, v, w)


@pytest.mark.parametrize("batch", [1, 7, 64])
def test_larger_sparse_graph_certified(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blossom, "ROOTS_PER_STAGE", batch)
    rng = np.random.default_rng(7)
    n = 400
    u, v = random_ends(rng, n, 3000)
    w = rng.integers(1, 40, len(u))
    m = max_weight_matching(n, u, v, w)
    assert certificate_holds(n, u, v, w, m)
    a, _ = m.pairs()
    assert 2 * len(a) <= n
    assert m.weight_bound2 % 2 == 0


def test_tampered_duals_fail_the_check() -> None:
    edges, _ = CLASSIC["nasty blossom augmenting"]
    n, u, v, w = _arrays(edges)
    m = max_weight_matching(n, u, v, w, warm_start=False)
    assert certificate_holds(n, u, v, w, m)
    matched = int(np.flatnonzero(m.mate >= 0)[0])
    lowered = m.y2.copy()
    lowered[matched] -= 1  # a matched edge is tight: lowering breaks feasibility
    assert not certificate_holds(n, u, v, w, Matching(m.mate, lowered, m.blossoms, m.z))
    raised = m.y2.copy()
    raised[matched] += 2  # still feasible, but the objective no longer equals the weight
    assert not certificate_holds(n, u, v, w, Matching(m.mate, raised, m.blossoms, m.z))
    other = m.mate.copy()
    a, b = matched, int(m.mate[matched])
    other[a] = other[b] = -1  # a worse matching with the same duals
    assert not certificate_holds(n, u, v, w, Matching(other, m.y2, m.blossoms, m.z))


def test_empty_and_isolated() -> None:
    m = max_weight_matching(0, np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64))
    assert len(m.mate) == 0
    m = max_weight_matching(3, np.array([0]), np.array([1]), np.array([-5]))
    assert m.mate.tolist() == [-1, -1, -1]
    assert m.weight_bound2 == 0


@pytest.mark.parametrize(
    ("u", "v", "w", "message"),
    [
        ([0], [0], [1], "self-loop"),
        ([0], [3], [1], "out of range"),
        ([0], [1], [1.5], "integers"),
        ([0, 1], [1], [1], "same length"),
    ],
)
def test_bad_input_is_rejected(u, v, w, message) -> None:
    with pytest.raises(ValueError, match=message):
        max_weight_matching(3, np.array(u), np.array(v), np.array(w))


@pytest.mark.parametrize("seed", range(4))
def test_restart_from_a_smaller_graph(seed: int) -> None:
    """Re-solving a grown graph from the smaller graph's solution (what the certified
    loop does after adding violators) gives the same optimum and a valid certificate."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(30):
        n = int(rng.integers(4, 40))
        m_edges = int(rng.integers(n, n * (n - 1) // 2 + 2))
        u, v = random_ends(rng, n, m_edges)
        w = rng.integers(1, int(rng.choice([4, 30, 1000])), len(u))
        sub = rng.random(len(u)) < 0.6
        first = max_weight_matching(n, u[sub], v[sub], w[sub])
        again = max_weight_matching(n, u, v, w, start=first)
        assert certificate_holds(n, u, v, w, again)
        assert again.weight_bound2 == max_weight_matching(n, u, v, w).weight_bound2
