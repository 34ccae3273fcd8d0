"""Time is timezone-aware UTC inside the bot; the clock is injectable so tests never sleep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime) -> None:
        """Return once `now()` has reached `moment` (at once when it already has)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - self.now()).total_seconds()))


class FixedClock:
    """A clock that only moves when told to: for tests and the demo's fast-forward.

    `sleep_until` returns when `advance`/`set` moves the clock past the moment, so a task
    sleeping on this clock (the scheduler's dispatcher) wakes without any real waiting.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        self._wake_sleepers()
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)
        self._wake_sleepers()

    async def sleep_until(self, moment: datetime) -> None:
        if moment <= self._now:
            return
        entry = (moment, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        try:
            await entry[1]
        finally:
            self._sleepers.remove(entry)

    def _wake_sleepers(self) -> None:
        for moment, future in self._sleepers:
            if moment <= self._now and not future.done():
                future.set_result(None)
