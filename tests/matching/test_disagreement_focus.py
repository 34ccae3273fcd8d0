"""The disagreement term weighted by the claims' topics both members picked
(`weights.disagreement_focus`): exact integers, symmetry, one score for every path,
and explanations that open with what both care about."""

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


def shared_term_millis(doc: dict, a: dict, b: dict, disagreement: float, focus: float) -> int:
    """The focus part of the disagreement term, from the document alone (no engine
    code): min appetite quarters * round(125 * disagreement * focus) * the sum of gap**2
    over co-answered claims with a topic each member picked."""
    units = _round(125 * disagreement * focus)
    total = 0
    for claim, stance in a["stances"].items():
        if claim not in b["stances"]:
            continue
        topics = set(doc["claims"][claim]["topics"])
        if topics & set(a["topics"]) and topics & set(b["topics"]):
            total += (stance - b["stances"][claim]) ** 2
    return min(QUARTERS[a["disagreement"]], QUARTERS[b["disagreement"]]) * units * total


def test_a_disagreement_both_care_about_counts_one_plus_focus_times() -> None:
    # c1 is about ai-timelines; gap 4 gives 4**2 / 2 = 8 points without focus
    both = pool_of(
        person("a", topics=["ai-timelines"], stances={"c1": 2}),
        person("b", topics=["ai-timelines"], stances={"c1": -2}),
        disagreement_focus=2,
    )
    one = pool_of(
        person("a", topics=["ai-timelines"], stances={"c1": 2}),
        person("b", topics=["ethics"], stances={"c1": -2}),
        disagreement_focus=2,
    )
    assert both.explain("a", "b").score_terms["disagreement"] == 8 * 3
    assert one.explain("a", "b").score_terms["disagreement"] == 8
    # no focus: today's term, whatever the topics
    plain = pool_of(
        person("a", topics=["ai-timelines"], stances={"c1": 2}),
        person("b", topics=["ai-timelines"], stances={"c1": -2}),
        disagreement_focus=0,
    )
    assert plain.explain("a", "b").score_terms["disagreement"] == 8


def test_focus_scales_the_avoiders_penalty_too() -> None:
    pool = pool_of(
        person("a", topics=["ai-timelines"], stances={"c1": 2}, disagreement="avoid"),
        person("b", topics=["ai-timelines"], stances={"c1": -2}),
        disagreement_focus=1,
    )
    # -1/4 * 16 / 2 = -2, doubled on a claim both care about
    assert pool.explain("a", "b").score_terms["disagreement"] == -4


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
weights = st.fixed_dictionaries(
    {
        "disagreement": st.sampled_from([1.0, 0.37, 2.5, -1.0, 3e4]),
        "disagreement_focus": st.sampled_from([0.0, 1.0, 1.3, 2.0, 7.5]),
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
        expected = shared_term_millis(
            doc, people[a], people[b], w["disagreement"], w["disagreement_focus"]
        )
        assert got - base == expected
        assert isinstance(got, int)


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
    pool = pool_of(*people, disagreement=1e9, disagreement_focus=3)
    assert pool.features.block_dtype.__name__ == "float64"
    # m0 (stance -2) and m4 (stance 2) both picked ai-timelines, c1's topic: gap 4
    term = pool.score_millis("m0", "m4") - pool_of(*people, disagreement=0).score_millis("m0", "m4")
    assert term == 4 * 16 * (125 * 10**9 + 125 * 3 * 10**9)
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
