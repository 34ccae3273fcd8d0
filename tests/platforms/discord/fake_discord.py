"""A local fake Discord: the REST routes the bot uses and a gateway websocket, on 127.0.0.1.

The real discord.py client connects to it (`Route.BASE` and the gateway URL pointed here, see
`bot.platforms.discord.client`). It records every request, keeps guilds, channels, threads and
messages, answers the way Discord answers (403 with code 50007 for closed DMs, 50013 for a
missing permission, 10062 for an expired interaction, a 429 or a 500/502 once where a test
asks) and rejects payloads Discord rejects: unknown component types, more than 5 rows,
labels and custom ids over their limits, a `nonce` over 25 characters. With `nonce` +
`enforce_nonce`, a repeated message returns the first one, as Discord does. Channel
permissions are computed as Discord does (roles, then the @everyone, role and member
overwrites): the bot posts, reads history and makes threads only where they allow it, sets
overwrites only with Manage Roles and only for permissions it has, and a member writes only
where they may (a private thread: its members).

Tests inject gateway events (`interaction`, `member_message`) and await the bot's callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import operator
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web
from discord import Permissions
from discord.utils import time_snowflake

from bot.platforms.discord.platform import invite_permissions

APPLICATION_ID = "1100000000000000001"
BOT_USER_ID = "1100000000000000002"
TOKEN = "fake-token"

# Discord's limits (https://discord.com/developers/docs/interactions/message-components).
MAX_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_BUTTON_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_SELECT_OPTIONS = 25
MAX_OPTION_LABEL = 100
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 45
MAX_TEXT_INPUT_LABEL = 45
MAX_CONTENT = 2000
MAX_NONCE = 25
KNOWN_COMPONENT_TYPES = {1, 2, 3, 4, 5, 6, 7, 8}
COMMAND_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")

PRIVATE_THREAD, GUILD_TEXT, DM = 12, 0, 1


class Rejected(Exception):
    """A payload Discord would refuse; becomes an HTTP error response."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


@dataclass
class Request:
    method: str
    path: str
    json: Any
    query: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class FakeGuild:
    id: str
    name: str
    owner_id: str
    bot_permissions: Permissions
    channels: list[str] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> member payload
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Session:
    id: str
    ws: web.WebSocketResponse
    shard: tuple[int, int]
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)


