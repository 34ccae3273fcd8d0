"""The core's `Platform` on Discord: private threads (or private channels), posts, DMs, archive.

Every post uses `allowed_mentions` that can ping only the dialogue's own members, so member
text carrying `@everyone`, `<@&role>` or someone else's `<@id>` pings nobody. Calls with an
idempotency key are made once: Discord's `nonce` + `enforce_nonce` dedupes messages, and a
thread is reconciled with the guild's active threads before a second one is made. Threads and
private channels have no nonce, so they are created `at_most_once`: a 5xx or a lost answer is
followed by a look-up of what this call made, never by a blind second create.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from bot.core import threads as core_threads
from bot.core.actor import CommunityRef
from bot.core.app import Core
from bot.core.lookup import find_community
from bot.platforms.base import Message, PlatformError, ThreadMessage
from bot.scheduler.dispatcher import NOTICE_KIND
from bot.scheduler.jobs import add_job

from .components import core_buttons_view, short, split_text, unstored
from .once import OutcomeUnknown, at_most_once

if TYPE_CHECKING:
    from .client import MatchmakerClient

log = logging.getLogger(__name__)

PLATFORM = "discord"
THREAD_ARCHIVE_MINUTES = 10080  # a week: dialogues run about that long
NONCE_CHARS = 25  # Discord's limit for a message nonce
# Discord's answers when a server or channel cannot have private threads: a private channel.
THREADS_UNAVAILABLE = {20035, 50024}
T = TypeVar("T")
# How far Discord's clock (in a new snowflake) may trail ours and still count as "made by this
# call": the look-up after an unknown outcome matches only threads and channels this recent.
CLOCK_SKEW = timedelta(minutes=2)


def invite_permissions() -> discord.Permissions:
    """What the bot needs in a server: private threads for dialogues, private channels (Manage
    Channels + Manage Roles for the overwrites) where threads are unavailable, files for the
    pool chart and exports."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_private_threads=True,
        manage_threads=True,
        read_message_history=True,
        attach_files=True,
        embed_links=True,
        manage_channels=True,
        manage_roles=True,
    )


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id,
        permissions=invite_permissions(),
        scopes=("bot", "applications.commands"),
    )


def nonce_for(key: str) -> str:
    """A stable nonce from any idempotency key, within Discord's 25 characters."""
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def mentions_for(member_ids: Sequence[str]) -> discord.AllowedMentions:
    """Only these users may be pinged; never everyone, here, roles or anyone else."""
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        replied_user=False,
        users=[discord.Object(int(uid)) for uid in member_ids],
    )


def _channel_name(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return (slug or "dialogue")[:90]


_PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "create_private_threads": "Create Private Threads",
    "manage_channels": "Manage Channels",
    "manage_roles": "Manage Roles",
}


def _missing(perms: discord.Permissions, *names: str) -> list[str]:
    return [_PERMISSION_NAMES[n] for n in names if not getattr(perms, n)]


def _is_role(target: object) -> bool:
    """An overwrite's target is a role, cached or not (discord.py gives an `Object` then)."""
    return isinstance(target, discord.Role) or (
        isinstance(target, discord.Object) and target.type is discord.Role
    )


async def _create_once(
    what: str, create: Callable[[], Awaitable[T]], made: Callable[[], Awaitable[T | None]]
) -> T:
    """`create`, sent once; when the outcome is unknown, what `made` finds the first call made,
    else one more `create`. Unknown twice: a PlatformError, so the core retries later with the
    same key, and the look-up before creating finds what Discord did make meanwhile."""
    try:
        with at_most_once():
            return await create()
    except OutcomeUnknown as unknown:
        log.warning("creating %s: %s; looking it up before trying again", what, unknown)
    found = await made()
    if found is not None:
        return found
    try:
        with at_most_once():
            return await create()
    except OutcomeUnknown as unknown:
        raise PlatformError(f"Discord did not confirm the {what}; I will try again.") from unknown


