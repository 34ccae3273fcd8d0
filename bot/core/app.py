"""The core's dependencies in one object: storage, clock and the platforms that carry messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.platforms.base import Platform
from bot.storage.database import Database


@dataclass
class Core:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    platforms: dict[str, Platform] = field(default_factory=dict)
    # Per community, the signup form's choices and the choices_version they were read at
    # (bot/core/curation.py: cached_form_choices); the database says when they are stale.
    choices_cache: dict[Any, tuple[int, Any]] = field(default_factory=dict)

    def platform(self, name: str) -> Platform:
        try:
            return self.platforms[name]
        except KeyError:
            raise RuntimeError(f"no adapter registered for platform {name!r}") from None
