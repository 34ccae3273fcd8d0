"""The interest form: start or resume, save any subset of answers, submit, view and edit.

Every save persists at once (status `draft` plus `step`), so a member can stop after any
question, in a modal or a DM conversation, and pick up where they left off after a restart.

Locked answers: while a round is `opening` its dialogues are being opened from the answers
the engine read. A member *in that round* (a `DialogueMember` row of one of its dialogues, or
a `RoundUnmatched` row) may not change what matching used (topics, stances, formats,
timezone, availability, looking for, appetite) until it is committed. Members outside that
round, and fields matching does not read (about, notes, publishing, participation, browse
visibility), stay editable; a save that resends unchanged values is fine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    ABOUT_MAX_CHARS,
    APPETITES,
    DEFAULT_LOOKING_FOR,
    FORMAT_RATINGS,
    LOOKING_FOR,
    MAX_SUGGESTED_TOPICS,
    MAX_TOPICS_PER_FORM,
    NOTES_MAX_CHARS,
    Community,
    Dialogue,
    DialogueMember,
    FormTopic,
    InterestForm,
    Member,
    Round,
    RoundUnmatched,
    Stance,
    Topic,
)
from bot.storage.prepared import Prepared, SessionStatements, Statements
from bot.storage.rows import insert_loaded, insert_row

from . import lookup
from .actor import Actor
from .app import Core
from .curation import (
    ClaimView,
    FormChoices,
    TopicView,
    cached_form_choices,
    clean_topic_name,
    find_topic,
    form_choices,
    slugify,
)
from .errors import BadInput, Conflict, DomainError, NotFound

# The order of a guided (DM) signup; `step` says which one to show next.
FORM_STEPS = (
    "topics",
    "stances",
    "format",
    "availability",
    "looking_for",
    "appetite",
    "about",
    "publish",
    "browse",
    "participation",
    "review",
)
# "What are you looking for?" as the seed's form asked it ("an interlocutor to debate,
# dialogue, or getting interviewed by"); every adapter's form and the replies use these words.
# A debate is a dialogue with disagreement appetite `seek`, not a value of its own.
LOOKING_FOR_QUESTION = "What are you looking for?"
LOOKING_FOR_LABELS = {
    "dialogue": "A dialogue between equals (a debate, if you seek disagreement below)",
    "interview_me": "To be interviewed (say about what in 'what I'd like to talk about')",
    "interview_them": "To interview someone",
}
LOOKING_FOR_SHORT = {
    "dialogue": "a dialogue",
    "interview_me": "to be interviewed",
    "interview_them": "to interview someone",
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_AVAILABILITY_WINDOWS = 21
PARTICIPATION = ("every", "once")
STANCE_MIN, STANCE_MAX = -2, 2

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def is_clock_time(value: str, *, allow_midnight_end: bool = False) -> bool:
    """'HH:MM' on a 24-hour clock; '24:00' only where a window may run to midnight."""
    return bool(_HHMM.match(value)) or (allow_midnight_end and value == "24:00")


def is_timezone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly availability window in the form's timezone, e.g. Window("mon", "18:00", "21:00")."""

    day: str
    start: str
    end: str


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartOrResume:
    actor: Actor
    # Prefill for a new form where the platform exposes it (Slack's `tz`); ignored if invalid.
    timezone_hint: str | None = None


@dataclass(frozen=True, slots=True)
class SaveAnswers:
    """Any subset of the form; `None` means 'leave as it is'.

    `topics` replaces the chosen topics; `stances` merges (a value of `None` skips/clears that
    claim); `suggested_topics` adds suggestions for moderators to review.
    """

    actor: Actor
    step: str | None = None
    topics: tuple[str, ...] | None = None
    suggested_topics: tuple[str, ...] | None = None
    stances: Mapping[int, int | None] | None = None
    format_sync: str | None = None
    format_async: str | None = None
    timezone: str | None = None
    availability: tuple[Window, ...] | None = None
    looking_for: tuple[str, ...] | None = None  # any of LOOKING_FOR, at least one
    appetite: str | None = None
    about: str | None = None
    private_notes: str | None = None
    participation: str | None = None
    publish_ok: bool | None = None
    show_in_browse: bool | None = None