class DiscordPlatform:
    name = PLATFORM

    def __init__(self, client: MatchmakerClient, core: Core) -> None:
        self.client = client
        self.core = core
        # Said to the guild's moderators with their next /dialogue-admin answer.
        self.notices: dict[str, list[str]] = {}
        self._thread_members: dict[str, list[str]] = {}
        self._done: dict[str, str] = {}  # idempotency key -> id made by the first call

    # --- the protocol ------------------------------------------------------------------------

    async def open_private_thread(
        self,
        community_id: str,
        member_ids: list[str],
        title: str,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        if idempotency_key and idempotency_key in self._done:
            return self._done[idempotency_key]
        guild = await self._guild(community_id)
        parent = await self._dialogue_channel(guild)
        title = title[:100]
        if idempotency_key:
            existing = await self._existing_thread(guild, parent, title, member_ids)
            if existing is not None:
                self._remember(idempotency_key, existing, member_ids)
                return existing
        missing = _missing(
            parent.permissions_for(guild.me),
            "view_channel",
            "send_messages_in_threads",
            "create_private_threads",
        )
        why = f"I am missing {', '.join(missing)} there" if missing else ""
        thread_id: str | None = None
        if not missing:
            try:
                thread = await self._create_thread(guild, parent, title)
            except discord.Forbidden:
                why = "I am missing Create Private Threads there"
            except discord.HTTPException as error:
                if error.code not in THREADS_UNAVAILABLE:
                    raise PlatformError(
                        f"Discord refused the private thread: {error.text}"
                    ) from error
                why = f"Discord refused private threads there ({error.text})"
            else:
                thread_id = str(thread.id)
                await self._add_members(thread, member_ids)
        if thread_id is None:
            thread_id = await self._private_channel(guild, parent, member_ids, title)
            await self.notify_moderators(
                community_id,
                f"I could not make a private thread in #{parent.name}: {why}. I used a "
                "private channel instead; grant the permission to keep dialogues in threads.",
            )
        self._remember(idempotency_key, thread_id, member_ids)
        return thread_id

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        members = self._thread_members.get(thread_id)
        if members is None:
            members = await core_threads.members_of_thread(self.core, PLATFORM, thread_id)
        return await self._send(thread_id, message, members, idempotency_key)

    async def send_direct(
        self,
        community_id: str,
        user_id: str,
        message: Message,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        if idempotency_key and idempotency_key in self._done:
            return self._done[idempotency_key]
        try:
            channel = await self.client.http.start_private_message(int(user_id))
        except discord.HTTPException as error:
            raise PlatformError(f"cannot open a DM with <@{user_id}>: {error.text}") from error
        return await self._send(
            channel["id"], message, (), idempotency_key, user_id=user_id, guild=community_id
        )

    async def archive_thread(self, thread_id: str) -> None:
        try:
            channel = await self._channel(thread_id)
            if isinstance(channel, discord.Thread):
                await channel.edit(archived=True, locked=True)
            elif isinstance(channel, discord.TextChannel):
                # The private-channel fallback: members keep reading, nobody writes on.
                overwrites = {
                    target: discord.PermissionOverwrite(**{**dict(ow), "send_messages": False})
                    if isinstance(target, discord.Member | discord.Object)
                    else ow
                    for target, ow in channel.overwrites.items()
                }
                await channel.edit(overwrites=overwrites, name=f"closed-{channel.name}"[:100])
        except discord.HTTPException as error:
            raise PlatformError(f"cannot archive {thread_id}: {error.text}") from error

    async def read_messages(self, thread_id: str) -> list[ThreadMessage]:
        """The whole thread, oldest first (Discord pages 100 at a time, newest first)."""
        out: list[ThreadMessage] = []
        before: int | None = None
        bot_id = str(self.client.user.id) if self.client.user else ""
        try:
            while True:
                page = await self.client.http.logs_from(int(thread_id), 100, before=before)
                for raw in page:
                    author = raw["author"]
                    out.append(
                        ThreadMessage(
                            str(raw["id"]),
                            str(author["id"]),
                            raw.get("content", ""),
                            datetime.fromisoformat(raw["timestamp"]).astimezone(UTC),
                            is_bot=str(author["id"]) == bot_id or bool(author.get("bot")),
                            attachments=tuple(a["url"] for a in raw.get("attachments", [])),
                        )
                    )
                if len(page) < 100:
                    break
                before = int(page[-1]["id"])
        except discord.NotFound as error:
            raise PlatformError(f"thread {thread_id} no longer exists") from error
        except discord.HTTPException as error:
            raise PlatformError(f"cannot read {thread_id}: {error.text}") from error
        out.sort(key=lambda m: (m.sent_at, int(m.id)))
        return out

    # --- moderators --------------------------------------------------------------------------

    async def notify_moderators(self, community_id: str, text: str) -> None:
        """Shown with the next /dialogue-admin answer in this process, and, where the
        community has a moderator channel, posted there by the scheduler's notice job: a row
        in the jobs table, so it survives a restart, is retried, and is made once per text
        and day whichever process found the problem."""
        log.warning("guild %s: %s", community_id, text)
        queue = self.notices.setdefault(community_id, [])
        if text not in queue:
            queue.append(text)
        now = self.core.clock.now()
        digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
        async with self.core.db.transaction() as session:
            community = await find_community(session, CommunityRef(PLATFORM, community_id))
            if community is None or not community.moderator_channel_id:
                return
            await add_job(
                session,
                kind=NOTICE_KIND,
                run_at=now,
                dedupe_key=f"notice:{community.id}:{digest}:{now.date().isoformat()}",
                community_id=community.id,
                payload={"text": text},
                now=now,
            )

    def take_notices(self, community_id: str) -> list[str]:
        return self.notices.pop(community_id, [])

    # --- helpers -----------------------------------------------------------------------------

    def _remember(self, key: str | None, made: str, member_ids: Sequence[str]) -> None:
        self._thread_members[made] = list(member_ids)
        if key:
            self._done[key] = made

    async def _send(
        self,
        channel_id: str | int,
        message: Message,
        members: Sequence[str],
        key: str | None,
        *,
        user_id: str | None = None,
        guild: str | int = 0,
    ) -> str:
        if key and key in self._done:
            return self._done[key]
        target = self.client.get_partial_messageable(int(channel_id))
        chunks = split_text(message.text)
        try:
            first: str | None = None
            for index, chunk in enumerate(chunks):
                kwargs: dict[str, Any] = {"allowed_mentions": mentions_for(members)}
                if message.buttons and index == len(chunks) - 1:
                    kwargs["view"] = unstored(core_buttons_view(message.buttons, guild))
                if key:
                    # One nonce per part: a retry repeats none of them.
                    kwargs["nonce"] = nonce_for(key if index == 0 else f"{key}#{index}")
                sent = await target.send(chunk, **kwargs)
                first = first or str(sent.id)
        except discord.Forbidden as error:
            if user_id is not None:
                problem = f"<@{user_id}> does not accept direct messages from the bot"
                if guild:
                    await self.notify_moderators(
                        str(guild), f"{problem}, so they missed: {short(message.text, 120)}"
                    )
                raise PlatformError(problem) from error
            raise PlatformError(
                f"I may not post in <#{channel_id}> (missing Send Messages): {error.text}"
            ) from error
        except discord.NotFound as error:
            raise PlatformError(f"channel {channel_id} no longer exists") from error
        except discord.HTTPException as error:
            raise PlatformError(f"Discord refused the message: {error.text}") from error
        assert first is not None  # split_text always gives at least one part
        if key:
            self._done[key] = first
        return first

    async def _guild(self, community_id: str) -> discord.Guild:
        guild = self.client.get_guild(int(community_id))
        if guild is None:
            raise PlatformError(f"the bot is not in the Discord server {community_id}")
        return guild

    async def _channel(self, channel_id: str) -> Any:
        channel = self.client.get_channel(int(channel_id))
        if channel is None:
            channel = await self.client.fetch_channel(int(channel_id))
        return channel

    async def _dialogue_channel(self, guild: discord.Guild) -> discord.TextChannel:
        async with self.core.db.transaction() as session:
            community = await find_community(session, CommunityRef(PLATFORM, str(guild.id)))
            channel_id = community.dialogue_channel_id if community else None
        if not channel_id:
            raise PlatformError(
                "No dialogue channel is set: a moderator sets one with "
                "/dialogue-admin config channel:#channel"
            )
        try:
            channel = await self._channel(channel_id.strip("<#>"))
        except discord.NotFound as error:
            raise PlatformError(
                f"The dialogue channel {channel_id} was deleted; set another with "
                "/dialogue-admin config"
            ) from error
        except discord.HTTPException as error:
            raise PlatformError(f"cannot read the dialogue channel: {error.text}") from error
        if not isinstance(channel, discord.TextChannel):
            raise PlatformError(f"The dialogue channel {channel_id} is not a text channel")
        return channel

    async def _existing_thread(
        self,
        guild: discord.Guild,
        parent: discord.TextChannel,
        title: str,
        member_ids: Sequence[str],
    ) -> str | None:
        """After a crash between creating a thread and recording it: find it, don't remake it."""
        try:
            active = await guild.active_threads()
        except discord.HTTPException:
            return None
        for thread in active:
            if (
                thread.parent_id == parent.id
                and thread.name == title
                and thread.owner_id == self.client.user.id  # type: ignore[union-attr]
            ):
                # Matched by name alone, so it may be a live dialogue's: never archived here.
                await self._add_members(thread, member_ids, made_now=False)
                return str(thread.id)
        return None

    def _since(self) -> int:
        """The smallest snowflake a thread or channel made from now on can have."""
        return discord.utils.time_snowflake(datetime.now(UTC) - CLOCK_SKEW)

    def _claimed(self, channel_id: int) -> bool:
        return str(channel_id) in self._thread_members

    async def _create_thread(
        self, guild: discord.Guild, parent: discord.TextChannel, title: str
    ) -> discord.Thread:
        """One private thread, whatever Discord's proxy answers: after a 5xx or no answer,
        the thread the first call made (if it did) is found, not made again. It is recognised
        by what only this call gives it together: this parent, this exact name, the bot as
        owner, and an id minted since the call began; one another call already took is not it."""
        since = self._since()
        return await _create_once(
            f"thread {title!r} in #{parent.name}",
            lambda: parent.create_thread(
                name=title,
                type=discord.ChannelType.private_thread,
                invitable=False,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            ),
            lambda: self._thread_made_since(guild, parent, title, since),
        )

    async def _thread_made_since(
        self, guild: discord.Guild, parent: discord.TextChannel, title: str, since: int
    ) -> discord.Thread | None:
        try:
            active = await guild.active_threads()
        except discord.HTTPException as error:
            # Not knowing is no licence to create: a second thread may be the result.
            raise PlatformError(f"cannot check for the dialogue's thread: {error.text}") from error
        mine = sorted(
            (
                t
                for t in active
                if t.parent_id == parent.id
                and t.name == title
                and t.owner_id == self.client.user.id  # type: ignore[union-attr]
                and t.id >= since
                and not self._claimed(t.id)
            ),
            key=lambda t: t.id,
        )
        return mine[0] if mine else None

    async def _add_members(
        self, thread: discord.Thread, member_ids: Sequence[str], *, made_now: bool = True
    ) -> None:
        for uid in member_ids:
            try:
                await thread.add_user(discord.Object(int(uid)))
            except discord.NotFound as error:
                await self._abandon(thread, made_now)
                raise PlatformError(f"<@{uid}> is no longer in the server") from error
            except discord.HTTPException as error:
                await self._abandon(thread, made_now)
                raise PlatformError(f"cannot add <@{uid}> to the thread: {error.text}") from error

    async def _abandon(self, thread: discord.Thread, made_now: bool) -> None:
        if not made_now:
            return  # it may be someone's live dialogue
        try:
            await thread.edit(archived=True, locked=True)
        except discord.HTTPException:
            log.info("could not archive abandoned thread %s", thread.id)

    async def _private_channel(
        self,
        guild: discord.Guild,
        parent: discord.TextChannel,
        member_ids: Sequence[str],
        title: str,
    ) -> str:
        missing = _missing(guild.me.guild_permissions, "manage_channels", "manage_roles")
        if missing:
            raise PlatformError(
                f"I cannot open dialogues: I need Create Private Threads in #{parent.name}, "
                f"or {' and '.join(missing)} to make private channels."
            )
        for uid in member_ids:
            if guild.get_member(int(uid)) is None:
                try:
                    await guild.fetch_member(int(uid))
                except discord.NotFound as error:
                    raise PlatformError(f"<@{uid}> is no longer in the server") from error
        allow = discord.PermissionOverwrite(
            view_channel=True, send_messages=True, read_message_history=True
        )
        overwrites: dict[Any, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: discord.PermissionOverwrite(
                view_channel=True, send_messages=True, manage_channels=True
            ),
        }
        overwrites.update({discord.Object(int(uid)): allow for uid in member_ids})
        name = _channel_name(title)
        since = self._since()

        async def create() -> str:
            channel = await guild.create_text_channel(
                name, category=parent.category, overwrites=overwrites
            )
            return str(channel.id)

        try:
            return await _create_once(
                f"private channel #{name}",
                create,
                lambda: self._channel_made_since(guild, parent, name, member_ids, since),
            )
        except discord.Forbidden as error:
            raise PlatformError(
                "Discord refused the private channel: I need Manage Channels and Manage Roles."
            ) from error

    async def _channel_made_since(
        self,
        guild: discord.Guild,
        parent: discord.TextChannel,
        name: str,
        member_ids: Sequence[str],
        since: int,
    ) -> str | None:
        """The private channel this call made, if it did: this name and category, hidden from
        @everyone, open to exactly the bot and these members, minted since the call began."""
        try:
            channels = await guild.fetch_channels()
        except discord.HTTPException as error:
            raise PlatformError(f"cannot check for the dialogue's channel: {error.text}") from error
        wanted = {*(int(uid) for uid in member_ids), guild.me.id}
        for channel in sorted(channels, key=lambda c: c.id):
            if not (
                isinstance(channel, discord.TextChannel)
                and channel.name == name
                and channel.category_id == parent.category_id
                and channel.id >= since
                and not self._claimed(channel.id)
            ):
                continue
            hidden = channel.overwrites_for(guild.default_role).view_channel is False
            users = {
                target.id
                for target, ow in channel.overwrites.items()
                if not _is_role(target) and ow.view_channel
            }
            if hidden and users == wanted:
                return str(channel.id)
        return None
