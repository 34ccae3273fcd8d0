"""Conversation kinds on Discord: the signup form asks what a member is looking for, and a
moderator's /dialogue-admin pair takes a kind and an interviewer."""

from __future__ import annotations

from bot.core import forms
from tests.factories import actor, seed_community, signed_up

from .conftest import RunningBot, World
from .fake_discord import FakeDiscord
from .payloads import (
    CHANNEL,
    STRING,
    USER,
    component,
    custom_ids,
    modal_submit,
    option,
    slash,
)

GOOD_TEXT = {
    "about": "My agenda: deconfusion",
    "private_notes": "",
    "timezone": "Europe/Berlin",
    "availability": "mon 18:00-21:00",
    "suggested_topics": "",
}


def _by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


async def _admin(fake: FakeDiscord, world: World, sub: str, *options: dict) -> str:
    sent = await fake.interaction(
        slash(fake, world.guild.id, world.mod, "dialogue-admin", sub, *options)
    )
    first = await fake.callback(sent)
    if first["type"] == 5:  # deferred: the answer follows as a webhook message
        await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    return "\n".join(m["content"] for m in fake.answers(sent))


async def test_the_signup_form_asks_what_the_member_is_looking_for(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await seed_community(bot.core, community=world.guild.id, platform="discord")
    g = world.guild.id
    await fake.callback(await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup")))
    sent = await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    await fake.callback(sent)
    message = {**fake.answers(sent)[0]}
    target = None
    while target is None:
        target = next((i for i in custom_ids(message) if i.endswith(":looking")), None)
        if target is not None:
            break
        nxt = next(i for i in custom_ids(message) if i.startswith(f"dmm:p:{g}:") and "←" not in i)
        pressed = await fake.interaction(component(fake, g, world.alice, message, nxt))
        message = {**message, "components": (await fake.callback(pressed))["data"]["components"]}
    select = next(
        c for row in message["components"] for c in row["components"] if c["custom_id"] == target
    )
    assert select["min_values"] == 1 and select["max_values"] == 3
    assert [o["value"] for o in select["options"]] == ["dialogue", "interview_me", "interview_them"]
    assert "What are you looking for?" in select["placeholder"]

    picked = await fake.interaction(
        component(fake, g, world.alice, message, target, ["interview_me", "dialogue"])
    )
    assert (await fake.callback(picked))["type"] == 7
    who = actor(g, world.alice, platform="discord")
    form = await forms.profile(bot.core, forms.ShowProfile(who))
    assert form.looking_for == ("dialogue", "interview_me")


async def test_pair_takes_a_kind_and_an_interviewer(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    commands = _by_name(fake.commands[None])
    pair = _by_name(_by_name(commands["dialogue-admin"]["options"])["pair"]["options"])
    assert [c["value"] for c in pair["kind"]["choices"]] == ["dialogue", "interview"]
    assert pair["interviewer"]["type"] == USER and not pair["interviewer"].get("required")

    await seed_community(bot.core, community=world.guild.id, platform="discord")
    for user in (world.alice, world.bob):
        await signed_up(bot.core, user, community=world.guild.id, platform="discord")
    await _admin(fake, world, "config", option("channel", world.dialogue_channel, CHANNEL))
    said = await _admin(
        fake,
        world,
        "pair",
        option("a", world.alice, USER),
        option("b", world.bob, USER),
        option("kind", "interview", STRING),
        option("interviewer", world.bob, USER),
    )
    assert f"As an interview: <@{world.bob}> interviews <@{world.alice}>." in said
    (thread,) = fake.threads()
    intro = fake.messages_in(thread["id"])[0]["content"]
    assert "You have been paired for an interview" in intro