@dataclass(frozen=True, slots=True)
class SubmitForm:
    actor: Actor


@dataclass(frozen=True, slots=True)
class OpenSignup:
    """`/dialogue signup`: the member's form (started on first use) and what it offers."""

    actor: Actor
    timezone_hint: str | None = None


@dataclass(frozen=True, slots=True)
class SubmitAnswers:
    """A form submission (modal, Slack view): save `answers`, then enter the pool if `submit`."""

    answers: SaveAnswers
    submit: bool = False


@dataclass(frozen=True, slots=True)
class ShowProfile:
    actor: Actor


# --- view ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormView:
    member_id: int
    user_id: str
    status: str  # draft | complete
    step: str | None
    topics: tuple[str, ...]  # slugs, sorted
    suggested_topics: tuple[str, ...]  # names of this member's suggestions awaiting review
    stances: dict[int, int]  # claim id -> -2..2; skipped claims are absent
    format_sync: str
    format_async: str
    timezone: str
    availability: tuple[Window, ...]
    looking_for: tuple[str, ...]  # in LOOKING_FOR order
    appetite: str
    about: str
    private_notes: str
    participation: str
    publish_ok: bool
    show_in_browse: bool
    updated_at: datetime
    # What submit still needs, as (field, message for the person); empty when ready.
    missing: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SignupView:
    """What a signup form shows: the member's saved answers, the active topics, the claims."""

    form: FormView
    topics: tuple[TopicView, ...]
    claims: tuple[ClaimView, ...]


@dataclass(frozen=True, slots=True)
class FormSubmission:
    """What a form submission did. The answers are stored either way; when the member asked
    to submit and the form is not ready, `refused` says why (with its field) and the form
    stays a draft holding the answers."""

    form: FormView
    submitted: bool
    refused: DomainError | None = None


# --- validation ------------------------------------------------------------------------------


def _choice(value: str, allowed: tuple[str, ...], field_name: str, label: str) -> str:
    if value not in allowed:
        raise BadInput(f"{label} must be one of: {', '.join(allowed)}.", field=field_name)
    return value


