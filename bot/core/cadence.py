"""Each community's weekly round cadence as jobs: the next slot's round, and the reminder to the
pool before it.

A slot is a wall-clock time in the community's timezone (`status.next_round_at`, DST-correct);
its jobs are keyed by the slot (`round:<community>:<slot UTC>`), so two processes or a restart
planning the same slot make one job, and the round itself runs with the slot as its
idempotency key. The reminder goes out `signup_window_hours` before the slot (24 h when unset):
the window in which members can still sign up or pause.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.jobs import add_job, cancel_pending
from bot.storage.models import Community, Job

from .status import next_round_at

DEFAULT_REMINDER_HOURS = 24
ROUND_KINDS = ("round", "round_reminder")


def slot_key(slot: datetime) -> str:
    return slot.strftime("%Y-%m-%dT%H:%MZ")


def round_job_key(community_id: int, slot: datetime) -> str:
    return f"round:{community_id}:{slot_key(slot)}"


def reminder_job_key(community_id: int, slot: datetime) -> str:
    return f"round_reminder:{community_id}:{slot_key(slot)}"


def reminder_at(community: Community, slot: datetime) -> datetime:
    return slot - timedelta(hours=community.signup_window_hours or DEFAULT_REMINDER_HOURS)


def is_slot(community: Community, slot: datetime) -> bool:
    """Whether `slot` is still a slot of the community's cadence (it may have changed)."""
    return next_round_at(community, slot - timedelta(seconds=1)) == slot


async def plan(session: AsyncSession, community: Community, now: datetime) -> datetime | None:
    """Make sure the jobs of the next slot exist and no other slot's are pending; returns the
    slot (None: rounds are run by hand)."""
    slot = next_round_at(community, now)
    keep = (
        {round_job_key(community.id, slot), reminder_job_key(community.id, slot)} if slot else set()
    )
    await cancel_pending(
        session,
        "the round cadence changed" if slot else "rounds are now run by hand",
        now,
        Job.community_id == community.id,
        Job.kind.in_(ROUND_KINDS),
        Job.dedupe_key.not_in(keep) if keep else Job.id.is_not(None),
    )
    if slot is None:
        return None
    payload = {"slot": slot.isoformat()}
    await add_job(
        session,
        kind="round",
        run_at=slot,
        dedupe_key=round_job_key(community.id, slot),
        community_id=community.id,
        payload=payload,
        now=now,
    )
    remind = reminder_at(community, slot)
    if remind > now:  # a slot planned inside its window gets no late "starts tomorrow"
        await add_job(
            session,
            kind="round_reminder",
            run_at=remind,
            dedupe_key=reminder_job_key(community.id, slot),
            community_id=community.id,
            payload=payload,
            now=now,
        )
    return slot


async def plan_all(session: AsyncSession, now: datetime) -> int:
    """`plan` for every community with a cadence (start-up). Returns how many were planned."""
    communities = list(
        await session.scalars(select(Community).where(Community.cadence_weekday.is_not(None)))
    )
    for community in communities:
        await plan(session, community, now)
    return len(communities)
