"""The bot connects to Discord (the fake) and registers its application commands."""

from __future__ import annotations

from discord import Permissions

from .conftest import RunningBot
from .fake_discord import FakeDiscord


def _by_name(commands: list[dict]) -> dict[str, dict]:
    return {c["name"]: c for c in commands}


async def test_commands_are_registered_with_options_and_admin_permission(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    commands = _by_name(fake.commands[None])
    assert set(commands) == {"dialogue", "dialogue-admin"}
    member = _by_name(commands["dialogue"]["options"])
    assert {
        "signup",
        "profile",
        "status",
        "pause",
        "resume",
        "want",
        "unwant",
        "block",
        "unblock",
        "feedback",
        "leave",
    } <= set(member)
    want = member["want"]["options"][0]
    assert (want["name"], want["type"], want["required"]) == ("member", 6, True)
    admin = commands["dialogue-admin"]
    assert int(admin["default_member_permissions"]) == Permissions(manage_guild=True).value
    sub = _by_name(admin["options"])
    assert {
        "topics",
        "claims",
        "config",
        "round",
        "pair",
        "unpair",
        "pool",
        "remove",
        "reinstate",
        "export",
        "signup-post",
    } <= set(sub)
    assert _by_name(sub["topics"]["options"])["name"]["autocomplete"] is True
    assert _by_name(sub["config"]["options"])["timezone"]["autocomplete"] is True
    assert [c["value"] for c in _by_name(sub["round"]["options"])["action"]["choices"]] == [
        "preview",
        "run",
    ]


async def test_only_non_privileged_intents_are_asked_for(
    fake: FakeDiscord, bot: RunningBot
) -> None:
    intents = fake.identifies[0]["intents"]
    guilds, guild_messages, dm_messages = 1 << 0, 1 << 9, 1 << 12
    assert intents == guilds | guild_messages | dm_messages