def clean_looking_for(values: Any, field_name: str = "looking_for") -> list[str]:
    """What a member is looking for, checked: a non-empty selection of LOOKING_FOR, returned
    in that order without repeats. Shared by the interest form and the mutual-want intake."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise BadInput("Choose what you are looking for from the list.", field=field_name)
    unknown = [v for v in values if v not in LOOKING_FOR]
    if unknown:
        raise BadInput(
            f"{unknown[0]!r} is not something to look for here; choose any of: "
            f"{', '.join(LOOKING_FOR)}.",
            field=field_name,
        )
    if not values:
        raise BadInput(
            "Choose at least one thing you are looking for: a dialogue, to be interviewed, "
            "or to interview someone.",
            field=field_name,
        )
    return [v for v in LOOKING_FOR if v in values]


def looking_for_of(stored: Any) -> tuple[str, ...]:
    """A stored `looking_for` (a form's, an intake's), where missing means a dialogue."""
    values = [v for v in LOOKING_FOR if v in (stored or ())]
    return tuple(values or DEFAULT_LOOKING_FOR)


def _text(value: str, limit: int, field_name: str, label: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise BadInput(
            f"{label} can be at most {limit} characters (yours has {len(value)}).",
            field=field_name,
        )
    return value


def _availability(windows: tuple[Window, ...]) -> list[dict[str, str]]:
    if len(windows) > MAX_AVAILABILITY_WINDOWS:
        raise BadInput(
            f"Give at most {MAX_AVAILABILITY_WINDOWS} availability windows "
            f"(you gave {len(windows)}).",
            field="availability",
        )
    cleaned = []
    for w in windows:
        day = w.day.strip().lower()[:3]
        if day not in DAYS:
            raise BadInput(
                f"{w.day!r} is not a weekday; use one of {', '.join(DAYS)}.", field="availability"
            )
        if not is_clock_time(w.start):
            raise BadInput(
                f"Start time {w.start!r} should look like 18:00 (24-hour clock).",
                field="availability",
            )
        if not is_clock_time(w.end, allow_midnight_end=True):
            raise BadInput(
                f"End time {w.end!r} should look like 21:00 (24-hour clock).", field="availability"
            )
        if w.end <= w.start:
            raise BadInput(
                f"On {day} the window ends ({w.end}) before it starts ({w.start}); "
                "split windows that run past midnight into two days.",
                field="availability",
            )
        cleaned.append({"day": day, "start": w.start, "end": w.end})
    cleaned.sort(key=lambda w: (DAYS.index(w["day"]), w["start"], w["end"]))
    return cleaned


def _stance_value(claim_id: Any, value: Any) -> int | None:
    if value is None:
        return None
    # bool is an int in Python; True is not a stance.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(
            f"Your stance on claim #{claim_id} must be a whole number from -2 to 2, or skipped.",
            field="stances",
        )
    if not STANCE_MIN <= value <= STANCE_MAX:
        raise BadInput(
            f"Your stance on claim #{claim_id} must be from -2 (strongly disagree) to "
            f"2 (strongly agree); {value} is out of range.",
            field="stances",
        )
    return value


def missing_for_submit(form: InterestForm, topic_count: int) -> list[tuple[str, str]]:
    """What a form still needs before it can enter the pool."""
    missing = []
    if topic_count < 1:
        missing.append(("topics", "Pick at least one topic."))
    if form.format_sync == "no" and form.format_async == "no":
        missing.append(
            ("format_sync", "Accept at least one format: live (sync) or over days (async).")
        )
    if not is_timezone(form.timezone):
        missing.append(("timezone", "Set your timezone."))
    if form.format_async == "no" and form.format_sync != "no" and not form.availability:
        missing.append(
            (
                "availability",
                "You only want to talk live, so add when you are available each week.",
            )
        )
    return missing


# --- shared lookups --------------------------------------------------------------------------


def _round_opening_statement() -> Any:
    in_dialogue = (
        select(DialogueMember.member_id)
        .join(
            Dialogue,
            (Dialogue.id == DialogueMember.dialogue_id)
            & (Dialogue.community_id == DialogueMember.community_id),
        )
        .where(Dialogue.round_id == Round.id, DialogueMember.member_id == bindparam("member_id"))
    )
    unmatched = select(RoundUnmatched.member_id).where(
        RoundUnmatched.round_id == Round.id, RoundUnmatched.member_id == bindparam("member_id")
    )
    return (
        select(Round)
        .where(
            Round.community_id == bindparam("community_id"),
            Round.status == "opening",
            or_(exists(in_dialogue), exists(unmatched)),
        )
        .order_by(Round.number)
        .limit(1)
    )


# The statements every form submission runs, built once (see bot.core.lookup).
_ROUND_OPENING = _round_opening_statement()
_FORM_TOPICS, _STANCES, _TOPICS = (
    FormTopic.__table__.c,
    Stance.__table__.c,
    Topic.__table__.c,
)
_TOPIC_SLUGS = (
    select(_TOPICS.slug)
    .join(FormTopic.__table__, _FORM_TOPICS.topic_id == _TOPICS.id)
    .where(_FORM_TOPICS.member_id == bindparam("member_id"))
)
_MEMBER_STANCES = (
    select(_STANCES.claim_id, _STANCES.value)
    .where(_STANCES.member_id == bindparam("member_id"))
    .order_by(_STANCES.claim_id)
)
_SUGGESTED_BY = (
    select(_TOPICS.name)
    .where(_TOPICS.suggested_by_id == bindparam("member_id"), _TOPICS.status == "suggested")
    .order_by(_TOPICS.name)
)
# The form's view reads these on every signup and save: prepared (bot/storage/prepared.py).
_TOPIC_SLUGS_PREPARED = Prepared(_TOPIC_SLUGS)
_MEMBER_STANCES_PREPARED = Prepared(_MEMBER_STANCES)
_SUGGESTED_BY_PREPARED = Prepared(_SUGGESTED_BY)
_CLEAR_FORM_TOPICS = delete(FormTopic.__table__).where(
    _FORM_TOPICS.member_id == bindparam("member_id")
)
_ADD_FORM_TOPIC = insert(FormTopic.__table__)
_ADD_STANCE = insert(Stance.__table__)
_SET_STANCE = (
    update(Stance.__table__)
    .where(_STANCES.member_id == bindparam("m"), _STANCES.claim_id == bindparam("c"))
    .values(value=bindparam("v"))
)
_CLEAR_STANCES = delete(Stance.__table__).where(
    _STANCES.member_id == bindparam("member_id"),
    _STANCES.claim_id.in_(bindparam("claim_ids", expanding=True)),
)


# The start of every save: the actor's rows, whether the community has a round opening
# (rarely: only then is the member's part in it looked up), and whether the member has
# suggestions waiting for review (rarely: only then are they read for the view).
_SAVE_START = lookup.with_columns(
    exists()
    .where(Round.community_id == Community.id, Round.status == "opening")
    .label("round_opening"),
    exists()
    .where(Topic.suggested_by_id == Member.id, Topic.status == "suggested")
    .label("suggesting"),
)


async def round_opening_for(session: AsyncSession, member: Member) -> Round | None:
    """The `opening` round this member takes part in (matched or left unmatched), if any."""
    return await session.scalar(
        _ROUND_OPENING, {"member_id": member.id, "community_id": member.community_id}
    )


def round_opening_message(round_: Round) -> str:
    return (
        f"Round {round_.number} is being opened right now and uses your current answers; "
        "try again in a few minutes."
    )


async def _topic_slugs(session: AsyncSession | Statements, member_id: int) -> list[str]:
    # Sorted here, not by the database: the same order on every backend and collation, and
    # the order a save that has just set the topics gives without reading them back.
    found = await _statements(session).run(_TOPIC_SLUGS_PREPARED, {"member_id": member_id})
    return sorted(slug for (slug,) in found.rows)


async def _stances(session: AsyncSession | Statements, member_id: int) -> dict[int, int]:
    found = await _statements(session).run(_MEMBER_STANCES_PREPARED, {"member_id": member_id})
    return {claim_id: value for claim_id, value in found.rows}


def _statements(where: AsyncSession | Statements) -> Statements:
    return where if isinstance(where, Statements) else SessionStatements(where)


async def _view(
    session: AsyncSession | Statements,
    member: Member,
    form: InterestForm,
    *,
    topics: list[str] | None = None,
    stances: dict[int, int] | None = None,
    fresh: bool = False,
    suggesting: bool = True,
) -> FormView:
    """The form as the member sees it. `topics` (sorted slugs), `stances`: when the caller
    has just read or written them; `fresh`: the form was created in this transaction, so
    nothing hangs off it yet; `suggesting` False: the member has no suggestions waiting."""
    suggested: tuple[str, ...] = ()
    if fresh:
        topics, stances = [], {}
    else:
        if topics is None:
            topics = await _topic_slugs(session, member.id)
        if suggesting:
            found = await _statements(session).run(_SUGGESTED_BY_PREPARED, {"member_id": member.id})
            suggested = tuple(name for (name,) in found.rows)
        if stances is None:
            stances = await _stances(session, member.id)
    return FormView(
        member_id=member.id,
        user_id=member.external_id,
        status=form.status,
        step=form.step,
        topics=tuple(topics),
        suggested_topics=suggested,
        stances=stances,
        format_sync=form.format_sync,
        format_async=form.format_async,
        timezone=form.timezone,
        availability=tuple(Window(**w) for w in form.availability),
        looking_for=looking_for_of(form.looking_for),
        appetite=form.appetite,
        about=form.about,
        private_notes=form.private_notes,
        participation=form.participation,
        publish_ok=form.publish_ok,
        show_in_browse=form.show_in_browse,
        updated_at=form.updated_at,
        missing=tuple(missing_for_submit(form, len(topics))),
    )


async def _ensure_form(
    session: AsyncSession,
    community: Community,
    member: Member,
    form: InterestForm | None,
    now: datetime,
    tz: str | None,
) -> tuple[InterestForm, bool]:
    """The member's form (`form`, as read with the member), and whether it was created now."""
    if form is not None:
        return form, False
    return await insert_loaded(session, InterestForm, _new_form(community, member, now, tz)), True


