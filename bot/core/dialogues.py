"""Dialogue lifecycle: open a private thread with the intro, close, outcomes, feedback."""

from __future__ import annotations

from bot.core.app import Core


async def open_dialogue(core: Core, dialogue_id: int) -> None:
    """Open the platform thread for a pending dialogue and post its intro. Idempotent."""
    raise NotImplementedError("dialogue opening lands with the rounds/dialogues work")
