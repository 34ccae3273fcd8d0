"""Each term of the pair score, on small hand-made pools."""

from __future__ import annotations

import math

import pytest

import matching
from tests.matching.factories import document, person


def pool_of(*people, **kwargs) -> matching.Pool:
    return matching.Pool.from_dict(document(*people, **kwargs))


# The gap**2 part of the disagreement term at weight 1, alone (its default is lower,
# and the shared-topic part is tested in test_disagreement_focus.py).
GAP_ONLY = {"weights": {"disagreement": 1, "disagreement_focus": 0}}


def test_base_score_of_two_strangers_is_pair_plus_format() -> None:
    pool = pool_of(person("a"), person("b"))
    # pair 10 + format okay+okay (2 * 2 points) + 3 flexible hours of sync (2 * 3)
    assert pool.score("a", "b") == 10 + 2 * 2 + 2 * 3


def test_rare_shared_topic_beats_common_one() -> None:
    everyone = [person(f"x{k}", topics=["ethics"]) for k in range(6)]
    pool = pool_of(
        person("a", topics=["ethics", "forecasting"]),
        person("b", topics=["forecasting"]),
        person("c", topics=["ethics"]),
        *everyone,
    )
    assert pool.score("a", "b") > pool.score("a", "c")


def test_topic_weight_is_rarity_scaled() -> None:
    pool = pool_of(person("a", topics=["ethics"]), person("b", topics=["ethics"]), person("c"))
    base = pool_of(person("a"), person("b"), person("c")).score("a", "b")
    expected = round(6 * (1 + math.log(3 / 2)), 3)
    assert pool.score("a", "b") - base == expected


def test_larger_gap_counts_more() -> None:
    pool = pool_of(
        person("a", stances={"c1": 2}),
        person("b", stances={"c1": 1}),
        person("c", stances={"c1": -2}),
        config=GAP_ONLY,
    )
    assert pool.score("a", "c") > pool.score("a", "b")
    base = pool_of(person("a"), person("c")).score("a", "c")
    assert pool.score("a", "c") - base == 8  # gap 4 -> 4**2 / 2


def test_only_claims_both_answered_count() -> None:
    pool = pool_of(person("a", stances={"c1": 2}), person("b", stances={"c2": -2}))
    assert pool.score("a", "b") == pool_of(person("a"), person("b")).score("a", "b")


def test_neutral_halves_disagreement_and_the_most_reluctant_sets_the_tone() -> None:
    seek = pool_of(person("a", stances={"c1": 2}), person("b", stances={"c1": -2}), config=GAP_ONLY)
    neutral = pool_of(
        person("a", stances={"c1": 2}),
        person("b", stances={"c1": -2}, disagreement="neutral"),
        config=GAP_ONLY,
    )
    base = pool_of(person("a"), person("b")).score("a", "b")
    assert seek.score("a", "b") - base == 8
    assert neutral.score("a", "b") - base == 4


def test_avoid_turns_disagreement_into_a_penalty() -> None:
    avoid = pool_of(
        person("a", stances={"c1": 2}, disagreement="avoid"),
        person("b", stances={"c1": -2}),
        config=GAP_ONLY,
    )
    base = pool_of(person("a"), person("b")).score("a", "b")
    assert avoid.score("a", "b") - base == -2


def test_mutual_want_beats_one_way_beats_none() -> None:
    pool = pool_of(
        person("a", wants=["b", "c"]),
        person("b", wants=["a"]),
        person("c"),
        person("d"),
    )
    mutual, one_way, none = pool.score("a", "b"), pool.score("a", "c"), pool.score("a", "d")
    assert mutual - none == 50
    assert one_way - none == 5


def test_great_great_beats_okay_okay() -> None:
    great = {"sync": "no", "async": "great"}
    okay = {"sync": "no", "async": "okay"}
    pool = pool_of(
        person("a", format=great),
        person("b", format=great),
        person("c", format=okay),
        person("d", format=okay),
    )
    assert pool.score("a", "b") - pool.score("c", "d") == 2 * 2


