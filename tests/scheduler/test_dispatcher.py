"""The dispatcher itself: restarts, missed jobs, retries with backoff then one moderator
notice, LISTEN/NOTIFY wake-ups, DST-correct cadence, the transcript."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.core import cadence
from bot.core.app import Core
from bot.core.community_config import Configure, configure
from bot.core.transcript import lesswrong_markdown
from bot.platforms.base import Message, PlatformError, ThreadMessage
from bot.platforms.local import LocalPlatform
from bot.scheduler.dispatcher import Dispatcher, Settings
from bot.scheduler.handlers import HANDLERS
from bot.scheduler.jobs import add_job
from bot.storage.models import Community, Job
from tests.core.conftest import MOD
from tests.factories import Seeded

from .conftest import bot_texts, jobs, local, open_pair, write


async def test_a_restart_in_between_loses_and_duplicates_nothing(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    made = await open_pair(core, seeded)
    await write(core, made.thread_id, "alice", "hello")
    first = Dispatcher(core, HANDLERS, owner="before")
    await first.start()
    clock.advance(hours=25)
    await first.settled()
    await first.stop()
    assert len(bot_texts(core, made.thread_id)) == 2  # intro, nudge

    clock.advance(days=3)  # down for three days: the crux and the check-in were missed
    again = Core(db=core.db, clock=clock, platforms=core.platforms)
    second = Dispatcher(again, HANDLERS, owner="after")
    await second.start()
    await second.settled()  # at start-up, late, not skipped
    texts = bot_texts(core, made.thread_id)
    assert len(texts) == 4 and "crux" in texts[2] and "meet live" in texts[3]
    await second.settled()
    await second.stop()
    assert len(bot_texts(core, made.thread_id)) == 4
    done = [j for j in await jobs(core) if j.state == "done"]
    assert sorted(j.claimed_by or "" for j in done) == ["after", "after", "before"]


class FlakyPlatform(LocalPlatform):
    """Answers 429/5xx (a `PlatformError`) to the first `failures` posts."""

    def __init__(self, clock: FixedClock, failures: int) -> None:
        super().__init__(clock)
        self.failures = failures
        self.attempts = 0

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        if thread_id != "mods":
            self.attempts += 1
            if self.attempts <= self.failures:
                raise PlatformError("429 Too Many Requests" if self.attempts % 2 else "503")
        return await super().post(thread_id, message, idempotency_key=idempotency_key)


async def _mod_channel(core: Core) -> str:
    platform = local(core)
    channel = await platform.open_private_thread("guild1", ["mod"], "moderators")
    platform.threads["mods"] = platform.threads.pop(channel)
    platform.threads["mods"].id = "mods"
    async with core.db.transaction() as session:
        community = await session.get_one(Community, 1)
        community.moderator_channel_id = "mods"
    return "mods"


async def _probe_job(core: Core) -> None:
    now = core.clock.now()
    async with core.db.transaction() as session:
        await add_job(
            session,
            kind="prompt",
            run_at=now,
            dedupe_key="prompt:1:midpoint-again",
            community_id=1,
            payload={"dialogue_id": 1, "prompt": "midpoint"},
            now=now,
        )


@pytest.mark.parametrize("failures", [2, 99])
async def test_platform_errors_are_retried_with_backoff_then_parked_with_one_notice(
    core: Core, seeded: Seeded, clock: FixedClock, failures: int
) -> None:
    made = await open_pair(core, seeded)
    await _mod_channel(core)
    flaky = FlakyPlatform(clock, failures)
    flaky.threads, flaky._keyed = local(core).threads, local(core)._keyed
    core.platforms["local"] = flaky
    await _probe_job(core)
    dispatcher = Dispatcher(
        core, HANDLERS, settings=Settings(max_attempts=4, max_sleep=timedelta(days=30))
    )
    await dispatcher.start()
    try:
        waits = []
        for _ in range(6):
            await dispatcher.settled()
            [job] = await jobs(core, Job.dedupe_key == "prompt:1:midpoint-again")
            if job.state != "pending":
                break
            waits.append(job.run_at - clock.now())
            clock.set(job.run_at)
    finally:
        await dispatcher.stop()

    notices = [m for m in flaky.threads["mods"].messages if m.author == "bot"]
    if failures == 2:
        assert (job.state, job.attempts) == ("done", 3)
        assert "crux" in bot_texts(core, made.thread_id)[-1]
        assert notices == []
    else:
        assert (job.state, job.attempts) == ("failed", 4)
        assert "429" in (job.last_error or "") or "503" in (job.last_error or "")
        [notice] = notices  # told once
        assert "gave up" in notice.text and str(job.id) in notice.text
    # Exponential backoff with jitter: each wait in [half, whole] of 30 s, 60 s, 120 s…
    for n, wait in enumerate(waits):
        step = 30 * 2**n
        assert step / 2 <= wait.total_seconds() <= step


# SQLite is one process, woken in-process (the lifecycle tests); this is the cross-process path.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_job_added_elsewhere_wakes_the_dispatcher_through_listen_notify(
    core: Core, seeded: Seeded, clock: FixedClock, database_url: str
) -> None:
    import asyncpg

    made = await open_pair(core, seeded)
    dispatcher = Dispatcher(core, HANDLERS, settings=Settings(max_sleep=timedelta(days=30)))
    await dispatcher.start()
    try:
        await dispatcher.settled()
        dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        other = await asyncpg.connect(dsn)  # another process's connection: no ORM events
        ran = asyncio.Event()
        dispatcher.on_start = lambda ctx: ran.set() if ctx.kind == "prompt" else None
        try:
            async with other.transaction():
                await other.execute(
                    "INSERT INTO jobs (kind, run_at, payload, state, dedupe_key, attempts, "
                    "created_at, community_id) VALUES ('prompt', $1, $2, 'pending', 'x', 0, $1, 1)",
                    clock.now(),
                    f'{{"dialogue_id": {made.dialogue_id}, "prompt": "midpoint"}}',
                )
                await other.execute("SELECT pg_notify('matchmaker_jobs', '')")
        finally:
            await other.close()
        await asyncio.wait_for(ran.wait(), 30)
        await dispatcher.settled()
    finally:
        await dispatcher.stop()
    assert "crux" in bot_texts(core, made.thread_id)[-1]


async def test_a_dst_change_does_not_move_the_round_by_an_hour(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 20, 12, 0, tzinfo=UTC))  # Europe/Berlin moves on 29 March
    await configure(
        core,
        Configure(MOD, cadence_weekday=0, cadence_time="15:00", cadence_timezone="Europe/Berlin"),
    )
    [round_job] = await jobs(core, Job.kind == "round", Job.state == "pending")
    assert round_job.run_at == datetime(2026, 3, 23, 14, 0, tzinfo=UTC)  # CET: UTC+1
    [reminder] = await jobs(core, Job.kind == "round_reminder", Job.state == "pending")
    assert reminder.run_at == datetime(2026, 3, 22, 14, 0, tzinfo=UTC)

    dispatcher = Dispatcher(core, HANDLERS, settings=Settings(max_sleep=timedelta(days=30)))
    await dispatcher.start()
    try:
        clock.set(round_job.run_at)
        await dispatcher.settled()
    finally:
        await dispatcher.stop()
    [next_round] = await jobs(core, Job.kind == "round", Job.state == "pending")
    assert next_round.run_at == datetime(2026, 3, 30, 13, 0, tzinfo=UTC)  # CEST: UTC+2
    assert next_round.dedupe_key == "round:1:2026-03-30T13:00Z"

    # Planning again (a restart, a second process) makes no second job for the slot.
    async with core.db.transaction() as session:
        community = await session.get_one(Community, 1)
        await cadence.plan(session, community, clock.now())
    assert len(await jobs(core, Job.kind == "round", Job.state == "pending")) == 1


async def test_changing_the_cadence_cancels_the_old_slot_with_a_reason(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    await configure(core, Configure(MOD, cadence_weekday=0, cadence_time="15:00"))
    await configure(core, Configure(MOD, cadence_weekday=2))
    rounds = await jobs(core, Job.kind == "round")
    assert [(j.state, j.last_error) for j in rounds] == [
        ("done", "cancelled: the round cadence changed"),
        ("pending", None),
    ]
    assert rounds[1].run_at.weekday() == 2


def test_the_transcript_leaves_out_the_bot_and_keeps_the_order() -> None:
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def msg(n: int, author: str, text: str, minutes: int, **kw: object) -> ThreadMessage:
        return ThreadMessage(f"M{n}", author, text, t0 + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]

    messages = [
        msg(1, "bot", "Welcome, Alice and Bob!", 0, is_bot=True),
        msg(3, "bob", "Evals first.", 5, is_bot=False),
        msg(2, "alice", "Theory first.", 2, is_bot=False),
        msg(4, "bob", "Here is my data.", 6, is_bot=False, attachments=("https://x/y.png",)),
        msg(5, "bot", "What is your crux?", 7, is_bot=True),
        msg(6, "alice", "My crux: tractability.", 8, is_bot=False),
    ]
    text = lesswrong_markdown("Alice and Bob on AI", [("alice", "Alice"), ("bob", "Bob")], messages)

    assert text.startswith("# Alice and Bob on AI\n\n*A dialogue between Alice and Bob*")
    assert "Welcome" not in text and "crux?" not in text
    body = text.split("\n## ")[1:]
    assert [part.split("\n")[0] for part in body] == ["Alice", "Bob", "Alice"]
    assert "Evals first.\n\nHere is my data.\n- [https://x/y.png](https://x/y.png)" in body[1]
    assert body[2].strip().endswith("My crux: tractability.")


async def test_the_loop_survives_the_database_going_away_for_a_while(
    core: Core, seeded: Seeded, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    made = await open_pair(core, seeded)
    # db_retry 0: the test is about going on after the error, not about the wait before it.
    settings = Settings(max_sleep=timedelta(days=30), db_retry=timedelta(0))
    dispatcher = Dispatcher(core, HANDLERS, settings=settings)
    real_run_due = dispatcher.run_due
    outages = [OperationalError("SELECT", {}, ConnectionRefusedError("server restarting"))]

    async def flaky_run_due() -> int:
        if outages:
            raise outages.pop()
        return await real_run_due()

    monkeypatch.setattr(dispatcher, "run_due", flaky_run_due)
    clock.advance(hours=72)
    await dispatcher.start()
    try:
        await dispatcher.settled()
    finally:
        await dispatcher.stop()
    assert outages == []
    assert "crux" in bot_texts(core, made.thread_id)[-1]


async def test_a_dialogues_steps_run_in_order_across_processes(
    core: Core, seeded: Seeded, clock: FixedClock
) -> None:
    made = await open_pair(core, seeded)
    clock.advance(hours=72)  # nudge and crux both due
    async with core.db.transaction() as session:  # another process holds the nudge
        nudge = await session.scalar(
            select(Job).where(Job.dedupe_key == f"prompt:{made.dialogue_id}:nudge")
        )
        assert nudge is not None
        nudge.state, nudge.claimed_by = "running", "other process"
        nudge.lease_until = clock.now() + timedelta(seconds=60)
    here = Dispatcher(core, HANDLERS, owner="here")
    await here.drain()
    [crux] = await jobs(core, Job.dedupe_key == f"prompt:{made.dialogue_id}:midpoint")
    assert (crux.state, crux.attempts) == ("pending", 0)  # waits, not a failed attempt
    assert crux.run_at == clock.now() + timedelta(seconds=5)
    assert len(bot_texts(core, made.thread_id)) == 1

    async with core.db.transaction() as session:  # the other process finishes its nudge
        held = await session.get_one(Job, nudge.id)
        held.state = "done"
    clock.advance(seconds=5)
    await here.drain()
    assert "crux" in bot_texts(core, made.thread_id)[-1]
