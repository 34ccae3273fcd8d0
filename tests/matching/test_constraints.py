"""Hard constraints, unmatched reasons and the odd-one-out policy."""

from __future__ import annotations

import matching
from tests.matching.factories import document, person

SYNC_ONLY = {"sync": "great", "async": "no"}
ASYNC_ONLY = {"sync": "no", "async": "great"}


def pool_of(*people, **kwargs) -> matching.Pool:
    return matching.Pool.from_dict(document(*people, **kwargs))


def paired(result: matching.Result) -> set[frozenset[str]]:
    return {frozenset(p.members) for p in result.pairs}


def reasons(result: matching.Result) -> dict[str, str]:
    return {u.id: u.reason for u in result.unmatched}


def test_self_pair_is_forbidden() -> None:
    assert pool_of(person("a"), person("b")).score("a", "a") is None


def test_blocked_members_are_never_paired() -> None:
    pool = pool_of(person("a", blocks=["b"], wants=["b"]), person("b", wants=["a"]))
    assert pool.score("a", "b") is None
    assert pool.score("b", "a") is None
    assert pool.explain("a", "b").forbidden == "blocked"
    result = matching.solve(pool)
    assert result.pairs == []
    assert reasons(result) == {"a": "no compatible partner", "b": "no compatible partner"}


def test_pairs_that_met_within_the_cooldown_are_forbidden() -> None:
    history = [{"members": ["a", "b"], "rounds_ago": 5}]
    assert pool_of(person("a"), person("b"), history=history).score("a", "b") is None
    assert pool_of(person("a"), person("b"), history=history, config={"cooldown": 5}).score(
        "a", "b"
    )


def test_no_shared_format_is_forbidden() -> None:
    pool = pool_of(person("a", format=SYNC_ONLY), person("b", format=ASYNC_ONLY))
    assert pool.score("a", "b") is None
    assert pool.explain("a", "b").forbidden == "no shared format"


def test_sync_only_pairs_need_an_hour_of_overlap() -> None:
    monday = [{"day": "mon", "start": "18:00", "end": "19:00"}]
    half_hour = [{"day": "mon", "start": "18:30", "end": "19:00"}]
    tuesday = [{"day": "tue", "start": "18:00", "end": "20:00"}]
    pool = pool_of(
        person("a", format=SYNC_ONLY, availability=monday),
        person("b", format=SYNC_ONLY, availability=half_hour),
        person("c", format=SYNC_ONLY, availability=tuesday),
        person("d", format=SYNC_ONLY, availability=monday),
        person("flexible", format=SYNC_ONLY),
    )
    assert pool.score("a", "b") is None
    assert pool.score("a", "c") is None
    assert pool.score("a", "d") is not None
    assert pool.score("c", "flexible") is not None


def test_without_overlap_a_pair_falls_back_to_async() -> None:
    pool = pool_of(
        person("a", availability=[{"day": "mon", "start": "08:00", "end": "10:00"}]),
        person("b", availability=[{"day": "fri", "start": "08:00", "end": "10:00"}]),
    )
    assert pool.explain("a", "b").format == "async"


def test_paused_members_are_left_out_with_reason_paused() -> None:
    pool = pool_of(person("a"), person("b", paused=True), person("c"))
    assert pool.score("a", "b") is None
    result = matching.solve(pool)
    assert paired(result) == {frozenset({"a", "c"})}
    assert reasons(result) == {"b": "paused"}


def test_paused_members_do_not_count_for_topic_rarity() -> None:
    people = [person("a", topics=["ethics"]), person("b", topics=["ethics"]), person("c")]
    pool = pool_of(*people)
    with_paused = pool_of(*people, person("d", topics=["ethics"], paused=True))
    assert pool.score("a", "b") == with_paused.score("a", "b")


def test_unmatched_reasons() -> None:
    pool = pool_of(
        person("a", format=ASYNC_ONLY),
        person("b", format=ASYNC_ONLY),
        person("c", format=ASYNC_ONLY),
        person(
            "loner",
            format=SYNC_ONLY,
            availability=[{"day": "sun", "start": "03:00", "end": "04:00"}],
        ),
        person("recent", format=ASYNC_ONLY),
        person("zzz", paused=True),
        history=[
            {"members": ["recent", "a"], "rounds_ago": 0},
            {"members": ["recent", "b"], "rounds_ago": 1},
            {"members": ["recent", "c"], "rounds_ago": 2},
        ],
    )
    result = matching.solve(pool)
    assert reasons(result) == {
        "loner": "no compatible partner",
        "recent": "everyone compatible met them recently",
        "zzz": "paused",
        **{m: "odd one out" for m in "abc" if not any(m in p.members for p in result.pairs)},
    }
    assert sorted(r.reason for r in result.unmatched).count("odd one out") == 1


def test_trio_takes_the_odd_one_out() -> None:
    pool = pool_of(
        person("a", topics=["ethics"]),
        person("b", topics=["ethics"]),
        person("c", topics=["ethics"], wants=["d"]),
        person("d", wants=["c"]),
        person("e", topics=["ethics"]),
        config={"odd": "trio"},
    )
    result = matching.solve(pool)
    sizes = sorted(len(p.members) for p in result.pairs)
    assert sizes == [2, 3]
    assert result.unmatched == []
    trio = next(p for p in result.pairs if len(p.members) == 3)
    inner = [
        pool.score_millis(x, y) for x, y in [trio.members[:2], trio.members[::2], trio.members[1:]]
    ]
    assert trio.millis == sum(inner)
    assert result.total_millis == sum(p.millis for p in result.pairs)


def test_trio_needs_both_new_pairs_allowed() -> None:
    pool = pool_of(
        person("a", wants=["b"]),
        person("b", wants=["a"]),
        person("c", blocks=["a"]),
        config={"odd": "trio"},
    )
    result = matching.solve(pool)
    assert paired(result) == {frozenset({"a", "b"})}
    assert reasons(result) == {"c": "odd one out"}


def test_wait_policy_leaves_the_odd_one_out() -> None:
    result = matching.solve(pool_of(person("a"), person("b"), person("c")))
    assert len(result.pairs) == 1
    assert [u.reason for u in result.unmatched] == ["odd one out"]


def test_mutual_wants_are_paired_when_allowed() -> None:
    pool = pool_of(
        person("a", topics=["ethics"], wants=["d"]),
        person("b", topics=["ethics"]),
        person("c", topics=["ethics"]),
        person("d", wants=["a"]),
    )
    assert frozenset({"a", "d"}) in paired(matching.solve(pool))
