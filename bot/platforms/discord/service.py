"""`matchmaker run`'s Discord service (see `bot.runner`): the client until `stop` is set."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.core.app import Core

from .client import run_discord


async def run(core: Core, settings: Settings, stop: asyncio.Event) -> None:
    await run_discord(core, settings, stop)
