"""An in-memory platform implementing `bot.platforms.base.Platform`.

It keeps every thread and message so the demo can print them and tests can read them. It can
be told to fail for a member (closed DMs, left the server) to exercise the core's handling of
expected platform errors. Idempotency keys are honoured for real: a repeated call with a key
returns the first call's id and sends nothing, as the Discord and Slack adapters must.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock, SystemClock
from bot.platforms.base import Message, PlatformError, ThreadMessage


@dataclass
class LocalMessage:
    id: str
    author: str  # "bot" or a member's user id
    text: str
    buttons: tuple[str, ...] = ()
    sent_at: datetime | None = None


@dataclass
class LocalThread:
    id: str
    community_id: str
    title: str
    member_ids: list[str]
    archived: bool = False
    messages: list[LocalMessage] = field(default_factory=list)


BOT = "bot"


class LocalPlatform:
    name = "local"

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.threads: dict[str, LocalThread] = {}
        self.direct: dict[tuple[str, str], list[LocalMessage]] = {}
        self.unreachable: set[str] = set()  # user ids whose DMs are closed / who left
        self._ids = itertools.count(1)
        self._keyed: dict[str, str] = {}  # idempotency key -> the id the first call returned

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    async def open_private_thread(
        self,
        community_id: str,
        member_ids: list[str],
        title: str,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        if idempotency_key in self._keyed:
            return self._keyed[idempotency_key]
        gone = [m for m in member_ids if m in self.unreachable]
        if gone:
            raise PlatformError(f"cannot add {', '.join(gone)} to a private thread")
        thread = LocalThread(self._next("T"), community_id, title, list(member_ids))
        self.threads[thread.id] = thread
        return self._remember(idempotency_key, thread.id)

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        if idempotency_key in self._keyed:
            return self._keyed[idempotency_key]
        thread = self.threads.get(thread_id)
        if thread is None:
            raise PlatformError(f"thread {thread_id} does not exist")
        if thread.archived:
            raise PlatformError(f"thread {thread_id} is archived")
        return self._remember(idempotency_key, self._append(thread.messages, BOT, message))

    async def send_direct(
        self,
        community_id: str,
        user_id: str,
        message: Message,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        if idempotency_key in self._keyed:
            return self._keyed[idempotency_key]
        if user_id in self.unreachable:
            raise PlatformError(f"{user_id} does not accept direct messages")
        log = self.direct.setdefault((community_id, user_id), [])
        return self._remember(idempotency_key, self._append(log, BOT, message))

    async def archive_thread(self, thread_id: str) -> None:
        thread = self.threads.get(thread_id)
        if thread is None:
            raise PlatformError(f"thread {thread_id} does not exist")
        thread.archived = True

    async def read_messages(self, thread_id: str) -> list[ThreadMessage]:
        thread = self.threads.get(thread_id)
        if thread is None:
            raise PlatformError(f"thread {thread_id} does not exist")
        return [
            ThreadMessage(
                m.id,
                m.author,
                m.text,
                m.sent_at or self.clock.now(),
                is_bot=m.author == BOT,
            )
            for m in thread.messages
        ]

    def member_writes(self, thread_id: str, user_id: str, text: str) -> str:
        """Simulate a member writing in a thread (the demo's scripted conversation)."""
        return self._append(self.threads[thread_id].messages, user_id, Message(text))

    def _remember(self, key: str | None, value: str) -> str:
        if key is not None:
            self._keyed[key] = value
        return value

    def _append(self, log: list[LocalMessage], author: str, message: Message) -> str:
        entry = LocalMessage(
            self._next("M"),
            author,
            message.text,
            tuple(b.custom_id for b in message.buttons),
            self.clock.now(),
        )
        log.append(entry)
        return entry.id
