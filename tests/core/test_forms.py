"""The interest form: resumable drafts, validation per field, submit rules, locked answers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from bot.core import curation, forms
from bot.core.app import Core
from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.forms import SaveAnswers, Window
from bot.storage.database import Database
from bot.storage.models import (
    Dialogue,
    DialogueMember,
    InterestForm,
    Member,
    Round,
    RoundUnmatched,
    Topic,
)
from tests.conftest import START
from tests.factories import actor, moderator, row_counts, seed_community, signed_up
from tests.sql_seen import sql_seen

TEN_TOPICS = [f"Topic {i}" for i in range(11)]
ALICE = actor(user="alice")


async def _seed(core: Core) -> list[int]:
    seeded = await seed_community(
        core,
        topics=["AI timelines", "Forecasting", *TEN_TOPICS],
        claims=[("Theory wins", ["ai-timelines"]), ("Forecasts help", ["forecasting"])],
    )
    return seeded.claims


async def test_start_creates_a_draft_and_resume_returns_the_saved_step(core: Core) -> None:
    claims = await _seed(core)
    view = await forms.start_or_resume(
        core, forms.StartOrResume(ALICE, timezone_hint="Europe/Berlin")
    )
    assert (view.status, view.step, view.timezone) == ("draft", "topics", "Europe/Berlin")
    await forms.save_answers(
        core, SaveAnswers(ALICE, step="stances", topics=("ai-timelines", "Forecasting"))
    )
    await forms.save_answers(core, SaveAnswers(ALICE, step="format", stances={claims[0]: -2}))

    resumed = await forms.start_or_resume(core, forms.StartOrResume(ALICE))
    assert resumed.step == "format"
    assert resumed.topics == ("ai-timelines", "forecasting")
    assert resumed.stances == {claims[0]: -2}
    assert resumed.status == "draft"
    assert resumed.missing == ()


async def test_start_ignores_an_invalid_timezone_hint(core: Core) -> None:
    await _seed(core)
    view = await forms.start_or_resume(core, forms.StartOrResume(ALICE, timezone_hint="Mars/Base"))
    assert view.timezone == "UTC"


async def test_stances_merge_and_none_skips(core: Core) -> None:
    claims = await _seed(core)
    await forms.save_answers(core, SaveAnswers(ALICE, stances={claims[0]: 2, claims[1]: -1}))
    view = await forms.save_answers(core, SaveAnswers(ALICE, stances={claims[0]: None}))
    assert view.stances == {claims[1]: -1}


async def test_submit_marks_complete_and_profile_shows_it(core: Core) -> None:
    claims = await _seed(core)
    done = await signed_up(
        core,
        "alice",
        topics=["ai-timelines"],
        stances={claims[0]: 1},
        sync="great",
        async_="no",
        timezone="America/New_York",
        availability=[("tue", "18:00", "21:00"), ("mon", "09:00", "10:30")],
        appetite="avoid",
        about="Let's talk timelines",
        publish_ok=True,
        participation="once",
    )
    assert done.status == "complete"
    shown = await forms.profile(core, forms.ShowProfile(ALICE))
    assert shown == done
    assert shown.availability == (Window("mon", "09:00", "10:30"), Window("tue", "18:00", "21:00"))
    assert (shown.appetite, shown.participation, shown.publish_ok) == ("avoid", "once", True)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "topics"),
        ({"topics": ("ai-timelines",), "format_sync": "no", "format_async": "no"}, "format_sync"),
        (
            {"topics": ("ai-timelines",), "format_sync": "great", "format_async": "no"},
            "availability",
        ),
    ],
)
async def test_submit_refuses_an_incomplete_form(
    core: Core, answers: dict[str, Any], field: str
) -> None:
    await _seed(core)
    await forms.save_answers(core, SaveAnswers(ALICE, **answers))
    with pytest.raises(BadInput) as error:
        await forms.submit(core, forms.SubmitForm(ALICE))
    assert error.value.field == field
    assert (await forms.profile(core, forms.ShowProfile(ALICE))).status == "draft"


async def test_sync_only_with_availability_can_submit(core: Core) -> None:
    await _seed(core)
    await forms.save_answers(
        core,
        SaveAnswers(
            ALICE,
            topics=("ai-timelines",),
            format_sync="great",
            format_async="no",
            availability=(Window("Wednesday", "18:00", "24:00"),),
        ),
    )
    view = await forms.submit(core, forms.SubmitForm(ALICE))
    assert view.availability == (Window("wed", "18:00", "24:00"),)


async def test_submit_without_a_form_is_not_found(core: Core) -> None:
    await _seed(core)
    with pytest.raises(NotFound):
        await forms.submit(core, forms.SubmitForm(ALICE))
    with pytest.raises(NotFound):
        await forms.profile(core, forms.ShowProfile(ALICE))


async def test_editing_a_complete_form_keeps_it_complete(core: Core) -> None:
    await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines"])
    edited = await forms.save_answers(core, SaveAnswers(ALICE, topics=("forecasting",)))
    assert (edited.status, edited.topics) == ("complete", ("forecasting",))
    with pytest.raises(BadInput) as error:
        await forms.save_answers(core, SaveAnswers(ALICE, topics=()))
    assert error.value.field == "topics"
    assert (await forms.profile(core, forms.ShowProfile(ALICE))).topics == ("forecasting",)


def _bad_answers(claims: list[int]) -> list[tuple[dict[str, Any], str]]:
    return [
        ({"topics": tuple(t.lower().replace(" ", "-") for t in TEN_TOPICS)}, "topics"),
        ({"topics": ("no-such-topic",)}, "topics"),
        ({"stances": {claims[0]: 3}}, "stances"),
        ({"stances": {claims[0]: -3}}, "stances"),
        ({"stances": {claims[0]: True}}, "stances"),
        ({"stances": {claims[0]: "2"}}, "stances"),
        ({"format_sync": "maybe"}, "format_sync"),
        ({"format_async": "GREAT"}, "format_async"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"availability": (Window("funday", "10:00", "11:00"),)}, "availability"),
        ({"availability": (Window("mon", "9:00", "11:00"),)}, "availability"),
        ({"availability": (Window("mon", "22:00", "02:00"),)}, "availability"),
        ({"availability": (Window("mon", "10:00", "10:00"),)}, "availability"),
        ({"availability": (Window("mon", "10:00", "24:01"),)}, "availability"),
        (
            {"availability": tuple(Window("mon", f"{h:02}:00", f"{h:02}:30") for h in range(22))},
            "availability",
        ),
        ({"appetite": "crave"}, "appetite"),
        ({"about": "a" * 501}, "about"),
        ({"private_notes": "n" * 1001}, "private_notes"),
        ({"participation": "twice"}, "participation"),
        ({"step": "nowhere"}, "step"),
        ({"suggested_topics": ("One", "Two", "Three", "Four")}, "suggested_topics"),
        ({"suggested_topics": ("AI Timelines",)}, "suggested_topics"),
        ({"suggested_topics": ("x" * 101,)}, "suggested_topics"),
        ({"suggested_topics": ("!!!",)}, "suggested_topics"),
    ]


async def test_each_bad_answer_is_refused_with_its_field_and_nothing_changes(core: Core) -> None:
    claims = await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines"], stances={claims[0]: 1})
    # Valid answers to other fields in the same save must not be stored either.
    cases = _bad_answers(claims)
    assert len(cases) > 20
    profile_before = await forms.profile(core, forms.ShowProfile(ALICE))
    counts_before = await row_counts(core)
    for answers, field in cases:
        with pytest.raises(BadInput) as error:
            await forms.save_answers(core, SaveAnswers(ALICE, **{"publish_ok": True, **answers}))
        assert error.value.field == field, answers
        assert error.value.message
    assert await forms.profile(core, forms.ShowProfile(ALICE)) == profile_before
    assert await row_counts(core) == counts_before


async def test_limits_themselves_are_accepted(core: Core) -> None:
    claims = await _seed(core)
    ten = tuple(t.lower().replace(" ", "-") for t in TEN_TOPICS[:10])
    view = await forms.save_answers(
        core,
        SaveAnswers(
            ALICE,
            topics=ten,
            stances={claims[0]: -2, claims[1]: 2},
            availability=tuple(Window("tue", f"{h:02}:00", f"{h:02}:30") for h in range(21)),
            about="a" * 500,
            private_notes="n" * 1000,
            suggested_topics=("One", "Two", "Three"),
        ),
    )
    assert len(view.topics) == 10 and len(view.availability) == 21
    assert view.suggested_topics == ("One", "Three", "Two")


async def test_unknown_claim_is_not_found(core: Core) -> None:
    await _seed(core)
    with pytest.raises(NotFound) as error:
        await forms.save_answers(core, SaveAnswers(ALICE, stances={999_999: 1}))
    assert error.value.field == "stances"


async def test_removed_claims_and_topics_cannot_be_answered(core: Core) -> None:
    claims = await _seed(core)
    mod = moderator()
    await curation.remove_claim(core, curation.RemoveClaim(mod, claims[0]))
    await curation.remove_topic(core, curation.RemoveTopic(mod, "forecasting"))
    with pytest.raises(NotFound):
        await forms.save_answers(core, SaveAnswers(ALICE, stances={claims[0]: 1}))
    with pytest.raises(BadInput):
        await forms.save_answers(core, SaveAnswers(ALICE, topics=("forecasting",)))


async def test_suggestions_count_pending_ones_and_record_the_suggester(core: Core) -> None:
    await _seed(core)
    await forms.save_answers(core, SaveAnswers(ALICE, suggested_topics=("Mentorship", "Secrecy")))
    # The same suggestion again adds nothing; a third and fourth new one exceed the limit.
    await forms.save_answers(core, SaveAnswers(ALICE, suggested_topics=("mentorship",)))
    with pytest.raises(BadInput):
        await forms.save_answers(core, SaveAnswers(ALICE, suggested_topics=("EA", "Ethics")))
    async with core.db.transaction() as session:
        rows = (
            await session.execute(
                select(Topic.slug, Topic.status, Member.external_id)
                .join(Member, Member.id == Topic.suggested_by_id)
                .order_by(Topic.slug)
            )
        ).all()
    assert rows == [("mentorship", "suggested", "alice"), ("secrecy", "suggested", "alice")]


async def test_another_communitys_claims_and_topics_are_unknown(core: Core) -> None:
    await _seed(core)
    other = await seed_community(
        core, topics=["Only in B"], claims=[("B claim", ["only-in-b"])], community="B"
    )
    await signed_up(core, "alice", topics=["ai-timelines"])
    before = await row_counts(core)
    profile = await forms.profile(core, forms.ShowProfile(ALICE))
    with pytest.raises(NotFound):
        await forms.save_answers(core, SaveAnswers(ALICE, stances={other.claims[0]: 2}))
    with pytest.raises(BadInput):
        await forms.save_answers(core, SaveAnswers(ALICE, topics=("only-in-b",)))
    assert await row_counts(core) == before
    assert await forms.profile(core, forms.ShowProfile(ALICE)) == profile
    # Alice's form in community A is not hers in community B.
    with pytest.raises(NotFound):
        await forms.profile(core, forms.ShowProfile(actor("B", "alice")))


async def _opening_round(core: Core, user: str, *, unmatched: bool) -> None:
    """A round caught mid-opening with `user` in it, as bot.core.rounds writes it."""
    async with core.db.transaction() as session:
        member = await session.scalar(select(Member).where(Member.external_id == user))
        assert member is not None
        round_ = Round(
            community_id=member.community_id,
            number=3,
            idempotency_key="test",
            status="opening",
            created_at=START,
        )
        session.add(round_)
        await session.flush()
        if unmatched:
            session.add(
                RoundUnmatched(
                    community_id=member.community_id,
                    round_id=round_.id,
                    member_id=member.id,
                    reason="odd_one_out",
                )
            )
        else:
            dialogue = Dialogue(
                community_id=member.community_id,
                round_id=round_.id,
                kind="round",
                state="pending",
                size=2,
                created_at=START,
            )
            session.add(dialogue)
            await session.flush()
            session.add(
                DialogueMember(
                    community_id=member.community_id, dialogue_id=dialogue.id, member_id=member.id
                )
            )


@pytest.mark.parametrize("unmatched", [False, True])
async def test_form_is_locked_while_their_round_is_opening(core: Core, unmatched: bool) -> None:
    claims = await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines"], stances={claims[0]: 1})
    await _opening_round(core, "alice", unmatched=unmatched)
    before = await forms.profile(core, forms.ShowProfile(ALICE))
    locked: list[dict[str, Any]] = [
        {"topics": ("forecasting",)},
        {"stances": {claims[0]: -2}},
        {"stances": {claims[1]: 2}},
        {"format_async": "great"},
        {"availability": (Window("mon", "10:00", "11:00"),)},
        {"appetite": "avoid"},
        {"timezone": "Asia/Tokyo"},
    ]
    for answers in locked:
        with pytest.raises(Conflict) as error:
            await forms.save_answers(core, SaveAnswers(ALICE, about="new", **answers))
        assert error.value.message == (
            "Round 3 is being opened right now and uses your current answers; "
            "try again in a few minutes."
        )
    assert await forms.profile(core, forms.ShowProfile(ALICE)) == before

    # Fields matching does not read, and resending unchanged answers, are fine.
    edited = await forms.save_answers(
        core, SaveAnswers(ALICE, about="new", topics=("ai-timelines",), appetite="seek")
    )
    assert edited.about == "new"


async def test_members_outside_the_opening_round_can_edit(core: Core) -> None:
    await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines"])
    await signed_up(core, "bob", topics=["ai-timelines"])
    await _opening_round(core, "bob", unmatched=True)
    view = await forms.save_answers(core, SaveAnswers(ALICE, topics=("forecasting",)))
    assert view.topics == ("forecasting",)
    with pytest.raises(Conflict):
        await forms.save_answers(core, SaveAnswers(actor(user="bob"), topics=("forecasting",)))


async def test_committed_round_does_not_lock(core: Core) -> None:
    await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines"])
    await _opening_round(core, "alice", unmatched=True)
    async with core.db.transaction() as session:
        round_ = await session.scalar(select(Round))
        assert round_ is not None
        round_.status = "committed"
    view = await forms.save_answers(core, SaveAnswers(ALICE, topics=("forecasting",)))
    assert view.topics == ("forecasting",)


async def test_form_rows_belong_to_the_actors_community(core: Core) -> None:
    await _seed(core)
    await seed_community(core, community="B")
    await signed_up(core, "alice", topics=["ai-timelines"])
    await signed_up(core, "alice", topics=["forecasting"], community="B")
    async with core.db.transaction() as session:
        rows = (
            await session.execute(
                select(Member.community_id, InterestForm.community_id).join(
                    InterestForm, InterestForm.member_id == Member.id
                )
            )
        ).all()
    assert len(rows) == 2 and all(a == b for a, b in rows)
    assert (await forms.profile(core, forms.ShowProfile(actor("B", "alice")))).topics == (
        "forecasting",
    )


async def test_show_in_browse_defaults_to_yes_and_can_be_turned_off(core: Core) -> None:
    await _seed(core)
    view = await forms.start_or_resume(core, forms.StartOrResume(ALICE))
    assert view.show_in_browse is True
    view = await forms.save_answers(core, SaveAnswers(ALICE, show_in_browse=False))
    assert view.show_in_browse is False
    assert (await forms.profile(core, forms.ShowProfile(ALICE))).show_in_browse is False


async def test_show_in_browse_must_be_yes_or_no(core: Core) -> None:
    await _seed(core)
    with pytest.raises(BadInput) as caught:
        await forms.save_answers(core, SaveAnswers(ALICE, show_in_browse="maybe"))  # type: ignore[arg-type]
    assert caught.value.field == "show_in_browse"


async def test_each_signup_offers_the_topics_and_claims_as_curated_just_before(
    core: Core,
) -> None:
    claims = await _seed(core)
    mod = moderator()
    first = await forms.open_signup(core, forms.OpenSignup(ALICE))
    assert "mentorship" not in {t.slug for t in first.topics}

    await curation.add_topic(core, curation.AddTopic(mod, "Mentorship"))
    added = await curation.add_claim(
        core, curation.AddClaim(mod, "Mentors should be paid", ("mentorship", "forecasting"))
    )
    await curation.remove_topic(core, curation.RemoveTopic(mod, "ai-timelines"))
    await curation.remove_claim(core, curation.RemoveClaim(mod, claims[1]))

    bob = await forms.open_signup(core, forms.OpenSignup(actor(user="bob")))
    again = await forms.open_signup(core, forms.OpenSignup(ALICE))
    for view in (bob, again):
        slugs = [t.slug for t in view.topics]
        assert "mentorship" in slugs and "ai-timelines" not in slugs
        # What the topic and claim lists show, in their order.
        assert view.topics == tuple(await curation.list_topics(core, curation.ListTopics(ALICE)))
        assert view.claims == tuple(await curation.list_claims(core, curation.ListClaims(ALICE)))
        assert [(c.id, c.topics) for c in view.claims] == [
            (claims[0], ("ai-timelines",)),
            (added.id, ("forecasting", "mentorship")),
        ]
    # A topic added after the signup opened can be chosen in the submission that follows.
    saved = await forms.submit_answers(
        core,
        forms.SubmitAnswers(
            SaveAnswers(ALICE, topics=("Mentorship",), stances={added.id: 2}), submit=True
        ),
    )
    assert (saved.submitted, saved.form.topics) == (True, ("mentorship",))
    assert saved.form.stances == {added.id: 2}


async def test_a_submission_returns_what_a_fresh_read_of_the_form_shows(core: Core) -> None:
    claims = await _seed(core)
    await forms.save_answers(
        core, SaveAnswers(ALICE, topics=("forecasting",), stances={claims[0]: 1, claims[1]: -1})
    )
    result = await forms.submit_answers(
        core,
        forms.SubmitAnswers(
            SaveAnswers(
                ALICE,
                topics=("Topic 3", "ai-timelines", "Topic 10"),
                stances={claims[0]: None, claims[1]: 2},
                about="Forecasting, mostly.",
            ),
            submit=True,
        ),
    )
    profile = await forms.profile(core, forms.ShowProfile(ALICE))
    assert result.form == profile
    assert profile.topics == ("ai-timelines", "topic-10", "topic-3")
    assert profile.stances == {claims[1]: 2}
    assert (profile.status, profile.about) == ("complete", "Forecasting, mostly.")
    async with core.db.read() as session:
        stored = await session.get(InterestForm, profile.member_id)
    assert stored is not None and (stored.status, stored.step) == ("complete", "review")


async def test_every_save_shows_the_suggestions_still_waiting_for_review(core: Core) -> None:
    await _seed(core)
    first = await forms.save_answers(core, SaveAnswers(ALICE, suggested_topics=("Secrecy",)))
    assert first.suggested_topics == ("Secrecy",)
    later = await forms.save_answers(core, SaveAnswers(ALICE, about="Still here."))
    assert later.suggested_topics == ("Secrecy",)
    await curation.approve_topic(core, curation.ApproveTopic(moderator(), "secrecy"))
    after = await forms.save_answers(core, SaveAnswers(ALICE, about="Approved."))
    assert (after.suggested_topics, after.topics) == ((), ("secrecy",))


async def test_signup_choices_are_read_once_until_a_topic_or_claim_changes(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed(core)
    with sql_seen(core.db, monkeypatch) as seen:

        def choice_reads() -> int:
            return sum("UNION ALL" in sql for sql in seen)  # form_choices' one statement

        first = await forms.open_signup(core, forms.OpenSignup(ALICE))
        again = await forms.open_signup(core, forms.OpenSignup(actor(user="bob")))
        assert (choice_reads(), again.topics, again.claims) == (1, first.topics, first.claims)
        await curation.add_topic(core, curation.AddTopic(moderator(), "Mentorship"))
        after = await forms.open_signup(core, forms.OpenSignup(actor(user="carol")))
        assert choice_reads() == 2 and "mentorship" in {t.slug for t in after.topics}


async def test_signup_choices_changed_by_another_process_are_seen_at_once(core: Core) -> None:
    """Another bot process (or anything writing SQL) on the same database: the database's
    triggers bump the community's choices_version, so this process reads the choices again."""
    claims = await _seed(core)
    before = await forms.open_signup(core, forms.OpenSignup(ALICE))
    assert "forecasting" in {t.slug for t in before.topics}
    other = Database(core.db.url)
    try:
        async with other.transaction() as session:
            await session.execute(
                text("UPDATE topics SET name = 'Forecasts' WHERE slug = 'forecasting'")
            )
        renamed = await forms.open_signup(core, forms.OpenSignup(actor(user="bob")))
        assert "Forecasts" in {t.name for t in renamed.topics}
        async with other.transaction() as session:
            await session.execute(text("DELETE FROM claim_topics"))
        unlinked = await forms.open_signup(core, forms.OpenSignup(actor(user="carol")))
        assert [c.topics for c in unlinked.claims if c.id == claims[0]] == [()]
        async with other.transaction() as session:
            await session.execute(text("UPDATE claims SET status = 'removed'"))
        removed = await forms.open_signup(core, forms.OpenSignup(actor(user="dave")))
        assert removed.claims == ()
    finally:
        await other.dispose()
