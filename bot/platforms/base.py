"""What the core asks of a platform. Discord, Slack and the local platform implement it.

Text handed to a platform may contain member-written text: every adapter must deliver it
without pinging anyone (Discord `allowed_mentions=none`, Slack escaping of `<!channel>`…).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message read back from a dialogue thread (for the transcript export)."""

    id: str
    author_id: str  # the platform user id; the bot's own id when `is_bot`
    text: str
    sent_at: datetime  # aware UTC
    is_bot: bool
    attachments: tuple[str, ...] = ()  # URLs


class PlatformError(Exception):
    """An expected platform event (closed DMs, deleted channel, member left, rate limit, 5xx)."""


class Platform(Protocol):
    """Outbound calls. `idempotency_key`: a repeated call with the same key (a retried job
    after a crash between the platform call and the commit) returns the first call's id and
    has no second effect; the adapter reconciles on the platform itself (Discord message
    nonce with `enforce_nonce`, Slack message metadata looked up before resending)."""

    name: str

    async def open_private_thread(
        self,
        community_id: str,
        member_ids: list[str],
        title: str,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        """Create a private thread/channel with exactly these members; return its id."""
        ...

    async def post(
        self, thread_id: str, message: Message, *, idempotency_key: str | None = None
    ) -> str:
        """Post into a thread; return the message id."""
        ...

    async def send_direct(
        self,
        community_id: str,
        user_id: str,
        message: Message,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        """Send a direct message to one member; return the message id."""
        ...

    async def archive_thread(self, thread_id: str) -> None: ...

    async def read_messages(self, thread_id: str) -> list[ThreadMessage]:
        """Every message of a thread, oldest first, the bot's own included (`is_bot`)."""
        ...
