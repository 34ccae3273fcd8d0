"""`bot.platforms.base.Platform` on Slack: private channels (or group DMs), posts, DMs.

Thread ids are `"<community>:<channel>"`, so a later post or archive finds the workspace's
token without asking the core. Idempotency keys ride on Slack message metadata: before a
keyed post we look for a message of ours carrying the key, and return it instead of sending
again; a keyed channel gets a name derived from the key, so a second create finds the first.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.platforms.base import Message, PlatformError, ThreadMessage

from .blockkit import SECTION_LIMIT, message_blocks
from .client import DEFAULT_API_URL, web_client
from .installs import TokenSource
from .text import render

log = logging.getLogger(__name__)

METADATA_EVENT = "matchmaker_post"
HISTORY_PAGE = 200
# Who is told when the app lacks a scope: (community id, text for moderators, or None once
# a private channel could be made again).
Notice = Callable[[str, str | None], Awaitable[None]]


def thread_ref(community_id: str, channel_id: str) -> str:
    return f"{community_id}:{channel_id}"


def split_thread(thread_id: str) -> tuple[str, str]:
    community, sep, channel = thread_id.partition(":")
    if not sep or not community or not channel:
        raise PlatformError(f"{thread_id!r} is not a Slack dialogue id")
    return community, channel


def slack_failure(error: SlackApiError, doing: str) -> PlatformError:
    """A Slack error as a sentence for a person, naming the missing scope where Slack does."""
    code = error.response.get("error", "unknown_error")
    if code == "missing_scope":
        needed = error.response.get("needed", "?")
        return PlatformError(
            f"cannot {doing}: the Slack app lacks the `{needed}` scope; "
            "reinstall it with that scope (see slack-manifest.yml)"
        )
    known = {
        "channel_not_found": "the channel no longer exists",
        "is_archived": "the channel is archived",
        "user_not_found": "that person is no longer in the workspace",
        "not_in_channel": "the app is not a member of the channel",
        "ratelimited": "Slack is rate limiting the app; try again in a minute",
        "cant_invite_self": "the app cannot invite itself",
    }
    return PlatformError(f"cannot {doing}: {known.get(code, code)}")


def channel_name(title: str, key: str | None) -> str:
    """A legal private-channel name (lowercase, ≤80, no spaces); stable for a key."""
    base = re.sub(r"[^a-z0-9_-]+", "-", title.lower()).strip("-")[:50] or "dialogue"
    suffix = hashlib.sha256((key or f"{title}{datetime.now(UTC).isoformat()}").encode())
    return f"{base}-{suffix.hexdigest()[:10]}"


class SlackPlatform:
    name = "slack"

    def __init__(
        self,
        tokens: TokenSource,
        *,
        api_url: str = DEFAULT_API_URL,
        client_factory: Callable[[str], AsyncWebClient] | None = None,
        notice: Notice | None = None,
    ) -> None:
        self.tokens = tokens
        self.api_url = api_url
        self._client_factory = client_factory or (lambda token: web_client(api_url, token))
        self._clients: dict[str, AsyncWebClient] = {}
        self._notice = notice

    def set_notice(self, notice: Notice) -> None:
        self._notice = notice

    async def client(self, community_id: str) -> AsyncWebClient:
        token = await self.tokens.bot_token(community_id)
        found = self._clients.get(token)
        if found is None:
            found = self._clients[token] = self._client_factory(token)
        return found

    # --- Platform ------------------------------------------------------------------------

    async def open_private_thread(
        self,
        community_id: str,
        member_ids: list[str],
        title: str,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        client = await self.client(community_id)
        name = channel_name(title, idempotency_key)
        try:
            channel = await self._create_channel(client, name, idempotency_key is not None)
        except SlackApiError as error:
            if error.response.get("error") != "missing_scope":
                raise slack_failure(error, "create the dialogue channel") from None
            # Without channel scopes the pair still gets a conversation: a group DM.
            needed = error.response.get("needed", "groups:write")
            await self._tell_moderators(
                community_id,
                f"Dialogues open as group DMs because the Slack app lacks the `{needed}` "
                "scope; add it (see slack-manifest.yml) and reinstall for private channels.",
            )
            return thread_ref(community_id, await self._group_dm(client, member_ids))
        if self._notice is not None:
            await self._notice(community_id, None)  # the scope is there (again)
        try:
            await client.conversations_invite(channel=channel, users=",".join(member_ids))
        except SlackApiError as error:
            if error.response.get("error") != "already_in_channel":
                raise slack_failure(error, "add the pair to the dialogue channel") from None
        return thread_ref(community_id, channel)

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        community, channel = split_thread(thread_id)
        client = await self.client(community)
        return await self._post(client, channel, message, idempotency_key)

    async def send_direct(
        self,
        community_id: str,
        user_id: str,
        message: Message,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        client = await self.client(community_id)
        try:
            opened = await client.conversations_open(users=user_id)
        except SlackApiError as error:
            raise slack_failure(error, f"open a direct message with {user_id}") from None
        return await self._post(client, opened["channel"]["id"], message, idempotency_key)

    async def archive_thread(self, thread_id: str) -> None:
        community, channel = split_thread(thread_id)
        client = await self.client(community)
        try:
            await client.conversations_archive(channel=channel)
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "already_archived":
                return
            if code in ("method_not_supported_for_channel_type", "cant_archive_general"):
                # A group DM cannot be archived; closing it takes it out of the sidebar.
                await self._close(client, channel)
                return
            raise slack_failure(error, "archive the dialogue channel") from None

    async def read_messages(self, thread_id: str) -> list[ThreadMessage]:
        community, channel = split_thread(thread_id)
        client = await self.client(community)
        out: list[ThreadMessage] = []
        cursor: str | None = None
        while True:
            try:
                page = await client.conversations_history(
                    channel=channel, limit=HISTORY_PAGE, cursor=cursor
                )
            except SlackApiError as error:
                raise slack_failure(error, "read the dialogue") from None
            for m in page.get("messages", []):
                if m.get("type") != "message" or m.get("subtype") in ("channel_join",):
                    continue
                out.append(
                    ThreadMessage(
                        id=str(m["ts"]),
                        author_id=m.get("user") or m.get("bot_id") or "",
                        text=m.get("text", ""),
                        sent_at=datetime.fromtimestamp(float(m["ts"]), UTC),
                        is_bot="bot_id" in m,
                        attachments=tuple(
                            f.get("url_private") or f.get("name", "") for f in m.get("files", [])
                        ),
                    )
                )
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        out.sort(key=lambda m: m.sent_at)  # history pages come newest first
        return out

    # --- helpers -------------------------------------------------------------------------

    async def _create_channel(self, client: AsyncWebClient, name: str, keyed: bool) -> str:
        try:
            created = await client.conversations_create(name=name, is_private=True)
            return str(created["channel"]["id"])
        except SlackApiError as error:
            if not (keyed and error.response.get("error") == "name_taken"):
                raise
        # The same key made this channel before: find it among the app's private channels.
        cursor: str | None = None
        while True:
            page = await client.conversations_list(
                types="private_channel", limit=200, cursor=cursor, exclude_archived=False
            )
            for found in page.get("channels", []):
                if found.get("name") == name:
                    return str(found["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                raise PlatformError(f"channel {name} exists but the app cannot see it")

    async def _group_dm(self, client: AsyncWebClient, member_ids: list[str]) -> str:
        try:
            opened = await client.conversations_open(users=",".join(member_ids))
        except SlackApiError as error:
            raise slack_failure(error, "open a group DM with the pair") from None
        return str(opened["channel"]["id"])

    async def _close(self, client: AsyncWebClient, channel: str) -> None:
        try:
            await client.conversations_close(channel=channel)
        except SlackApiError as error:
            raise slack_failure(error, "close the group DM") from None

    async def _post(
        self, client: AsyncWebClient, channel: str, message: Message, key: str | None
    ) -> str:
        if key is not None:
            sent = await self._find_keyed(client, channel, key)
            if sent is not None:
                return sent
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
        try:
            posted = await client.chat_postMessage(
                channel=channel,
                text=render(message.text)[:SECTION_LIMIT],  # the notification fallback
                blocks=message_blocks(render(message.text), message.buttons),
                metadata=metadata,
                link_names=False,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            raise slack_failure(error, "post the message") from None
        return str(posted["ts"])

    async def _find_keyed(self, client: AsyncWebClient, channel: str, key: str) -> str | None:
        try:
            page = await client.conversations_history(
                channel=channel, limit=HISTORY_PAGE, include_all_metadata=True
            )
        except SlackApiError as error:
            if error.response.get("error") == "missing_scope":
                return None  # cannot look: sending is better than never sending
            raise slack_failure(error, "check for an earlier copy of the message") from None
        for m in page.get("messages", []):
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (
                (meta.get("event_payload") or {}).get("key") == key
            ):
                return str(m["ts"])
        return None

    async def _tell_moderators(self, community_id: str, text: str) -> None:
        log.warning("slack %s: %s", community_id, text)
        if self._notice is not None:
            await self._notice(community_id, text)