def _new_form(
    community: Community, member: Member, now: datetime, tz: str | None
) -> dict[str, Any]:
    return {
        "member_id": member.id,
        "community_id": community.id,
        "status": "draft",
        "step": FORM_STEPS[0],
        "format_sync": "okay",
        "format_async": "okay",
        "timezone": tz if tz and is_timezone(tz) else "UTC",
        "availability": [],
        "looking_for": list(DEFAULT_LOOKING_FOR),
        "appetite": "seek",
        "about": "",
        "private_notes": "",
        "publish_ok": False,
        "participation": "every",
        "show_in_browse": True,
        "updated_at": now,
    }


async def _own_form(session: AsyncSession, actor: Actor) -> tuple[Member, InterestForm]:
    _, member, form = await lookup.community_member_and_form(session, actor)
    if member is None or form is None:
        raise NotFound(lookup.NOT_SIGNED_UP)
    return member, form


# --- services --------------------------------------------------------------------------------


async def _start(
    statements: Statements, actor: Actor, now: datetime, timezone_hint: str | None
) -> tuple[Community, FormView]:
    """The member (created on first contact) and their form (created as a draft on first
    use), in prepared statements alone: `Database.write_rows`, no session."""
    community, found_member, found = await lookup.actor_rows(statements, actor)
    member = await lookup.create_or_refresh_row(statements, community, actor, now, found_member)
    if found is not None:
        return community, await _view(statements, member, found)
    values = _new_form(community, member, now, timezone_hint)
    form = await insert_row(statements, InterestForm, values)
    return community, await _view(statements, member, form, fresh=True)


