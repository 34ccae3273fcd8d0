"""Property tests: the exact solver against networkx on small random pools."""

from __future__ import annotations

import itertools

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching
from tests.matching.factories import random_document

pools = st.builds(
    random_document,
    n=st.integers(0, 14),
    seed=st.integers(0, 2**31),
    n_topics=st.integers(1, 6),
    n_claims=st.integers(0, 4),
    blocks=st.floats(0, 2),
    history=st.floats(0, 4),
    wants=st.floats(0, 1.5),
    paused=st.floats(0, 0.3),
    priority=st.floats(0, 0.5),
    availability=st.floats(0, 1),
    cooldown=st.integers(0, 8),
    odd=st.sampled_from(["wait", "trio"]),
    kinds=st.sampled_from([0.0, 0.5, 1.0]),
)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def networkx_total(pool: matching.Pool) -> int:
    """Maximum total in millis over the graph of allowed pairs, built from pool.score."""
    graph = nx.Graph()
    for a, b in itertools.combinations(pool.ids, 2):
        millis = pool.score_millis(a, b)
        if millis is not None:
            graph.add_edge(a, b, weight=millis)
    chosen = nx.max_weight_matching(graph)
    return sum(graph[a][b]["weight"] for a, b in chosen)


@SETTINGS
@given(doc=pools)
def test_exact_total_equals_networkx_maximum(doc) -> None:
    doc["config"]["odd"] = "wait"
    pool = matching.Pool.from_dict(doc)
    result = matching.solve(pool, solver="exact")
    assert result.total_millis == networkx_total(pool)


@SETTINGS
@given(doc=pools)
def test_result_is_a_valid_matching_of_allowed_pairs(doc) -> None:
    pool = matching.Pool.from_dict(doc)
    result = matching.solve(pool)
    seen: list[str] = []
    for pair in result.pairs:
        seen.extend(pair.members)
        assert 2 <= len(pair.members) <= 3
        inner = list(itertools.combinations(pair.members, 2))
        if len(inner) > 1:
            assert doc["config"]["odd"] == "trio"
        millis = [pool.score_millis(a, b) for a, b in inner]
        assert None not in millis, "a forbidden pair was matched"
        assert pair.millis == sum(millis)
        if len(pair.members) == 2:
            assert pair.score == pool.score(*pair.members) == pool.score(*pair.members[::-1])
    assert len(seen) == len(set(seen)), "someone is in two pairs"
    ids = {u.id for u in result.unmatched}
    assert not ids & set(seen)
    assert ids | set(seen) == set(pool.ids)
    assert result.total_millis == sum(p.millis for p in result.pairs)
    assert result.total_score == round(result.total_millis / 1000, 3)


@SETTINGS
@given(doc=pools)
def test_auto_and_greedy_agree_with_exact_where_they_must(doc) -> None:
    pool = matching.Pool.from_dict(doc)
    exact = matching.solve(pool, solver="exact")
    auto = matching.solve(pool, solver="auto")
    greedy = matching.solve(pool, solver="greedy")
    assert auto.total_millis == exact.total_millis
    assert auto.to_dict()["pairs"] == exact.to_dict()["pairs"]
    assert greedy.total_millis <= exact.total_millis or doc["config"]["odd"] == "trio"


@settings(max_examples=40, deadline=None)
@given(doc=pools)
def test_solving_is_deterministic_for_a_seed(doc) -> None:
    first = matching.solve(matching.Pool.from_dict(doc)).to_dict()
    again = matching.solve(matching.Pool.from_dict(doc)).to_dict()
    assert first == again


@settings(max_examples=60, deadline=None)
@given(doc=pools)
def test_unmatched_reasons_are_true(doc) -> None:
    pool = matching.Pool.from_dict(doc)
    loose = matching.Pool.from_dict(dict(doc, history=[]))
    result = matching.solve(pool)
    paused = {p["id"] for p in doc["participants"] if p.get("paused")}
    active = [i for i in pool.ids if i not in paused]
    for u in result.unmatched:
        partners = [o for o in active if o != u.id and pool.score(u.id, o) is not None]
        loose_partners = [o for o in active if o != u.id and loose.score(u.id, o) is not None]
        expected = (
            "paused"
            if u.id in paused
            else "odd one out"
            if partners
            else "everyone compatible met them recently"
            if loose_partners
            else "no compatible partner"
        )
        assert u.reason == expected
