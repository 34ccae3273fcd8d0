"""Conversation kinds: `looking_for`, the kind both accept, roles, the interview score."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching
from tests.matching.factories import document, person, random_document

VALUES = ("dialogue", "interview_me", "interview_them")
# Every non-empty looking_for a member can give.
CHOICES = [list(combo) for size in (1, 2, 3) for combo in itertools.combinations(VALUES, size)]


def expected_kinds(a: list[str], b: list[str]) -> set[str]:
    """The contract's rule, written out independently of the engine."""
    kinds = set()
    if "dialogue" in a and "dialogue" in b:
        kinds.add("dialogue")
    if ("interview_me" in a and "interview_them" in b) or (
        "interview_them" in a and "interview_me" in b
    ):
        kinds.add("interview")
    return kinds


def duo(a: dict[str, Any], b: dict[str, Any]) -> matching.Pool:
    return matching.Pool.from_dict(document(a, b))


# Alice and bob disagree strongly on c1 (gap 4) and share a topic.
ARGUED = {"topics": ["ai-timelines"]}


def argued(pid: str, stance: int, **fields: Any) -> dict[str, Any]:
    return person(pid, stances={"c1": stance}, **ARGUED, **fields)


@pytest.mark.parametrize(("first", "second"), list(itertools.product(CHOICES, CHOICES)))
def test_compatibility_table(first: list[str], second: list[str]) -> None:
    pool = duo(argued("alice", 2, looking_for=first), argued("bob", -2, looking_for=second))
    kinds = expected_kinds(first, second)
    explained = pool.explain("alice", "bob")
    if not kinds:
        assert pool.score("alice", "bob") is None
        assert explained.forbidden == "nothing both are looking for"
        assert matching.solve(pool).pairs == []
        assert {u.reason for u in matching.solve(pool).unmatched} == {"no compatible partner"}
        return
    assert pool.score("alice", "bob") == pool.score("bob", "alice") is not None
    # seekers who disagree: a dialogue scores higher, so it is chosen when accepted
    assert explained.kind == ("dialogue" if "dialogue" in kinds else "interview")
    (pair,) = matching.solve(pool, solver="exact").pairs
    assert pair.kind == explained.kind
    assert pair.score == pool.score("alice", "bob")


def test_an_interview_score_has_no_disagreement_term() -> None:
    interview = duo(
        argued("alice", 2, looking_for=["interview_me"]),
        argued("bob", -2, looking_for=["interview_them"]),
    )
    agreeing = duo(
        argued("alice", 2, looking_for=["interview_me"]),
        argued("bob", 2, looking_for=["interview_them"]),
    )
    dialogue = duo(argued("alice", 2), argued("bob", -2))
    pair = interview.explain("alice", "bob")
    assert pair.kind == "interview"
    assert pair.score_terms["disagreement"] == 0
    assert sum(pair.score_terms.values()) == pytest.approx(pair.score)
    # disagreeing or not makes no difference to an interview ...
    assert interview.score("alice", "bob") == agreeing.score("alice", "bob")
    # ... and the same pair as a dialogue scores exactly the disagreement term more
    as_dialogue = dialogue.explain("alice", "bob")
    assert as_dialogue.score_terms["disagreement"] > 0
    assert as_dialogue.score == pytest.approx(pair.score + as_dialogue.score_terms["disagreement"])
    # the disagreements are still listed (the opening message shows them if any)
    assert [d["claim"] for d in pair.disagreements] == ["c1"]


def test_avoiders_who_accept_both_kinds_get_an_interview() -> None:
    both = ["dialogue", "interview_me", "interview_them"]
    pool = duo(
        argued("alice", 2, disagreement="avoid", looking_for=both),
        argued("bob", -2, disagreement="avoid", looking_for=both),
    )
    dialogue_only = duo(
        argued("alice", 2, disagreement="avoid"), argued("bob", -2, disagreement="avoid")
    )
    pair = pool.explain("alice", "bob")
    assert pair.kind == "interview"
    # the dialogue would carry the avoiders' penalty; the interview does not
    assert dialogue_only.explain("alice", "bob").score_terms["disagreement"] < 0
    assert pair.score > dialogue_only.score("alice", "bob")


def test_a_tie_between_kinds_is_a_dialogue() -> None:
    both = ["dialogue", "interview_me", "interview_them"]
    pool = duo(person("alice", looking_for=both), person("bob", looking_for=both))
    pair = pool.explain("alice", "bob")
    assert pair.kind == "dialogue"
    assert pair.roles is None


@pytest.mark.parametrize("order", ["alice first", "bob first"])
@pytest.mark.parametrize(
    ("alice", "bob", "interviewee"),
    [
        (["interview_me"], ["interview_them"], "alice"),
        (["interview_them"], ["interview_me"], "bob"),
        (["interview_them", "dialogue"], ["interview_me", "interview_them"], "bob"),
        (["interview_me", "interview_them"], ["interview_me"], "bob"),
        (["interview_me", "interview_them"], ["interview_them"], "alice"),
        # both would take either role: the id that sorts first is interviewed
        (["interview_me", "interview_them"], ["interview_me", "interview_them"], "alice"),
    ],
)
def test_roles_follow_who_lists_what(
    alice: list[str], bob: list[str], interviewee: str, order: str
) -> None:
    people = [
        person("alice", disagreement="avoid", looking_for=alice),
        person("bob", disagreement="avoid", looking_for=bob),
    ]
    if order == "bob first":
        people.reverse()
    pool = matching.Pool.from_dict(document(*people))
    for a, b in (("alice", "bob"), ("bob", "alice")):
        pair = pool.explain(a, b)
        assert pair.kind == "interview"
        interviewer = "bob" if interviewee == "alice" else "alice"
        assert pair.roles == {interviewee: "interviewee", interviewer: "interviewer"}
        assert pair.role_of(interviewee) == "interviewee"
    (solved,) = matching.solve(pool).pairs
    assert solved.roles == pool.explain("alice", "bob").roles
    out = solved.to_dict()
    assert out["kind"] == "interview"
    assert out["roles"] == {interviewee: "interviewee", interviewer: "interviewer"}
    assert matching.Pair.from_dict(out).roles == solved.roles