class FakeDiscord:
    def __init__(self) -> None:
        self._last_id = 0
        self.requests: list[Request] = []
        self.rejections: list[tuple[Request, str]] = []  # what was refused, and why
        self.rate_limit_once: set[str] = set()  # "POST /channels/…/messages": 429 the first time
        # "POST /channels/…/messages" -> (500 or 502, after): a server error the first time,
        # before doing anything, or (after=True) once the request has taken effect, as when
        # Discord's proxy times out on a request its backend carried out.
        self.server_error_once: dict[str, tuple[int, bool]] = {}
        # The same, one per request in turn, for a route that fails more than once.
        self.server_errors: dict[str, list[tuple[int, bool]]] = {}
        self.guilds: dict[str, FakeGuild] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.thread_members: dict[str, set[str]] = {}
        self.users: dict[str, dict[str, Any]] = {
            BOT_USER_ID: user_payload(BOT_USER_ID, "Matchmaker", bot=True)
        }
        self.dm_closed: set[str] = set()
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.sessions: dict[str, Session] = {}
        self.live: list[Session] = []
        self.interaction_callbacks: dict[str, dict[str, Any]] = {}
        self.followups: dict[str, list[dict[str, Any]]] = {}  # interaction token -> messages
        self.expired: set[str] = set()  # interaction ids whose token has expired
        self._interactions: dict[str, dict[str, Any]] = {}  # token -> interaction payload
        self._answered: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._changed = asyncio.Condition()
        self._sent_at: dict[str, float] = {}
        self._interaction_seq = 0
        # Interaction id -> seconds from dispatching it to the bot's callback (the bench).
        self.answer_seconds: dict[str, float] = {}
        # … and to the bot's last message for it (the followup after a deferral).
        self.done_seconds: dict[str, float] = {}
        self.url = ""
        # What GET /gateway/bot answers; a test sets a dead URL to prove an override is used.
        self.advertised_gateway: str | None = None
        self.recommended_shards = 1
        # What READY names for resuming; a test sets a dead URL to prove the override is kept.
        self.resume_gateway_url: str | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.url.removeprefix('http://')}/gateway"

    async def close(self) -> None:
        for session in list(self.live):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def next_id(self) -> str:
        """A snowflake minted now, as Discord's are: its timestamp is its creation time."""
        self._last_id = max(self._last_id + 1, time_snowflake(datetime.now(UTC)))
        return str(self._last_id)

    # --- world building ----------------------------------------------------------------------

    def add_guild(
        self,
        name: str = "Research Guild",
        *,
        owner_id: str | None = None,
        bot_permissions: Permissions | None = None,
        guild_id: str | None = None,
    ) -> FakeGuild:
        # Guild ids one tick apart: guild n is on shard n % shard_count.
        guild_id = guild_id or str(1_300_000_000_000_000_000 + (len(self.guilds) << 22))
        owner_id = owner_id or self.next_id()
        perms = bot_permissions if bot_permissions is not None else default_bot_permissions()
        guild = FakeGuild(guild_id, name, owner_id, perms)
        guild.roles[guild_id] = _role(guild_id, "@everyone", everyone_permissions())
        bot_role = self.next_id()
        guild.roles[bot_role] = _role(bot_role, "Matchmaker", perms, position=1)
        guild.members[BOT_USER_ID] = self._member_payload(BOT_USER_ID, [bot_role])
        self.guilds[guild_id] = guild
        self.add_channel(guild_id, "general")
        return guild

    def add_channel(self, guild_id: str, name: str) -> str:
        channel_id = self.next_id()
        self.channels[channel_id] = {
            "id": channel_id,
            "type": GUILD_TEXT,
            "guild_id": guild_id,
            "name": name,
            "position": len(self.guilds[guild_id].channels),
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
        }
        self.guilds[guild_id].channels.append(channel_id)
        self.messages[channel_id] = []
        return channel_id

    def add_member(
        self, guild_id: str, name: str, *, user_id: str | None = None, roles: Iterable[str] = ()
    ) -> str:
        user_id = user_id or self.next_id()
        self.users[user_id] = user_payload(user_id, name)
        self.guilds[guild_id].members[user_id] = self._member_payload(user_id, list(roles))
        return user_id

    def add_role(self, guild_id: str, name: str, permissions: Permissions) -> str:
        role_id = self.next_id()
        self.guilds[guild_id].roles[role_id] = _role(role_id, name, permissions, position=2)
        return role_id

    def member_permissions(self, guild_id: str, user_id: str) -> Permissions:
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return Permissions.all()
        value = guild.roles[guild_id]["_perms"].value
        for role_id in guild.members.get(user_id, {}).get("roles", []):
            value |= guild.roles[role_id]["_perms"].value
        perms = Permissions(value)
        return Permissions.all() if perms.administrator else perms

    def channel_permissions(self, channel_id: str, user_id: str) -> Permissions:
        """What `user_id` may do in a channel: Discord's order, the guild's roles, then the
        @everyone overwrite, the member's roles' overwrites together, the member's own. A
        thread has its parent's; without View Channel nothing else is granted."""
        channel = self.channels[channel_id]
        if channel["type"] == PRIVATE_THREAD:
            channel = self.channels[channel["parent_id"]]
        guild = self.guilds[channel["guild_id"]]
        perms = self.member_permissions(guild.id, user_id)
        if perms.administrator:
            return perms
        overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}
        value = perms.value

        def apply(allow: int, deny: int) -> None:
            nonlocal value
            value = (value & ~deny) | allow

        if guild.id in overwrites:
            everyone = overwrites[guild.id]
            apply(int(everyone.get("allow", 0)), int(everyone.get("deny", 0)))
        roles = [
            overwrites[r]
            for r in guild.members.get(user_id, {}).get("roles", [])
            if r in overwrites
        ]
        apply(
            functools.reduce(operator.or_, (int(o.get("allow", 0)) for o in roles), 0),
            functools.reduce(operator.or_, (int(o.get("deny", 0)) for o in roles), 0),
        )
        if user_id in overwrites:
            own = overwrites[user_id]
            apply(int(own.get("allow", 0)), int(own.get("deny", 0)))
        result = Permissions(value)
        return result if result.view_channel else Permissions.none()

    def may_write(self, channel_id: str, user_id: str) -> bool:
        """Whether `user_id` can post in a channel or thread (a private thread: its members)."""
        channel = self.channels[channel_id]
        perms = self.channel_permissions(channel_id, user_id)
        if channel["type"] == PRIVATE_THREAD:
            return (
                user_id in self.thread_members.get(channel_id, set())
                and perms.send_messages_in_threads
                and not channel["thread_metadata"]["locked"]
            )
        return perms.send_messages

    def _member_payload(self, user_id: str, roles: list[str]) -> dict[str, Any]:
        return {
            "user": self.users[user_id],
            "roles": roles,
            "joined_at": _now(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def guild_payload(self, guild: FakeGuild) -> dict[str, Any]:
        roles = [{k: v for k, v in r.items() if k != "_perms"} for r in guild.roles.values()]
        return {
            "id": guild.id,
            "name": guild.name,
            "owner_id": guild.owner_id,
            "icon": None,
            "roles": roles,
            "channels": [
                {k: v for k, v in self.channels[c].items() if not k.startswith("_")}
                for c in guild.channels
            ],
            "threads": [
                t
                for t in self.threads()
                if t["guild_id"] == guild.id and not t["thread_metadata"]["archived"]
            ],
            "members": [guild.members[BOT_USER_ID]],
            "member_count": len(guild.members),
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "large": False,
            "unavailable": False,
            "joined_at": _now(),
            "premium_tier": 0,
            "mfa_level": 0,
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "afk_timeout": 300,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "stage_instances": [],
            "guild_scheduled_events": [],
        }

    # --- gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        session: Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            payload = json.loads(msg.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await ws.send_json({"op": 11})
            elif op == 2:
                session = await self._identify(ws, data)
            elif op == 6:
                session = await self._resume(ws, data)
        if session is not None and session in self.live:
            self.live.remove(session)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session:
        if data.get("token") != TOKEN:
            await ws.close(code=4004, message=b"Authentication failed.")
        self.identifies.append(data)
        shard = tuple(data.get("shard") or (0, 1))
        session = Session(self.next_id(), ws, (int(shard[0]), int(shard[1])))
        self.sessions[session.id] = session
        self.live.append(session)
        mine = [
            g
            for g in self.guilds.values()
            if self._shard_of(g.id, session.shard[1]) == session.shard[0]
        ]
        await self._send(
            session,
            "READY",
            {
                "v": 10,
                "user": self.users[BOT_USER_ID],
                "guilds": [{"id": g.id, "unavailable": True} for g in mine],
                "session_id": session.id,
                "resume_gateway_url": self.resume_gateway_url or self.gateway_url,
                "shard": list(session.shard),
                "application": {"id": APPLICATION_ID, "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild in mine:
            await self._send(session, "GUILD_CREATE", self.guild_payload(guild))
        await self._notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        self.resumes.append(data)
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != TOKEN:
            await ws.send_json({"op": 9, "d": False})
            return None
        session.ws = ws
        self.live.append(session)
        missed = [e for e in session.events if e["s"] > (data.get("seq") or 0)]
        for event in missed:
            await ws.send_json(event)
        await self._send(session, "RESUMED", {})
        await self._notify()
        return session

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        if not session.ws.closed:
            await session.ws.send_json(frame)

    @staticmethod
    def _shard_of(guild_id: str, count: int) -> int:
        return (int(guild_id) >> 22) % count

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: str | None = None) -> None:
        """Send an event on the shard that owns `guild_id` (shard 0 for DMs)."""
        for session in self.live:
            count = session.shard[1]
            shard = 0 if guild_id is None else self._shard_of(guild_id, count)
            if session.shard[0] == shard:
                await self._send(session, event, data)
                return
        raise AssertionError(f"no live gateway session for {event} in guild {guild_id}")

    async def delete_channel(self, channel_id: str) -> None:
        """A moderator deletes a channel: gone from REST, CHANNEL_DELETE on the gateway."""
        channel = self.channels.pop(channel_id)
        self.guilds[channel["guild_id"]].channels.remove(channel_id)
        await self._quietly("CHANNEL_DELETE", channel)

    async def _quietly(self, event: str, data: dict[str, Any]) -> None:
        """What Discord tells the bot's gateway about a change it made over REST."""
        visible = {k: v for k, v in data.items() if not k.startswith("_")}
        with contextlib.suppress(AssertionError):
            await self.dispatch(event, visible, data.get("guild_id"))

    async def ask_to_reconnect(self) -> None:
        """Discord's op 7: the client closes and RESUMEs at the resume_gateway_url."""
        for session in list(self.live):
            self.live.remove(session)
            await session.ws.send_json({"op": 7, "d": None})

    async def wait_for(self, predicate: Any, within: float = 10.0) -> None:
        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(check(), within)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- injecting member actions ------------------------------------------------------------

    async def interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Dispatch an INTERACTION_CREATE and return the payload (with its id and token)."""
        payload.setdefault("id", self.interaction_id())
        payload.setdefault("token", f"tok-{payload['id']}")
        payload.setdefault("application_id", APPLICATION_ID)
        payload.setdefault("version", 1)
        payload.setdefault("attachment_size_limit", 8 * 1024 * 1024)
        payload.setdefault("entitlements", [])
        payload.setdefault("locale", "en-US")
        self._interactions[payload["token"]] = payload
        self._answered[payload["id"]] = asyncio.get_running_loop().create_future()
        self._sent_at[payload["id"]] = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload, payload.get("guild_id"))
        return payload

    def interaction_id(self, made_at: datetime | None = None) -> str:
        """A snowflake of `made_at` (now), as Discord's ids carry their creation time: the
        bot reads from it how much of the 3 s to answer in is left."""
        self._interaction_seq = (self._interaction_seq + 1) % (1 << 22)
        return str(time_snowflake(made_at or datetime.now(UTC)) | self._interaction_seq)

    async def callback(self, interaction: dict[str, Any], within: float = 10.0) -> dict[str, Any]:
        """The bot's first answer to an interaction (type 4, 5, 6, 7, 9 …)."""
        return await asyncio.wait_for(asyncio.shield(self._answered[interaction["id"]]), within)

    async def member_message(self, channel_id: str, user_id: str, content: str) -> dict[str, Any]:
        """A member writes; refused, as their Discord client would, where they may not."""
        if self.channels[channel_id].get("guild_id") and not self.may_write(channel_id, user_id):
            raise Rejected(403, 50013, f"{user_id} may not write in {channel_id}")
        message = self._message(channel_id, user_id, {"content": content})
        guild_id = self.channels[channel_id].get("guild_id")
        await self.dispatch("MESSAGE_CREATE", message, guild_id)
        return message

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        return self.messages.get(channel_id, [])

    def dm_channel_of(self, user_id: str) -> str | None:
        for cid, channel in self.channels.items():
            if channel["type"] == DM and channel["recipients"][0]["id"] == user_id:
                return cid
        return None

    def dms_to(self, user_id: str) -> list[dict[str, Any]]:
        cid = self.dm_channel_of(user_id)
        return [] if cid is None else self.messages[cid]

    def threads(self) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c["type"] == PRIVATE_THREAD]

    def private_channels(self) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c.get("_private")]

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = await request.json()
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""  # type: ignore[union-attr]
                data = await part.read()  # type: ignore[union-attr]
                if name == "payload_json":
                    body = json.loads(data)
                else:
                    files[part.filename or name] = bytes(data)  # type: ignore[union-attr]
        path = "/" + request.match_info["tail"]
        entry = Request(request.method, path, body, dict(request.query), files)
        self.requests.append(entry)
        if request.headers.get("Authorization") not in (f"Bot {TOKEN}", None):
            return _error(401, 0, "401: Unauthorized")
        limited = f"{request.method} {path}"
        if limited in self.rate_limit_once:
            self.rate_limit_once.discard(limited)
            limited_response = _json(
                {"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
                429,
            )
            # Discord's own 429s come through its proxy; discord.py treats others as a ban.
            limited_response.headers["Via"] = "1.1 google"
            return limited_response
        failure = self.server_error_once.pop(limited, None)
        if failure is None and self.server_errors.get(limited):
            failure = self.server_errors[limited].pop(0)
        if failure is not None and not failure[1]:
            return _error(failure[0], 0, f"{failure[0]}: Server Error")
        try:
            status, result = await self._route(request.method, path, body or {}, files)
        except Rejected as exc:
            self.rejections.append((entry, exc.message))
            answered = self._answered.get(
                path.split("/")[2] if path.startswith("/interactions/") else ""
            )
            if answered is not None and not answered.done():
                # A refused callback is an answer too: the test sees why at once.
                answered.set_exception(AssertionError(f"Discord refused: {exc.message}"))
            return _error(exc.status, exc.code, exc.message)
        finally:
            await self._notify()
        if failure is not None:
            return _error(failure[0], 0, f"{failure[0]}: Bad Gateway")
        if status == 204:
            return web.Response(status=204)
        return _json(result, status)

    async def _route(
        self, method: str, path: str, body: dict[str, Any], files: dict[str, bytes]
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        match method, parts:
            case "GET", ["users", "@me"]:
                return 200, self.users[BOT_USER_ID]
            case "GET", ["oauth2", "applications", "@me"]:
                return 200, {
                    "id": APPLICATION_ID,
                    "name": "Matchmaker",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": self.users[BOT_USER_ID],
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "interactions_endpoint_url": None,
                }
            case "GET", ["gateway", "bot"]:
                limits = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                url = self.advertised_gateway or self.gateway_url
                return 200, {
                    "url": url,
                    "shards": self.recommended_shards,
                    "session_start_limit": limits,
                }
            case "PUT", ["applications", _, "commands"]:
                return 200, self._put_commands(None, body)
            case "PUT", ["applications", _, "guilds", guild_id, "commands"]:
                return 200, self._put_commands(guild_id, body)
            case "POST", ["interactions", interaction_id, token, "callback"]:
                return 200, self._interaction_callback(interaction_id, token, body, files)
            case "POST", ["webhooks", _, token]:
                message = self._webhook_message(token, body, files)
                self.followups.setdefault(token, []).append(message)
                self._answered_late(token)
                return 200, message
            case "PATCH" | "GET", ["webhooks", _, token, "messages", "@original"]:
                return 200, self._original(token, body if method == "PATCH" else None, files)
            case "POST", ["users", "@me", "channels"]:
                return 200, self._open_dm(str(body["recipient_id"]))
            case "POST", ["channels", channel_id, "messages"]:
                return 200, self._create_message(channel_id, body, files)
            case "GET", ["channels", channel_id, "messages"]:
                channel = self._channel(channel_id)
                if channel.get("guild_id"):
                    self._require(
                        channel["guild_id"], "read_message_history", channel_id=channel_id
                    )
                return 200, list(reversed(self.messages[channel_id]))
            case "PATCH", ["channels", channel_id, "messages", message_id]:
                return 200, self._edit_message(channel_id, message_id, body)
            case "GET", ["channels", channel_id]:
                return 200, self._channel(channel_id)
            case "PATCH", ["channels", channel_id]:
                channel = self._channel(channel_id)
                if "permission_overwrites" in body:
                    self._may_set(channel["guild_id"], body["permission_overwrites"])
                if "thread_metadata" in channel:
                    for key in ("archived", "locked"):
                        if key in body:
                            channel["thread_metadata"][key] = body[key]
                channel.update(
                    {k: v for k, v in body.items() if k in ("name", "permission_overwrites")}
                )
                return 200, channel
            case "POST", ["channels", channel_id, "threads"]:
                thread = self._create_thread(channel_id, body)
                await self._quietly("THREAD_CREATE", {**thread, "newly_created": True})
                return 201, thread
            case "PUT", ["channels", thread_id, "thread-members", user_id]:
                self._add_thread_member(thread_id, user_id)
                return 204, None
            case "POST", ["guilds", guild_id, "channels"]:
                channel = self._create_channel(guild_id, body)
                await self._quietly("CHANNEL_CREATE", channel)
                return 201, channel
            case "GET", ["guilds", guild_id, "channels"]:
                return 200, [
                    {k: v for k, v in self.channels[c].items() if not k.startswith("_")}
                    for c in self.guilds[guild_id].channels
                ]
            case "GET", ["guilds", guild_id, "threads", "active"]:
                threads = [
                    t
                    for t in self.threads()
                    if t["guild_id"] == guild_id and not t["thread_metadata"]["archived"]
                ]
                return 200, {"threads": threads, "members": []}
            case "GET", ["guilds", guild_id, "members", user_id]:
                member = self.guilds[guild_id].members.get(user_id)
                if member is None:
                    raise Rejected(404, 10007, "Unknown Member")
                return 200, member
        raise Rejected(404, 0, f"404: Not Found ({method} {path})")

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise Rejected(404, 10003, "Unknown Channel")
        return channel

    def _require(self, guild_id: str, *names: str, channel_id: str | None = None) -> None:
        if channel_id is None:
            perms = self.member_permissions(guild_id, BOT_USER_ID)
        else:
            perms = self.channel_permissions(channel_id, BOT_USER_ID)
            if not perms.view_channel:
                raise Rejected(403, 50001, "Missing Access")
        if not all(getattr(perms, name) for name in names):
            raise Rejected(403, 50013, "Missing Permissions")

    def _may_set(self, guild_id: str, overwrites: list[dict[str, Any]]) -> None:
        """Overwrites need Manage Roles, and grant or deny only what the bot itself has."""
        self._require(guild_id, "manage_roles")
        mine = self.member_permissions(guild_id, BOT_USER_ID)
        for overwrite in overwrites:
            bits = int(overwrite.get("allow", 0)) | int(overwrite.get("deny", 0))
            if bits & ~mine.value and not mine.administrator:
                raise Rejected(403, 50013, "Missing Permissions")

    # commands

    def _put_commands(
        self, guild_id: str | None, body: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        for command in body:
            validate_command(command)
        stored = [
            {**c, "id": self.next_id(), "application_id": APPLICATION_ID, "version": "1"}
            | ({"guild_id": guild_id} if guild_id else {})
            for c in body
        ]
        self.commands[guild_id] = stored
        return stored

    # interactions

    def _interaction_callback(
        self, interaction_id: str, token: str, body: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        if interaction_id in self.expired or token not in self._interactions:
            raise Rejected(404, 10062, "Unknown interaction")
        if interaction_id in self.interaction_callbacks:
            raise Rejected(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        if kind not in (1, 4, 5, 6, 7, 8, 9):
            raise Rejected(400, 50035, f"Invalid Form Body: type {kind}")
        data = body.get("data") or {}
        if kind == 9:
            validate_modal(data)
        elif kind in (4, 7):
            validate_message(data)
        body = {**body, "files": files}
        self.interaction_callbacks[interaction_id] = body
        if interaction_id in self._sent_at:
            elapsed = time.perf_counter() - self._sent_at[interaction_id]
            self.answer_seconds[interaction_id] = elapsed
            if kind != 5:  # anything but "thinking…" is the answer itself
                self.done_seconds[interaction_id] = elapsed
        answered = self._answered.get(interaction_id)
        if answered is not None and not answered.done():
            answered.set_result(body)
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": self._interactions[token]["type"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            }
        }
        if kind == 6 and "message" in self._interactions[token]:
            # A deferred update: "@original" is now the pressed message itself.
            self.followups.setdefault(token, []).insert(0, self._interactions[token]["message"])
        if kind in (4, 5, 7):
            interaction = self._interactions[token]
            channel_id = (interaction.get("channel") or {}).get("id") or interaction.get(
                "channel_id"
            )
            message = self._bare_message(channel_id, BOT_USER_ID, data, files)
            self.followups.setdefault(token, []).insert(0, message)
            result["resource"] = {"type": kind, "message": message}
        return result

    def _webhook_message(
        self, token: str, body: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        if token not in self._interactions:
            raise Rejected(404, 10015, "Unknown Webhook")
        validate_message(body)
        interaction = self._interactions[token]
        channel_id = (interaction.get("channel") or {}).get("id")
        return self._bare_message(channel_id, BOT_USER_ID, body, files)

    def _answered_late(self, token: str) -> None:
        interaction_id = self._interactions[token]["id"]
        if interaction_id in self._sent_at:
            self.done_seconds[interaction_id] = time.perf_counter() - self._sent_at[interaction_id]

    def _original(
        self, token: str, body: dict[str, Any] | None, files: dict[str, bytes]
    ) -> dict[str, Any]:
        messages = self.followups.get(token)
        if not messages:
            raise Rejected(404, 10008, "Unknown Message")
        if body is not None:
            validate_message(body)
            messages[0].update(
                {k: v for k, v in body.items() if k in ("content", "components", "flags")}
            )
            if files:
                messages[0]["attachments"] = _attachments(files)
                messages[0]["_files"] = files
        return messages[0]

    def answers(self, interaction: dict[str, Any]) -> list[dict[str, Any]]:
        """Everything the bot said in answer: the callback's message, then followups/edits."""
        return self.followups.get(interaction["token"], [])

    # messages

    def _open_dm(self, user_id: str) -> dict[str, Any]:
        existing = self.dm_channel_of(user_id)
        if existing:
            return self.channels[existing]
        if user_id not in self.users:
            raise Rejected(400, 50035, "Invalid Form Body: recipient_id")
        channel_id = self.next_id()
        self.channels[channel_id] = {
            "id": channel_id,
            "type": DM,
            "recipients": [self.users[user_id]],
            "last_message_id": None,
        }
        self.messages[channel_id] = []
        return self.channels[channel_id]

    def _create_message(
        self, channel_id: str, body: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        channel = self._channel(channel_id)
        if channel["type"] == DM and channel["recipients"][0]["id"] in self.dm_closed:
            raise Rejected(403, 50007, "Cannot send messages to this user")
        if channel["type"] == PRIVATE_THREAD and channel["thread_metadata"]["archived"]:
            raise Rejected(400, 50083, "Thread is archived")
        if channel.get("guild_id"):
            if not self.channel_permissions(channel_id, BOT_USER_ID).view_channel:
                raise Rejected(403, 50001, "Missing Access")
            if not self.may_write(channel_id, BOT_USER_ID):
                raise Rejected(403, 50013, "Missing Permissions")
        validate_message(body)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for old in self.messages[channel_id]:
                if old.get("nonce") == nonce and old["author"]["id"] == BOT_USER_ID:
                    return old
        return self._message(channel_id, BOT_USER_ID, body, files)

    def _bare_message(
        self,
        channel_id: str | None,
        author_id: str,
        body: dict[str, Any],
        files: dict[str, bytes] | None = None,
    ) -> dict[str, Any]:
        channel = self.channels.get(channel_id or "", {})
        message = {
            "id": self.next_id(),
            "channel_id": channel_id,
            "author": self.users[author_id],
            "content": body.get("content", ""),
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": _attachments(files or {}),
            "embeds": body.get("embeds", []),
            "pinned": False,
            "type": 0,
            "components": body.get("components", []),
            "flags": body.get("flags", 0),
            "nonce": body.get("nonce"),
            "allowed_mentions": body.get("allowed_mentions"),
            "_files": files or {},
        }
        if channel.get("guild_id"):
            message["guild_id"] = channel["guild_id"]
        return message

    def _message(
        self,
        channel_id: str,
        author_id: str,
        body: dict[str, Any],
        files: dict[str, bytes] | None = None,
    ) -> dict[str, Any]:
        message = self._bare_message(channel_id, author_id, body, files)
        self.messages[channel_id].append(message)
        return message

    def _edit_message(
        self, channel_id: str, message_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        validate_message(body)
        for message in self.messages.get(channel_id, []):
            if message["id"] == message_id:
                message.update({k: v for k, v in body.items() if k in ("content", "components")})
                return message
        raise Rejected(404, 10008, "Unknown Message")

    # threads and channels

    def add_thread(
        self,
        parent_id: str,
        name: str,
        *,
        owner_id: str = BOT_USER_ID,
        made_at: datetime | None = None,
    ) -> str:
        """A private thread that is already there: someone's, or the bot's from long ago."""
        thread_id = str(time_snowflake(made_at)) if made_at else None
        body = {"name": name, "type": PRIVATE_THREAD}
        return self._create_thread(parent_id, body, thread_id=thread_id, owner_id=owner_id)["id"]

    def _create_thread(
        self,
        channel_id: str,
        body: dict[str, Any],
        *,
        thread_id: str | None = None,
        owner_id: str = BOT_USER_ID,
    ) -> dict[str, Any]:
        parent = self._channel(channel_id)
        guild_id = parent["guild_id"]
        if body.get("type") == PRIVATE_THREAD:
            self._require(guild_id, "create_private_threads", channel_id=channel_id)
        else:
            self._require(guild_id, "create_public_threads", channel_id=channel_id)
        name = body.get("name", "")
        if not 1 <= len(name) <= 100:
            raise Rejected(400, 50035, "Invalid Form Body: name must be 1-100 characters")
        thread_id = thread_id or self.next_id()
        self.channels[thread_id] = {
            "id": thread_id,
            "type": body.get("type", 11),
            "guild_id": guild_id,
            "parent_id": channel_id,
            "owner_id": owner_id,
            "name": name,
            "member_count": 1,
            "message_count": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": body.get("auto_archive_duration", 1440),
                "archive_timestamp": _now(),
                "locked": False,
                "invitable": body.get("invitable", True),
            },
        }
        self.messages[thread_id] = []
        self.thread_members[thread_id] = {owner_id}
        return self.channels[thread_id]

    def _add_thread_member(self, thread_id: str, user_id: str) -> None:
        thread = self._channel(thread_id)
        if user_id not in self.guilds[thread["guild_id"]].members:
            raise Rejected(404, 10007, "Unknown Member")
        self.thread_members[thread_id].add(user_id)

    def _create_channel(self, guild_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._require(guild_id, "manage_channels")
        overwrites = body.get("permission_overwrites", [])
        if overwrites:
            self._may_set(guild_id, overwrites)
        channel_id = self.add_channel(guild_id, body["name"])
        self.channels[channel_id].update(
            permission_overwrites=overwrites,
            parent_id=body.get("parent_id"),
            _private=any(
                str(o["id"]) == guild_id
                and int(o.get("deny", 0)) & Permissions(view_channel=True).value
                for o in overwrites
            ),
        )
        return self.channels[channel_id]


# --- payload validation: what Discord's API refuses ----------------------------------------


def validate_message(body: dict[str, Any]) -> None:
    if len(body.get("content") or "") > MAX_CONTENT:
        raise Rejected(400, 50035, "Invalid Form Body: content over 2000 characters")
    nonce = body.get("nonce")
    if nonce is not None and len(str(nonce)) > MAX_NONCE:
        raise Rejected(400, 50035, "Invalid Form Body: nonce over 25 characters")
    rows = body.get("components") or []
    if len(rows) > MAX_ROWS:
        raise Rejected(400, 50035, f"Invalid Form Body: {len(rows)} component rows (max 5)")
    for row in rows:
        if row.get("type") != 1:
            raise Rejected(400, 50035, "Invalid Form Body: top-level components must be rows")
        children = row.get("components") or []
        if not 1 <= len(children) <= MAX_ROW_BUTTONS:
            raise Rejected(400, 50035, "Invalid Form Body: a row holds 1 to 5 components")
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if selects and len(children) > 1:
            raise Rejected(400, 50035, "Invalid Form Body: a select menu fills its row")
        for child in children:
            validate_component(child)


def validate_component(c: dict[str, Any]) -> None:
    kind = c.get("type")
    if kind not in KNOWN_COMPONENT_TYPES:
        raise Rejected(400, 50035, f"Invalid Form Body: unknown component type {kind}")
    if len(c.get("custom_id") or "") > MAX_CUSTOM_ID:
        raise Rejected(400, 50035, "Invalid Form Body: custom_id over 100 characters")
    if kind == 2:
        if len(c.get("label") or "") > MAX_BUTTON_LABEL:
            raise Rejected(400, 50035, "Invalid Form Body: button label over 80 characters")
        if c.get("style") != 5 and not c.get("custom_id"):
            raise Rejected(400, 50035, "Invalid Form Body: button needs a custom_id")
    if kind == 3:
        options = c.get("options") or []
        if not 1 <= len(options) <= MAX_SELECT_OPTIONS:
            raise Rejected(400, 50035, "Invalid Form Body: a select has 1 to 25 options")
        if int(c.get("max_values", 1)) > len(options):
            raise Rejected(400, 50035, "Invalid Form Body: max_values over option count")
        for option in options:
            if not 1 <= len(option.get("label") or "") <= MAX_OPTION_LABEL:
                raise Rejected(400, 50035, "Invalid Form Body: option label 1-100 characters")
            if len(option.get("description") or "") > MAX_OPTION_LABEL:
                raise Rejected(400, 50035, "Invalid Form Body: option description over 100")
    if len(c.get("placeholder") or "") > MAX_PLACEHOLDER:
        raise Rejected(400, 50035, "Invalid Form Body: placeholder over 150 characters")


def validate_modal(data: dict[str, Any]) -> None:
    if not 1 <= len(data.get("title") or "") <= MAX_MODAL_TITLE:
        raise Rejected(400, 50035, "Invalid Form Body: modal title 1-45 characters")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= MAX_ROWS:
        raise Rejected(400, 50035, "Invalid Form Body: a modal has 1 to 5 components")
    for row in rows:
        for child in row.get("components") or []:
            if child.get("type") != 4:
                raise Rejected(400, 50035, "Invalid Form Body: modal rows hold text inputs")
            if not 1 <= len(child.get("label") or "") <= MAX_TEXT_INPUT_LABEL:
                raise Rejected(400, 50035, "Invalid Form Body: text input label 1-45 characters")
            if len(child.get("value") or "") > int(child.get("max_length", 4000)):
                raise Rejected(400, 50035, "Invalid Form Body: value over max_length")


def validate_command(command: dict[str, Any]) -> None:
    def check(entry: dict[str, Any], depth: int) -> None:
        if not COMMAND_NAME.match(entry.get("name", "")):
            raise Rejected(400, 50035, f"Invalid Form Body: command name {entry.get('name')!r}")
        if depth and not 1 <= len(entry.get("description") or "") <= 100:
            raise Rejected(400, 50035, "Invalid Form Body: description 1-100 characters")
        options = entry.get("options") or []
        if len(options) > 25:
            raise Rejected(400, 50035, "Invalid Form Body: over 25 options")
        if len(entry.get("choices") or []) > 25:
            raise Rejected(400, 50035, "Invalid Form Body: over 25 choices")
        for option in options:
            check(option, depth + 1)

    check(command, 1 if command.get("type", 1) == 1 else 0)


def _attachments(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [
        {"id": str(i), "filename": name, "size": len(data), "url": f"attachment://{name}"}
        for i, (name, data) in enumerate(files.items())
    ]


def _role(role_id: str, name: str, perms: Permissions, position: int = 0) -> dict[str, Any]:
    return {
        "id": role_id,
        "name": name,
        "permissions": str(perms.value),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
        "_perms": perms,
    }


def everyone_permissions() -> Permissions:
    """What @everyone may do in a new server, less creating threads (so a test that takes
    Create Private Threads from the bot's role takes it from the bot)."""
    return Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        read_message_history=True,
        embed_links=True,
        attach_files=True,
        add_reactions=True,
        use_application_commands=True,
    )


def default_bot_permissions() -> Permissions:
    """What the README's invite URL grants."""
    return invite_permissions()


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when the content type is exactly this.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)
