"""The core's dependencies in one object: storage, clock and the platforms that carry messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.platforms.base import Platform
from bot.storage.database import Database


@dataclass
class Core:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    platforms: dict[str, Platform] = field(default_factory=dict)

    def platform(self, name: str) -> Platform:
        try:
            return self.platforms[name]
        except KeyError:
            raise RuntimeError(f"no adapter registered for platform {name!r}") from None