async def start_or_resume(core: Core, cmd: StartOrResume) -> FormView:
    """The member's form (created as a draft on first use) with the step to resume at."""
    now = core.clock.now()

    async def work(statements: Statements) -> FormView:
        _, view = await _start(statements, cmd.actor, now, cmd.timezone_hint)
        return view

    return await core.db.write_rows(work, name="forms.start_or_resume")


async def open_signup(core: Core, cmd: OpenSignup) -> SignupView:
    """`/dialogue signup` in one transaction: start or resume the form, and read the topics
    and claims it offers (a crowd pressing the signup button at once costs one each). No
    session (`write_rows`): on SQLite a session's own work was half of a fresh signup's."""
    now = core.clock.now()

    async def work(statements: Statements) -> SignupView:
        community, view = await _start(statements, cmd.actor, now, cmd.timezone_hint)
        # Suggestions are for moderators to review; the form offers active topics only.
        choices = await cached_form_choices(core, statements, community)
        return SignupView(form=view, topics=choices.topics, claims=choices.claims)

    return await core.db.write_rows(work, name="forms.open_signup")


async def _locked_snapshot(session: AsyncSession, member_id: int, form: InterestForm) -> Any:
    return (
        tuple(
            await session.scalars(
                select(FormTopic.topic_id)
                .where(FormTopic.member_id == member_id)
                .order_by(FormTopic.topic_id)
            )
        ),
        tuple(sorted((await _stances(session, member_id)).items())),
        form.format_sync,
        form.format_async,
        form.timezone,
        tuple(tuple(sorted(w.items())) for w in form.availability),
        form.appetite,
        looking_for_of(form.looking_for),
    )


