"""The dispatcher: one task per process that runs the `jobs` table.

It sleeps until the earliest due job (RoboDanny's reminder loop, with an injectable clock) and
is woken early when a job is added: by `signals` in-process, by LISTEN/NOTIFY across
processes. It never polls while idle, apart from one safety look every `max_sleep`.

Claiming: one transaction selects due jobs `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite's
`BEGIN IMMEDIATE` serialises the same statement) and leases them to this process until
`lease_until`. A process that dies mid-job stops renewing its lease; when the lease has run
out another process claims the job again. Handlers pass the job's idempotency keys to the
platform, so a retried job reconciles with what the dead attempt already did instead of
doing it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import DBAPIError

from bot.core.app import Core
from bot.core.errors import Busy
from bot.storage.models import Job

from . import signals
from .jobs import CANCELLED, add_job, job_key

log = logging.getLogger(__name__)

NOTICE_KIND = "moderator_notice"


@dataclass(frozen=True, slots=True)
class Cancelled:
    """A handler's answer when its job no longer makes sense (dialogue closed, member left)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Later:
    """A handler's answer when its job must wait (an earlier step of the same dialogue has not
    run yet): run again at `at`, without counting this as a failed attempt."""

    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class JobContext:
    core: Core
    id: int
    kind: str
    community_id: int | None
    payload: Mapping[str, Any]
    run_at: datetime
    attempts: int  # this run included
    owner: str = ""  # the process running it

    def key(self, part: str = "") -> str:
        """The idempotency key of one effect of this job; the same on every retry."""
        return job_key(self.id, part)


Handler = Callable[[JobContext], Awaitable[Cancelled | Later | None]]


@dataclass(frozen=True, slots=True)
class Settings:
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)
    batch: int = 500
    concurrency: int = 20
    # SQLite has one writer: concurrent jobs would only queue on its lock (and its busy
    # handler sleeps), so one process runs them one at a time there.
    sqlite_concurrency: int = 1
    # Batches claimed and run side by side on PostgreSQL (SKIP LOCKED keeps them apart). One
    # by default: two lanes may split one dialogue's late prompts and run them out of order.
    lanes: int = 1
    db_retry: timedelta = timedelta(seconds=5)
    # One look at the table this often even with no wake-up: covers a NOTIFY lost while the
    # LISTEN connection was down. Not polling: five minutes apart.
    max_sleep: timedelta = timedelta(minutes=5)


