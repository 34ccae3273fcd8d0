"""Moderator commands on Discord: deferred slow commands, the pool chart, export attachments,
autocomplete, and an expired interaction answered by DM."""

from __future__ import annotations

from tests.factories import seed_community, signed_up

from .conftest import RunningBot, World
from .fake_discord import FakeDiscord
from .payloads import AUTOCOMPLETE, STRING, option, slash

PNG = b"\x89PNG\r\n\x1a\n"


async def _seeded(bot: RunningBot, world: World) -> None:
    seeded = await seed_community(
        bot.core,
        claims=[("Paradigms in science are mostly social", ["forecasting"])],
        community=world.guild.id,
        platform="discord",
    )
    for user, stance in ((world.alice, 2), (world.bob, -1)):
        await signed_up(
            bot.core,
            user,
            topics=("forecasting",),
            stances={seeded.claims[0]: stance},
            community=world.guild.id,
            platform="discord",
        )


async def test_pool_is_deferred_then_answered_with_the_stats_and_a_png_chart(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seeded(bot, world)
    sent = await fake.interaction(slash(fake, world.guild.id, world.mod, "dialogue-admin", "pool"))
    first = await fake.callback(sent)
    assert first["type"] == 5 and first["data"]["flags"] & 64  # deferred, ephemeral
    await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    answer = fake.answers(sent)[-1]
    assert "Paradigms" in answer["content"] or "pool" in answer["content"].lower()
    assert answer["_files"]["pool.png"].startswith(PNG)


async def test_export_attaches_the_csv_files(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seeded(bot, world)
    sent = await fake.interaction(
        slash(fake, world.guild.id, world.mod, "dialogue-admin", "export")
    )
    await fake.callback(sent)
    await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    files = fake.answers(sent)[-1]["_files"]
    assert set(files) == {"pool.csv", "rounds.csv"}
    assert world.alice.encode() in files["pool.csv"] or b"Alice" in files["pool.csv"]


async def test_topics_and_timezones_autocomplete(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seeded(bot, world)
    typed = slash(
        fake,
        world.guild.id,
        world.mod,
        "dialogue-admin",
        "topics",
        option("action", "remove"),
        {**option("name", "fore", STRING), "focused": True},
    )
    typed["type"] = AUTOCOMPLETE
    answer = await fake.callback(await fake.interaction(typed))
    assert answer["type"] == 8
    assert [c["value"] for c in answer["data"]["choices"]] == ["forecasting"]

    typed = slash(
        fake,
        world.guild.id,
        world.mod,
        "dialogue-admin",
        "claims",
        option("action", "remove"),
        {**option("claim", "paradigm", STRING), "focused": True},
    )
    typed["type"] = AUTOCOMPLETE
    answer = await fake.callback(await fake.interaction(typed))
    [choice] = answer["data"]["choices"]
    assert "Paradigms in science" in choice["name"] and isinstance(choice["value"], int)

    typed = slash(
        fake,
        world.guild.id,
        world.mod,
        "dialogue-admin",
        "config",
        {**option("timezone", "europe/ber", STRING), "focused": True},
    )
    typed["type"] = AUTOCOMPLETE
    answer = await fake.callback(await fake.interaction(typed))
    assert [c["value"] for c in answer["data"]["choices"]] == ["Europe/Berlin"]


async def test_config_takes_typed_options_and_free_key_values(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seeded(bot, world)
    sent = await fake.interaction(
        slash(
            fake,
            world.guild.id,
            world.mod,
            "dialogue-admin",
            "config",
            option("cooldown", 3, 4),
            option("more", "nudge_hours=12 odd=trio"),
        )
    )
    answer = await fake.callback(sent)
    text = answer["data"]["content"]
    assert answer["data"]["flags"] & 64 and "Saved" in text
    assert "3" in text and "trio" in text


async def test_an_expired_interaction_is_answered_by_dm(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seeded(bot, world)
    payload = slash(fake, world.guild.id, world.alice, "dialogue", "status")
    payload["id"] = fake.next_id()
    fake.expired.add(payload["id"])
    assert bot.client is not None
    dm_sent = fake.wait_for(lambda: bool(fake.dms_to(world.alice)))
    await fake.interaction(payload)
    await dm_sent
    assert fake.dms_to(world.alice)[-1]["content"]


async def test_a_configured_moderator_role_may_moderate_without_manage_server(
    fake: FakeDiscord, discord_core, world: World
) -> None:
    from discord import Permissions

    role = fake.add_role(world.guild.id, "Dialogue mods", Permissions.none())
    fake.guilds[world.guild.id].members[world.carol]["roles"].append(role)
    running = RunningBot(fake, discord_core, discord_moderator_role_ids=role)
    await running.start()
    try:
        for user, expected in ((world.carol, "Topics"), (world.bob, "Only moderators")):
            sent = await fake.interaction(
                slash(
                    fake, world.guild.id, user, "dialogue-admin", "topics", option("action", "list")
                )
            )
            answer = await fake.callback(sent)
            assert expected.lower() in answer["data"]["content"].lower()
    finally:
        await running.stop()


async def test_a_slow_core_is_deferred_within_the_budget_and_answered_after(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seeded(bot, world)
    assert bot.client is not None
    bot.client.interactions.ack_budget = 0.05
    # Hold the write lock: every core write waits until it is released (reads would not:
    # SQLite's WAL and PostgreSQL both let them run beside a write).
    async with bot.core.db.transaction() as session:
        await session.connection()
        sent = await fake.interaction(
            slash(fake, world.guild.id, world.alice, "dialogue", "resume")
        )
        first = await fake.callback(sent)
        assert first["type"] == 5 and first["data"]["flags"] & 64
        assert len(fake.answers(sent)) == 1  # only the "thinking…" placeholder so far
    await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    assert fake.answers(sent)[-1]["content"]
