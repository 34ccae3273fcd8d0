"""The rarer jobs: the weekly round by cadence with its reminder, the mutual-want intake
timeout, a pause's end, and a round's unmatched DMs surviving a crash after the commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.core import blocks, membership, wants
from bot.core.app import Core
from bot.core.community_config import Configure, configure
from bot.core.rounds import RunRound, run
from bot.platforms.local import LocalPlatform
from bot.scheduler import service
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import Dialogue, Job, Member, Round
from tests.core.conftest import MOD, two_disagreeing
from tests.factories import Seeded, actor, signed_up

from .conftest import jobs, local


async def test_the_cadence_runs_each_weekly_round_once_and_reminds_the_day_before(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    await two_disagreeing(core, seeded)
    await membership.pause(core, membership.Pause(actor(user="bob")))
    await signed_up(core, "carol", name="Carol")
    await configure(core, Configure(MOD, cadence_weekday=2, cadence_time="18:00"))
    # A second process starting meanwhile plans the same slot: still one job.
    dispatcher = await service.start(core)
    try:
        clock.set(datetime(2026, 1, 6, 18, 0, tzinfo=UTC))  # the day before Wednesday 18:00
        await dispatcher.settled()
        for user in ("alice", "carol"):
            [reminder] = local(core).direct[("guild1", user)]
            assert "starts tomorrow" in reminder.text and "/dialogue pause" in reminder.text
        assert ("guild1", "bob") not in local(core).direct  # paused: not reminded

        clock.set(datetime(2026, 1, 7, 18, 0, tzinfo=UTC))
        await dispatcher.settled()
        async with core.db.transaction() as session:
            [made] = list(await session.scalars(select(Round)))
        assert made.idempotency_key == "cadence:2026-01-07T18:00Z"
        [next_round] = await jobs(core, Job.kind == "round", Job.state == "pending")
        assert next_round.run_at == datetime(2026, 1, 14, 18, 0, tzinfo=UTC)
    finally:
        await dispatcher.stop()
    again = await service.start(core)  # a restart plans nothing twice, runs nothing twice
    try:
        await again.settled()
    finally:
        await again.stop()
    assert len(await jobs(core, Job.kind == "round", Job.state == "pending")) == 1
    async with core.db.transaction() as session:
        assert len(list(await session.scalars(select(Round)))) == 1


async def test_a_mutual_want_opens_when_the_intake_times_out(
    core: Core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    await two_disagreeing(core, seeded)
    await wants.want(core, wants.WantMember(actor(user="alice"), "bob"))
    made = await wants.want(core, wants.WantMember(actor(user="bob"), "alice"))
    assert made.dialogue_id is not None
    clock.advance(hours=47)
    await dispatcher.settled()
    async with core.db.transaction() as session:
        assert (await session.get_one(Dialogue, made.dialogue_id)).state == "pending"
    clock.advance(hours=1)
    await dispatcher.settled()
    async with core.db.transaction() as session:
        assert (await session.get_one(Dialogue, made.dialogue_id)).state == "open"


async def test_a_mutual_want_dm_that_failed_is_retried_by_the_scheduler_and_sent_once(
    core: Core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    await two_disagreeing(core, seeded)
    local(core).unreachable.add("alice")  # her DMs are closed for now
    await wants.want(core, wants.WantMember(actor(user="alice"), "bob"))
    made = await wants.want(core, wants.WantMember(actor(user="bob"), "alice"))
    assert made.mutual and made.undelivered == ("alice",)
    assert ("guild1", "alice") not in local(core).direct
    [waiting] = await jobs(core, Job.kind == "mutual_want_dm", Job.state == "pending")
    assert waiting.payload["user_id"] == "alice" and waiting.attempts == 1

    local(core).unreachable.discard("alice")
    clock.advance(minutes=1)
    await dispatcher.settled()
    clock.advance(hours=1)
    await dispatcher.settled()
    for user in ("alice", "bob"):
        [dm] = local(core).direct[("guild1", user)]
        assert dm.buttons == (f"mw:intake:{made.dialogue_id}",)
    sent = await jobs(core, Job.kind == "mutual_want_dm")
    assert sorted((j.payload["user_id"], j.state, j.attempts) for j in sent) == [
        ("alice", "done", 2),
        ("bob", "done", 1),
    ]


async def test_a_pause_that_ends_flips_the_member_back_and_tells_them(
    core: Core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    await signed_up(core, "alice")
    until = clock.now() + timedelta(days=3)
    await membership.pause(core, membership.Pause(actor(user="alice"), until))
    clock.advance(days=3)
    await dispatcher.settled()
    async with core.db.transaction() as session:
        alice = await session.scalar(select(Member).where(Member.external_id == "alice"))
    assert alice is not None and (alice.status, alice.paused_until) == ("active", None)
    [told] = local(core).direct[("guild1", "alice")]
    assert "pause is over" in told.text

    # A pause changed meanwhile: the old job is cancelled with its reason, not run.
    await membership.pause(
        core, membership.Pause(actor(user="alice"), clock.now() + timedelta(days=1))
    )
    await membership.resume(core, membership.Resume(actor(user="alice")))
    clock.advance(days=1)
    await dispatcher.settled()
    [_, second] = await jobs(core, Job.kind == "pause_end")
    assert second.last_error == "cancelled: the pause was changed or lifted"
    assert len(local(core).direct[("guild1", "alice")]) == 1


class DiesOnDirectMessage(LocalPlatform):
    """The process dies (not a platform refusal) as it starts telling the unmatched."""

    async def send_direct(self, *args: object, **kwargs: object) -> str:
        raise RuntimeError("process killed")


async def test_unmatched_dms_are_jobs_committed_with_the_round(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol", name="Carol")
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "alice"))
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "bob"))
    survivor = local(core)
    dying = DiesOnDirectMessage(clock)
    dying.threads, dying._keyed = survivor.threads, survivor._keyed
    core.platforms["local"] = dying
    with pytest.raises(RuntimeError):
        await run(core, RunRound(MOD, "slot"))  # dies right after the commit
    assert ("guild1", "carol") not in survivor.direct
    [job] = await jobs(core, Job.kind == "unmatched_dm")
    assert (job.state, job.claimed_by) == ("running", "round run")

    core.platforms["local"] = survivor  # restarted; the dead call's lease runs out
    clock.advance(minutes=2)
    await Dispatcher(core, {**service.HANDLERS}, owner="restarted").drain()
    [dm] = survivor.direct[("guild1", "carol")]
    assert "No dialogue partner" in dm.text
    [job] = await jobs(core, Job.kind == "unmatched_dm")
    assert (job.state, job.claimed_by, job.attempts) == ("done", "restarted", 2)


async def test_an_undeliverable_unmatched_dm_is_recorded_not_retried(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol", name="Carol")
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "alice"))
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "bob"))
    local(core).unreachable.add("carol")
    await run(core, RunRound(MOD, "slot"))
    [job] = await jobs(core, Job.kind == "unmatched_dm")
    assert job.state == "done" and "does not accept direct messages" in (job.last_error or "")


async def test_a_dialogue_the_platform_refused_is_opened_by_a_retry(
    core: Core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    from bot.core.dialogues import PairMembers, pair

    await two_disagreeing(core, seeded)
    local(core).unreachable.add("bob")
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    assert made.opened.state == "pending"
    clock.advance(minutes=10)
    await dispatcher.settled()  # bob still unreachable: retried later, with backoff
    [retry] = await jobs(core, Job.kind == "open_dialogue")
    assert (retry.state, retry.attempts) == ("pending", 1) and "bob" in (retry.last_error or "")

    local(core).unreachable.clear()
    clock.set(retry.run_at)
    await dispatcher.settled()
    async with core.db.transaction() as session:
        assert (await session.get_one(Dialogue, made.dialogue_id)).state == "open"
    [retry] = await jobs(core, Job.kind == "open_dialogue")
    assert retry.state == "done"
    assert len(await jobs(core, Job.kind == "prompt")) == 4
