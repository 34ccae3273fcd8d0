"""The browse page as text: it always fits one chat message, however long what members wrote."""

from __future__ import annotations

from bot import replies
from bot.core.browse import KIND_DIALOGUE, PAGE_SIZE, BrowseEntry, BrowsePage, ClaimGap
from bot.storage.models import ABOUT_MAX_CHARS


def _entry(n: int, *, long: bool) -> BrowseEntry:
    word = "x" * 99 if long else "Forecasting"
    return BrowseEntry(
        user_id=f"u{n}",
        display_name=("N" * 200) if long else f"Member {n}",
        about=("a" * ABOUT_MAX_CHARS) if long else "Short about",
        shared_topics=tuple(f"{word}{k}" for k in range(10 if long else 2)),
        disagreements=(
            ClaimGap(1, "c" * 300 if long else "Theory wins", 2, -2),
            ClaimGap(2, "d" * 300 if long else "Labs share", -1, 1),
        ),
        claims_in_common=20,
        kinds=(KIND_DIALOGUE,),
        wanted=n % 2 == 0,
        suggested=n < 3,
        score=12.5,
    )


def _page(long: bool) -> BrowsePage:
    return BrowsePage(
        entries=tuple(_entry(n, long=long) for n in range(PAGE_SIZE)),
        page=1,
        pages=4,
        total=4 * PAGE_SIZE,
        topic=None,
        topic_name=None,
    )


def test_a_page_of_the_longest_answers_still_fits_one_message() -> None:
    text = replies.browse_page(_page(long=True))
    assert len(text) <= replies.BROWSE_TEXT_CHARS
    assert text.count("(dialogue)") == PAGE_SIZE  # every entry keeps its name and kind


def test_a_page_of_ordinary_answers_keeps_every_detail() -> None:
    text = replies.browse_page(_page(long=False))
    assert "Short about" in text and "Topics you share: Forecasting0, Forecasting1" in text
    assert "“Theory wins” (you strongly agree, they strongly disagree)" in text
    assert "20 claims you both answered" in text
    assert text.count("✓ You ticked them") == 3


def test_buttons_are_a_toggle_per_person_and_paging() -> None:
    page = _page(long=True)
    buttons = replies.browse_buttons(page)
    assert [b.custom_id for b in buttons] == [
        *(f"browse:{'unwant' if n % 2 == 0 else 'want'}:u{n}" for n in range(PAGE_SIZE)),
        "browse:page:2",
    ]
    assert all(len(b.label) <= replies.BUTTON_LABEL_CHARS for b in buttons)
