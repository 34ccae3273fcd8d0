"""Dialogue lifecycle: opening, manual pairs, unpair and close, feedback, stance changes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core import blocks, community_config, dialogues, forms, wants
from bot.core.app import Core
from bot.core.dialogues import (
    CloseResult,
    GiveFeedback,
    PairMembers,
    RecordStanceChange,
    Unpair,
    close,
    feedback,
    open_dialogue,
    pair,
    prompt_hours,
    record_stance_change,
    try_open_dialogue,
    unpair,
)
from bot.core.errors import BadInput, Conflict, Forbidden, NotFound
from bot.storage.models import Dialogue, Feedback, Job, Stance, StanceChange
from tests.concurrency import meeting_point
from tests.core.conftest import (
    CLAIMS,
    MOD,
    count,
    dialogue_row,
    local,
    member_row,
    run_round,
    two_disagreeing,
)
from tests.factories import Seeded, actor, moderator, seed_community, signed_up


async def jobs(core: Core) -> dict[str, Job]:
    async with core.db.transaction() as session:
        return {j.dedupe_key: j for j in (await session.scalars(select(Job))).all()}


# --- opening ---------------------------------------------------------------------------------


async def test_opening_twice_opens_one_thread(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    done = await run_round(core)
    dialogue_id = done.pairs[0].dialogue_id or 0

    await open_dialogue(core, dialogue_id)
    again = await try_open_dialogue(core, dialogue_id)

    assert again.opened_now is False and again.state == "open"
    assert len(local(core).threads) == 1
    assert len(local(core).threads[again.thread_id or ""].messages) == 1


async def test_a_member_who_left_keeps_the_dialogue_pending_with_the_reason(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    local(core).unreachable.add("bob")
    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    assert made.opened.state == "pending" and made.opened.thread_id is None
    assert "bob" in (made.opened.error or "")
    assert (await dialogue_row(core, made.dialogue_id)).state == "pending"
    # No prompts yet; the scheduler will try opening it again.
    assert list(await jobs(core)) == [f"open:{made.dialogue_id}"]

    local(core).unreachable.clear()
    reopened = await try_open_dialogue(core, made.dialogue_id)
    assert reopened.opened_now and reopened.state == "open"


async def test_prompts_follow_the_community_schedule(core: Core, seeded: Seeded) -> None:
    await community_config.configure(
        core,
        community_config.Configure(
            MOD, prompt_schedule={"nudge_hours": 12, "opening_text": "Be kind, be curious."}
        ),
    )
    c = seeded.claims
    await signed_up(core, "alice", sync="no", async_="great", stances={c[0]: 2})
    await signed_up(core, "bob", sync="okay", async_="great", stances={c[0]: -2})
    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    scheduled = await jobs(core)

    now = core.clock.now()
    d = made.dialogue_id
    # An async pair gets no "did you meet?" check-in.
    assert set(scheduled) == {f"prompt:{d}:nudge", f"prompt:{d}:midpoint", f"prompt:{d}:wrapup"}
    assert scheduled[f"prompt:{d}:nudge"].run_at == now + timedelta(hours=12)
    assert scheduled[f"prompt:{d}:wrapup"].run_at == now + timedelta(hours=168)
    assert scheduled[f"prompt:{d}:midpoint"].payload == {"dialogue_id": d, "prompt": "midpoint"}
    thread = local(core).threads[made.opened.thread_id or ""]
    assert "Be kind, be curious." in thread.messages[0].text


async def test_mutual_want_opens_with_the_topics_and_notes_of_the_intake(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    alice, bob = actor(user="alice"), actor(user="bob")
    await wants.want(core, wants.WantMember(alice, "bob"))
    matched = await wants.want(core, wants.WantMember(bob, "alice"))
    d = matched.dialogue_id or 0
    await wants.submit_intake(
        core, wants.SubmitIntake(alice, d, ("interpretability",), "async", "Bring your evals")
    )
    await wants.submit_intake(
        core, wants.SubmitIntake(bob, d, ("interpretability", "ai-timelines"), "either")
    )

    dialogue = await dialogue_row(core, d)
    assert dialogue.state == "open"
    assert dialogue.explanation["mutual_want"] is True
    assert dialogue.explanation["format"] == "async"
    assert [t["name"] for t in dialogue.explanation["shared_topics"]] == ["Interpretability"]
    intro = local(core).threads[dialogue.thread_id or ""].messages[0].text
    assert "For this dialogue: Bring your evals" in intro
    assert "You both said you would like to talk with each other." in intro


# --- manual pairs ----------------------------------------------------------------------------


async def test_moderator_pairs_two_members_with_the_engines_explanation(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)

    made = await pair(core, PairMembers(MOD, "alice", "bob", topic="AI Timelines"))

    assert made.opened.opened_now and made.forced is False
    assert made.score is not None and made.score > 0
    dialogue = await dialogue_row(core, made.dialogue_id)
    assert (dialogue.kind, dialogue.state, dialogue.created_by) == ("manual", "open", "mod")
    assert dialogue.topic == "AI timelines"
    assert dialogue.explanation["disagreements"][0]["stances"] == {"alice": 2, "bob": -1}
    intro = local(core).threads[dialogue.thread_id or ""].messages[0].text
    assert "**Topic:** AI timelines" in intro


async def test_blocked_members_are_paired_only_when_forced(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    await blocks.block(core, blocks.BlockMember(actor(user="bob", name="Bob"), "alice"))

    with pytest.raises(Conflict, match="Bob has blocked Alice"):
        await pair(core, PairMembers(MOD, "alice", "bob"))
    assert await count(core, Dialogue) == 0

    made = await pair(core, PairMembers(MOD, "alice", "bob", force=True))
    assert made.forced and made.score is None
    dialogue = await dialogue_row(core, made.dialogue_id)
    assert dialogue.forced and dialogue.explanation["forbidden"] == "blocked"
    assert dialogue.state == "open"


async def test_manual_pair_refuses_bad_requests(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    await forms.start_or_resume(core, forms.StartOrResume(actor(user="drafter")))

    with pytest.raises(Forbidden):
        await pair(core, PairMembers(actor(user="alice"), "alice", "bob"))
    with pytest.raises(BadInput):
        await pair(core, PairMembers(MOD, "alice", "alice"))
    with pytest.raises(NotFound):
        await pair(core, PairMembers(MOD, "alice", "nobody"))
    with pytest.raises(Conflict, match="drafter has not finished signing up"):
        await pair(core, PairMembers(MOD, "alice", "drafter"))
    with pytest.raises(NotFound, match="no topic called"):
        await pair(core, PairMembers(MOD, "alice", "bob", topic="Astrology"))
    assert await count(core, Dialogue) == 0

    await pair(core, PairMembers(MOD, "alice", "bob"))
    with pytest.raises(Conflict, match="already have a dialogue"):
        await pair(core, PairMembers(MOD, "bob", "alice"))


async def test_the_same_pair_sent_twice_at_once_makes_one_dialogue(
    core: Core, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_disagreeing(core, seeded)
    monkeypatch.setattr(dialogues, "_explain", meeting_point(dialogues._explain))
    results = await asyncio.gather(
        pair(core, PairMembers(MOD, "alice", "bob")),
        pair(core, PairMembers(MOD, "bob", "alice")),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "PairResult"]
    assert await count(core, Dialogue) == 1


# --- closing ---------------------------------------------------------------------------------


async def test_unpair_ends_the_dialogue_archives_it_and_cancels_its_prompts(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    with pytest.raises(Forbidden):
        await unpair(core, Unpair(actor(user="alice"), "bob"))
    ended = await unpair(core, Unpair(MOD, "bob"))

    assert (ended.dialogue_id, ended.outcome, ended.archived) == (made.dialogue_id, "ended", True)
    dialogue = await dialogue_row(core, made.dialogue_id)
    assert (dialogue.state, dialogue.outcome) == ("closed", "ended")
    assert dialogue.closed_at == core.clock.now()
    assert local(core).threads[dialogue.thread_id or ""].archived
    assert {j.state for j in (await jobs(core)).values()} == {"done"}
    with pytest.raises(NotFound, match="no dialogue in progress"):
        await unpair(core, Unpair(MOD, "bob"))


async def test_close_records_the_outcome_once(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    with pytest.raises(BadInput):
        await close(core, made.dialogue_id, "ended")
    closed = await close(core, made.dialogue_id, "talked")
    again = await close(core, made.dialogue_id, "ghosted")

    assert closed.closed_now and closed.archived
    assert again.closed_now is False and again.outcome == "talked"
    assert (await dialogue_row(core, made.dialogue_id)).outcome == "talked"
    with pytest.raises(NotFound):
        await close(core, 9999, "talked")


async def test_wrap_up_and_unpair_at_the_same_moment_close_it_once(
    core: Core, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both read the dialogue as open before either writes: only one may end it (its outcome
    # stands) and archive the thread.
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    monkeypatch.setattr(dialogues, "end_in", meeting_point(dialogues.end_in))
    results = await asyncio.gather(
        close(core, made.dialogue_id, "talked"),
        unpair(core, Unpair(MOD, "bob")),
        return_exceptions=True,
    )
    # On SQLite the transactions run one after the other, so an unpair that comes second
    # finds no dialogue in progress; on PostgreSQL both read it open and one loses the update.
    ended = [r for r in results if isinstance(r, CloseResult)]
    refused = [r for r in results if not isinstance(r, CloseResult)]
    assert all(isinstance(r, NotFound) for r in refused)
    assert [r.closed_now for r in ended].count(True) == 1
    assert [r.archived for r in ended].count(True) == 1
    winner = next(r for r in ended if r.closed_now)
    assert (await dialogue_row(core, made.dialogue_id)).outcome == winner.outcome
    assert {r.outcome for r in ended} == {winner.outcome}


# --- feedback and stance changes -------------------------------------------------------------


async def test_feedback_rates_the_members_latest_dialogue(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    alice = actor(user="alice")

    rated = await feedback(core, GiveFeedback(alice, 4, "  Good crux  "))
    again = await feedback(core, GiveFeedback(alice, 5, dialogue_id=made.dialogue_id))

    assert (rated.dialogue_id, rated.rating, rated.comment) == (made.dialogue_id, 4, "Good crux")
    assert again.rating == 5
    async with core.db.transaction() as session:
        rows = (await session.scalars(select(Feedback))).all()
    assert [(r.rating, r.comment) for r in rows] == [(5, "")]


async def test_feedback_refuses_bad_ratings_and_other_peoples_dialogues(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol")
    alice = actor(user="alice")
    with pytest.raises(NotFound, match="no dialogue to rate"):
        await feedback(core, GiveFeedback(alice, 3))
    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    for rating in (0, 6):
        with pytest.raises(BadInput) as error:
            await feedback(core, GiveFeedback(alice, rating))
        assert error.value.field == "rating"
    with pytest.raises(BadInput) as error:
        await feedback(core, GiveFeedback(alice, 3, "x" * 1001))
    assert error.value.field == "comment"
    with pytest.raises(NotFound):
        await feedback(core, GiveFeedback(actor(user="carol"), 3, dialogue_id=made.dialogue_id))
    with pytest.raises(NotFound):
        await feedback(core, GiveFeedback(actor(user="stranger"), 3))
    assert await count(core, Feedback) == 0


async def test_a_dialogue_of_another_community_is_not_found(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    other = await seed_community(core, community="guild2", claims=CLAIMS)
    await signed_up(core, "alice", community="guild2")
    there = actor("guild2", "alice")

    with pytest.raises(NotFound):
        await feedback(core, GiveFeedback(there, 3, dialogue_id=made.dialogue_id))
    with pytest.raises(NotFound):
        await record_stance_change(
            core, RecordStanceChange(there, made.dialogue_id, other.claims[0], 1)
        )
    with pytest.raises(NotFound):
        await unpair(core, Unpair(moderator("guild2"), "bob"))


async def test_stance_change_keeps_the_first_before_and_updates_the_stance(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    alice = actor(user="alice")
    claim = seeded.claims[0]

    first = await record_stance_change(core, RecordStanceChange(alice, made.dialogue_id, claim, 1))
    second = await record_stance_change(core, RecordStanceChange(alice, made.dialogue_id, claim, 0))

    assert (first.before, first.after) == (2, 1)
    assert (second.before, second.after) == (2, 0)
    alice_id = (await member_row(core, "alice")).id
    async with core.db.transaction() as session:
        change = await session.get(StanceChange, (made.dialogue_id, alice_id, claim))
        stance = await session.get(Stance, (alice_id, claim))
        assert change is not None and (change.before, change.after) == (2, 0)
        assert stance is not None and stance.value == 0


async def test_stance_change_is_only_for_the_claims_the_pair_disagreed_on(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    bob = actor(user="bob")

    # They agree on claims[1]; bob skipped claims[2]: the wrap-up asks neither.
    for claim in (seeded.claims[1], seeded.claims[2]):
        with pytest.raises(BadInput) as error:
            await record_stance_change(core, RecordStanceChange(bob, made.dialogue_id, claim, -1))
        assert error.value.field == "claim"
    assert await count(core, StanceChange) == 0
    bob_id = (await member_row(core, "bob")).id
    async with core.db.transaction() as session:
        assert await session.get(Stance, (bob_id, seeded.claims[2])) is None


async def test_stance_change_refuses_bad_values_and_strangers(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol")
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    claim = seeded.claims[0]

    with pytest.raises(BadInput):
        await record_stance_change(
            core, RecordStanceChange(actor(user="alice"), made.dialogue_id, claim, 3)
        )
    with pytest.raises(NotFound):
        await record_stance_change(
            core, RecordStanceChange(actor(user="carol"), made.dialogue_id, claim, 1)
        )
    with pytest.raises(NotFound):
        await record_stance_change(
            core, RecordStanceChange(actor(user="alice"), made.dialogue_id, 9999, 1)
        )
    assert await count(core, StanceChange) == 0


async def test_a_manual_pair_within_the_cooldown_still_gets_a_full_explanation(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    await run_round(core)  # alice and bob meet in round 1
    await unpair(core, Unpair(MOD, "alice"))

    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    dialogue = await dialogue_row(core, made.dialogue_id)
    assert made.score is not None and dialogue.explanation["format"] == "sync"
    assert "forbidden" not in dialogue.explanation


def test_prompt_hours_read_every_stored_shape() -> None:
    assert prompt_hours({}) == {"nudge": 24, "midpoint": 72, "wrapup": 168, "checkin": 96}
    hours = prompt_hours({"nudge": {"hours": 6, "text": "Hi"}, "midpoint": 48, "checkin": None})
    assert hours == {"nudge": 6, "midpoint": 48, "wrapup": 168}
