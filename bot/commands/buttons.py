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
from bot.core import browse, curation, dialogues, lifecycle, wants
from bot.core.actor import Actor
from bot.core.errors import BadInput
from bot.core.intro import stance_words

from . import answers
from .reply import Reply
from .table import Context, browse_reply

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


# --- browse: the toggles go through the same core want/unwant as `/dialogue want` ----------


@route("browse-want", browse.want_target)
async def browse_want(
    ctx: Context, actor: Actor, user_id: str, values: Mapping[str, Any] | None
) -> Reply:
    # A mutual tick starts the mutual-want flow inside wants.want, exactly as typed.
    result = await wants.want(ctx.core, wants.WantMember(actor, user_id))
    return Reply(
        True,
        replies.want_result(result, ctx.mention(user_id)),
        buttons=(replies.browse_toggle(user_id, wanted=True),),
        view=result,
    )


@route("browse-unwant", browse.unwant_target)
async def browse_unwant(
    ctx: Context, actor: Actor, user_id: str, values: Mapping[str, Any] | None
) -> Reply:
    result = await wants.unwant(ctx.core, wants.UnwantMember(actor, user_id))
    return Reply(
        True,
        replies.unwant_result(result, ctx.mention(user_id)),
        buttons=(replies.browse_toggle(user_id, wanted=False),),
        view=result,
    )


@route("browse-page", browse.page_of)
async def browse_page(
    ctx: Context, actor: Actor, where: tuple[int, int | None], values: Mapping[str, Any] | None
) -> Reply:
    page, topic_id = where
    found = await browse.browse(ctx.core, browse.Browse(actor, page=page, topic_id=topic_id))
    return browse_reply(found)


def _press_of(kind: type[Any]) -> Callable[[str], Any | None]:
    def match(custom_id: str) -> Any | None:
        try:
            press = lifecycle.parse_custom_id(custom_id)
        except BadInput:
            return None  # a forged or stale id: "that button no longer does anything"
        return press if isinstance(press, kind) else None

    return match


@route("wrapup", _press_of(lifecycle.WrapupPress))
async def wrapup(
    ctx: Context, actor: Actor, press: lifecycle.WrapupPress, values: Mapping[str, Any] | None
) -> Reply:
    """The wrap-up and check-in buttons in a dialogue thread (talked, rating, publish…)."""
    result = await lifecycle.answer_wrapup(ctx.core, actor, press.dialogue_id, press.action)
    return Reply(True, result.text)


@route("stance", _press_of(lifecycle.StancePress))
async def stance(
    ctx: Context, actor: Actor, press: lifecycle.StancePress, values: Mapping[str, Any] | None
) -> Reply:
    """The private wrap-up re-ask of a claim the pair disagreed on: the member's before/after."""
    result = await dialogues.record_stance_change(
        ctx.core,
        dialogues.RecordStanceChange(actor, press.dialogue_id, press.claim_id, press.value),
    )
    after = stance_words(result.after)
    if result.before is None:
        return Reply(True, f"Noted. Your stance now: {after}.")
    before = stance_words(result.before)
    moved = "unchanged" if result.before == result.after else "you moved"
    return Reply(True, f"Noted. Before the dialogue: {before}; now: {after} ({moved}).")
