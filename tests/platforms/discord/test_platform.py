"""The core's Platform on Discord, called as the core and the scheduler call it."""

from __future__ import annotations

import pytest

from bot.core import community_config
from bot.platforms.base import Button, Message, PlatformError
from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.handlers import HANDLERS
from tests.factories import moderator, seed_community

from .conftest import RunningBot, World
from .fake_discord import BOT_USER_ID, FakeDiscord


@pytest.fixture
async def channel_set(bot: RunningBot, world: World) -> None:
    await seed_community(bot.core, community=world.guild.id, platform="discord")
    mod = moderator(world.guild.id, platform="discord")
    await community_config.configure(
        bot.core, community_config.Configure(mod, dialogue_channel_id=world.dialogue_channel)
    )


def _platform(bot: RunningBot):
    assert bot.client is not None
    return bot.client.platform


async def test_a_repeated_call_with_a_key_makes_nothing_twice(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    platform = _platform(bot)
    pair = [world.alice, world.bob]
    first = await platform.open_private_thread(
        world.guild.id, pair, "Alice × Bob", idempotency_key="d1"
    )
    again = await platform.open_private_thread(
        world.guild.id, pair, "Alice × Bob", idempotency_key="d1"
    )
    assert first == again and len(fake.threads()) == 1

    m1 = await platform.post(first, Message("Day 3: what is your crux?"), idempotency_key="p:1:mid")
    m2 = await platform.post(first, Message("Day 3: what is your crux?"), idempotency_key="p:1:mid")
    assert m1 == m2 and len(fake.messages_in(first)) == 1
    sent = fake.messages_in(first)[0]
    assert sent["nonce"] and len(sent["nonce"]) <= 25
    assert [
        r.json.get("enforce_nonce")
        for r in fake.requests
        if r.path.endswith(f"{first}/messages") and r.method == "POST"
    ] == [True]


async def test_a_restarted_bot_reconciles_with_discord_instead_of_repeating(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    pair = [world.alice, world.bob]
    thread = await _platform(bot).open_private_thread(
        world.guild.id, pair, "Alice × Bob", idempotency_key="d7"
    )
    await _platform(bot).post(thread, Message("intro"), idempotency_key="intro:7")
    await bot.stop()
    await bot.start()  # nothing in memory now
    again = await _platform(bot).open_private_thread(
        world.guild.id, pair, "Alice × Bob", idempotency_key="d7"
    )
    await _platform(bot).post(thread, Message("intro"), idempotency_key="intro:7")
    assert again == thread and len(fake.threads()) == 1
    assert len(fake.messages_in(thread)) == 1  # Discord's nonce dedupe answered the retry


async def test_core_buttons_are_persistent_and_read_messages_skips_nothing(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    platform = _platform(bot)
    thread = await platform.open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    await platform.post(
        thread, Message("Wrap-up: publish?", (Button("dm:wrapup:publish:9", "Publish"),))
    )
    [row] = fake.messages_in(thread)[0]["components"]
    assert row["components"][0]["custom_id"] == "dmm:c:0:dm:wrapup:publish:9"
    await fake.member_message(thread, world.alice, "my crux is X")
    await fake.member_message(thread, world.bob, "mine is Y")
    read = await platform.read_messages(thread)
    assert [(m.author_id, m.text, m.is_bot) for m in read] == [
        (BOT_USER_ID, "Wrap-up: publish?", True),
        (world.alice, "my crux is X", False),
        (world.bob, "mine is Y", False),
    ]
    await platform.archive_thread(thread)
    assert fake.channels[thread]["thread_metadata"]["archived"] is True
    with pytest.raises(PlatformError, match=r"archived|refused"):
        await platform.post(thread, Message("too late"))


async def test_a_member_who_left_is_a_platform_error_and_leaves_no_open_thread(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    del world.guild.members[world.bob]
    with pytest.raises(PlatformError, match="no longer in the server"):
        await _platform(bot).open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    assert all(t["thread_metadata"]["archived"] for t in fake.threads())


async def test_closed_dms_are_a_platform_error(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    fake.dm_closed.add(world.carol)
    with pytest.raises(PlatformError, match="does not accept direct messages"):
        await _platform(bot).send_direct(
            world.guild.id, world.carol, Message("You were not matched")
        )
    assert _platform(bot).take_notices(world.guild.id)


async def test_a_notice_reaches_the_moderator_channel_once_and_survives_a_restart(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    mods = fake.add_channel(world.guild.id, "mods")
    await community_config.configure(
        bot.core,
        community_config.Configure(
            moderator(world.guild.id, platform="discord"), moderator_channel_id=mods
        ),
    )
    fake.dm_closed.add(world.carol)
    for _ in range(2):  # the same failure twice: one notice
        with pytest.raises(PlatformError):
            await _platform(bot).send_direct(world.guild.id, world.carol, Message("Not matched"))
    await bot.stop()
    await bot.start()  # the notice was written down, not kept in the process that found it
    await Dispatcher(bot.core, HANDLERS).drain()
    [notice] = fake.messages_in(mods)
    assert f"<@{world.carol}> does not accept direct messages" in notice["content"]
    assert "Not matched" in notice["content"]
    # Naming the member in the moderators' channel pings nobody.
    assert notice["allowed_mentions"]["users"] == []
    assert notice["allowed_mentions"]["parse"] == []


async def test_a_deleted_dialogue_channel_is_named_for_the_moderators(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    assert bot.client is not None
    deleted = bot.client.wait_for("guild_channel_delete", timeout=5)
    await fake.delete_channel(world.dialogue_channel)
    await deleted
    with pytest.raises(PlatformError, match="was deleted"):
        await _platform(bot).open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")


async def test_a_rate_limited_post_is_retried_by_discord_py_and_lands_once(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    platform = _platform(bot)
    thread = await platform.open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    fake.rate_limit_once.add(f"POST /channels/{thread}/messages")
    await platform.post(thread, Message("Nudge: say hello"), idempotency_key="nudge:1")
    assert [m["content"] for m in fake.messages_in(thread)] == ["Nudge: say hello"]
    assert not fake.rate_limit_once, "the first attempt was refused with 429"


def _posts_to(fake: FakeDiscord, path: str) -> list[dict]:
    return [r.json for r in fake.requests if (r.method, r.path) == ("POST", path)]


@pytest.mark.parametrize("status", [500, 502])
async def test_a_server_error_before_the_post_is_retried_and_lands_once(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None, status: int
) -> None:
    platform = _platform(bot)
    thread = await platform.open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    route = f"/channels/{thread}/messages"
    fake.server_error_once[f"POST {route}"] = (status, False)
    await platform.post(thread, Message("Nudge: say hello"), idempotency_key="nudge:1")
    assert [m["content"] for m in fake.messages_in(thread)] == ["Nudge: say hello"]
    assert len(_posts_to(fake, route)) == 2, f"the {status} was served, then the retry"


async def test_a_502_after_discord_made_the_message_is_retried_without_a_second_one(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    """Discord's proxy can time out on a message its backend did post: discord.py retries
    the same payload, and only its nonce (enforced) keeps the members from reading it twice."""
    platform = _platform(bot)
    thread = await platform.open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    route = f"/channels/{thread}/messages"
    fake.server_error_once[f"POST {route}"] = (502, True)
    sent = await platform.post(thread, Message("Welcome, both"), idempotency_key="intro:7")
    assert [(m["id"], m["content"]) for m in fake.messages_in(thread)] == [(sent, "Welcome, both")]
    first, retry = _posts_to(fake, route)
    assert first["nonce"] == retry["nonce"] and retry["enforce_nonce"] is True


async def test_a_server_error_on_opening_a_thread_is_retried_and_opens_one(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    route = f"/channels/{world.dialogue_channel}/threads"
    fake.server_error_once[f"POST {route}"] = (500, False)
    thread = await _platform(bot).open_private_thread(
        world.guild.id, [world.alice, world.bob], "A × B", idempotency_key="d9"
    )
    assert [t["id"] for t in fake.threads()] == [thread]
    assert fake.thread_members[thread] == {BOT_USER_ID, world.alice, world.bob}
    assert len(_posts_to(fake, route)) == 2


async def test_commands_sync_to_the_dev_guild_only_when_it_is_set(
    fake: FakeDiscord, discord_core, world: World
) -> None:
    running = RunningBot(fake, discord_core, discord_dev_guild_id=int(world.guild.id))
    await running.start()
    try:
        assert {c["name"] for c in fake.commands[world.guild.id]} == {"dialogue", "dialogue-admin"}
        assert fake.commands.get(None) is None
    finally:
        await running.stop()


async def test_a_long_message_is_split_within_discords_limit_and_retried_as_a_whole(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    platform = _platform(bot)
    thread = await platform.open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    text = "\n".join(f"line {n}: " + "x" * 90 for n in range(45))  # about 4,500 characters
    message = Message(text, (Button("dm:wrapup:publish:3", "Publish"),))
    first = await platform.post(thread, message, idempotency_key="wrapup:3")
    await bot.stop()
    await bot.start()
    again = await _platform(bot).post(thread, message, idempotency_key="wrapup:3")
    parts = fake.messages_in(thread)
    assert first == again == parts[0]["id"]
    assert len(parts) == 3 and all(len(p["content"]) <= 2000 for p in parts)
    assert "\n".join(p["content"] for p in parts) == text
    assert [bool(p["components"]) for p in parts] == [False, False, True]


async def test_a_deleted_thread_is_a_platform_error_not_a_crash(
    fake: FakeDiscord, bot: RunningBot, world: World, channel_set: None
) -> None:
    platform = _platform(bot)
    thread = await platform.open_private_thread(world.guild.id, [world.alice, world.bob], "A × B")
    fake.channels.pop(thread)  # a moderator deleted it
    with pytest.raises(PlatformError, match="no longer exists"):
        await platform.post(thread, Message("Day 3: what is your crux?"))
    with pytest.raises(PlatformError, match="no longer exists"):
        await platform.read_messages(thread)