async def save_answers(core: Core, cmd: SaveAnswers) -> FormView:
    """Validate and store the given answers; on a complete form this is editing the profile."""
    now = core.clock.now()

    async def work(session: AsyncSession) -> FormView:
        with session.no_autoflush:  # the form's changes: one UPDATE, at the commit
            saved = await _save(session, cmd, now)
            return await saved.view(session)

    return await core.db.write(work, name="forms.save_answers")


async def submit_answers(core: Core, cmd: SubmitAnswers) -> FormSubmission:
    """A form submission in one transaction: store the answers, then submit if asked.

    Invalid answers store nothing (`BadInput`, `Conflict`… raised). Valid answers that leave
    the form short of what submit needs are kept as a draft (partial progress is kept by
    design) and the refusal comes back in `refused`, not raised: raising would roll the
    answers back with it.
    """
    now = core.clock.now()

    async def work(session: AsyncSession) -> FormSubmission:
        # The form's answers and its submission: one UPDATE, at the commit.
        with session.no_autoflush:
            saved = await _save(session, cmd.answers, now)
            refused = None
            if cmd.submit:
                if saved.topics is None:
                    saved.topics = await _topic_slugs(session, saved.member.id)
                try:
                    _mark_submitted(saved.form, len(saved.topics), now)
                except BadInput as error:
                    refused = error
            view = await saved.view(session)
        return FormSubmission(view, submitted=cmd.submit and refused is None, refused=refused)

    return await core.db.write(work, name="forms.submit_answers")


@dataclass(slots=True)
class _Saved:
    """A save's rows, and what it already knows for the form's view."""

    member: Member
    form: InterestForm
    topics: list[str] | None  # sorted slugs, when written or read
    stances: dict[int, int] | None  # all of the member's, when written
    suggesting: bool  # the member may have suggestions waiting for review

    async def view(self, session: AsyncSession) -> FormView:
        return await _view(
            session,
            self.member,
            self.form,
            topics=self.topics,
            stances=self.stances,
            suggesting=self.suggesting,
        )


async def _save(session: AsyncSession, cmd: SaveAnswers, now: datetime) -> _Saved:
    """Store the answers. The form's own columns are changed on the object: one UPDATE at
    the next flush (the commit, where the caller holds off autoflush). Other rows are written
    at once (plain statements), so reads here see them."""
    row = await lookup.actor_row(session, _SAVE_START, cmd.actor)
    community, found_member, found, round_opening, suggesting = row
    member = await lookup.create_or_refresh(session, community, cmd.actor, now, found_member)
    form, _ = await _ensure_form(session, community, member, found, now, None)
    opening = await round_opening_for(session, member) if round_opening else None
    before = await _locked_snapshot(session, member.id, form) if opening else None

    form.updated_at = now
    topics, stances = await _apply(session, community, member, form, cmd)

    if opening is not None:
        after = await _locked_snapshot(session, member.id, form)
        if after != before:
            raise Conflict(round_opening_message(opening))
    if form.status == "complete":
        # A complete form is in the pool: an edit may not leave it unmatchable.
        if topics is None:
            topics = await _topic_slugs(session, member.id)
        problems = missing_for_submit(form, len(topics))
        if problems:
            field_name, message = problems[0]
            raise BadInput(message, field=field_name)
    return _Saved(member, form, topics, stances, suggesting or cmd.suggested_topics is not None)


