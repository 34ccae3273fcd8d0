"""The one place the Slack adapter decides who is a moderator, and builds the `Actor`.

Workspace admins and owners (`users.info`) are moderators, and so are members of the user
group a community names (see `moderator_group`). The answer is kept for a minute per person:
a slash command then costs one Web API call at most, and a demotion takes effect quickly.
The community's group handle is kept as long (and dropped by `forget()`, as the answers are).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.actor import Actor, CommunityRef

CACHE_SECONDS = 60.0
# The handle of a community's moderator user group, or None (admins and owners only).
GroupOf = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    is_moderator: bool
    tz: str | None


class Rights:
    def __init__(self, group_of: GroupOf | None = None) -> None:
        self._group_of = group_of
        self._cache: dict[tuple[str, str], tuple[float, Person]] = {}
        # A community's moderator group handle: a database read per person otherwise.
        self._groups: dict[str, tuple[float, str | None]] = {}

    async def person(self, client: AsyncWebClient, community: str, user_id: str) -> Person:
        cached = self._cache.get((community, user_id))
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            info = (await client.users_info(user=user_id))["user"]
        except SlackApiError:
            # Without users:read nobody is a moderator: refusing is the safe side.
            return Person("", False, None)
        profile = info.get("profile") or {}
        name = profile.get("display_name") or info.get("real_name") or info.get("name") or ""
        admin = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
        if not admin and self._group_of is not None:
            handle = await self._group(community)
            admin = handle is not None and await _in_group(client, handle, user_id)
        person = Person(name, admin, info.get("tz"))
        self._cache[(community, user_id)] = (time.monotonic(), person)
        return person

    async def _group(self, community: str) -> str | None:
        assert self._group_of is not None
        cached = self._groups.get(community)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        handle = await self._group_of(community)
        self._groups[community] = (time.monotonic(), handle)
        return handle

    def forget(self) -> None:
        """Drop every cached answer (after a moderator changes who moderates)."""
        self._cache.clear()
        self._groups.clear()

    async def actor(self, client: AsyncWebClient, community: str, user_id: str) -> Actor:
        person = await self.person(client, community, user_id)
        return Actor(CommunityRef("slack", community), user_id, person.name, person.is_moderator)


async def _in_group(client: AsyncWebClient, handle: str, user_id: str) -> bool:
    handle = handle.lstrip("@").lower()
    try:
        groups = (await client.usergroups_list())["usergroups"]
        group = next((g for g in groups if g.get("handle", "").lower() == handle), None)
        if group is None:
            return False
        users = (await client.usergroups_users_list(usergroup=group["id"]))["users"]
    except SlackApiError:
        return False
    return user_id in users
