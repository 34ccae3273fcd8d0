"""Helpers for the round, dialogue and statistics tests, on top of `tests/factories.py`.

Everything is built through the real services (forms, wants, blocks, membership, rounds).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.core.app import Core
from bot.core.pool import PoolSnapshot, load_pool
from bot.core.rounds import RoundResult, RunRound, run
from bot.platforms.local import LocalPlatform
from bot.storage.models import Base, Community, Dialogue, Member
from tests.factories import Seeded, moderator, seed_community, signed_up

CLAIMS = (
    ("Theory will get alignment further than empirical work", ["ai-timelines"]),
    ("Labs should share alignment insights publicly", ["interpretability"]),
    ("Paradigms in science are mostly social, not discovered", ["forecasting"]),
)

MOD = moderator()


@pytest.fixture
async def seeded(core: Core) -> Seeded:
    return await seed_community(core, claims=CLAIMS)


def local(core: Core) -> LocalPlatform:
    platform = core.platform("local")
    assert isinstance(platform, LocalPlatform)
    return platform


async def snapshot(core: Core, community: str = "guild1") -> PoolSnapshot:
    async with core.db.transaction() as session:
        found = await session.scalar(select(Community).where(Community.external_id == community))
        assert found is not None
        return await load_pool(session, found, core.clock.now())


async def run_round(core: Core, key: str | None = None, community: str = "guild1") -> RoundResult:
    return await run(core, RunRound(moderator(community), key))


async def dialogue_row(core: Core, dialogue_id: int) -> Dialogue:
    async with core.db.transaction() as session:
        found = await session.get(Dialogue, dialogue_id)
        assert found is not None
        return found


async def two_disagreeing(core: Core, seeded: Seeded) -> None:
    """alice and bob share AI timelines and sit at opposite ends of the first claim."""
    c = seeded.claims
    await signed_up(
        core, "alice", stances={c[0]: 2, c[1]: 1}, about="Agent foundations person", name="Alice"
    )
    await signed_up(
        core, "bob", stances={c[0]: -1, c[1]: 1}, about="Works on evals at a lab", name="Bob"
    )


async def member_row(core: Core, user: str, community: str = "guild1") -> Member:
    async with core.db.transaction() as session:
        found = await session.scalar(
            select(Member)
            .join(Community, Community.id == Member.community_id)
            .where(Community.external_id == community, Member.external_id == user)
        )
        assert found is not None
        return found


async def count(core: Core, model: type[Base]) -> int:
    async with core.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def run_jobs(core: Core) -> int:
    """Run every job due now (the unmatched DMs of a round, a pause's end…), as the
    scheduler's dispatcher would."""
    from bot.scheduler.dispatcher import Dispatcher
    from bot.scheduler.handlers import HANDLERS

    return await Dispatcher(core, HANDLERS).drain()
