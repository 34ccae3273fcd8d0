"""Scheduler fixtures: a core whose local platform shares the fake clock, a running dispatcher,
and a pair of members in an open dialogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.core import activity
from bot.core.app import Core
from bot.core.dialogues import PairMembers, pair
from bot.platforms.local import LocalPlatform
from bot.scheduler.dispatcher import Dispatcher, Settings
from bot.scheduler.handlers import HANDLERS
from bot.storage.database import Database
from bot.storage.models import Job
from tests.core.conftest import CLAIMS, MOD, two_disagreeing
from tests.factories import Seeded, seed_community


@pytest.fixture
def core(db: Database, clock: FixedClock) -> Core:
    return Core(db=db, clock=clock, platforms={"local": LocalPlatform(clock)})


@pytest.fixture
async def seeded(core: Core) -> Seeded:
    return await seed_community(core, claims=CLAIMS)


@pytest.fixture
async def dispatcher(core: Core) -> AsyncIterator[Dispatcher]:
    running = Dispatcher(
        core, HANDLERS, owner="test", settings=Settings(max_sleep=timedelta(days=30))
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def local(core: Core) -> LocalPlatform:
    platform = core.platform("local")
    assert isinstance(platform, LocalPlatform)
    return platform


@dataclass
class OpenPair:
    dialogue_id: int
    thread_id: str


async def open_pair(core: Core, seeded: Seeded) -> OpenPair:
    """alice and bob (disagreeing on the first claim) in an open manual dialogue."""
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))
    assert made.opened.thread_id is not None
    return OpenPair(made.dialogue_id, made.opened.thread_id)


async def write(core: Core, thread_id: str, user_id: str, text: str) -> None:
    """A member writes in the thread, and the adapter records who/when."""
    local(core).member_writes(thread_id, user_id, text)
    await activity.record_message(core, MOD.community, thread_id, user_id, core.clock.now())


def bot_texts(core: Core, thread_id: str) -> list[str]:
    return [m.text for m in local(core).threads[thread_id].messages if m.author == "bot"]


async def jobs(core: Core, *conditions: object) -> list[Job]:
    async with core.db.transaction() as session:
        return list(await session.scalars(select(Job).where(*conditions).order_by(Job.id)))
