"""Dialogues on Discord: rounds and mutual wants open private threads with the pair only;
nothing member-written can ping anyone else; moderators are refused to plain members and told
what went wrong."""

from __future__ import annotations

import pytest

from bot.scheduler.dispatcher import Dispatcher
from bot.scheduler.handlers import HANDLERS
from tests.factories import row_counts, seed_community, signed_up

from .conftest import RunningBot, World
from .fake_discord import BOT_USER_ID, FakeDiscord, Rejected
from .payloads import CHANNEL, USER, component, custom_ids, modal_submit, option, slash

VIEW, SEND = 1 << 10, 1 << 11
HOSTILE = "Hi @everyone and @here, ping <@&{role}> and <@{other}>!"


async def _admin(fake: FakeDiscord, world: World, sub: str, *options: dict) -> str:
    """A moderator's /dialogue-admin command; returns everything the bot answered."""
    sent = await fake.interaction(
        slash(fake, world.guild.id, world.mod, "dialogue-admin", sub, *options)
    )
    first = await fake.callback(sent)
    if first["type"] == 5:  # deferred: the answer follows as a webhook message
        await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    return "\n".join(m["content"] for m in fake.answers(sent))


async def _pool_of_two(bot: RunningBot, world: World, about: str = "") -> None:
    seeded = await seed_community(
        bot.core,
        claims=[("Theory will get alignment further than empirical work", ["ai-timelines"])],
        community=world.guild.id,
        platform="discord",
    )
    claim = seeded.claims[0]
    for user, stance in ((world.alice, 2), (world.bob, -2)):
        await signed_up(
            bot.core,
            user,
            stances={claim: stance},
            about=about,
            community=world.guild.id,
            platform="discord",
        )