def test_a_dialogue_in_the_output_has_its_kind_and_no_roles() -> None:
    out = matching.solve(duo(person("alice"), person("bob"))).to_dict()
    (pair,) = out["pairs"]
    assert pair["kind"] == "dialogue"
    assert "roles" not in pair


def test_the_engine_pairs_the_interviewee_with_the_interviewer() -> None:
    pool = matching.Pool.from_dict(
        document(
            person("ada", looking_for=["interview_me"]),
            person("ben"),
            person("cy", looking_for=["interview_them"]),
            person("dee"),
        )
    )
    result = matching.solve(pool, solver="exact")
    pairs = {p.members: p for p in result.pairs}
    assert set(pairs) == {("ada", "cy"), ("ben", "dee")}
    assert pairs[("ada", "cy")].roles == {"ada": "interviewee", "cy": "interviewer"}
    assert pairs[("ben", "dee")].kind == "dialogue"


def test_a_trio_with_an_interview_names_every_members_role() -> None:
    pool = matching.Pool.from_dict(
        document(
            person("ada", looking_for=["interview_me"]),
            person("cy", looking_for=["interview_them", "dialogue"]),
            person("eve", looking_for=["interview_them", "dialogue"]),
            config={"odd": "trio"},
        )
    )
    (trio,) = matching.solve(pool).pairs
    assert trio.members == ("ada", "cy", "eve")
    assert trio.kind == "interview"
    assert trio.roles == {"ada": "interviewee", "cy": "interviewer", "eve": "interviewer"}


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ([], ("looking_for", "must not be empty")),
        (["debate"], ("looking_for", "'debate'")),
        (["dialogue", "chat"], ("looking_for", "'chat'")),
        ("dialogue", ("looking_for", "list")),
        ([1], ("looking_for",)),
    ],
)
def test_bad_looking_for_is_invalid_input_naming_the_field(
    value: Any, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(matching.InvalidInput) as caught:
        matching.Pool.from_dict(document(person("alice", looking_for=value), person("bob")))
    assert 'participant "alice"' in str(caught.value)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_a_near_miss_of_looking_for_is_refused() -> None:
    with pytest.raises(matching.InvalidInput, match="did you mean 'looking_for'"):
        matching.Pool.from_dict(document(person("alice", looking_fr=["dialogue"]), person("b")))


def test_looking_for_defaults_to_dialogue() -> None:
    pool = duo(person("alice"), person("bob", looking_for=["dialogue"]))
    assert pool.participants["alice"].looking_for == frozenset({"dialogue"})
    assert pool.score("alice", "bob") is not None


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(2, 12),
    kinds=st.sampled_from([0.5, 1.0]),
)
def test_score_is_the_best_accepted_kind_of_the_dialogue_score(
    seed: int, n: int, kinds: float
) -> None:
    """Against a pool where everyone wants a dialogue: a pair's score is that score when
    the kind is a dialogue, that score less its disagreement term when an interview."""
    doc = random_document(n, seed, n_topics=4, n_claims=3, kinds=kinds)
    plain = {
        **doc,
        "participants": [{**p, "looking_for": ["dialogue"]} for p in doc["participants"]],
    }
    pool, reference = matching.Pool.from_dict(doc), matching.Pool.from_dict(plain)
    looking = {p["id"]: p.get("looking_for", ["dialogue"]) for p in doc["participants"]}
    for a, b in itertools.combinations(pool.ids, 2):
        base = reference.explain(a, b)
        got = pool.score_millis(a, b)
        assert got == pool.score_millis(b, a)
        kinds_ok = expected_kinds(looking[a], looking[b])
        if base.millis is None or not kinds_ok:
            assert got is None
            continue
        disagreement = round(base.score_terms["disagreement"] * 1000)
        options = []
        if "dialogue" in kinds_ok:
            options.append(base.millis)
        if "interview" in kinds_ok:
            options.append(base.millis - disagreement)
        assert got == max(options)
        explained = pool.explain(a, b)
        assert explained.millis == got
        expected_kind = (
            "dialogue"
            if "dialogue" in kinds_ok and ("interview" not in kinds_ok or disagreement >= 0)
            else "interview"
        )
        assert explained.kind == expected_kind
        if expected_kind == "interview":
            roles = explained.roles
            assert roles is not None and sorted(roles.values()) == ["interviewee", "interviewer"]
            interviewee = next(m for m, r in roles.items() if r == "interviewee")
            interviewer = next(m for m, r in roles.items() if r == "interviewer")
            assert "interview_me" in looking[interviewee]
            assert "interview_them" in looking[interviewer]
