"""What a command answers: text for the sender, plus what richer platforms can render.

Every adapter shows `text`; Discord and Slack also render `buttons` as persistent buttons,
attach `files`, and may build a native form from `view` (the core result behind the text).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.curation import ClaimView, TopicView
from bot.core.forms import FormView
from bot.platforms.base import Button


@dataclass(frozen=True, slots=True)
class File:
    name: str  # "pool.csv"
    content: bytes
    content_type: str  # "text/csv", "image/png"


@dataclass(frozen=True, slots=True)
class SignupView:
    """Everything a signup form shows: the member's answers so far and the choices."""

    form: FormView
    topics: tuple[TopicView, ...]  # active topics only: suggestions are for moderators
    claims: tuple[ClaimView, ...]


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
