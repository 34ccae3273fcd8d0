"""A running bot against the fake Discord: the real discord.py client, a fake token, SQLite."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.config import load_settings
from bot.core.app import Core
from bot.platforms.discord import MatchmakerClient
from bot.storage.database import Database

from .fake_discord import TOKEN, FakeDiscord, FakeGuild


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def discord_core(
    sqlite_template: Path, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[Core]:
    path = tmp_path / "discord.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield Core(db=db, clock=clock)
    finally:
        await db.dispose()


@dataclass
class World:
    guild: FakeGuild
    mod: str
    alice: str
    bob: str
    carol: str
    dialogue_channel: str


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    guild = fake.add_guild("Research Guild")
    mod = fake.add_member(guild.id, "Mod", user_id=guild.owner_id)
    names = [fake.add_member(guild.id, name) for name in ("Alice", "Bob", "Carol")]
    dialogues = fake.add_channel(guild.id, "dialogues")
    return World(guild, mod, *names, dialogue_channel=dialogues)


class RunningBot:
    """Start and stop a client like `matchmaker run` does, waiting on its events."""

    def __init__(self, fake: FakeDiscord, core: Core, **settings: object) -> None:
        self.fake, self.core, self.settings = fake, core, settings
        self.client: MatchmakerClient | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> MatchmakerClient:
        settings = load_settings(
            discord_token=TOKEN,
            discord_api_base_url=self.fake.api_base,
            discord_gateway_url=self.fake.gateway_url,
            **self.settings,
        )
        self.client = MatchmakerClient(self.core, settings, guild_ready_timeout=0.05)
        await self.client.login(TOKEN)
        self._task = asyncio.create_task(self.client.connect(reconnect=True))
        await asyncio.wait_for(self.client.wait_until_ready(), 10)
        await asyncio.wait_for(self.client.synced.wait(), 10)
        return self.client

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)
        self.client = None


@pytest.fixture
async def bot(fake: FakeDiscord, discord_core: Core, world: World) -> AsyncIterator[RunningBot]:
    running = RunningBot(fake, discord_core)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
