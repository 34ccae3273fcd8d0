"""The gateway connection: RESUME at the configured URL after Discord asks to reconnect, and
shards split between processes by DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT."""

from __future__ import annotations

from bot.core.app import Core

from .conftest import RunningBot, World
from .fake_discord import FakeDiscord
from .payloads import slash


async def test_reconnect_resumes_the_session_and_keeps_answering(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    [session_id] = fake.sessions
    await fake.ask_to_reconnect()
    await fake.wait_for(lambda: bool(fake.resumes) and bool(fake.live))
    assert fake.resumes[0]["session_id"] == session_id
    assert len(fake.identifies) == 1, "a resume, not a new session"
    sent = await fake.interaction(slash(fake, world.guild.id, world.alice, "dialogue", "status"))
    assert (await fake.callback(sent))["type"] in (4, 5)


async def test_with_a_gateway_override_the_client_resumes_there_not_where_ready_says(
    fake: FakeDiscord, discord_core: Core, world: World
) -> None:
    fake.resume_gateway_url = "ws://127.0.0.1:9/nobody-listens"
    running = RunningBot(fake, discord_core)
    await running.start()
    try:
        await fake.ask_to_reconnect()
        await fake.wait_for(lambda: bool(fake.resumes) and bool(fake.live))
        assert len(fake.identifies) == 1
    finally:
        await running.stop()


async def test_each_process_identifies_only_its_own_shards(
    fake: FakeDiscord, discord_core: Core
) -> None:
    for n in range(4):
        fake.add_guild(f"Guild {n}")
    running = RunningBot(fake, discord_core, discord_shard_ids="1,3", discord_shard_count=4)
    client = await running.start()
    try:
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(1, 4), (3, 4)]
        expected = {g for g in fake.guilds if (int(g) >> 22) % 4 in (1, 3)}
        assert 0 < len(expected) < len(fake.guilds)
        assert {str(g.id) for g in client.guilds} == expected
    finally:
        await running.stop()
