"""Starting the scheduler beside the platforms (`matchmaker run`, the demo)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence

from bot.core import cadence, rounds
from bot.core.app import Core

from .dispatcher import Dispatcher, Settings
from .handlers import HANDLERS

log = logging.getLogger(__name__)


async def start(core: Core, settings: Settings | None = None) -> Dispatcher:
    """Plan every community's next round slot, finish rounds a crash left opening, and start
    the dispatcher; jobs that came due while no process ran are picked up at once (late)."""
    async with core.db.transaction() as session:
        planned = await cadence.plan_all(session, core.clock.now())
    if planned:
        log.info("scheduler: planned the next round of %s communities", planned)
    for result in await rounds.resume_opening_rounds(core):
        log.info("scheduler: finished round %s left opening by a crash", result.number)
    dispatcher = Dispatcher(core, HANDLERS, settings=settings or Settings())
    await dispatcher.start()
    return dispatcher


async def serve(core: Core, platforms: Sequence[Awaitable[None]]) -> None:
    """`matchmaker run`: the dispatcher beside the platform adapters, until they stop (or one
    fails); the dispatcher stops with them."""
    dispatcher = await start(core)
    try:
        await asyncio.gather(*platforms)
    finally:
        await dispatcher.stop()
