"""What keeps a dialogue alive after it opened: the timed prompts' words and buttons, the
wrap-up answers members give, the stance re-ask, and how a dialogue's outcome is decided.

The scheduler (`bot.scheduler.handlers`) decides *when*; this module decides *what*. Prompt
texts come from the community's prompt settings (`dialogues.prompt_text`) over the defaults
here, so a community (or a dialogue kind) can word them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platforms.base import Button
from bot.scheduler.jobs import add_job
from bot.storage.models import Community, Dialogue, DialogueMember, Member

from . import lookup
from .actor import Actor
from .app import Core
from .dialogues import GiveFeedback, feedback, prompt_text
from .errors import BadInput, Conflict, NotFound
from .intro import STANCE_WORDS, stance_words
from .intro import prompt_message as intro_prompt
from .pool import claim_id_of

# After the wrap-up prompt, how long members have to answer before the dialogue closes.
CLOSE_AFTER_WRAPUP = timedelta(hours=48)

REASK_NOTE = "I will ask each of you privately where you stand now on the claims you disagreed on."

WRAPUP_ACTIONS = (
    "talked",
    "did_not",
    "publish",
    "private",
    *(f"rate{n}" for n in range(1, 6)),
)
ANSWER_WORDS = {"talked": "you talked", "did_not": "you did not meet"}


# --- words and buttons ------------------------------------------------------------------------


def prompt_message(
    name: str,
    schedule: dict[str, Any] | None,
    silent: list[str],
    kind: str = "dialogue",
    *,
    reask: bool = False,
) -> str:
    """The text of prompt `name` (nudge, midpoint, checkin, wrapup) for a conversation of
    `kind`: `intro.prompt_message` over the community's own text. A nudge names whom it is
    for; a wrap-up that re-asks claims says so."""
    text = intro_prompt(name, kind, prompt_text(schedule, name))
    if name == "nudge" and silent:
        text = f"{' and '.join(silent)}: {text}"
    if reask:
        text = f"{text} {REASK_NOTE}"
    return text


def wrapup_custom_id(dialogue_id: int, action: str) -> str:
    return f"dm:wrapup:{action}:{dialogue_id}"


def stance_custom_id(dialogue_id: int, claim_id: int, value: int) -> str:
    return f"dm:stance:{dialogue_id}:{claim_id}:{value}"


def checkin_buttons(dialogue_id: int) -> tuple[Button, ...]:
    return (
        Button(wrapup_custom_id(dialogue_id, "talked"), "Yes, we met"),
        Button(wrapup_custom_id(dialogue_id, "did_not"), "Not yet"),
    )


def wrapup_buttons(dialogue_id: int) -> tuple[Button, ...]:
    return (
        Button(wrapup_custom_id(dialogue_id, "talked"), "We talked"),
        Button(wrapup_custom_id(dialogue_id, "did_not"), "We did not meet"),
        *(Button(wrapup_custom_id(dialogue_id, f"rate{n}"), f"Rate {n}/5") for n in range(1, 6)),
        Button(wrapup_custom_id(dialogue_id, "publish"), "Publish it"),
        Button(wrapup_custom_id(dialogue_id, "private"), "Keep it private"),
    )


def stance_buttons(dialogue_id: int, claim_id: int) -> tuple[Button, ...]:
    return tuple(
        Button(stance_custom_id(dialogue_id, claim_id, value), f"{value:+d} {words}")
        for value, words in sorted(STANCE_WORDS.items())
    )


def reask_text(claim_text: str, before: int | None) -> str:
    was = f" Before the dialogue you said: {stance_words(before)}." if before is not None else ""
    return f"Where do you stand now on “{claim_text}”?{was}"


@dataclass(frozen=True, slots=True)
class WrapupPress:
    dialogue_id: int
    action: str


@dataclass(frozen=True, slots=True)
class StancePress:
    dialogue_id: int
    claim_id: int
    value: int


def parse_custom_id(custom_id: str) -> WrapupPress | StancePress | None:
    """The wrap-up or stance button a custom id names; None for any other id. Malformed ids of
    these families are `BadInput` (a forged or stale button)."""
    parts = custom_id.split(":")
    if parts[:2] == ["dm", "wrapup"]:
        if len(parts) != 4 or parts[2] not in WRAPUP_ACTIONS or not parts[3].isdigit():
            raise BadInput("That wrap-up button is not valid any more.")
        return WrapupPress(int(parts[3]), parts[2])
    if parts[:2] == ["dm", "stance"]:
        try:
            _, _, dialogue, claim, value = parts
            return StancePress(int(dialogue), int(claim), int(value))
        except ValueError:
            raise BadInput("That stance button is not valid any more.") from None
    return None


# --- the dialogue as the scheduler sees it ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seat:
    member_id: int
    user_id: str
    name: str
    last_message_at: datetime | None
    wrapup_answer: str | None
    publish_consent: bool | None
    removed: bool = False  # a moderator took them out of the pool


@dataclass(frozen=True, slots=True)
class DialogueState:
    dialogue_id: int
    community_id: int
    platform: str
    community_external_id: str
    state: str
    thread_id: str | None
    opened_at: datetime | None
    explanation: dict[str, Any]
    schedule: dict[str, Any]
    seats: tuple[Seat, ...]
    kind: str = "dialogue"  # dialogue | interview

    def disagreed_claims(self) -> list[tuple[int, str, dict[str, int]]]:
        """(claim id, text, stances by user id) of the claims the pair disagreed on."""
        out = []
        for item in self.explanation.get("disagreements") or []:
            key = item.get("claim")
            if isinstance(key, str) and key.startswith("c") and key[1:].isdigit():
                out.append((claim_id_of(key), item.get("text", ""), dict(item.get("stances", {}))))
        return out


async def load_state(session: AsyncSession, dialogue_id: int) -> DialogueState | None:
    dialogue = await session.get(Dialogue, dialogue_id)
    if dialogue is None:
        return None
    community = await session.get_one(Community, dialogue.community_id)
    rows = (
        await session.execute(
            select(DialogueMember, Member)
            .join(Member, Member.id == DialogueMember.member_id)
            .where(DialogueMember.dialogue_id == dialogue_id)
            .order_by(DialogueMember.position, Member.id)
        )
    ).all()
    return DialogueState(
        dialogue_id=dialogue.id,
        community_id=community.id,
        platform=community.platform,
        community_external_id=community.external_id,
        state=dialogue.state,
        thread_id=dialogue.thread_id,
        opened_at=dialogue.opened_at,
        explanation=dict(dialogue.explanation or {}),
        schedule=dict(community.prompt_schedule or {}),
        kind=dialogue.conversation_kind or "dialogue",
        seats=tuple(
            Seat(
                m.id,
                m.external_id,
                m.display_name or m.external_id,
                dm.last_message_at,
                dm.wrapup_answer,
                dm.publish_consent,
                m.status == "removed",
            )
            for dm, m in rows
        ),
    )


def decide_outcome(state: DialogueState, wrapup_at: datetime | None) -> str:
    """talked / did_not / ghosted, from the wrap-up answers and who wrote when.

    Any "we talked" wins (one member may not have pressed); otherwise any "did not meet".
    With no answer, a pair that wrote after the wrap-up prompt, or where everyone wrote at
    some point, talked; a pair gone silent is ghosted.
    """
    answers = {s.wrapup_answer for s in state.seats}
    if "talked" in answers:
        return "talked"
    if "did_not" in answers:
        return "did_not"
    wrote = [s.last_message_at for s in state.seats if s.last_message_at is not None]
    if wrapup_at is not None and any(t >= wrapup_at for t in wrote):
        return "talked"
    if state.seats and len(wrote) == len(state.seats):
        return "talked"
    return "ghosted"


# --- members answering the wrap-up ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WrapupAnswerResult:
    dialogue_id: int
    action: str
    text: str  # what to tell the member who pressed
    publish_ready: bool = False  # everyone agreed to publish (the publish job is queued)


async def answer_wrapup(
    core: Core, actor: Actor, dialogue_id: int, action: str
) -> WrapupAnswerResult:
    """A wrap-up (or check-in) button press by a member of that dialogue."""

    if action not in WRAPUP_ACTIONS:
        raise BadInput("That wrap-up button is not valid any more.")
    if action.startswith("rate"):
        rated = await feedback(core, GiveFeedback(actor, int(action[4:]), dialogue_id=dialogue_id))
        return WrapupAnswerResult(dialogue_id, action, f"Thanks: you rated it {rated.rating}/5.")
    now = core.clock.now()
    async with core.db.transaction() as session:
        community, member = await lookup.get_own_member(session, actor)
        seat = await session.scalar(
            select(DialogueMember)
            .join(Dialogue, Dialogue.id == DialogueMember.dialogue_id)
            .where(
                DialogueMember.dialogue_id == dialogue_id,
                DialogueMember.member_id == member.id,
                Dialogue.community_id == community.id,
            )
            .with_for_update()
        )
        dialogue = await session.get(Dialogue, dialogue_id)
        if seat is None or dialogue is None:
            raise NotFound("You have no dialogue with that id here.", field="dialogue")
        if dialogue.opened_at is None:
            raise Conflict("This dialogue has not opened yet.")
        if action in ANSWER_WORDS:
            seat.wrapup_answer = action
            return WrapupAnswerResult(
                dialogue_id, action, f"Noted: {ANSWER_WORDS[action]}. Thank you!"
            )
        seat.publish_consent = action == "publish"
        await session.flush()
        consents = list(
            await session.scalars(
                select(DialogueMember.publish_consent).where(
                    DialogueMember.dialogue_id == dialogue_id
                )
            )
        )
        ready = all(c is True for c in consents)
        if ready:
            await add_job(
                session,
                kind="publish",
                run_at=now,
                dedupe_key=f"publish:{dialogue_id}",
                community_id=community.id,
                payload={"dialogue_id": dialogue_id},
                now=now,
            )
    if action == "private":
        return WrapupAnswerResult(dialogue_id, action, "Noted: this dialogue stays private.")
    if ready:
        text = "You both agreed to publish: I am sending you both the transcript."
    else:
        text = "Noted: you would publish. It is published only if everyone agrees."
    return WrapupAnswerResult(dialogue_id, action, text, publish_ready=ready)
