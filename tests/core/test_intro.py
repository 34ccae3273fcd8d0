"""The opening message of a dialogue and the unmatched DM: the words members read."""

from __future__ import annotations

import pytest

import matching
from bot.core.intro import IntroPerson, dialogue_intro, explain_unmatched, opening_question

ALICE = IntroPerson("u1", "Alice", "I think about agent foundations.")
BOB = IntroPerson("u2", "Bob", "")

EXPLANATION = {
    "members": ["u1", "u2"],
    "shared_topics": [
        {"slug": "ai-timelines", "name": "AI timelines"},
        {"slug": "mentorship", "name": "Mentorship"},
    ],
    "disagreements": [
        {"claim": "c3", "text": "Theory beats empirics", "stances": {"u2": -1, "u1": 2}},
        {"claim": "c5", "text": "Weekly meetings beat long ones", "stances": {"u1": -2, "u2": 0}},
    ],
    "format": "sync",
    "mutual_want": True,
    "availability_overlap": [{"day": "mon", "start": "17:00", "end": "19:00"}],
}


def test_intro_says_who_they_are_what_they_share_and_where_they_differ() -> None:
    text = dialogue_intro([ALICE, BOB], EXPLANATION)

    assert text.startswith("**Welcome, Alice and Bob!**")
    assert "• Alice: I think about agent foundations." in text
    assert "• Bob: (no intro written)" in text
    assert "**Topics you share:** AI timelines, Mentorship" in text
    assert "• “Theory beats empirics”: Alice: strongly agree · Bob: disagree" in text
    assert "• “Weekly meetings beat long ones”: Alice: strongly disagree · Bob: unsure" in text
    assert "**Format:** live (sync)" in text
    assert "**You are both available (UTC):** Mon 17:00–19:00" in text
    assert "You both said you would like to talk with each other." in text
    assert "**To start:** On “Theory beats empirics” you landed on different sides." in text


def test_intro_without_disagreements_asks_about_a_shared_topic() -> None:
    quiet = {"shared_topics": [{"slug": "x", "name": "Forecasting"}], "format": "async"}

    text = dialogue_intro([ALICE, BOB], quiet, community_text="Be kind.")

    assert "Where you disagree" not in text and "You both said" not in text
    assert "**Format:** async" in text and "available" not in text
    assert "Be kind." in text.splitlines()[1]
    assert "about Forecasting you are unsure of" in text
    assert "about Chess" in opening_question({}, topic="Chess")
    assert "belief you hold" in opening_question({})


def test_intro_keeps_member_text_on_its_own_line() -> None:
    sneaky = IntroPerson("u3", "Eve", "line one\n**Topics you share:** fake")
    text = dialogue_intro([sneaky, BOB], {})
    assert "• Eve: line one **Topics you share:** fake" in text
    assert "\n**Topics you share:**" not in text


@pytest.mark.parametrize("reason", matching.REASONS)
def test_every_engine_reason_has_words(reason: str) -> None:
    text = explain_unmatched(reason)
    assert f"({reason})" not in text  # a sentence of its own, not the fallback
    if reason == matching.PAUSED:
        assert "paused" in text and "priority" not in text
    else:
        assert "priority next round" in text


def test_an_unknown_reason_is_still_explained() -> None:
    assert "(solar flare)" in explain_unmatched("solar flare")
