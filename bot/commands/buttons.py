"""What a button press does: one registry of custom-id routes, shared by every adapter.

A route recognises its custom ids (stable strings such as `mw:intake:42`, so a press after a
restart still works) and handles the press; `values` carries the inputs of the form the button
opened, or None for the press itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import replies
from bot.core import curation, wants
from bot.core.actor import Actor

from . import answers
from .reply import Reply
from .table import Context

PressHandler = Callable[[Context, Actor, Any, Mapping[str, Any] | None], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    # The custom id's own data (e.g. a dialogue id), or None when the id is not this route's.
    match: Callable[[str], Any | None]
    handle: PressHandler


ROUTES: list[Route] = []


def route(name: str, match: Callable[[str], Any | None]) -> Callable[[PressHandler], PressHandler]:
    def register(handle: PressHandler) -> PressHandler:
        ROUTES.append(Route(name, match, handle))
        return handle

    return register


def find(custom_id: str) -> tuple[Route, Any] | None:
    for entry in ROUTES:
        data = entry.match(custom_id)
        if data is not None:
            return entry, data
    return None


@route("intake", wants.intake_dialogue_id)
async def intake(
    ctx: Context, actor: Actor, dialogue_id: int, values: Mapping[str, Any] | None
) -> Reply:
    if values is None:
        # The button itself: show the short topic/format form it opens.
        topics = await curation.list_topics(ctx.core, curation.ListTopics(actor))
        active = [t for t in topics if t.status == "active"]
        return Reply(True, replies.intake_form(dialogue_id, active), view=tuple(active))
    result = await wants.submit_intake(ctx.core, answers.submit_intake(actor, dialogue_id, values))
    return Reply(True, replies.intake_saved(result))