def test_availability_overlap_adds_for_sync_pairs() -> None:
    sync_only = {"sync": "great", "async": "no"}
    one_hour = [{"day": "mon", "start": "18:00", "end": "19:00"}]
    three_hours = [{"day": "mon", "start": "18:00", "end": "21:00"}]
    pool = pool_of(
        person("a", format=sync_only, availability=three_hours),
        person("b", format=sync_only, availability=one_hour),
        person("c", format=sync_only, availability=three_hours),
    )
    assert pool.score("a", "c") - pool.score("a", "b") == 2 * (3 - 1)
    assert pool.explain("a", "b").overlap_minutes == 60


def test_availability_is_compared_in_utc() -> None:
    sync_only = {"sync": "great", "async": "no"}
    pool = pool_of(
        person(
            "berlin",
            format=sync_only,
            timezone="Europe/Berlin",
            availability=[{"day": "mon", "start": "19:00", "end": "21:00"}],
        ),
        person(
            "london",
            format=sync_only,
            timezone="Europe/London",
            availability=[{"day": "mon", "start": "18:00", "end": "20:00"}],
        ),
        person(
            "tokyo",
            format=sync_only,
            timezone="Asia/Tokyo",
            availability=[{"day": "mon", "start": "19:00", "end": "21:00"}],
        ),
    )
    assert pool.explain("berlin", "london").overlap_minutes == 120
    assert pool.score("berlin", "tokyo") is None


def test_windows_round_inwards_to_half_hours() -> None:
    sync_only = {"sync": "great", "async": "no"}
    pool = pool_of(
        person(
            "kolkata",
            format=sync_only,
            timezone="Asia/Kolkata",  # UTC+05:30
            availability=[{"day": "mon", "start": "18:15", "end": "20:45"}],
        ),
        person(
            "utc",
            format=sync_only,
            availability=[{"day": "mon", "start": "00:00", "end": "24:00"}],
        ),
    )
    # 12:45-15:15 UTC rounds inwards to 13:00-15:00
    assert pool.explain("kolkata", "utc").overlap_minutes == 120


def test_sync_is_chosen_on_a_tie_and_async_when_it_fits_better() -> None:
    pool = pool_of(
        person("a", format={"sync": "okay", "async": "great"}),
        person("b", format={"sync": "great", "async": "okay"}),
        person("c", format={"sync": "okay", "async": "great"}),
    )
    assert pool.explain("a", "b").format == "sync"
    assert pool.explain("a", "c").format == "async"


def test_priority_raises_every_pair_of_the_member() -> None:
    pool = pool_of(person("a", priority=1), person("b"), person("c"))
    assert pool.score("a", "b") - pool.score("b", "c") == 15


def test_priority_raises_a_members_chance_to_be_matched() -> None:
    people = [person("a"), person("b"), person("c")]
    without = matching.solve(pool_of(*people))
    left_out = without.unmatched[0].id
    people = [person(p["id"], priority=1 if p["id"] == left_out else 0) for p in people]
    with_priority = matching.solve(pool_of(*people))
    assert left_out in {m for pair in with_priority.pairs for m in pair.members}


def test_score_is_symmetric() -> None:
    pool = pool_of(
        person("a", topics=["ethics"], stances={"c1": 2}, wants=["b"], priority=2),
        person("b", topics=["ethics"], stances={"c1": -1}, disagreement="neutral"),
    )
    assert pool.score("a", "b") == pool.score("b", "a")


def test_weights_can_be_overridden() -> None:
    pool = pool_of(
        person("a", wants=["b"]),
        person("b", wants=["a"]),
        config={"weights": {"mutual_want": 100, "pair": 0}},
    )
    assert pool.score("a", "b") == 100 + 2 * 2 + 2 * 3


def test_score_terms_add_up_to_the_score() -> None:
    pool = pool_of(
        person("a", topics=["ethics"], stances={"c1": 2}, wants=["b"], priority=1),
        person("b", topics=["ethics"], stances={"c1": -2}),
        person("c", topics=["ethics"]),
    )
    pair = pool.explain("a", "b")
    assert round(sum(pair.score_terms.values()), 3) == pair.score == pool.score("a", "b")