async def _apply(
    session: AsyncSession,
    community: Community,
    member: Member,
    form: InterestForm,
    cmd: SaveAnswers,
) -> tuple[list[str] | None, dict[int, int] | None]:
    """Apply the answers; the topic slugs (sorted) and the stances when it wrote them."""
    if cmd.step is not None:
        _choice(cmd.step, FORM_STEPS, "step", "The form step")
        form.step = cmd.step
    if cmd.format_sync is not None:
        form.format_sync = _choice(cmd.format_sync, FORMAT_RATINGS, "format_sync", "Live (sync)")
    if cmd.format_async is not None:
        form.format_async = _choice(
            cmd.format_async, FORMAT_RATINGS, "format_async", "Over days (async)"
        )
    if cmd.timezone is not None:
        if not is_timezone(cmd.timezone):
            raise BadInput(
                f"{cmd.timezone!r} is not a timezone name we know; use one like "
                "Europe/Berlin or America/New_York.",
                field="timezone",
            )
        form.timezone = cmd.timezone
    if cmd.availability is not None:
        form.availability = _availability(cmd.availability)
    if cmd.looking_for is not None:
        form.looking_for = clean_looking_for(cmd.looking_for)
    if cmd.appetite is not None:
        form.appetite = _choice(cmd.appetite, APPETITES, "appetite", "Disagreement appetite")
    if cmd.about is not None:
        form.about = _text(cmd.about, ABOUT_MAX_CHARS, "about", "'What I'd like to talk about'")
    if cmd.private_notes is not None:
        form.private_notes = _text(
            cmd.private_notes, NOTES_MAX_CHARS, "private_notes", "Notes for moderators"
        )
    if cmd.participation is not None:
        form.participation = _choice(
            cmd.participation, PARTICIPATION, "participation", "Participation"
        )
    if cmd.publish_ok is not None:
        if not isinstance(cmd.publish_ok, bool):
            raise BadInput("Answer yes or no to publishing.", field="publish_ok")
        form.publish_ok = cmd.publish_ok
    if cmd.show_in_browse is not None:
        if not isinstance(cmd.show_in_browse, bool):
            raise BadInput("Answer yes or no to showing you in browse.", field="show_in_browse")
        form.show_in_browse = cmd.show_in_browse
    topics = stances = None
    choices = None
    if cmd.topics is not None or cmd.stances is not None:
        choices = await form_choices(SessionStatements(session), community.id)
    if cmd.topics is not None:
        assert choices is not None
        topics = await _set_topics(session, community, member, choices, cmd.topics)
    if cmd.suggested_topics is not None:
        await _suggest_topics(session, community, member, cmd.suggested_topics, form.updated_at)
    if cmd.stances is not None:
        assert choices is not None
        stances = await _set_stances(session, community, member, choices, cmd.stances)
    return topics, stances


async def _set_topics(
    session: AsyncSession,
    community: Community,
    member: Member,
    choices: FormChoices,
    wanted: tuple[str, ...],
) -> list[str]:
    """Replace the form's topics; their slugs, sorted."""
    distinct = list(dict.fromkeys(wanted))
    if len(distinct) > MAX_TOPICS_PER_FORM:
        raise BadInput(
            f"Pick at most {MAX_TOPICS_PER_FORM} topics (you picked {len(distinct)}).",
            field="topics",
        )
    slugs = list(dict.fromkeys(slugify(s) for s in distinct))
    active = choices.topic_ids()
    missing = [s for s in slugs if s not in active]
    if missing:
        # In a form an unknown topic is a bad answer to a field, not a missing resource
        # (the words are curation.active_topics_by_slug's).
        raise BadInput(
            f"No active topic called {', '.join(repr(m) for m in missing)} here; "
            "see the topic list.",
            field="topics",
        )
    await session.execute(_CLEAR_FORM_TOPICS, {"member_id": member.id})
    if slugs:
        await session.execute(
            _ADD_FORM_TOPIC,
            [
                {"community_id": community.id, "member_id": member.id, "topic_id": active[s]}
                for s in slugs
            ],
        )
    return sorted(slugs)


