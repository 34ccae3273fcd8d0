"""The local platform's inbound side: slash commands, form submissions and button presses from
members, handed to the shared command layer (`bot.commands`), as the Discord and Slack
adapters do. All this adapter decides is who is a moderator and how a mention looks.

Grammar (a leading `/` is optional; double quotes, straight or curly, group words): see the
usage lines in `bot.commands.table`, e.g. `/dialogue want @bob`, `/dialogue-admin pool`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands import Commands, Reply, plain_mention
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core

__all__ = ["LocalChat", "Reply"]


class LocalChat:
    """One community's inbound chat on the local platform."""

    def __init__(self, core: Core, community: CommunityRef, moderators: set[str]) -> None:
        self.core = core
        self.community = community
        self.moderators = set(moderators)
        self.commands = Commands(core, mention=plain_mention)

    def actor(self, user_id: str, display_name: str = "") -> Actor:
        """The one place the local platform decides who is a moderator."""
        return Actor(self.community, user_id, display_name, is_moderator=user_id in self.moderators)

    async def command(self, user_id: str, text: str, display_name: str = "") -> Reply:
        """A slash command exactly as the member typed it."""
        return await self.commands.text(self.actor(user_id, display_name), text)

    async def submit_form(
        self, user_id: str, answers: Mapping[str, Any], display_name: str = ""
    ) -> Reply:
        """A form submission: save the answers, submit if asked."""
        return await self.commands.submit_form(self.actor(user_id, display_name), answers)

    async def press(
        self, user_id: str, custom_id: str, values: Mapping[str, Any] | None = None
    ) -> Reply:
        """A button press; `values` carries the inputs of the form the button opened."""
        return await self.commands.press(self.actor(user_id), custom_id, values)
