"""Starting the scheduler beside the platforms (`matchmaker run`, the demo)."""

from __future__ import annotations

import asyncio
import logging

from bot.config import Settings as AppSettings
from bot.core import cadence, rounds
from bot.core.app import Core

from .dispatcher import Dispatcher, Settings
from .handlers import HANDLERS

log = logging.getLogger(__name__)

PLATFORM_WAIT_STEP = 0.2  # seconds
PLATFORM_WAIT_STEPS = 150  # at most 30 s at start-up


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


async def run(core: Core, settings: AppSettings, stop: asyncio.Event) -> None:
    """The scheduler as a `bot.runner` service: beside the platforms until `stop` is set."""
    # The adapters register their platform as they start; jobs due at start-up (missed while
    # no process ran) would otherwise fail their first attempt on a platform not there yet.
    for _ in range(PLATFORM_WAIT_STEPS):
        if core.platforms or stop.is_set():
            break
        await asyncio.sleep(PLATFORM_WAIT_STEP)
    dispatcher = await start(core)
    try:
        await stop.wait()
    finally:
        await dispatcher.stop()
