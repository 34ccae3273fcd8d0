"""A dispatcher process for the multi-process tests: `python -m tests.scheduler.worker URL
PLATFORM_FILE OWNER MODE [CLOCK_OFFSET_SECONDS]`.

MODE `hang`: run the loop; the first probe job posts, prints `POSTED <job id>`, then hangs
(the test SIGKILLs the process there: after the platform call, before the commit).
MODE `run`: print `READY`, wait for a line on stdin, run the loop and exit once it is idle
with no pending job left.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.core.app import Core
from bot.platforms.base import Message
from bot.scheduler.dispatcher import Cancelled, Dispatcher, JobContext, Settings
from bot.storage.database import Database
from bot.storage.models import Job

from .file_platform import FilePlatform


class OffsetClock(SystemClock):
    """The real clock, moved on: a process that starts "later" sees leases run out."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() + self.offset


async def main(url: str, platform_file: str, owner: str, mode: str, offset: float) -> None:
    db = Database(url)
    platform = FilePlatform(Path(platform_file))
    core = Core(db=db, clock=OffsetClock(timedelta(seconds=offset)), platforms={"local": platform})
    hang = asyncio.Event()

    async def probe(ctx: JobContext) -> Cancelled | None:
        await platform.post(
            str(ctx.payload["to"]), Message(f"probe {ctx.id}"), idempotency_key=ctx.key()
        )
        if mode == "hang":
            print(f"POSTED {ctx.id}", flush=True)
            await hang.wait()  # never set: the test kills us here
        return None

    idle = asyncio.Event()
    dispatcher = Dispatcher(
        core, {"probe": probe}, owner=owner, settings=Settings(batch=50, concurrency=10)
    )
    dispatcher.on_idle = idle.set
    if mode == "run":
        print("READY", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await dispatcher.start()
    try:
        while True:
            await idle.wait()
            idle.clear()
            async with db.read() as session:
                left = await session.scalar(
                    select(func.count()).select_from(Job).where(Job.state == "pending")
                )
            if left == 0 and mode == "run":
                return
    finally:
        await dispatcher.stop()
        await db.dispose()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], args[2], args[3], float(args[4]) if len(args) > 4 else 0))
