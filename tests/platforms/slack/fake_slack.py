"""A local fake of Slack: the Web API, `response_url`s, file uploads and a Socket Mode server.

An aiohttp server on 127.0.0.1 (port 0) that answers the Web API methods the adapter uses the
way Slack does (`{"ok": false, "error": ...}` included), records every call, and can be told
to fail a method (an error, HTTP 429 with Retry-After, a 5xx). Socket Mode: `apps.connections
.open` hands out a websocket URL on the same server; `deliver()` sends an envelope and waits
for the app's ack with the same envelope id.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

WAIT_SECONDS = 10.0  # a bound for a test that would otherwise hang, never a pause


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "Europe/Berlin"
    deleted: bool = False


@dataclass
class FakeChannel:
    id: str
    team_id: str
    name: str
    is_private: bool
    is_mpim: bool = False
    members: list[str] = field(default_factory=list)
    archived: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeTeam:
    id: str
    token: str
    bot_user_id: str
    enterprise_id: str | None = None
    users: dict[str, FakeUser] = field(default_factory=dict)
    scopes: set[str] = field(
        default_factory=lambda: {
            "commands",
            "chat:write",
            "groups:write",
            "groups:history",
            "groups:read",
            "im:write",
            "mpim:write",
            "users:read",
            "files:write",
            "usergroups:read",
        }
    )
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # handle -> user ids


# What each method needs, as Slack documents it; a team lacking it gets `missing_scope`.
NEEDED_SCOPE = {
    "conversations.create": "groups:write",
    "conversations.invite": "groups:write",
    "conversations.open": "mpim:write",
    "conversations.history": "groups:history",
    "conversations.list": "groups:read",
    "users.info": "users:read",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
}


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url id, body)
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> {name, content, ...}
        self.teams: dict[str, FakeTeam] = {}
        self.channels: dict[str, FakeChannel] = {}
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view
        self._used_triggers: set[str] = set()
        self.home: dict[tuple[str, str], dict[str, Any]] = {}  # (team, user) -> home view
        self.oauth_codes: dict[str, dict[str, Any]] = {}  # code -> oauth.v2.access answer
        self.app_tokens: set[str] = set()
        self._failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._holds: dict[str, asyncio.Event] = {}  # method -> answered once the event is set
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Where apps.connections.open sends the app (None: this server's own /socket); the
        # bench serves the Web API from one process and the websocket from another.
        self.socket_url: str | None = None

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # users.info and friends use GET
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_post("/upload/{id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    # --- set-up helpers ------------------------------------------------------------------

    def add_team(self, team_id: str, *, enterprise_id: str | None = None) -> FakeTeam:
        team = FakeTeam(team_id, f"xoxb-{team_id}", f"UBOT{team_id}", enterprise_id)
        self.teams[team_id] = team
        return team

    def add_user(self, team_id: str, user_id: str, **kwargs: Any) -> FakeUser:
        user = FakeUser(user_id, kwargs.pop("name", user_id.lower()), **kwargs)
        self.teams[team_id].users[user_id] = user
        return user

    def fail(
        self,
        method: str,
        error: str = "internal_error",
        *,
        status: int = 200,
        times: int = 1,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        """Answer the next `times` calls of `method` with this failure instead (status 0:
        drop the connection without answering)."""
        body = {"ok": False, "error": error, **extra}
        self._failures.setdefault(method, []).extend([(status, body, headers or {})] * times)

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls of `method` waiting until the returned event is set (a slow Slack)."""
        gate = self._holds[method] = asyncio.Event()
        return gate

    def response_url(self) -> str:
        return f"{self.base}/respond/{next(self._ids)}"

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], Any]) -> Any:
        """Wait until `predicate()` is truthy (re-checked after each request); return it."""
        async with asyncio.timeout(WAIT_SECONDS), self._changed:
            while not (result := predicate()):
                await self._changed.wait()
            return result

    async def wait_calls(self, method: str, count: int = 1) -> list[Call]:
        return await self.wait_for(
            lambda: len(self.called(method)) >= count and self.called(method)
        )

    async def wait_responses(self, count: int = 1) -> list[dict[str, Any]]:
        return await self.wait_for(
            lambda: len(self.responses) >= count and [b for _, b in self.responses]
        )

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- HTTP endpoints ------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if request.content_type == "application/json":
            return json.loads(raw or b"{}")
        args: dict[str, Any] = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        args.update(request.query)
        for key in ("blocks", "view", "metadata", "files", "attachments"):
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        self.calls.append(Call(method, args, token))
        gate = self._holds.get(method)
        if gate is not None:
            await self._notify()  # the call is recorded: a test may now look at it
            await gate.wait()
        try:
            queued = self._failures.get(method)
            if queued:
                status, body, headers = queued.pop(0)
                if status == 0:  # the connection drops before any answer
                    assert request.transport is not None
                    request.transport.abort()
                    return web.Response()
                return web.json_response(body, status=status, headers=headers)
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if method == "apps.connections.open":
                return web.json_response(self._connections_open(token))
            if method == "oauth.v2.access":
                return web.json_response(self._oauth_access(args))
            team = self._team_of(token)
            if team is None:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            scope = NEEDED_SCOPE.get(method)
            if scope and scope not in team.scopes:
                return web.json_response(
                    {
                        "ok": False,
                        "error": "missing_scope",
                        "needed": scope,
                        "provided": ",".join(sorted(team.scopes)),
                    }
                )
            if handler is None:
                return web.json_response({"ok": False, "error": "unknown_method"})
            return web.json_response(handler(team, args))
        finally:
            await self._notify()

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["id"], json.loads(await request.read())))
        await self._notify()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["id"]]["content"] = await request.read()
        await self._notify()
        return web.Response(text="OK - uploaded")

    def _team_of(self, token: str | None) -> FakeTeam | None:
        return next((t for t in self.teams.values() if t.token == token), None)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    # --- Web API methods -----------------------------------------------------------------

    def _connections_open(self, token: str | None) -> dict[str, Any]:
        if token not in self.app_tokens:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_url or f"ws://127.0.0.1:{self.port}/socket"}

    def _oauth_access(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = self.oauth_codes.pop(args.get("code", ""), None)
        if answer is None:
            return {"ok": False, "error": "invalid_code"}
        return answer

    def _m_auth_test(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": "B" + team.id,
            "enterprise_id": team.enterprise_id,
            "is_enterprise_install": False,
        }

    def _m_users_info(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        user = team.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": team.id,
                "name": user.name,
                "real_name": user.name.title(),
                "deleted": user.deleted,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
                "tz": user.tz,
                "profile": {"display_name": user.name, "real_name": user.name.title()},
            },
        }

    def _m_usergroups_list(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        groups = [
            {"id": f"S{handle.upper()}", "handle": handle, "name": handle}
            for handle in team.usergroups
        ]
        return {"ok": True, "usergroups": groups}

    def _m_usergroups_users_list(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        for handle, users in team.usergroups.items():
            if args.get("usergroup") == f"S{handle.upper()}":
                return {"ok": True, "users": users}
        return {"ok": False, "error": "no_such_subteam"}

    def _view(self, args: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view = args["view"]
        view_id = view_id or self._next("V")
        stored = {**view, "id": view_id, "hash": self._next("h")}
        self.views[view_id] = stored
        return {"ok": True, "view": stored}

    def _m_views_open(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        trigger = args.get("trigger_id")
        if not trigger:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger in self._used_triggers:  # a trigger opens one view, as on Slack
            return {"ok": False, "error": "exchanged_trigger_id"}
        self._used_triggers.add(trigger)
        return self._view(args)

    def _m_views_push(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        return self._m_views_open(team, args)

    def _m_views_update(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("view_id") not in self.views:
            return {"ok": False, "error": "not_found"}
        return self._view(args, args["view_id"])

    def _m_views_publish(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        self.home[(team.id, args["user_id"])] = args["view"]
        return self._view(args)

    def _m_conversations_create(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        name = args.get("name", "")
        if any(c.name == name and c.team_id == team.id for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        private = str(args.get("is_private", "false")).lower() in ("true", "1")
        channel = FakeChannel(self._next("C"), team.id, name, private, members=[team.bot_user_id])
        self.channels[channel.id] = channel
        return {"ok": True, "channel": {"id": channel.id, "name": name, "is_private": private}}

    def _channel(self, team: FakeTeam, channel_id: str) -> FakeChannel | dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None or channel.team_id != team.id:
            return {"ok": False, "error": "channel_not_found"}
        return channel

    def _m_conversations_invite(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(team, args.get("channel", ""))
        if isinstance(channel, dict):
            return channel
        if channel.archived:
            return {"ok": False, "error": "is_archived"}
        for user in str(args.get("users", "")).split(","):
            if user not in team.users or team.users[user].deleted:
                return {"ok": False, "error": "user_not_found"}
            if user not in channel.members:
                channel.members.append(user)
        return {"ok": True, "channel": {"id": channel.id}}

    def _m_conversations_open(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        users = sorted(u for u in str(args.get("users", "")).split(",") if u)
        for user in users:
            if user not in team.users:
                return {"ok": False, "error": "user_not_found"}
        members = [team.bot_user_id, *users]
        for channel in self.channels.values():
            if (
                channel.team_id == team.id
                and channel.is_mpim
                and sorted(channel.members) == sorted(members)
            ):
                return {"ok": True, "channel": {"id": channel.id}}
        prefix = "D" if len(users) == 1 else "G"
        channel = FakeChannel(self._next(prefix), team.id, "", True, True, members)
        self.channels[channel.id] = channel
        return {"ok": True, "channel": {"id": channel.id}}

    def _m_conversations_list(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        found = [
            {"id": c.id, "name": c.name, "is_private": c.is_private}
            for c in self.channels.values()
            if c.team_id == team.id and not c.is_mpim and team.bot_user_id in c.members
        ]
        return {"ok": True, "channels": found, "response_metadata": {"next_cursor": ""}}

    def _m_conversations_archive(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(team, args.get("channel", ""))
        if isinstance(channel, dict):
            return channel
        if channel.is_mpim:  # a group DM (the app's mpim:write scope lets it ask)
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if "groups:write" not in team.scopes:
            return {"ok": False, "error": "missing_scope", "needed": "groups:write"}
        if channel.archived:
            return {"ok": False, "error": "already_archived"}
        channel.archived = True
        return {"ok": True}

    def _m_conversations_close(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(team, args.get("channel", ""))
        return channel if isinstance(channel, dict) else {"ok": True}

    def _m_conversations_history(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(team, args.get("channel", ""))
        if isinstance(channel, dict):
            return channel
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        newest_first = list(reversed(channel.messages))
        messages = [
            m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
            for m in newest_first
        ]
        return {"ok": True, "messages": messages, "has_more": False}

    def _m_chat_postMessage(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(team, args.get("channel", ""))
        if isinstance(channel, dict):
            return channel
        if channel.archived:
            return {"ok": False, "error": "is_archived"}
        if team.bot_user_id not in channel.members:
            return {"ok": False, "error": "not_in_channel"}
        message: dict[str, Any] = {
            "type": "message",
            "ts": f"{time.time():.6f}{next(self._ids)}",
            "user": team.bot_user_id,
            "bot_id": "B" + team.id,
            "text": args.get("text", ""),
        }
        if args.get("blocks"):
            message["blocks"] = args["blocks"]
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        channel.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}

    def _m_chat_postEphemeral(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next("")}

    def _m_files_getUploadURLExternal(self, team: FakeTeam, args: dict[str, Any]) -> dict[str, Any]:
        file_id = self._next("F")
        self.uploads[file_id] = {"name": args.get("filename"), "team": team.id}
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}

    def _m_files_completeUploadExternal(
        self, team: FakeTeam, args: dict[str, Any]
    ) -> dict[str, Any]:
        files = args.get("files") or []
        for item in files:
            upload = self.uploads.get(item["id"])
            if upload is None:
                return {"ok": False, "error": "file_not_found"}
            upload.update(channel=args.get("channel_id"), title=item.get("title"), done=True)
        return {"ok": True, "files": [{"id": f["id"]} for f in files]}

    # --- Socket Mode ---------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._connected.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            future = self._acks.get(data.get("envelope_id", ""))
            if future is not None and not future.done():
                future.set_result(data)
        self._sockets.remove(ws)
        return ws

    async def connected(self, within: float = WAIT_SECONDS) -> None:
        await asyncio.wait_for(self._connected.wait(), within)

    async def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
    ) -> dict[str, Any]:
        """Send one Socket Mode envelope; return the app's ack (its JSON)."""
        await self.connected()
        envelope_id = envelope_id or self._next("env")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        await self._sockets[-1].send_json(envelope)
        try:
            return await asyncio.wait_for(future, 10)
        finally:
            self._acks.pop(envelope_id, None)
