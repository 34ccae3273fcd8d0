"""A delivery Slack sends twice has one effect.

Slack retries an HTTP request it thinks went unanswered (`X-Slack-Retry-Num`), and Socket Mode
can hand the same payload over again. Each payload has an identity that a retry keeps (the
event id, a command's or interaction's trigger id); the first request to record it in the
database wins (a primary key, so several processes agree), a repeat is acked and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.slack_tables import SlackDelivery

log = logging.getLogger(__name__)

KEEP_FOR = timedelta(days=2)  # Slack gives up retrying within minutes
PRUNE_EVERY = 500


def delivery_key(body: Mapping[str, Any]) -> str | None:
    """What a retry of this payload has in common with the first delivery."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    kind = body.get("type") or ("command" if body.get("command") else None)
    if body.get("trigger_id"):
        return f"{kind}:{body['trigger_id']}"
    if kind == "view_closed" and isinstance(body.get("view"), Mapping):
        return f"view_closed:{body['view'].get('id')}:{body['view'].get('hash')}"
    return None


class Deliveries:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._since_prune = 0

    async def first_time(self, key: str) -> bool:
        now = self.clock.now()

        async def record(session: AsyncSession) -> None:
            session.add(SlackDelivery(key=key[:200], received_at=now))
            await session.flush()  # the primary key decides here, inside the retry

        try:
            await self.db.write(record, name="slack delivery")
        except IntegrityError:
            return False
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY:
            self._since_prune = 0

            async def prune(session: AsyncSession) -> None:
                await session.execute(
                    delete(SlackDelivery).where(SlackDelivery.received_at < now - KEEP_FOR)
                )

            await self.db.write(prune, name="slack deliveries prune")
        return True
