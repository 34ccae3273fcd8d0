"""An in-memory platform implementing `bot.platforms.base.Platform`.

It keeps every thread and message so the demo can print them and tests can read them. It can
be told to fail for a member (closed DMs, left the server) to exercise the core's handling of
expected platform errors.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.platforms.base import Message, PlatformError


@dataclass
class LocalMessage:
    id: str
    author: str  # "bot" or a member's user id
    text: str
    buttons: tuple[str, ...] = ()


@dataclass
class LocalThread:
    id: str
    community_id: str
    title: str
    member_ids: list[str]
    archived: bool = False
    messages: list[LocalMessage] = field(default_factory=list)


class LocalPlatform:
    name = "local"

    def __init__(self) -> None:
        self.threads: dict[str, LocalThread] = {}
        self.direct: dict[tuple[str, str], list[LocalMessage]] = {}
        self.unreachable: set[str] = set()  # user ids whose DMs are closed / who left
        self._ids = itertools.count(1)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    async def open_private_thread(
        self, community_id: str, member_ids: list[str], title: str
    ) -> str:
        gone = [m for m in member_ids if m in self.unreachable]
        if gone:
            raise PlatformError(f"cannot add {', '.join(gone)} to a private thread")
        thread = LocalThread(self._next("T"), community_id, title, list(member_ids))
        self.threads[thread.id] = thread
        return thread.id

    async def post(self, thread_id: str, message: Message) -> str:
        thread = self.threads.get(thread_id)
        if thread is None:
            raise PlatformError(f"thread {thread_id} does not exist")
        if thread.archived:
            raise PlatformError(f"thread {thread_id} is archived")
        return self._append(thread.messages, "bot", message)

    async def send_direct(self, community_id: str, user_id: str, message: Message) -> str:
        if user_id in self.unreachable:
            raise PlatformError(f"{user_id} does not accept direct messages")
        return self._append(self.direct.setdefault((community_id, user_id), []), "bot", message)

    async def archive_thread(self, thread_id: str) -> None:
        thread = self.threads.get(thread_id)
        if thread is None:
            raise PlatformError(f"thread {thread_id} does not exist")
        thread.archived = True

    def member_writes(self, thread_id: str, user_id: str, text: str) -> str:
        """Simulate a member writing in a thread (the demo's scripted conversation)."""
        return self._append(self.threads[thread_id].messages, user_id, Message(text))

    def _append(self, log: list[LocalMessage], author: str, message: Message) -> str:
        entry = LocalMessage(
            self._next("M"), author, message.text, tuple(b.custom_id for b in message.buttons)
        )
        log.append(entry)
        return entry.id
