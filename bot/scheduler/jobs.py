"""Writing jobs: one insert that is a no-op when a job with the same dedupe key exists, so two
processes (or a retry after a crash) planning the same job make one row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Job

from . import signals

CANCELLED = "cancelled: "


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
