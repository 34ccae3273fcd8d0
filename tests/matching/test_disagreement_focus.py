"""The disagreement term's shared-topic part (`weights.disagreement_focus`): per topic
both members picked, +1 per co-answered claim they disagree on (gap >= 2) and -1 per one
they agree on. Exact integers, symmetry, one score on every path, and explanations
that open with what both care about."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matching
from tests.matching.factories import document, person, random_document

QUARTERS = {"seek": 4, "neutral": 2, "avoid": -1}


def pool_of(*people, **weights) -> matching.Pool:
    return matching.Pool.from_dict(document(*people, config={"weights": weights}))


def _round(value: float) -> int:
    return int(np.floor(value + 0.5)) if value >= 0 else -int(np.floor(-value + 0.5))


def focus_term_millis(a: dict, b: dict, focus: float) -> int:
    """The focus part of the disagreement term from the two participants alone (no
    engine code): min appetite quarters * round(250 * focus) * shared topics *
    (claims with a gap >= 2 - claims with a gap <= 1)."""
    contest = sum(
        1 if abs(stance - b["stances"][claim]) >= 2 else -1
        for claim, stance in a["stances"].items()
        if claim in b["stances"]
    )
    shared = len(set(a["topics"]) & set(b["topics"]))
    quarters = min(QUARTERS[a["disagreement"]], QUARTERS[b["disagreement"]])
    return quarters * _round(250 * focus) * shared * contest


def test_disagreeing_on_shared_topics_earns_focus_per_topic_and_claim() -> None:
    both = dict(topics=["ai-timelines", "ethics"])
    pool = pool_of(
        person("a", stances={"c1": 2, "c2": 1, "c3": 0}, **both),
        person("b", stances={"c1": -2, "c2": -1, "c3": 1}, **both),
        person("c", stances={"c1": -2, "c2": -1, "c3": 1}, topics=["mentorship"]),
        disagreement=0,
        disagreement_focus=1.5,
    )
    # a, b: two topics in common; c1 (gap 4) and c2 (gap 2) contested, c3 (gap 1)
    # agreed: 1.5 * 2 * (2 - 1)
    assert pool.explain("a", "b").score_terms["disagreement"] == 3
    # a, c share no topic: the same disagreements earn nothing here
    assert pool.explain("a", "c").score_terms["disagreement"] == 0


def test_agreeing_on_shared_topics_costs_seekers_and_pleases_avoiders() -> None:
    seekers = pool_of(
        person("a", topics=["ethics"], stances={"c1": 2}),
        person("b", topics=["ethics"], stances={"c1": 1}),
        disagreement=0,
        disagreement_focus=1,
    )
    assert seekers.explain("a", "b").score_terms["disagreement"] == -1
    avoider = pool_of(
        person("a", topics=["ethics"], stances={"c1": 2}, disagreement="avoid"),
        person("b", topics=["ethics"], stances={"c1": 1}),
        disagreement=0,
        disagreement_focus=1,
    )
    assert avoider.explain("a", "b").score_terms["disagreement"] == 0.25


def test_without_focus_the_term_is_the_gap_squared_one() -> None:
    pool = pool_of(
        person("a", topics=["ai-timelines"], stances={"c1": 2}),
        person("b", topics=["ai-timelines"], stances={"c1": -2}),
        disagreement=1,
        disagreement_focus=0,
    )
    assert pool.explain("a", "b").score_terms["disagreement"] == 8


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
weights = st.fixed_dictionaries(
    {
        "disagreement": st.sampled_from([1.0, 0.37, 2.5, -1.0, 3e4]),
        "disagreement_focus": st.sampled_from([0.0, 0.8, 1.3, -0.5, 7.5, 4e3]),
    }
)


@SETTINGS
@given(seed=st.integers(0, 2**31), n=st.integers(2, 16), w=weights)
def test_focus_term_is_exact_integers_matching_a_reference(seed: int, n: int, w: dict) -> None:
    doc = random_document(n, seed, n_topics=6, n_claims=6)
    with_focus = matching.Pool.from_dict(dict(doc, config=dict(doc["config"], weights=w)))
    without = matching.Pool.from_dict(
        dict(doc, config=dict(doc["config"], weights=dict(w, disagreement_focus=0.0)))
    )
    people = {p["id"]: p for p in doc["participants"]}
    for a, b in itertools.combinations(with_focus.ids, 2):
        got, base = with_focus.score_millis(a, b), without.score_millis(a, b)
        assert (got is None) == (base is None)
        if got is None:
            continue
        assert isinstance(got, int)
        assert got - base == focus_term_millis(people[a], people[b], w["disagreement_focus"])


@SETTINGS
@given(seed=st.integers(0, 2**31), n=st.integers(2, 14), w=weights, kinds=st.sampled_from([0, 1]))
def test_one_score_symmetric_on_every_path(seed: int, n: int, w: dict, kinds: int) -> None:
    doc = random_document(n, seed, n_topics=6, n_claims=5, kinds=float(kinds), paused=0.1)
    doc["config"]["weights"] = w
    pool = matching.Pool.from_dict(doc)
    for a in pool.ids:
        millis, allowed = pool.score_row_millis(a)
        for k, b in enumerate(pool.ids):
            score = pool.score_millis(a, b)
            assert score == pool.score_millis(b, a)
            assert bool(allowed[k]) == (score is not None)
            if score is not None:
                assert int(millis[k]) == score
                assert pool.explain(a, b).millis == score
    for solver in ("exact", "auto"):
        result = matching.solve(pool, solver=solver)
        for pair in result.pairs:
            assert pair.millis == sum(
                pool.score_millis(x, y) for x, y in itertools.combinations(pair.members, 2)
            )
            if len(pair.members) == 2:
                assert pair.score == pool.score(*pair.members)


def test_large_weights_with_focus_stay_exact_in_float64() -> None:
    people = [
        person(f"m{k}", topics=["ai-timelines", "ethics"][: 1 + k % 2], stances={"c1": k % 5 - 2})
        for k in range(9)
    ]
    pool = pool_of(*people, disagreement=1e9, disagreement_focus=3e9)
    assert pool.features.block_dtype.__name__ == "float64"
    # m1 (stance -1) and m3 (stance 1) both picked both topics: gap 2, contested;
    # m1 and m5 (stance -2): gap 1, agreed
    plain = pool_of(*people, disagreement=0, disagreement_focus=0)
    term = pool.score_millis("m1", "m3") - plain.score_millis("m1", "m3")
    assert term == 4 * (125 * 10**9 * 4 + 250 * 3 * 10**9 * 2 * 1)
    term = pool.score_millis("m1", "m5") - plain.score_millis("m1", "m5")
    assert term == 4 * (125 * 10**9 * 1 - 250 * 3 * 10**9 * 2 * 1)
    result = matching.solve(pool)
    for pair in result.pairs:
        assert pair.millis == pool.score_millis(*pair.members)


def test_explanations_lead_with_disagreements_on_shared_topics() -> None:
    pool = pool_of(
        # c1 (ai-timelines, neither picked it): gap 4; c3 (ethics, both): gap 2;
        # c2 (interpretability, only a): gap 3
        person("a", topics=["ethics", "interpretability"], stances={"c1": 2, "c2": 2, "c3": 1}),
        person("b", topics=["ethics"], stances={"c1": -2, "c2": -1, "c3": -1}),
        person("c", topics=["ethics"], stances={"c1": 2, "c3": -1}),
    )
    pair = pool.explain("a", "b")
    assert [d["claim"] for d in pair.disagreements] == ["c3", "c2", "c1"]
    assert pair.disagreements[0]["stances"] == {"a": 1, "b": -1}
    trio = matching.solve(
        matching.Pool.from_dict(
            document(
                person("a", topics=["ethics", "interpretability"], stances={"c1": 2, "c3": 1}),
                person("b", topics=["ethics"], stances={"c1": -2, "c3": -1}),
                person("c", topics=["ethics"], stances={"c1": 2, "c3": -1}),
                config={"odd": "trio"},
            )
        )
    )
    [group] = trio.pairs
    assert [d["claim"] for d in group.disagreements] == ["c3", "c1"]
