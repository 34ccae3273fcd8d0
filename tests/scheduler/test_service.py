"""`matchmaker run`'s process (`bot.runner.serve`) starts the scheduler beside the platforms:
a job missed while no process ran is run at start-up, on the platform the adapter registered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import runner
from bot.config import load_settings
from bot.core.app import Core
from bot.platforms.base import Message
from bot.platforms.local import LocalPlatform
from bot.scheduler.jobs import add_job
from tests.factories import Seeded

from .conftest import bot_texts, open_pair


class SignallingPlatform(LocalPlatform):
    def __init__(self) -> None:
        super().__init__()
        self.posted = asyncio.Event()

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        sent = await super().post(thread_id, message, idempotency_key=idempotency_key)
        self.posted.set()
        return sent


PLATFORM: list[SignallingPlatform] = []


async def local_adapter(core: Core, settings: object, stop: asyncio.Event) -> None:
    """A stand-in adapter: registers its platform, stops the process after the first post."""
    platform = PLATFORM[0]
    core.platforms[platform.name] = platform
    await platform.posted.wait()
    stop.set()


async def test_run_starts_the_scheduler_beside_the_platforms(
    core: Core, seeded: Seeded, database_url: str
) -> None:
    made = await open_pair(core, seeded)
    platform = SignallingPlatform()
    platform.threads = core.platform("local").threads  # type: ignore[attr-defined]
    PLATFORM[:] = [platform]
    now = core.clock.now()
    async with core.db.transaction() as session:  # due an hour ago, while nothing ran
        await add_job(
            session,
            kind="prompt",
            run_at=now - timedelta(hours=1),
            dedupe_key=f"prompt:{made.dialogue_id}:late",
            community_id=seeded.community_id,
            payload={"dialogue_id": made.dialogue_id, "prompt": "midpoint"},
            now=now,
        )
    adapter = runner.ServiceSpec(
        "local", "tests.scheduler.test_service:local_adapter", lambda s: True
    )
    await asyncio.wait_for(runner.serve(load_settings(database_url=database_url), [adapter]), 60)
    # (The dialogue's own prompts, due since its fake-clock opening, may run in that batch too.)
    assert any("crux" in text for text in bot_texts(core, made.thread_id)[1:])
