"""Conversation kinds through the core: the form's "what are you looking for?", interview
pairs from rounds, manual pairs and mutual wants, their opening, prompts, stats and export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from bot.commands.answers import save_answers as answers_to_save
from bot.core import dialogues, export, forms, stats, status, wants
from bot.core.app import Core
from bot.core.errors import BadInput
from bot.core.intro import (
    IntroPerson,
    dialogue_intro,
    prompt_message,
    speaker_label,
)
from bot.storage.database import Database
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.models import Dialogue, DialogueMember, InterestForm, Member
from tests.core.conftest import MOD, dialogue_row, local, run_round, snapshot
from tests.factories import Seeded, actor, row_counts, signed_up

OLD = datetime(2026, 1, 1, tzinfo=UTC)
ALICE, BOB, CAROL, DAVE = (actor(user=u) for u in ("alice", "bob", "carol", "dave"))


async def _roles(core: Core, dialogue_id: int) -> dict[str, str | None]:
    async with core.db.transaction() as session:
        rows = await session.execute(
            select(Member.external_id, DialogueMember.role)
            .join(DialogueMember, DialogueMember.member_id == Member.id)
            .where(DialogueMember.dialogue_id == dialogue_id)
        )
        return dict(rows.all())


def _intro(core: Core, dialogue: Dialogue) -> str:
    return local(core).threads[dialogue.thread_id or ""].messages[0].text


# --- the form ----------------------------------------------------------------------------------


async def test_the_form_round_trips_what_a_member_is_looking_for(
    core: Core, seeded: Seeded
) -> None:
    view = await signed_up(core, "alice", looking_for=["interview_them", "dialogue"])
    assert view.looking_for == ("dialogue", "interview_them")
    assert (await forms.profile(core, forms.ShowProfile(ALICE))).looking_for == view.looking_for
    pool = await snapshot(core)
    [entry] = pool.document["participants"]
    assert entry["looking_for"] == ["dialogue", "interview_them"]
    # a new form, untouched, looks for a dialogue
    fresh = await forms.start_or_resume(core, forms.StartOrResume(BOB))
    assert fresh.looking_for == ("dialogue",)


async def test_the_form_takes_the_words_the_question_offers(core: Core, seeded: Seeded) -> None:
    save, _ = answers_to_save(ALICE, {"looking_for": "debate, be interviewed"})
    view = await forms.save_answers(core, save)
    assert view.looking_for == ("dialogue", "interview_me")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((), "at least one"),
        (("dialogue", "chat"), "'chat'"),
    ],
)
async def test_bad_looking_for_names_the_field_and_stores_nothing(
    core: Core, seeded: Seeded, answer: tuple[str, ...], message: str
) -> None:
    await signed_up(core, "alice", looking_for=["interview_me"])
    before = await row_counts(core)
    with pytest.raises(BadInput) as caught:
        await forms.save_answers(core, forms.SaveAnswers(ALICE, looking_for=answer, about="x"))
    assert caught.value.field == "looking_for"
    assert message in caught.value.message
    after = await forms.profile(core, forms.ShowProfile(ALICE))
    assert after.looking_for == ("interview_me",)
    assert after.about == ""  # the rest of the same save was not stored either
    assert await row_counts(core) == before


async def test_an_old_form_from_before_the_migration_reads_as_a_dialogue(db: Database) -> None:
    """Downgrade to 0001, write a form as the old schema had it, upgrade: it is a dialogue."""
    config = alembic_config(db.url)

    def downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
        await conn.execute(
            text(
                "INSERT INTO communities (id, platform, external_id, name, cadence_timezone, "
                "cooldown, odd_policy, prompt_schedule, weights, created_at) VALUES "
                "(1, 'local', 'guild1', 'Old', 'UTC', 6, 'wait', '{}', '{}', :now)"
            ),
            {"now": OLD},
        )
        await conn.execute(
            text(
                "INSERT INTO members (id, community_id, external_id, display_name, status, "
                "priority, created_at) VALUES (1, 1, 'olga', 'Olga', 'active', 0, :now)"
            ),
            {"now": OLD},
        )
        await conn.execute(
            text(
                "INSERT INTO interest_forms (member_id, community_id, status, format_sync, "
                "format_async, timezone, availability, appetite, about, private_notes, "
                "publish_ok, participation, updated_at) VALUES (1, 1, 'complete', 'okay', "
                "'okay', 'UTC', '[]', 'seek', '', '', false, 'every', :now)"
            ),
            {"now": OLD},
        )
    await upgrade(db)
    from bot.clock import FixedClock
    from bot.platforms.local import LocalPlatform
    from tests.conftest import START

    core = Core(db=db, clock=FixedClock(START), platforms={"local": LocalPlatform()})
    olga = actor(user="olga")
    assert (await forms.profile(core, forms.ShowProfile(olga))).looking_for == ("dialogue",)
    [entry] = (await snapshot(core)).document["participants"]
    assert entry["looking_for"] == ["dialogue"]
    async with db.transaction() as session:
        form = await session.get(InterestForm, 1)
        assert form is not None and form.looking_for == ["dialogue"]


# --- rounds --------------------------------------------------------------------------------------


async def _interview_pool(core: Core, seeded: Seeded) -> None:
    """A researcher to be interviewed, someone who would interview, two dialogue seekers who
    both disagree with the researcher (so without kinds she would be paired with one of them)."""
    c = seeded.claims
    await signed_up(
        core,
        "alice",
        name="Alice",
        stances={c[0]: 2},
        about="My agenda: agent foundations via logical induction",
        looking_for=["interview_me"],
    )
    await signed_up(
        core,
        "bob",
        name="Bob",
        stances={c[0]: 2},
        about="Podcast host",
        looking_for=["interview_them"],
    )
    await signed_up(core, "carol", name="Carol", stances={c[0]: -2})
    await signed_up(core, "dave", name="Dave", stances={c[0]: -2})


async def test_a_round_pairs_the_interviewee_with_the_interviewer_and_opens_an_interview(
    core: Core, seeded: Seeded
) -> None:
    await _interview_pool(core, seeded)
    result = await run_round(core)
    by_members = {frozenset(m.user_id for m in p.members): p for p in result.pairs}
    interview = by_members[frozenset({"alice", "bob"})]
    plain = by_members[frozenset({"carol", "dave"})]
    assert interview.kind == "interview"
    assert interview.roles == {"alice": "interviewee", "bob": "interviewer"}
    assert plain.kind == "dialogue" and plain.roles == {}

    row = await dialogue_row(core, interview.dialogue_id or 0)
    assert row.conversation_kind == "interview"
    assert await _roles(core, row.id) == {"alice": "interviewee", "bob": "interviewer"}
    intro = _intro(core, row)
    assert "You have been paired for an interview: **Bob interviews Alice**." in intro
    assert "**What Alice would like to talk about**" in intro
    assert "My agenda: agent foundations via logical induction" in intro
    assert "**Topics you share:** AI timelines" in intro
    assert "Bob, open with a question for Alice about what they would like to talk about" in intro
    # they agree on the claim: no disagreement section and no dialogue question
    assert "disagree" not in intro.lower()
    assert "Who you are" not in intro

    dialogue_intro_text = _intro(core, await dialogue_row(core, plain.dialogue_id or 0))
    assert "paired for a dialogue" in dialogue_intro_text
    assert "**Who you are**" in dialogue_intro_text
    assert dialogue_intro_text != intro


async def test_speaker_labels_name_interviewer_and_interviewee(core: Core, seeded: Seeded) -> None:
    await _interview_pool(core, seeded)
    result = await run_round(core)
    labels = {}
    for pair in result.pairs:
        labels.update(await dialogues.speaker_labels_of(core, pair.dialogue_id or 0))
    assert labels == {
        "alice": "Alice (interviewee)",
        "bob": "Bob (interviewer)",
        "carol": "Carol",
        "dave": "Dave",
    }
    assert speaker_label("Zoe", None) == "Zoe"


def test_an_interviews_prompts_differ_from_a_dialogues() -> None:
    for name in ("nudge", "midpoint", "wrapup", "checkin"):
        assert prompt_message(name, "interview") != prompt_message(name, "dialogue")
    assert "what would you like the interviewee to expand on?" in prompt_message(
        "midpoint", "interview"
    )
    assert "crux" in prompt_message("midpoint", "dialogue")
    # A community's own text fits every dialogue; for an interview only where kind-neutral.
    assert prompt_message("midpoint", "dialogue", "Crux time!") == "Crux time!"
    assert prompt_message("midpoint", "interview", "Crux time!") != "Crux time!"
    assert prompt_message("nudge", "interview", "Say hi!") == "Say hi!"
    with pytest.raises(KeyError):
        prompt_message("opening", "interview")


def test_an_interview_that_disagrees_shows_where_views_differ() -> None:
    people = [IntroPerson("u1", "Alice", "My agenda"), IntroPerson("u2", "Bob", "")]
    explanation = {
        "kind": "interview",
        "roles": {"u1": "interviewee", "u2": "interviewer"},
        "disagreements": [{"claim": "c1", "text": "Theory wins", "stances": {"u1": 2, "u2": -2}}],
    }
    text_ = dialogue_intro(people, explanation)
    assert "**Where your views differ**" in text_
    assert "Alice: strongly agree · Bob: strongly disagree" in text_
    assert "Bob, open with a question for Alice about what they would like" in text_
    assert "open with a question for Alice about Chess:" in dialogue_intro(
        people, explanation, topic="Chess"
    )


# --- manual pairs ------------------------------------------------------------------------------


async def test_a_moderator_pairs_as_an_interview_naming_the_interviewer(
    core: Core, seeded: Seeded
) -> None:
    await signed_up(core, "carol", name="Carol")
    await signed_up(core, "dave", name="Dave")
    made = await dialogues.pair(
        core, dialogues.PairMembers(MOD, "carol", "dave", kind="interview", interviewer="dave")
    )
    assert (made.kind, made.roles) == ("interview", {"dave": "interviewer", "carol": "interviewee"})
    row = await dialogue_row(core, made.dialogue_id)
    assert row.conversation_kind == "interview"
    assert await _roles(core, row.id) == {"carol": "interviewee", "dave": "interviewer"}
    assert "**Dave interviews Carol**" in _intro(core, row)


async def test_a_manual_pair_takes_the_engines_kind_by_default(core: Core, seeded: Seeded) -> None:
    await _interview_pool(core, seeded)
    made = await dialogues.pair(core, dialogues.PairMembers(MOD, "bob", "alice"))
    assert made.roles == {"alice": "interviewee", "bob": "interviewer"}
    # two who look for nothing in common can still be paired by hand: as a dialogue
    other = await dialogues.pair(core, dialogues.PairMembers(MOD, "carol", "dave"))
    assert other.kind == "dialogue"


async def test_a_manual_pair_with_nothing_in_common_is_a_dialogue(
    core: Core, seeded: Seeded
) -> None:
    await signed_up(core, "alice", looking_for=["interview_me"])
    await signed_up(core, "bob", looking_for=["interview_me"])
    made = await dialogues.pair(core, dialogues.PairMembers(MOD, "alice", "bob"))
    assert made.kind == "dialogue" and made.roles == {}
    assert made.score is not None


@pytest.mark.parametrize(
    ("kind", "interviewer", "field"),
    [
        ("debate", None, "kind"),
        ("dialogue", "carol", "interviewer"),
        ("interview", "zed", "interviewer"),
    ],
)
async def test_a_bad_kind_or_interviewer_is_refused_and_nothing_stored(
    core: Core, seeded: Seeded, kind: str, interviewer: str | None, field: str
) -> None:
    await signed_up(core, "carol")
    await signed_up(core, "dave")
    before = await row_counts(core)
    with pytest.raises(BadInput) as caught:
        await dialogues.pair(
            core,
            dialogues.PairMembers(MOD, "carol", "dave", kind=kind, interviewer=interviewer),
        )
    assert caught.value.field == field
    assert await row_counts(core) == before


# --- mutual wants ----------------------------------------------------------------------------


async def test_a_mutual_wants_intake_asks_what_each_is_looking_for(
    core: Core, seeded: Seeded
) -> None:
    await signed_up(core, "alice", name="Alice")
    await signed_up(core, "bob", name="Bob")
    await wants.want(core, wants.WantMember(ALICE, "bob"))
    result = await wants.want(core, wants.WantMember(BOB, "alice"))
    assert result.dialogue_id is not None
    with pytest.raises(BadInput) as caught:
        await wants.submit_intake(
            core,
            wants.SubmitIntake(ALICE, result.dialogue_id, ("ai-timelines",), "either", "", ()),
        )
    assert caught.value.field == "looking_for"
    await wants.submit_intake(
        core,
        wants.SubmitIntake(
            ALICE, result.dialogue_id, ("ai-timelines",), "either", "", ("interview_me",)
        ),
    )
    await wants.submit_intake(
        core,
        wants.SubmitIntake(
            BOB, result.dialogue_id, ("ai-timelines",), "either", "", ("interview_them",)
        ),
    )
    row = await dialogue_row(core, result.dialogue_id)
    assert row.state == "open"
    assert row.conversation_kind == "interview"
    assert await _roles(core, row.id) == {"alice": "interviewee", "bob": "interviewer"}
    assert "**Bob interviews Alice**" in _intro(core, row)


# --- status, stats, export -------------------------------------------------------------------


async def test_status_profile_stats_and_export_show_the_kind(core: Core, seeded: Seeded) -> None:
    await _interview_pool(core, seeded)
    await run_round(core)
    mine = await status.status(core, status.ShowStatus(ALICE))
    assert mine.looking_for == ("interview_me",)
    assert mine.current is not None
    assert (mine.current.conversation_kind, mine.current.role) == ("interview", "interviewee")

    from bot import replies

    said = replies.member_status(mine)
    assert "Looking for: to be interviewed." in said
    assert "(you are the interviewee)" in said
    profile = replies.form_summary(await forms.profile(core, forms.ShowProfile(BOB)))
    assert "Looking for: to interview someone" in profile

    summary = await stats.pool_stats(core, stats.ShowPoolStats(MOD))
    assert summary.looking_for == {"dialogue": 2, "interview_me": 1, "interview_them": 1}
    assert summary.pairs_by_kind == {"dialogue": 1, "interview": 1}
    shown = replies.pool_stats(summary)
    assert "Pairs by kind: 1 dialogue, 1 interview" in shown

    files = await export.export_csv(core, export.ExportCsv(MOD))
    pool_rows = {r["user_id"]: r for r in csv.DictReader(io.StringIO(files.pool_csv))}
    assert pool_rows["alice"]["looking_for"] == "interview_me"
    assert pool_rows["carol"]["looking_for"] == "dialogue"
    rounds_rows = [r for r in csv.DictReader(io.StringIO(files.rounds_csv)) if r["dialogue_id"]]
    kinds = {r["members"]: (r["conversation_kind"], r["roles"]) for r in rounds_rows}
    interview = next(v for k, v in kinds.items() if "alice" in k)
    assert interview[0] == "interview"
    assert set(interview[1].split("; ")) == {"alice interviewee", "bob interviewer"}
    assert next(v for k, v in kinds.items() if "carol" in k) == ("dialogue", "")


async def test_a_round_preview_names_the_interviews(core: Core, seeded: Seeded) -> None:
    from bot import replies
    from bot.core import rounds

    await _interview_pool(core, seeded)
    preview = await rounds.preview(core, rounds.PreviewRound(MOD))
    [interview] = [p for p in preview.pairs if p.kind == "interview"]
    assert interview.role_of("bob") == "interviewer"
    assert "interview: Bob interviews Alice" in replies.round_preview(preview)
