"""Small builders for the gateway payloads a member's action produces (slash command, select,
button, modal submit), so tests say what happens, not how Discord's JSON looks."""

from __future__ import annotations

from typing import Any

from discord import Permissions

from .fake_discord import DM, GUILD_TEXT, FakeDiscord

SLASH, COMPONENT, AUTOCOMPLETE, MODAL = 2, 3, 4, 5
BUTTON, STRING_SELECT = 2, 3
STRING, INTEGER, BOOLEAN, USER, CHANNEL = 3, 4, 5, 6, 7


def _where(
    fake: FakeDiscord, guild_id: str | None, user_id: str, channel_id: str | None
) -> dict[str, Any]:
    """Where the interaction happens: a guild channel (with the member and the permissions
    Discord computed for them) or the member's DM with the bot."""
    if guild_id is None:
        dm = fake.dm_channel_of(user_id) or fake._open_dm(user_id)["id"]
        return {"user": fake.users[user_id], "channel": {"id": dm, "type": DM}, "context": 1}
    guild = fake.guilds[guild_id]
    channel_id = channel_id or guild.channels[0]
    member = dict(guild.members[user_id])
    member["permissions"] = str(fake.member_permissions(guild_id, user_id).value)
    return {
        "guild_id": guild_id,
        "guild": {"id": guild_id, "locale": "en-US", "features": []},
        "member": member,
        "channel": {"id": channel_id, "type": GUILD_TEXT, "guild_id": guild_id},
        "app_permissions": str(fake.member_permissions(guild_id, "1100000000000000002").value),
        "context": 0,
    }


def option(name: str, value: Any, kind: int = STRING) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def slash(
    fake: FakeDiscord,
    guild_id: str | None,
    user_id: str,
    group: str,
    sub: str,
    *options: dict[str, Any],
    channel_id: str | None = None,
) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for opt in options:
        if opt["type"] == USER:
            resolved.setdefault("users", {})[opt["value"]] = fake.users[opt["value"]]
            if guild_id and opt["value"] in fake.guilds[guild_id].members:
                member = {
                    k: v
                    for k, v in fake.guilds[guild_id].members[opt["value"]].items()
                    if k != "user"
                }
                resolved.setdefault("members", {})[opt["value"]] = member
        if opt["type"] == CHANNEL:
            resolved.setdefault("channels", {})[opt["value"]] = {
                **fake.channels[opt["value"]],
                "permissions": str(Permissions.all().value),
            }
    data: dict[str, Any] = {
        "id": "1",
        "name": group,
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": list(options)}],
    }
    if resolved:
        data["resolved"] = resolved
    if guild_id:
        data["guild_id"] = guild_id
    return {"type": SLASH, "data": data, **_where(fake, guild_id, user_id, channel_id)}


def component(
    fake: FakeDiscord,
    guild_id: str | None,
    user_id: str,
    message: dict[str, Any],
    custom_id: str,
    values: list[str] | None = None,
) -> dict[str, Any]:
    """A press of one component of `message` (a button, or a select with `values`)."""
    kinds = {
        c["custom_id"]: c["type"]
        for row in message.get("components", [])
        for c in row["components"]
        if c.get("custom_id")
    }
    assert custom_id in kinds, f"{custom_id} is not on that message: {sorted(kinds)}"
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": kinds[custom_id]}
    if values is not None:
        data["values"] = values
    where = _where(fake, guild_id, user_id, message.get("channel_id") if guild_id else None)
    bare = {k: v for k, v in message.items() if not k.startswith("_")}
    return {"type": COMPONENT, "data": data, "message": bare, **where}


def modal_submit(
    fake: FakeDiscord,
    guild_id: str | None,
    user_id: str,
    custom_id: str,
    values: dict[str, str],
) -> dict[str, Any]:
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
        for key, value in values.items()
    ]
    data = {"custom_id": custom_id, "components": rows}
    return {"type": MODAL, "data": data, **_where(fake, guild_id, user_id, None)}


def custom_ids(message_or_modal: dict[str, Any]) -> list[str]:
    return [
        c["custom_id"]
        for row in message_or_modal.get("components", [])
        for c in row["components"]
        if c.get("custom_id")
    ]