async def _suggest_topics(
    session: AsyncSession,
    community: Community,
    member: Member,
    names: tuple[str, ...],
    now: datetime,
) -> None:
    pending = (
        await session.scalar(
            select(func.count())
            .select_from(Topic)
            .where(Topic.suggested_by_id == member.id, Topic.status == "suggested")
        )
        or 0
    )
    new: dict[str, str] = {}
    for raw in names:
        name, slug = clean_topic_name(raw, field="suggested_topics")
        existing = await find_topic(session, community.id, slug)
        if existing is None:
            new.setdefault(slug, name)
        elif existing.status == "active":
            raise BadInput(
                f"{existing.name!r} is already a topic; pick it from the list instead.",
                field="suggested_topics",
            )
        elif existing.status in ("rejected", "removed"):
            raise BadInput(
                f"Moderators have decided against the topic {existing.name!r}.",
                field="suggested_topics",
            )
        # Already suggested (by anyone): it is waiting for review; nothing to add.
    if pending + len(new) > MAX_SUGGESTED_TOPICS:
        raise BadInput(
            f"You can have at most {MAX_SUGGESTED_TOPICS} topic suggestions waiting for review "
            f"({pending} already are).",
            field="suggested_topics",
        )
    session.add_all(
        Topic(
            community_id=community.id,
            slug=slug,
            name=name,
            status="suggested",
            suggested_by_id=member.id,
            created_at=now,
        )
        for slug, name in new.items()
    )
    # Written now: the form's view reads the suggestions with a plain (non-ORM) query.
    await session.flush()


async def _set_stances(
    session: AsyncSession,
    community: Community,
    member: Member,
    choices: FormChoices,
    stances: Mapping[int, int | None],
) -> dict[int, int]:
    """Merge the given stances into the member's; all of the member's stances after it."""
    values = {claim_id: _stance_value(claim_id, v) for claim_id, v in stances.items()}
    ids = list(values)
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise BadInput("Stances must be given per claim number.", field="stances")
    known = choices.claim_ids()
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise NotFound(
            f"There is no claim #{unknown[0]} to answer here; the list may have changed.",
            field="stances",
        )
    # All of the member's stances (not only these claims'): the form's view needs them after.
    current = await _stances(session, member.id)
    cleared = [c for c, v in values.items() if v is None and c in current]
    added = [
        {"community_id": community.id, "member_id": member.id, "claim_id": c, "value": v}
        for c, v in values.items()
        if v is not None and c not in current
    ]
    changed = [
        {"m": member.id, "c": c, "v": v}
        for c, v in values.items()
        if v is not None and c in current and current[c] != v
    ]
    if cleared:
        await session.execute(_CLEAR_STANCES, {"member_id": member.id, "claim_ids": cleared})
    if added:
        await session.execute(_ADD_STANCE, added)
    if changed:
        await session.execute(_SET_STANCE, changed)
    after = {c: v for c, v in current.items() if c not in cleared}
    after.update((c, v) for c, v in values.items() if v is not None)
    return dict(sorted(after.items()))


def _mark_submitted(form: InterestForm, topic_count: int, now: datetime) -> None:
    """Complete the form (stored at the next flush), or BadInput saying what it lacks."""
    problems = missing_for_submit(form, topic_count)
    if problems:
        field_name, message = problems[0]
        raise BadInput(message, field=field_name)
    form.status = "complete"
    form.step = "review"
    form.updated_at = now


async def submit(core: Core, cmd: SubmitForm) -> FormView:
    """Mark the form complete (the member enters the pool) once the required parts are there."""
    now = core.clock.now()

    async def work(session: AsyncSession) -> FormView:
        member, form = await _own_form(session, cmd.actor)
        topics = await _topic_slugs(session, member.id)
        _mark_submitted(form, len(topics), now)
        return await _view(session, member, form, topics=topics)

    return await core.db.write(work, name="forms.submit")


async def profile(core: Core, cmd: ShowProfile) -> FormView:
    async with core.db.read() as session:
        member, form = await _own_form(session, cmd.actor)
        return await _view(session, member, form)
