"""`/dialogue status`: a member's current dialogue, the next round, their pause, and who a
mutual-want dialogue is still waiting for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Community, Dialogue, DialogueMember, InterestForm, Job, Member
from bot.storage.prepared import Prepared

from . import lookup
from .actor import Actor
from .app import Core
from .dialogues import current_dialogue_id
from .errors import NotFound
from .forms import looking_for_of
from .pool import paused_now


@dataclass(frozen=True, slots=True)
class Partner:
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class CurrentDialogue:
    dialogue_id: int
    kind: str  # round | manual | mutual_want
    state: str  # pending | open
    partners: tuple[Partner, ...]
    thread_id: str | None
    opened_at: datetime | None
    conversation_kind: str = "dialogue"  # dialogue | interview
    role: str | None = None  # this member's role in an interview
    # What the dialogue waits for: a partner's first message, the wrap-up answers…
    waiting_for: str | None = None
    # The next scheduled step (nudge, midpoint, checkin, wrapup, close) and when, UTC.
    next_prompt: tuple[str, datetime] | None = None


@dataclass(frozen=True, slots=True)
class MemberStatusView:
    status: str  # active | paused | removed
    form_status: str | None  # draft | complete; None: no form started
    paused_until: datetime | None
    current: CurrentDialogue | None
    next_round_at: datetime | None  # aware UTC; None when rounds are run by hand
    # A mutual want waiting for intake forms: who has not sent theirs ("you" included).
    waiting_on: tuple[Partner, ...] = ()
    you_owe_intake: bool = False
    looking_for: tuple[str, ...] = ()  # what the member's form says; empty without a form


@dataclass(frozen=True, slots=True)
class ShowStatus:
    actor: Actor


def next_round_at(community: Community, now: datetime) -> datetime | None:
    """The next slot of the community's weekly cadence after `now`, in UTC."""
    return next_slot(
        community.cadence_weekday, community.cadence_time, community.cadence_timezone, now
    )


def next_slot(
    weekday: int | None, clock: str | None, timezone: str | None, now: datetime
) -> datetime | None:
    """`next_round_at` from the community's three cadence columns as read."""
    if weekday is None or clock is None:
        return None
    zone = ZoneInfo(timezone or "UTC")
    hours, minutes = (int(x) for x in clock.split(":"))
    local_now = now.astimezone(zone)
    days_ahead = (weekday - local_now.weekday()) % 7
    for extra in (0, 7):
        day = local_now.date() + timedelta(days=days_ahead + extra)
        # Built from the wall-clock time, so a DST change between now and then is honoured.
        slot = datetime.combine(day, time(hours, minutes), tzinfo=zone)
        if slot > local_now:
            return slot.astimezone(UTC)
    raise AssertionError("a weekly slot always exists within two weeks")


# What status shows, read with the actor's community and member in one statement: plain
# columns (a read-only view needs no ORM objects, whose loading cost more than the query)
# and the member's current dialogue, so a member with none is answered in one query.
_COMMUNITIES, _MEMBERS, _FORMS, _DIALOGUES = (
    Community.__table__,
    Member.__table__,
    InterestForm.__table__,
    Dialogue.__table__,
)
_STATUS = (
    select(
        _COMMUNITIES.c.cadence_weekday,
        _COMMUNITIES.c.cadence_time,
        _COMMUNITIES.c.cadence_timezone,
        _MEMBERS.c.id.label("member_id"),
        _MEMBERS.c.status.label("member_status"),
        _MEMBERS.c.paused_until,
        _FORMS.c.status.label("form_status"),
        _FORMS.c.looking_for,
        _DIALOGUES.c.id.label("dialogue_id"),
        _DIALOGUES.c.kind,
        _DIALOGUES.c.state,
        _DIALOGUES.c.thread_id,
        _DIALOGUES.c.opened_at,
        _DIALOGUES.c.conversation_kind,
    )
    .select_from(_COMMUNITIES)
    .outerjoin(_MEMBERS, lookup.ACTOR_MEMBER)
    .outerjoin(_FORMS, _FORMS.c.member_id == _MEMBERS.c.id)
    .outerjoin(_DIALOGUES, _DIALOGUES.c.id == current_dialogue_id(_MEMBERS))
    .where(lookup.ACTOR_COMMUNITY)
)
# Run on SQLite's connection without SQLAlchemy's per-statement machinery: every status
# starts with it (bot/storage/prepared.py).
_PREPARED_STATUS = Prepared(_STATUS)


