"""What a command answers: text for the sender, plus what richer platforms can render.

Every adapter shows `text`; Discord and Slack also render `buttons` as persistent buttons,
attach `files`, and may build a native form from `view` (the core result behind the text).
"""

from __future__ import annotations

from dataclasses import dataclass

# The core's one-transaction signup result (forms.open_signup), under the name adapters use.
from bot.core.forms import SignupView
from bot.platforms.base import Button

__all__ = ["File", "Reply", "SignupView"]


@dataclass(frozen=True, slots=True)
class File:
    name: str  # "pool.csv"
    content: bytes
    content_type: str  # "text/csv", "image/png"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the platform shows the sender; `field` names the form input at fault."""

    ok: bool
    text: str
    ephemeral: bool = True
    field: str | None = None
    buttons: tuple[Button, ...] = ()
    files: tuple[File, ...] = ()
    view: object | None = None