async def test_round_run_opens_one_private_thread_per_pair_that_pings_only_the_pair(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    role = fake.add_role(
        world.guild.id, "Everyone-ish", fake.member_permissions(world.guild.id, world.alice)
    )
    await _pool_of_two(bot, world, about=HOSTILE.format(role=role, other=world.carol))
    said = await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    assert "Saved" in said
    said = await _admin(fake, world, "round", option("action", "run"))
    assert "Round" in said or "round" in said

    threads = fake.threads()
    assert len(threads) == 1
    thread = threads[0]
    assert thread["parent_id"] == world.dialogue_channel
    assert thread["thread_metadata"]["invitable"] is False
    assert fake.thread_members[thread["id"]] == {BOT_USER_ID, world.alice, world.bob}
    opening = fake.messages_in(thread["id"])[0]
    assert f"<@&{role}>" in opening["content"] and "@everyone" in opening["content"]
    mentions = opening["allowed_mentions"]
    assert mentions["parse"] == []
    assert {str(u) for u in mentions.get("users", [])} <= {world.alice, world.bob}
    assert not mentions.get("roles")

    # A member writing in the thread is recorded as activity (who and when, not what).
    assert bot.client is not None
    seen = bot.client.wait_for("activity_recorded", timeout=5)
    await fake.member_message(thread["id"], world.alice, "hello")
    message, moved = await seen
    assert (str(message.author.id), moved) == (world.alice, True)
    with pytest.raises(Rejected):  # not added to the private thread
        await fake.member_message(thread["id"], world.carol, "let me in")


async def test_a_plain_members_hand_crafted_admin_interaction_is_refused(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _pool_of_two(bot, world)
    before = await row_counts(bot.core)
    for sub, options in (
        ("round", [option("action", "run")]),
        ("topics", [option("action", "add"), option("name", "Sneaky")]),
        ("remove", [option("member", world.bob, USER)]),
        ("signup-post", []),
    ):
        sent = await fake.interaction(
            slash(fake, world.guild.id, world.alice, "dialogue-admin", sub, *options)
        )
        first = await fake.callback(sent)
        if first["type"] == 5:
            await fake.wait_for(lambda sent=sent: len(fake.answers(sent)) > 1)
        assert "Only moderators" in fake.answers(sent)[-1]["content"]
    assert await row_counts(bot.core) == before
    assert fake.threads() == []
    assert fake.messages_in(world.guild.channels[0]) == []  # no Sign up post either


async def test_mutual_want_sends_intake_buttons_and_both_intakes_open_one_thread(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _pool_of_two(bot, world)
    await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    g = world.guild.id
    for me, them in ((world.alice, world.bob), (world.bob, world.alice)):
        sent = await fake.interaction(
            slash(fake, g, me, "dialogue", "want", option("member", them, USER))
        )
        await fake.callback(sent)
    for user in (world.alice, world.bob):
        dm = fake.dms_to(user)[-1]
        [button] = custom_ids(dm)
        assert button.startswith(f"dmm:c:{g}:mw:intake:")
        pressed = await fake.interaction(component(fake, None, user, dm, button))
        modal = await fake.callback(pressed)
        assert modal["type"] == 9
        intake = modal["data"]["custom_id"]
        assert intake == button.replace("dmm:c:", "dmm:i:")
        sent = await fake.interaction(
            modal_submit(
                fake,
                None,
                user,
                intake,
                {"topics": "ai-timelines", "format": "either", "notes": "@everyone hi"},
            )
        )
        answer = await fake.callback(sent)
        assert answer["type"] == 4
    threads = fake.threads()
    assert len(threads) == 1
    assert fake.thread_members[threads[0]["id"]] == {BOT_USER_ID, world.alice, world.bob}
    opening = fake.messages_in(threads[0]["id"])[0]
    assert opening["allowed_mentions"]["parse"] == []


async def test_closed_dms_on_a_round_are_handled_and_the_moderator_told(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _pool_of_two(bot, world)
    seeded_claims = await _admin(fake, world, "claims", option("action", "list"))
    assert "#" in seeded_claims
    # Carol signs up too but stays the odd one out; her DMs are closed.
    await signed_up(
        bot.core,
        world.carol,
        topics=("forecasting",),
        community=world.guild.id,
        platform="discord",
    )
    fake.dm_closed.add(world.carol)
    await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    said = await _admin(fake, world, "round", option("action", "run"))
    assert f"<@{world.carol}> does not accept direct messages" in said
    assert len(fake.threads()) == 1


async def test_without_private_thread_permission_a_private_channel_is_used_and_mods_told(
    fake: FakeDiscord, discord_core, world: World
) -> None:
    from discord import Permissions

    from .fake_discord import default_bot_permissions

    bot_role = next(r for r in world.guild.roles.values() if r["name"] == "Matchmaker")
    perms = Permissions(default_bot_permissions().value)
    perms.create_private_threads = False
    bot_role["_perms"] = perms
    bot_role["permissions"] = str(perms.value)
    mods = fake.add_channel(world.guild.id, "mods")
    running = RunningBot(fake, discord_core)
    await running.start()
    try:
        await _pool_of_two(running, world)
        await _admin(
            fake,
            world,
            "config",
            option("channel", world.dialogue_channel, CHANNEL),
            option("moderator_channel", mods, CHANNEL),
        )
        said = await _admin(fake, world, "round", option("action", "run"))
        assert fake.threads() == []
        [channel] = fake.private_channels()
        overwrites = {str(o["id"]): o for o in channel["permission_overwrites"]}
        allowed = {uid for uid, o in overwrites.items() if int(o["allow"]) & VIEW}
        assert {world.alice, world.bob} <= allowed and world.carol not in allowed
        assert "missing Create Private Threads" in said
        # … and, for whoever was not there, in the moderator channel (the scheduler posts it).
        await Dispatcher(discord_core, HANDLERS).drain()
        [notice] = fake.messages_in(mods)
        assert "missing Create Private Threads" in notice["content"]
        opening = fake.messages_in(channel["id"])[0]
        assert {str(u) for u in opening["allowed_mentions"]["users"]} == {world.alice, world.bob}
        with pytest.raises(Rejected):  # private: the rest of the server cannot write there
            await fake.member_message(channel["id"], world.carol, "hello?")

        assert running.client is not None
        seen = running.client.wait_for("activity_recorded", timeout=5)
        await fake.member_message(channel["id"], world.bob, "hi")
        message, moved = await seen
        assert (str(message.author.id), moved) == (world.bob, True)

        # Ending the dialogue closes the channel: the pair keeps reading, nobody writes on.
        await _admin(fake, world, "unpair", option("member", world.alice, USER))
        overwrites = {
            str(o["id"]): o for o in fake.channels[channel["id"]]["permission_overwrites"]
        }
        for uid in (world.alice, world.bob):
            assert int(overwrites[uid]["deny"]) & SEND and int(overwrites[uid]["allow"]) & VIEW
        # What those overwrites mean, as Discord enforces them: the pair reads on, nobody
        # writes; someone else cannot even see the channel.
        assert fake.channel_permissions(channel["id"], world.alice).read_message_history
        assert not fake.may_write(channel["id"], world.alice)
        assert not fake.channel_permissions(channel["id"], world.carol).view_channel
    finally:
        await running.stop()


async def test_every_answer_and_dm_pings_nobody(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _pool_of_two(bot, world, about="@everyone look")
    await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    said = await _admin(
        fake, world, "pair", option("a", world.alice, USER), option("b", world.bob, USER)
    )
    assert f"<@{world.alice}>" in said
    # Everything with text (a deferred "thinking…" placeholder has none to ping with).
    sent = [m for m in fake.followups.values() for m in m if m["content"]]
    sent += [m for user in (world.alice, world.bob) for m in fake.dms_to(user)]
    assert sent
    for message in sent:
        mentions = message["allowed_mentions"]
        assert mentions is not None and mentions["parse"] == [], message["content"]
        assert not mentions.get("roles") and not mentions.get("users"), message["content"]


async def test_a_bad_intake_answer_is_shown_and_the_dialogue_waits(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _pool_of_two(bot, world)
    g = world.guild.id
    for me, them in ((world.alice, world.bob), (world.bob, world.alice)):
        await fake.callback(
            await fake.interaction(
                slash(fake, g, me, "dialogue", "want", option("member", them, USER))
            )
        )
    dm = fake.dms_to(world.alice)[-1]
    [button] = custom_ids(dm)
    modal = await fake.callback(
        await fake.interaction(component(fake, None, world.alice, dm, button))
    )
    sent = await fake.interaction(
        modal_submit(
            fake,
            None,
            world.alice,
            modal["data"]["custom_id"],
            {"topics": "ai-timelines", "format": "by carrier pigeon", "notes": ""},
        )
    )
    answer = await fake.callback(sent)
    assert answer["data"]["content"].startswith("⚠") and answer["data"]["flags"] & 64
    assert fake.threads() == []


async def test_the_last_intake_on_a_slow_core_is_deferred_and_the_thread_still_opens(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _pool_of_two(bot, world)
    await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    g = world.guild.id
    for me, them in ((world.alice, world.bob), (world.bob, world.alice)):
        await fake.callback(
            await fake.interaction(
                slash(fake, g, me, "dialogue", "want", option("member", them, USER))
            )
        )
    intakes = []
    for user in (world.alice, world.bob):
        dm = fake.dms_to(user)[-1]
        [button] = custom_ids(dm)
        modal = await fake.callback(await fake.interaction(component(fake, None, user, dm, button)))
        intakes.append((user, modal["data"]["custom_id"]))
    answers = {"topics": "ai-timelines", "format": "either", "notes": ""}
    user, custom_id = intakes[0]
    await fake.callback(await fake.interaction(modal_submit(fake, None, user, custom_id, answers)))

    assert bot.client is not None
    bot.client.interactions.ack_budget = 0.05
    user, custom_id = intakes[1]
    async with bot.core.db.transaction() as session:
        await session.connection()  # SQLite's write lock: the core waits
        sent = await fake.interaction(modal_submit(fake, None, user, custom_id, answers))
        assert (await fake.callback(sent))["type"] == 5
    await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    assert len(fake.threads()) == 1
