"""Every kind of bad input raises InvalidInput naming the participant and the field."""

from __future__ import annotations

from typing import Any

import pytest

import matching
from tests.matching.factories import document, person


def rejects(data: Any, *fragments: str) -> None:
    with pytest.raises(matching.InvalidInput) as caught:
        matching.Pool.from_dict(data)
    for fragment in fragments:
        assert fragment in str(caught.value), (fragment, str(caught.value))


def with_alice(**fields: Any) -> dict[str, Any]:
    return document(person("alice", **fields), person("bob"))


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [
        ({"topics": ["astrology"]}, ("topics", "astrology")),
        ({"topics": "ethics"}, ("topics",)),
        ({"stances": {"c9": 1}}, ("stances.c9", "unknown claim")),
        ({"stances": {"c1": 3}}, ("stances.c1",)),
        ({"stances": {"c1": -3}}, ("stances.c1",)),
        ({"stances": {"c1": 1.0}}, ("stances.c1",)),
        ({"stances": {"c1": True}}, ("stances.c1",)),
        ({"stances": {"c1": "2"}}, ("stances.c1",)),
        ({"format": {"sync": "great"}}, ("format.async", "missing")),
        ({"format": {"sync": "great", "async": "maybe"}}, ("format.async", "maybe")),
        ({"format": {"sync": "great", "async": "no", "video": "okay"}}, ("format.video",)),
        ({"format": "sync"}, ("format",)),
        ({"disagreement": "fight"}, ("disagreement", "fight")),
        ({"timezone": "Mars/Olympus"}, ("timezone", "Mars/Olympus")),
        ({"availability": [{"day": "funday", "start": "10:00", "end": "11:00"}]}, ("day",)),
        ({"availability": [{"day": "mon", "start": "10:00", "end": "09:00"}]}, ("end",)),
        ({"availability": [{"day": "mon", "start": "24:00", "end": "24:00"}]}, ("start",)),
        ({"availability": [{"day": "mon", "start": "9am", "end": "11:00"}]}, ("start",)),
        ({"availability": [{"day": "mon", "start": "10:00", "end": "10:61"}]}, ("end",)),
        ({"availability": "evenings"}, ("availability",)),
        ({"wants": ["zed"]}, ("wants", "zed")),
        ({"wants": ["alice"]}, ("wants",)),
        ({"blocks": ["zed"]}, ("blocks", "zed")),
        ({"priority": -1}, ("priority",)),
        ({"priority": True}, ("priority",)),
        ({"paused": "yes"}, ("paused",)),
        ({"block": ["bob"]}, ("block:", "did you mean 'blocks'")),
        ({"want": ["bob"]}, ("want:", "did you mean 'wants'")),
        ({"time_zone": "UTC"}, ("time_zone:", "did you mean 'timezone'")),
    ],
)
def test_bad_participant_fields_name_participant_and_field(
    fields: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    rejects(with_alice(**fields), 'participant "alice"', *fragments)


def test_end_of_day_is_a_valid_window_end() -> None:
    data = with_alice(availability=[{"day": "sun", "start": "22:00", "end": "24:00"}])
    assert len(matching.Pool.from_dict(data)) == 2


def test_duplicate_ids_are_rejected() -> None:
    rejects(document(person("alice"), person("alice")), 'participant "alice"', "duplicate")


def test_missing_id_is_rejected() -> None:
    rejects(document({"topics": []}), "participants[0].id")


@pytest.mark.parametrize(
    ("history", "fragments"),
    [
        ([{"members": ["alice", "zed"], "rounds_ago": 1}], ("history[0]", "zed")),
        ([{"members": ["alice"], "rounds_ago": 1}], ("history[0].members",)),
        ([{"members": ["alice", "alice"], "rounds_ago": 1}], ("history[0].members",)),
        ([{"members": ["alice", "bob"], "rounds_ago": -1}], ("history[0].rounds_ago",)),
        ([{"members": ["alice", "bob"]}], ("history[0].rounds_ago",)),
    ],
)
def test_bad_history_is_rejected(history: list[Any], fragments: tuple[str, ...]) -> None:
    rejects(document(person("alice"), person("bob"), history=history), *fragments)


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ({"cooldown": -1}, ("config.cooldown",)),
        ({"cooldown": "6"}, ("config.cooldown",)),
        ({"odd": "kick"}, ("config.odd",)),
        ({"seed": 1.5}, ("config.seed",)),
        ({"weights": {"charisma": 3}}, ("config.weights.charisma",)),
        ({"weights": {"topic": "high"}}, ("config.weights.topic",)),
        ({"reference_date": "someday"}, ("config.reference_date",)),
        ({"colour": "blue"}, ("config.colour",)),
    ],
)
def test_bad_config_is_rejected(config: dict[str, Any], fragments: tuple[str, ...]) -> None:
    rejects(document(person("alice"), config=config), *fragments)


def test_claims_must_name_known_topics() -> None:
    claims = {"c1": {"text": "x", "topics": ["astrology"]}}
    rejects(document(person("alice"), claims=claims), 'claim "c1"', "astrology")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "input"),
        ("participants", "input"),
        ({"participants": {}}, "participants"),
        ({"topics": "ethics", "participants": []}, "topics"),
        ({"claims": [], "participants": []}, "claims"),
        ({"participants": [], "history": {}}, "history"),
        ({"participants": ["alice"]}, "participants[0]"),
        ({"participants": [], "config": []}, "config"),
    ],
)
def test_bad_document_shape_is_rejected(data: Any, fragment: str) -> None:
    rejects(data, fragment)


def test_an_empty_pool_is_valid_and_solves_to_nothing() -> None:
    result = matching.solve(matching.Pool.from_dict({"participants": []}))
    assert result.pairs == [] and result.unmatched == [] and result.total_score == 0


def test_unknown_solver_is_an_error() -> None:
    with pytest.raises(ValueError, match="solver"):
        matching.solve(matching.Pool.from_dict(document(person("a"))), solver="magic")


def test_fields_the_engine_does_not_use_are_carried_along() -> None:
    data = with_alice(name="Alice Liddell", about="Wonderland", email="a@example.org")
    pool = matching.Pool.from_dict(data)
    assert sorted(pool.ids) == ["alice", "bob"]
