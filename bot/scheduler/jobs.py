"""Writing jobs: one insert that is a no-op when a job with the same dedupe key exists, so two
processes (or a retry after a crash) planning the same job make one row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import Database
from bot.storage.models import Job

from . import signals

CANCELLED = "cancelled: "
# How long a job run inline (in the command that planned it) is leased to that command
# before the dispatcher may take it over. Such a job is also planned due this far ahead
# (`inline_due`), so the dispatcher, woken by the commit, cannot take it before the command
# does; it runs it only if the command's process dies first.
INLINE_LEASE = timedelta(minutes=1)


def inline_due(now: datetime) -> datetime:
    """`run_at` of a job its command runs itself right after the commit (`claim_inline`)."""
    return now + INLINE_LEASE


def job_key(job_id: int, part: str = "") -> str:
    """The idempotency key of one effect of a job; the same on every retry. Short, since
    Discord's nonce allows 25 characters."""
    return f"j{job_id}:{part}" if part else f"j{job_id}"


async def add_job(
    session: AsyncSession,
    *,
    kind: str,
    run_at: datetime,
    dedupe_key: str,
    community_id: int | None,
    payload: dict[str, Any] | None = None,
    now: datetime,
) -> bool:
    """Insert a pending job unless its dedupe key exists; True when this call inserted it."""
    values = {
        "community_id": community_id,
        "kind": kind,
        "run_at": run_at,
        "payload": payload or {},
        "state": "pending",
        "dedupe_key": dedupe_key,
        "attempts": 0,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(
        insert(Job).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    added = bool(getattr(result, "rowcount", 0))
    if added:
        await signals.jobs_added(session)
    return added


async def cancel_pending(
    session: AsyncSession, reason: str, now: datetime, *conditions: Any
) -> int:
    """Cancel the pending jobs matching `conditions`, recording why; returns how many."""
    result = await session.execute(
        update(Job)
        .where(Job.state == "pending", *conditions)
        .values(state="done", done_at=now, last_error=CANCELLED + reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_inline(
    db: Database, key_prefix: str, owner: str, now: datetime
) -> Sequence[tuple[int, int | None, dict[str, Any]]]:
    """Lease the pending jobs whose dedupe key starts with `key_prefix` to `owner`, as the
    dispatcher would lease them (attempt counted), so a command can run the jobs it just
    planned and answer with their outcome; if the process dies midway, the dispatcher runs
    them after the lease, with the same keys, so nothing is sent twice.
    Returns (id, community_id, payload) of each, by id."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                update(Job)
                .where(Job.dedupe_key.like(f"{key_prefix}%"), Job.state == "pending")
                .values(
                    state="running",
                    claimed_by=owner,
                    claimed_at=now,
                    lease_until=now + INLINE_LEASE,
                    attempts=Job.attempts + 1,
                )
                .returning(Job.id, Job.community_id, Job.payload)
            )
        ).all()
    return sorted((job_id, community_id, payload) for job_id, community_id, payload in rows)


def done_values(at: datetime, note: str | None = None) -> dict[str, Any]:
    """The row of a job that has run (`note`: why it had nothing to do, or what failed)."""
    return {"state": "done", "done_at": at, "lease_until": None, "last_error": note}


async def finish_inline(db: Database, job_id: int, owner: str, values: dict[str, Any]) -> None:
    """Record how a job leased by `claim_inline` ended (`done_values`, or back to pending with
    a later `run_at`, which wakes the dispatcher to plan the retry); a no-op if the lease was
    lost to the dispatcher meanwhile."""
    async with db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.claimed_by == owner, Job.state == "running")
            .values(**values)
        )
        if values["state"] == "pending":
            await signals.jobs_added(session)