async def status(core: Core, cmd: ShowStatus) -> MemberStatusView:
    now = core.clock.now()
    params = lookup.actor_params(cmd.actor)
    # Most members are in no dialogue: their status is this one statement, read without a
    # session (Database.read_rows). A member in one is read again in a read transaction
    # with the rest, so everything shown comes from one snapshot.
    rows = await core.db.read_rows(_PREPARED_STATUS, params)
    row = _own_row(rows)
    if row.dialogue_id is None:
        return _view(row, now, None)
    async with core.db.read() as session:
        row = _own_row((await _PREPARED_STATUS.run(session, params)).rows)
        if row.dialogue_id is None:
            return _view(row, now, None)
        return await _with_dialogue(session, row, now)


def _own_row(rows: list[Any]) -> Any:
    if not rows:
        raise NotFound(lookup.NOT_SET_UP)
    if rows[0].member_id is None:
        raise NotFound(lookup.NOT_SIGNED_UP)
    return rows[0]


def _view(
    row: Any,
    now: datetime,
    current: CurrentDialogue | None,
    waiting: tuple[Partner, ...] = (),
    you_owe: bool = False,
) -> MemberStatusView:
    paused = paused_now(row.member_status, row.paused_until, now)
    return MemberStatusView(
        status=row.member_status if row.member_status != "paused" or paused else "active",
        form_status=row.form_status,
        paused_until=row.paused_until if paused else None,
        current=current,
        next_round_at=next_slot(row.cadence_weekday, row.cadence_time, row.cadence_timezone, now),
        waiting_on=waiting,
        you_owe_intake=you_owe,
        looking_for=looking_for_of(row.looking_for) if row.form_status else (),
    )


async def _with_dialogue(session: AsyncSession, row: Any, now: datetime) -> MemberStatusView:
    """The status of a member in a dialogue: its partners, next prompt, who it waits for."""
    member_id = row.member_id
    dialogue = row
    waiting: list[Partner] = []
    you_owe = False
    seats = (
        await session.execute(
            select(
                Member.id,
                Member.external_id,
                Member.display_name,
                DialogueMember.intake,
                DialogueMember.role,
            )
            .join(DialogueMember, DialogueMember.member_id == Member.id)
            .where(DialogueMember.dialogue_id == dialogue.dialogue_id)
            .order_by(DialogueMember.position, Member.id)
        )
    ).all()
    next_job = await session.scalar(
        select(Job)
        .where(
            Job.dedupe_key.like(f"prompt:{dialogue.dialogue_id}:%"),
            Job.state.in_(("pending", "running")),
        )
        .order_by(Job.run_at, Job.id)
        .limit(1)
    )
    silent = await session.scalars(
        select(Member.display_name)
        .join(DialogueMember, DialogueMember.member_id == Member.id)
        .where(
            DialogueMember.dialogue_id == dialogue.dialogue_id,
            DialogueMember.member_id != member_id,
            DialogueMember.last_message_at.is_(None),
        )
    )
    waiting_for = None
    if dialogue.state == "open":
        quiet = [name or "your partner" for name in silent]
        if quiet:
            waiting_for = " and ".join(f"{n}'s" for n in quiet) + " first message"
        elif next_job is not None and next_job.payload.get("prompt") == "close":
            waiting_for = "your wrap-up answers (the buttons in the thread)"
    current = CurrentDialogue(
        waiting_for=waiting_for,
        next_prompt=((str(next_job.payload.get("prompt")), next_job.run_at) if next_job else None),
        dialogue_id=dialogue.dialogue_id,
        kind=dialogue.kind,
        state=dialogue.state,
        partners=tuple(
            Partner(uid, name or uid) for mid, uid, name, _, _ in seats if mid != member_id
        ),
        thread_id=dialogue.thread_id,
        opened_at=dialogue.opened_at,
        conversation_kind=dialogue.conversation_kind,
        role=next((role for mid, *_, role in seats if mid == member_id), None),
    )
    if dialogue.kind == "mutual_want" and dialogue.state == "pending":
        for mid, uid, name, intake, _ in seats:
            if intake is None:
                waiting.append(Partner(uid, name or uid))
                you_owe = you_owe or mid == member_id
    return _view(row, now, current, tuple(waiting), you_owe)
