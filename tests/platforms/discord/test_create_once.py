"""A dialogue's thread (or private channel) is made once, whatever Discord's proxy answers.

Discord has no nonce for creating threads and channels, and its proxy can answer 502 on a
request its backend carried out; discord.py would send it again and make a second thread.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from discord import Permissions

from bot.core import threads as core_threads
from bot.platforms.base import PlatformError

from .conftest import RunningBot, World
from .fake_discord import BOT_USER_ID, FakeDiscord, default_bot_permissions
from .payloads import CHANNEL, option
from .test_dialogues import _admin, _pool_of_two
from .test_platform import _platform, _posts_to, channel_set  # noqa: F401 (a fixture)

VIEW = 1 << 10


async def _run_a_round(fake: FakeDiscord, bot: RunningBot, world: World) -> None:
    await _pool_of_two(bot, world)
    await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    await _admin(fake, world, "round", option("action", "run"))


async def _assert_one_dialogue(bot: RunningBot, fake: FakeDiscord, world: World, where: str):
    """The pair's dialogue is `where`, with its opening message once."""
    assert await core_threads.members_of_thread(bot.core, "discord", where) == [
        world.alice,
        world.bob,
    ]
    [opening] = fake.messages_in(where)
    assert opening["author"]["id"] == BOT_USER_ID


@pytest.mark.parametrize("after", [True, False], ids=["after-effect", "before-effect"])
async def test_a_502_on_opening_a_dialogues_thread_leaves_one_thread(
    fake: FakeDiscord, bot: RunningBot, world: World, after: bool
) -> None:
    route = f"/channels/{world.dialogue_channel}/threads"
    fake.server_error_once[f"POST {route}"] = (502, after)
    await _run_a_round(fake, bot, world)

    [thread] = fake.threads()
    assert fake.thread_members[thread["id"]] == {BOT_USER_ID, world.alice, world.bob}
    await _assert_one_dialogue(bot, fake, world, thread["id"])
    # After the effect the look-up found it and nothing was sent again; before it, the look-up
    # found nothing and one more create made it.
    assert len(_posts_to(fake, route)) == (1 if after else 2)
    assert any(r.path == f"/guilds/{world.guild.id}/threads/active" for r in fake.requests)


@pytest.fixture
async def threadless_bot(fake: FakeDiscord, discord_core, world: World):
    """A bot whose role lacks Create Private Threads: dialogues get private channels."""
    bot_role = next(r for r in world.guild.roles.values() if r["name"] == "Matchmaker")
    perms = Permissions(default_bot_permissions().value)
    perms.create_private_threads = False
    bot_role["_perms"] = perms
    bot_role["permissions"] = str(perms.value)
    running = RunningBot(fake, discord_core)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.mark.parametrize("after", [True, False], ids=["after-effect", "before-effect"])
async def test_a_502_on_the_private_channel_fallback_leaves_one_channel(
    fake: FakeDiscord, threadless_bot: RunningBot, world: World, after: bool
) -> None:
    route = f"/guilds/{world.guild.id}/channels"
    fake.server_error_once[f"POST {route}"] = (502, after)
    await _run_a_round(fake, threadless_bot, world)

    assert fake.threads() == []
    [channel] = fake.private_channels()
    overwrites = {str(o["id"]): o for o in channel["permission_overwrites"]}
    allowed = {uid for uid, o in overwrites.items() if int(o["allow"]) & VIEW}
    assert allowed == {BOT_USER_ID, world.alice, world.bob}
    await _assert_one_dialogue(threadless_bot, fake, world, channel["id"])
    assert len(_posts_to(fake, route)) == (1 if after else 2)


@pytest.mark.usefixtures("channel_set")
async def test_look_alike_threads_are_not_taken_for_the_one_a_502_interrupted(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    """Same parent and name, but the bot's from an hour ago (maybe a live dialogue) or made
    by someone else: neither is what this call made, so the bot makes its own."""
    old = fake.add_thread(
        world.dialogue_channel, "A × B", made_at=datetime.now(UTC) - timedelta(hours=1)
    )
    theirs = fake.add_thread(world.dialogue_channel, "A × B", owner_id=world.carol)
    route = f"/channels/{world.dialogue_channel}/threads"
    fake.server_error_once[f"POST {route}"] = (502, False)
    made = await _platform(bot).open_private_thread(
        world.guild.id, [world.alice, world.bob], "A × B"
    )
    assert made not in (old, theirs)
    assert {t["id"] for t in fake.threads()} == {old, theirs, made}
    assert not any(t["thread_metadata"]["archived"] for t in fake.threads())
    assert fake.thread_members[old] == {BOT_USER_ID}  # nobody was added to the old one


@pytest.mark.usefixtures("channel_set")
async def test_unknown_twice_is_a_platform_error_and_the_keyed_retry_finds_the_thread(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    """No third blind create: the core keeps the dialogue pending and retries with its key,
    and the look-up before creating finds what the second attempt did make."""
    route = f"/channels/{world.dialogue_channel}/threads"
    fake.server_errors[f"POST {route}"] = [(500, False), (502, True)]
    pair = [world.alice, world.bob]
    with pytest.raises(PlatformError, match="did not confirm"):
        await _platform(bot).open_private_thread(
            world.guild.id, pair, "A × B", idempotency_key="d3:open"
        )
    [made] = fake.threads()
    assert len(_posts_to(fake, route)) == 2
    again = await _platform(bot).open_private_thread(
        world.guild.id, pair, "A × B", idempotency_key="d3:open"
    )
    assert again == made["id"] and len(fake.threads()) == 1
    assert fake.thread_members[again] == {BOT_USER_ID, world.alice, world.bob}
    assert len(_posts_to(fake, route)) == 2