def test_large_weights_stay_exact() -> None:
    # bounds above 2**24 switch the scorer from float32 to float64
    people = [
        person(f"m{k}", topics=["ethics", "forecasting"][: 1 + k % 2], stances={"c1": k % 5 - 2})
        for k in range(9)
    ]
    pool = pool_of(
        *people,
        config={
            "weights": {
                "topic": 123456.789,
                "priority": 1e6,
                "disagreement": 1,
                "disagreement_focus": 0.5,
            }
        },
    )
    assert pool.features.block_dtype.__name__ == "float64"
    result = matching.solve(pool)
    for pair in result.pairs:
        assert pair.millis == pool.score_millis(*pair.members)
    # m0, m2 share only "ethics" (everyone's topic, rarity 1) and differ by 2 on c1:
    # gap 2 -> 2**2 / 2, and one contested claim on one shared topic -> 0.5
    assert pool.score("m0", "m2") == 10 + 123456.789 + 2 + 0.5 + 4 + 6


def test_weights_too_large_to_score_exactly_are_invalid_input() -> None:
    with pytest.raises(matching.InvalidInput, match=r"config\.weights"):
        pool_of(person("a"), config={"weights": {"pair": 1e16}})


@pytest.mark.parametrize(
    "weight",
    [
        "pair",
        "topic",
        "disagreement",
        "disagreement_focus",
        "mutual_want",
        "one_way_want",
        "format",
        "availability",
    ],
)
def test_weights_too_large_for_a_float_are_invalid_input(weight: str) -> None:
    # 1e308 milli-points overflow to infinity: InvalidInput, not OverflowError
    with pytest.raises(matching.InvalidInput, match=rf"config\.weights\.{weight}"):
        pool_of(
            person("a", topics=["ethics"]),
            person("b", topics=["ethics"]),
            config={"weights": {weight: 1e308}},
        )


@pytest.mark.parametrize("priority", [1e17, 1e306])
def test_priority_too_large_to_score_is_invalid_input_naming_the_participant(
    priority: float,
) -> None:
    with pytest.raises(matching.InvalidInput, match=r'participant "a": priority'):
        pool_of(person("a", priority=priority), person("b"))


def test_allowed_pairs_are_every_positive_allowed_pair_with_its_score() -> None:
    from tests.matching.factories import random_document

    pool = matching.Pool.from_dict(random_document(200, seed=4, paused=0.1))
    u, v, millis = pool.allowed_pairs()
    got = {
        (pool.ids[a], pool.ids[b]): w
        for a, b, w in zip(u.tolist(), v.tolist(), millis.tolist(), strict=True)
    }
    assert all(a < b for a, b in got)
    expected = {}
    for k, a in enumerate(pool.ids):
        for b in pool.ids[k + 1 :]:
            score = pool.score_millis(a, b)
            if score is not None and score > 0:
                expected[(a, b)] = score
    assert got == expected


def test_scores_for_is_pool_score_of_every_other_member_bit_for_bit() -> None:
    from tests.matching.factories import random_document

    pool = matching.Pool.from_dict(random_document(150, seed=7, paused=0.1))
    for member in pool.ids[:12]:
        row = pool.scores_for(member)
        expected = {
            other: score for other in pool.ids if (score := pool.score(member, other)) is not None
        }
        assert row == expected
        millis, allowed = pool.score_row_millis(member)
        for k, other in enumerate(pool.ids):
            assert bool(allowed[k]) == (pool.score_millis(member, other) is not None)
            if allowed[k]:
                assert int(millis[k]) == pool.score_millis(member, other)


def test_scores_for_leaves_out_self_blocked_and_paused() -> None:
    pool = pool_of(person("a", blocks=["b"]), person("b"), person("c", paused=True), person("d"))
    assert set(pool.scores_for("a")) == {"d"}
    assert set(pool.scores_for("b")) == {"d"}
    assert pool.scores_for("c") == {}
