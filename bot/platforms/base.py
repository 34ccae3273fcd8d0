"""What the core asks of a platform. Discord, Slack and the local platform implement it.

Text handed to a platform may contain member-written text: every adapter must deliver it
without pinging anyone (Discord `allowed_mentions=none`, Slack escaping of `<!channel>`…).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Button:
    # Custom ids are stable strings ("dm:wrapup:publish:42") so they still work after a restart.
    custom_id: str
    label: str


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    buttons: tuple[Button, ...] = field(default=())


class PlatformError(Exception):
    """An expected platform event (closed DMs, deleted channel, member left, rate limit, 5xx)."""


class Platform(Protocol):
    name: str

    async def open_private_thread(
        self, community_id: str, member_ids: list[str], title: str
    ) -> str:
        """Create a private thread/channel with exactly these members; return its id."""
        ...

    async def post(self, thread_id: str, message: Message) -> str:
        """Post into a thread; return the message id."""
        ...

    async def send_direct(self, community_id: str, user_id: str, message: Message) -> str:
        """Send a direct message to one member; return the message id."""
        ...

    async def archive_thread(self, thread_id: str) -> None: ...
