"""`/dialogue status`: a member's current dialogue, the next round, their pause, and who a
mutual-want dialogue is still waiting for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.storage.models import Community, DialogueMember, Job, Member

from . import lookup
from .actor import Actor
from .app import Core
from .dialogues import current_dialogue
from .errors import NotFound
from .forms import looking_for_of
from .pool import is_paused


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
    if community.cadence_weekday is None or community.cadence_time is None:
        return None
    zone = ZoneInfo(community.cadence_timezone or "UTC")
    hours, minutes = (int(x) for x in community.cadence_time.split(":"))
    local_now = now.astimezone(zone)
    days_ahead = (community.cadence_weekday - local_now.weekday()) % 7
    for extra in (0, 7):
        day = local_now.date() + timedelta(days=days_ahead + extra)
        # Built from the wall-clock time, so a DST change between now and then is honoured.
        slot = datetime.combine(day, time(hours, minutes), tzinfo=zone)
        if slot > local_now:
            return slot.astimezone(UTC)
    raise AssertionError("a weekly slot always exists within two weeks")


async def status(core: Core, cmd: ShowStatus) -> MemberStatusView:
    now = core.clock.now()
    async with core.db.read() as session:
        community, member, form = await lookup.community_member_and_form(session, cmd.actor)
        if member is None:
            raise NotFound(lookup.NOT_SIGNED_UP)
        form_status = form.status if form else None
        dialogue = await current_dialogue(session, member)
        current = None
        waiting: list[Partner] = []
        you_owe = False
        if dialogue is not None:
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
                    .where(DialogueMember.dialogue_id == dialogue.id)
                    .order_by(DialogueMember.position, Member.id)
                )
            ).all()
            next_job = await session.scalar(
                select(Job)
                .where(
                    Job.dedupe_key.like(f"prompt:{dialogue.id}:%"),
                    Job.state.in_(("pending", "running")),
                )
                .order_by(Job.run_at, Job.id)
                .limit(1)
            )
            silent = await session.scalars(
                select(Member.display_name)
                .join(DialogueMember, DialogueMember.member_id == Member.id)
                .where(
                    DialogueMember.dialogue_id == dialogue.id,
                    DialogueMember.member_id != member.id,
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
                next_prompt=(
                    (str(next_job.payload.get("prompt")), next_job.run_at) if next_job else None
                ),
                dialogue_id=dialogue.id,
                kind=dialogue.kind,
                state=dialogue.state,
                partners=tuple(
                    Partner(uid, name or uid) for mid, uid, name, _, _ in seats if mid != member.id
                ),
                thread_id=dialogue.thread_id,
                opened_at=dialogue.opened_at,
                conversation_kind=dialogue.conversation_kind,
                role=next((role for mid, *_, role in seats if mid == member.id), None),
            )
            if dialogue.kind == "mutual_want" and dialogue.state == "pending":
                for mid, uid, name, intake, _ in seats:
                    if intake is None:
                        waiting.append(Partner(uid, name or uid))
                        you_owe = you_owe or mid == member.id
        paused = is_paused(member, now)
        return MemberStatusView(
            status=member.status if member.status != "paused" or paused else "active",
            form_status=form_status,
            paused_until=member.paused_until if paused else None,
            current=current,
            next_round_at=next_round_at(community, now),
            waiting_on=tuple(waiting),
            you_owe_intake=you_owe,
            looking_for=looking_for_of(form.looking_for) if form else (),
        )