def _sequences(claimed: list[JobContext]) -> list[list[JobContext]]:
    """The batch split into groups that run one after the other: one dialogue's late prompts
    in their order (nudge before wrap-up), everything else alone and concurrently."""
    groups: dict[object, list[JobContext]] = {}
    for ctx in claimed:  # claimed in run_at order
        dialogue = ctx.payload.get("dialogue_id")
        groups.setdefault(("dialogue", dialogue) if dialogue is not None else ctx.id, []).append(
            ctx
        )
    return list(groups.values())


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Dispatcher:
    core: Core
    handlers: Mapping[str, Handler]
    owner: str = field(default_factory=default_owner)
    settings: Settings = field(default_factory=Settings)
    rng: random.Random = field(default_factory=random.Random)
    # Called with (job context, started-at) when a handler starts: the bench's lag probe.
    on_start: Callable[[JobContext], None] | None = None
    # Called each time the loop goes to sleep with nothing due (tests, the demo's report).
    on_idle: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()  # set while the loop sleeps with nothing due
        self._passes = 0  # loop passes begun
        self._idle_pass = -1  # the pass that last went to sleep
        self._task: asyncio.Task[None] | None = None
        self._listener: signals.PostgresListener | None = None
        signals.register(self)

    def __hash__(self) -> int:  # held in a WeakSet
        return id(self)

    # --- running --------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """Start the loop as a task (after LISTEN is up, so no NOTIFY is missed)."""
        if self.core.db.engine.dialect.name == "postgresql":
            self._listener = signals.PostgresListener(self.core.db.url, self.wake)
            await self._listener.start()
        self._task = asyncio.create_task(self._loop(), name=f"dispatcher {self.owner}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None

    async def settled(self) -> None:
        """Wake the loop and return once a pass begun after this call has run everything due
        and gone to sleep (tests and the demo move a fake clock, then call this)."""
        if self._task is None:
            raise RuntimeError("the dispatcher is not running")
        after = self._passes
        self.wake()
        while not (self.idle.is_set() and self._idle_pass > after):
            self.idle.clear()
            waiter = asyncio.ensure_future(self.idle.wait())
            done, _ = await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
            if self._task in done:
                waiter.cancel()
                self._task.result()  # the loop died: raise its error here

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            self._passes += 1
            if self._listener is not None:
                await self._listener.ensure()
            lanes = 1 if self.core.db.is_sqlite else self.settings.lanes
            try:
                if sum(await asyncio.gather(*(self.run_due() for _ in range(lanes)))):
                    continue
                next_at = await self.next_due()
            except (DBAPIError, OSError, Busy) as error:
                # A database restart or failover: wait and go on (leases taken meanwhile run
                # out and are retried), rather than end the task and with it the process.
                log.error(
                    "scheduler: the database is unavailable (%s); retrying in %s",
                    error,
                    self.settings.db_retry,
                )
                await self.core.clock.sleep_until(self.core.clock.now() + self.settings.db_retry)
                continue
            self._idle_pass = self._passes
            self.idle.set()
            if self.on_idle is not None:
                self.on_idle()
            await self._sleep(next_at)
            self.idle.clear()

    async def _sleep(self, next_at: datetime | None) -> None:
        clock = self.core.clock
        deadline = clock.now() + self.settings.max_sleep
        if next_at is not None and next_at < deadline:
            deadline = next_at
        sleeper = asyncio.ensure_future(clock.sleep_until(deadline))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            woken.cancel()

    async def next_due(self) -> datetime | None:
        """When the next job becomes claimable: a pending one's time or a lease's end."""
        async with self.core.db.read() as session:
            pending = await session.scalar(
                select(func.min(Job.run_at)).where(Job.state == "pending")
            )
            leased = await session.scalar(
                select(func.min(Job.lease_until)).where(Job.state == "running")
            )
        times = [t for t in (pending, leased) if t is not None]
        return min(times) if times else None

    async def run_due(self) -> int:
        """Claim and run one batch of due jobs; returns how many ran."""
        claimed = await self._claim()
        if not claimed:
            return 0
        limit = asyncio.Semaphore(
            self.settings.sqlite_concurrency
            if self.core.db.is_sqlite
            else self.settings.concurrency
        )
        done: list[int] = []
        cancelled: list[tuple[int, str]] = []
        later: list[tuple[int, datetime]] = []

        async def in_order(group: list[JobContext]) -> None:
            async with limit:
                for ctx in group:
                    outcome = await self._run_one(ctx)
                    if outcome is None:
                        done.append(ctx.id)
                    elif isinstance(outcome, Cancelled):
                        cancelled.append((ctx.id, outcome.reason))
                    elif isinstance(outcome, Later):
                        later.append((ctx.id, outcome.at))

        renew = asyncio.create_task(self._renew_leases([c.id for c in claimed]))
        try:
            async with asyncio.TaskGroup() as tasks:
                for group in _sequences(claimed):
                    tasks.create_task(in_order(group))
        finally:
            renew.cancel()
        await self._finish(done, cancelled, later)
        return len(claimed)

    async def drain(self) -> int:
        """Run due jobs until none is left (the demo, tests). Returns how many ran."""
        total = 0
        while ran := await self.run_due():
            total += ran
        return total

    # --- claiming and finishing -----------------------------------------------------------

    async def _claim(self) -> list[JobContext]:
        """Lease up to `batch` due jobs to this process in one statement: the CTE picks rows
        `FOR UPDATE SKIP LOCKED` (rows another process is claiming are skipped, not waited
        for), the UPDATE leases them and RETURNING hands them over. SQLite runs the same
        statement under its `BEGIN IMMEDIATE` write lock."""
        now = self.core.clock.now()
        lease = {
            "state": "running",
            "claimed_by": self.owner,
            "claimed_at": now,
            "lease_until": now + self.settings.lease,
            "attempts": Job.attempts + 1,
        }
        returned = (Job.id, Job.kind, Job.community_id, Job.payload, Job.run_at, Job.attempts)

        def claim(*due: Any, limit: int) -> Any:
            # Two statements rather than one OR, so each walks the (state, run_at) index.
            picked = (
                select(Job.id)
                .where(*due)
                .order_by(Job.run_at, Job.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
                .cte("picked")
            )
            # `id IN (picked)`, not UPDATE … FROM: SQLite then looks rows up by key instead of
            # scanning the table for the join.
            return (
                update(Job)
                .where(Job.id.in_(select(picked.c.id)))
                .values(**lease)
                .returning(*returned)
            )

        async with self.core.db.transaction() as session:
            # Jobs whose owner died mid-job (or hangs): the lease ran out, retry them here.
            rows = (
                await session.execute(
                    claim(
                        Job.state == "running",
                        Job.lease_until < now,
                        limit=self.settings.batch,
                    )
                )
            ).all()
            rows += (
                await session.execute(
                    claim(
                        Job.state == "pending",
                        Job.run_at <= now,
                        limit=self.settings.batch - len(rows),
                    )
                )
            ).all()
        claimed = sorted(
            (JobContext(self.core, *row, owner=self.owner) for row in rows),
            key=lambda c: (c.run_at, c.id),
        )
        retried = [c.id for c in claimed if c.attempts > 1]
        if retried:
            log.info("retrying jobs %s (failed before, or their process died)", retried[:20])
        return claimed

    async def _run_one(self, ctx: JobContext) -> Cancelled | Later | Exception | None:
        handler = self.handlers.get(ctx.kind)
        if self.on_start is not None:
            self.on_start(ctx)
        try:
            if handler is None:
                raise LookupError(f"no handler for jobs of kind {ctx.kind!r}")
            return await handler(ctx)
        except Exception as error:  # any failure is retried, then parked and reported
            log.warning(
                "job %s (%s) failed (attempt %s): %r", ctx.id, ctx.kind, ctx.attempts, error
            )
            await self._failed(ctx, error)
            return error

    async def _renew_leases(self, ids: list[int]) -> None:
        """Keep the batch's leases while it runs (a round can take a while); a dead process
        stops renewing, and its jobs become claimable when the lease runs out."""
        every = self.settings.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            async with self.core.db.transaction() as session:
                await session.execute(
                    update(Job)
                    .where(self._mine(ids))
                    .values(lease_until=self.core.clock.now() + self.settings.lease)
                )

    def _mine(self, ids: list[int]) -> Any:
        # A job whose lease ran out meanwhile belongs to whoever claimed it since.
        return and_(Job.id.in_(ids), Job.claimed_by == self.owner, Job.state == "running")

    async def _finish(
        self,
        done: list[int],
        cancelled: list[tuple[int, str]],
        later: list[tuple[int, datetime]] | None = None,
    ) -> None:
        later = later or []
        if not done and not cancelled and not later:
            return
        now = self.core.clock.now()
        async with self.core.db.transaction() as session:
            if done:
                await session.execute(
                    update(Job)
                    .where(self._mine(done))
                    .values(state="done", done_at=now, lease_until=None, last_error=None)
                )
            for job_id, at in later:
                await session.execute(
                    update(Job)
                    .where(self._mine([job_id]))
                    .values(state="pending", run_at=at, lease_until=None, attempts=Job.attempts - 1)
                )
            for job_id, reason in cancelled:
                log.info("job %s cancelled: %s", job_id, reason)
                await session.execute(
                    update(Job)
                    .where(self._mine([job_id]))
                    .values(
                        state="done", done_at=now, lease_until=None, last_error=CANCELLED + reason
                    )
                )

    def backoff(self, attempts: int) -> timedelta:
        """Exponential backoff with full jitter between half and all of the step."""
        step = self.settings.backoff_base * (2 ** max(0, attempts - 1))
        step = min(step, self.settings.backoff_cap)
        return step * (0.5 + self.rng.random() / 2)

    async def _failed(self, ctx: JobContext, error: Exception) -> None:
        now = self.core.clock.now()
        message = f"{type(error).__name__}: {error}"[:2000]
        async with self.core.db.transaction() as session:
            if ctx.attempts < self.settings.max_attempts:
                await session.execute(
                    update(Job)
                    .where(self._mine([ctx.id]))
                    .values(
                        state="pending",
                        run_at=now + self.backoff(ctx.attempts),
                        lease_until=None,
                        last_error=message,
                    )
                )
                return
            parked = await session.execute(
                update(Job)
                .where(self._mine([ctx.id]))
                .values(state="failed", done_at=now, lease_until=None, last_error=message)
            )
            # The notice is a job of its own, keyed by the parked job: moderators hear once,
            # even if this process dies right after parking.
            if getattr(parked, "rowcount", 0) == 1 and ctx.kind != NOTICE_KIND:
                log.error("job %s (%s) parked after %s attempts", ctx.id, ctx.kind, ctx.attempts)
                await add_job(
                    session,
                    kind=NOTICE_KIND,
                    run_at=now,
                    dedupe_key=f"parked:{ctx.id}",
                    community_id=ctx.community_id,
                    payload={"job_id": ctx.id, "job_kind": ctx.kind, "error": message},
                    now=now,
                )
