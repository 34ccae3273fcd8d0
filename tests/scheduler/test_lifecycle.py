"""The dialogue lifecycle on a fake clock, through the running dispatcher: each prompt at its
time, the wrap-up with its buttons and private stance re-ask, close, outcome, publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.core import lifecycle, membership
from bot.core.dialogues import RecordStanceChange, Unpair, record_stance_change, unpair
from bot.core.errors import NotFound
from bot.core.stats import ShowPoolStats, pool_stats
from bot.core.status import ShowStatus, status
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import Dialogue, Job
from tests.core.conftest import MOD
from tests.factories import Seeded, actor

from .conftest import bot_texts, jobs, local, open_pair, write


async def dialogue(core, dialogue_id: int) -> Dialogue:  # type: ignore[no-untyped-def]
    async with core.db.transaction() as session:
        return await session.get_one(Dialogue, dialogue_id)


async def test_each_prompt_fires_at_its_time(
    core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    await dispatcher.settled()
    assert len(bot_texts(core, made.thread_id)) == 1  # the intro only

    await write(core, made.thread_id, "alice", "Hi Bob! Theory first, I say.")
    clock.advance(hours=23, minutes=59)
    await dispatcher.settled()
    assert len(bot_texts(core, made.thread_id)) == 1

    clock.advance(minutes=1)  # 24 h: bob has not written, so he is nudged by name
    await dispatcher.settled()
    nudge = bot_texts(core, made.thread_id)[-1]
    assert nudge.startswith("Bob: ") and "nudge" in nudge
    assert "Alice" not in nudge

    await write(core, made.thread_id, "bob", "Evals tell us more than theory.")
    clock.advance(hours=48)  # day 3: the crux
    await dispatcher.settled()
    assert "crux" in bot_texts(core, made.thread_id)[-1]
    assert len(bot_texts(core, made.thread_id)) == 3

    assert (await dialogue(core, made.dialogue_id)).explanation["format"] == "sync"
    clock.advance(hours=24)  # day 4: a sync pair is asked whether they met
    await dispatcher.settled()
    checkin = local(core).threads[made.thread_id].messages[-1]
    assert "meet live" in checkin.text
    assert checkin.buttons == (
        f"dm:wrapup:talked:{made.dialogue_id}",
        f"dm:wrapup:did_not:{made.dialogue_id}",
    )

    clock.advance(hours=72)  # day 7: wrap-up with buttons, and the private re-ask
    await dispatcher.settled()
    wrapup = local(core).threads[made.thread_id].messages[-1]
    assert "wrap up" in wrapup.text
    assert f"dm:wrapup:talked:{made.dialogue_id}" in wrapup.buttons
    assert f"dm:wrapup:publish:{made.dialogue_id}" in wrapup.buttons
    for user in ("alice", "bob"):
        [reask] = local(core).direct[("guild1", user)]
        assert "Theory will get alignment further" in reask.text
        assert len(reask.buttons) == 5  # -2..+2
    assert "strongly agree" in local(core).direct[("guild1", "alice")][0].text  # her before

    clock.advance(hours=48)  # nobody pressed, but both wrote: closed as talked, archived
    await dispatcher.settled()
    closed = await dialogue(core, made.dialogue_id)
    assert (closed.state, closed.outcome) == ("closed", "talked")
    assert local(core).threads[made.thread_id].archived
    assert "closed" in bot_texts(core, made.thread_id)[-1]
    assert all(j.state == "done" for j in await jobs(core))


async def test_a_pair_silent_past_the_wrap_up_is_ghosted(
    core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    clock.advance(days=10)
    await dispatcher.settled()  # nudge, crux, check-in and wrap-up, late, in their order
    texts = bot_texts(core, made.thread_id)
    assert ["nudge" in texts[1], "crux" in texts[2], "wrap up" in texts[4]] == [True] * 3
    clock.advance(days=2)
    await dispatcher.settled()
    closed = await dialogue(core, made.dialogue_id)
    assert (closed.state, closed.outcome) == ("closed", "ghosted")
    nudge = next(t for t in bot_texts(core, made.thread_id) if "nudge" in t)
    assert nudge.startswith("Alice and Bob: ")


async def test_a_closed_dialogue_cancels_its_pending_prompts(
    core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    await unpair(core, Unpair(MOD, "alice"))
    clock.advance(days=8)
    await dispatcher.settled()

    assert bot_texts(core, made.thread_id)[1:] == []
    prompts = await jobs(core, Job.kind == "prompt")
    assert {j.payload["prompt"] for j in prompts} == {"nudge", "midpoint", "checkin", "wrapup"}
    assert all(j.state == "done" and j.attempts == 0 for j in prompts)
    assert all(j.last_error == "cancelled: dialogue closed" for j in prompts)


async def test_prompts_stop_for_a_dialogue_whose_member_was_removed(
    core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    await membership.remove(core, membership.RemoveMember(MOD, "bob"))
    clock.advance(hours=25)
    await dispatcher.settled()
    [nudge] = await jobs(core, Job.dedupe_key == f"prompt:{made.dialogue_id}:nudge")
    assert nudge.last_error == "cancelled: a member was removed from the pool"
    assert len(bot_texts(core, made.thread_id)) == 1


async def test_nudge_is_cancelled_when_everyone_has_written(
    core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    await write(core, made.thread_id, "alice", "hello")
    await write(core, made.thread_id, "bob", "hi")
    clock.advance(hours=25)
    await dispatcher.settled()
    [nudge] = await jobs(core, Job.dedupe_key == f"prompt:{made.dialogue_id}:nudge")
    assert nudge.last_error == "cancelled: everyone has written"
    assert len(bot_texts(core, made.thread_id)) == 1


async def test_wrap_up_answers_stance_moves_and_publishing(
    core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    alice, bob, carol = actor(user="alice"), actor(user="bob"), actor(user="carol")
    await write(core, made.thread_id, "alice", "Theory first.")
    await write(core, made.thread_id, "bob", "Evals first.")
    clock.advance(days=7)
    await dispatcher.settled()
    claim = seeded.claims[0]

    moved = await record_stance_change(core, RecordStanceChange(alice, made.dialogue_id, claim, 1))
    assert (moved.before, moved.after) == (2, 1)
    await record_stance_change(core, RecordStanceChange(bob, made.dialogue_id, claim, -1))
    stats = await pool_stats(core, ShowPoolStats(MOD))
    [moves] = stats.stance_moves
    assert (moves.asked, moves.moved, moves.toward_disagree) == (2, 1, 1)

    await lifecycle.answer_wrapup(core, alice, made.dialogue_id, "did_not")
    await lifecycle.answer_wrapup(core, bob, made.dialogue_id, "talked")
    first = await lifecycle.answer_wrapup(core, alice, made.dialogue_id, "publish")
    assert not first.publish_ready
    second = await lifecycle.answer_wrapup(core, bob, made.dialogue_id, "publish")
    assert second.publish_ready
    await dispatcher.settled()
    for user in ("alice", "bob"):
        transcript = local(core).direct[("guild1", user)][-1].text
        assert "## Alice\n\nTheory first." in transcript
        assert transcript.index("## Alice") < transcript.index("## Bob")
        assert "crux" not in transcript and "Welcome" not in transcript

    clock.advance(days=2)
    await dispatcher.settled()
    closed = await dialogue(core, made.dialogue_id)
    assert (closed.state, closed.outcome) == ("closed", "talked")  # one "talked" is enough
    async with core.db.transaction() as session:
        publish_jobs = list(await session.scalars(select(Job).where(Job.kind == "publish")))
    assert len(publish_jobs) == 1  # a third press would not queue another
    with pytest.raises(NotFound):
        await lifecycle.answer_wrapup(core, carol, made.dialogue_id, "talked")


async def test_status_says_what_the_dialogue_waits_for(
    core, seeded: Seeded, clock: FixedClock
) -> None:
    made = await open_pair(core, seeded)
    await write(core, made.thread_id, "alice", "Hello")
    view = await status(core, ShowStatus(actor(user="alice")))
    assert view.current is not None
    assert view.current.waiting_for == "Bob's first message"
    assert view.current.next_prompt == ("nudge", clock.now() + timedelta(hours=24))
    assert view.next_round_at is None  # this community runs rounds by hand
