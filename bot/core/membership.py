"""A member's place in the pool: pause/resume, leave (deleting their data), moderator removal.

`leave` deletes every personal row held for that community. Dialogues survive only as
anonymous counts (`size`, `outcome`, kind, dates): the member's `DialogueMember` rows go and
the engine's explanation (which quotes stances) is cleared on their dialogues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platforms.base import Message
from bot.scheduler.jobs import add_job
from bot.storage.models import (
    Block,
    Community,
    Dialogue,
    DialogueMember,
    Feedback,
    FormTopic,
    InterestForm,
    Member,
    RoundUnmatched,
    Stance,
    StanceChange,
    Topic,
    Want,
)

from . import lookup
from .actor import Actor
from .app import Core
from .dialogues import archive, end_in
from .errors import BadInput, Conflict
from .forms import round_opening_for, round_opening_message


@dataclass(frozen=True, slots=True)
class Pause:
    actor: Actor
    # Aware; None = until they resume. A pause whose end has passed counts as active in the
    # pool (bot.core.pool), so nothing has to wake up to end it.
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Resume:
    actor: Actor


@dataclass(frozen=True, slots=True)
class Leave:
    actor: Actor


@dataclass(frozen=True, slots=True)
class RemoveMember:
    actor: Actor  # a moderator
    user_id: str


@dataclass(frozen=True, slots=True)
class ReinstateMember:
    actor: Actor  # a moderator
    user_id: str


@dataclass(frozen=True, slots=True)
class MemberStatus:
    user_id: str
    status: str  # active | paused | removed
    paused_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClosedDialogue:
    dialogue_id: int
    thread_id: str | None  # for the caller to archive on the platform


@dataclass(frozen=True, slots=True)
class LeaveResult:
    user_id: str
    closed_dialogues: tuple[ClosedDialogue, ...] = ()


def _status(member: Member) -> MemberStatus:
    return MemberStatus(member.external_id, member.status, member.paused_until)


def _not_removed(member: Member) -> None:
    if member.status == "removed":
        raise Conflict("A moderator has taken you out of the pool; ask them if you want back in.")


async def pause(core: Core, cmd: Pause) -> MemberStatus:
    now = core.clock.now()
    if cmd.until is not None:
        if cmd.until.tzinfo is None:
            raise BadInput("Give the end of the pause with a timezone.", field="until")
        if cmd.until <= now:
            raise BadInput("The end of the pause must be in the future.", field="until")
    async with core.db.transaction() as session:
        _, member = await lookup.get_own_member(session, cmd.actor)
        _not_removed(member)
        member.status = "paused"
        member.paused_until = cmd.until
        if cmd.until is not None:
            # Flips the member back and tells them; keyed by the end, so a changed pause
            # makes a new job and the old one finds the pause no longer matches.
            await add_job(
                session,
                kind="pause_end",
                run_at=cmd.until,
                dedupe_key=f"pause_end:{member.id}:{cmd.until.astimezone(UTC).isoformat()}",
                community_id=member.community_id,
                payload={"member_id": member.id, "until": cmd.until.isoformat()},
                now=now,
            )
        return _status(member)


PAUSE_OVER = "Your pause is over: you are back in the pool for the next dialogue round."


async def end_pause(core: Core, member_id: int, until: datetime, key: str) -> bool:
    """Handler of a `pause_end` job: tell the member, then flip them back to active. False when
    the pause was changed or lifted meanwhile (nothing to do). Told first: a retry after a
    failed DM still finds them paused, and the key keeps a retried DM single."""
    async with core.db.transaction() as session:
        member = await session.get(Member, member_id)
        if member is None or member.status != "paused" or member.paused_until != until:
            return False
        community = await session.get_one(Community, member.community_id)
        user_id = member.external_id
    await core.platform(community.platform).send_direct(
        community.external_id, user_id, Message(PAUSE_OVER), idempotency_key=key
    )
    async with core.db.transaction() as session:
        await session.execute(
            update(Member)
            .where(Member.id == member_id, Member.status == "paused", Member.paused_until == until)
            .values(status="active", paused_until=None)
        )
    return True


async def resume(core: Core, cmd: Resume) -> MemberStatus:
    async with core.db.transaction() as session:
        _, member = await lookup.get_own_member(session, cmd.actor)
        _not_removed(member)
        member.status = "active"
        member.paused_until = None
        return _status(member)


LEFT_NOTE = "Your dialogue partner has left the dialogue pool, so this dialogue is closed."


async def leave(core: Core, cmd: Leave) -> LeaveResult:
    """Leave the pool and delete all personal data held for this community."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        _, member = await lookup.get_own_member(session, cmd.actor)
        opening = await round_opening_for(session, member)
        if opening is not None:
            # Its dialogues are being created from this member's rows right now.
            raise Conflict(round_opening_message(opening))
        mid, cid = member.id, member.community_id

        dialogues = list(
            await session.scalars(
                select(Dialogue)
                .join(DialogueMember, DialogueMember.dialogue_id == Dialogue.id)
                .where(DialogueMember.member_id == mid, Dialogue.community_id == cid)
            )
        )
        closed = []
        for dialogue in dialogues:
            if dialogue.state in ("pending", "open") and await end_in(
                session, dialogue, "ended", now
            ):
                closed.append(ClosedDialogue(dialogue.id, dialogue.thread_id))
            # The explanation quotes both members' stances and names; keep only the counts.
            dialogue.explanation = {}

        await session.execute(
            update(Topic)
            .where(Topic.community_id == cid, Topic.suggested_by_id == mid)
            .values(suggested_by_id=None)
        )
        for statement in (
            delete(Want).where(or_(Want.member_id == mid, Want.target_id == mid)),
            delete(Block).where(or_(Block.member_id == mid, Block.target_id == mid)),
            delete(Feedback).where(Feedback.member_id == mid),
            delete(StanceChange).where(StanceChange.member_id == mid),
            delete(RoundUnmatched).where(RoundUnmatched.member_id == mid),
            delete(DialogueMember).where(DialogueMember.member_id == mid),
            delete(Stance).where(Stance.member_id == mid),
            delete(FormTopic).where(FormTopic.member_id == mid),
            delete(InterestForm).where(InterestForm.member_id == mid),
        ):
            await session.execute(statement.execution_options(synchronize_session=False))
        # The ORM object may still hold a loaded form; drop it from the session, then the row.
        session.expunge(member)
        await session.execute(delete(Member).where(Member.id == mid, Member.community_id == cid))
    # After the commit: the partner learns why the thread closes; nothing names who left.
    for ended in closed:
        if ended.thread_id is not None:
            await archive(core, cmd.actor.community.platform, ended.thread_id, LEFT_NOTE)
    return LeaveResult(cmd.actor.user_id, tuple(closed))


async def _target(session: AsyncSession, actor: Actor, user_id: str) -> Member:
    community = await lookup.get_community(session, actor.community)
    return await lookup.get_member(session, community, user_id, field="user_id")


async def remove(core: Core, cmd: RemoveMember) -> MemberStatus:
    """Moderator: take someone out of the pool. Their data stays; `reinstate` undoes it."""
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        member = await _target(session, cmd.actor, cmd.user_id)
        member.status = "removed"
        member.paused_until = None
        return _status(member)


async def reinstate(core: Core, cmd: ReinstateMember) -> MemberStatus:
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        member = await _target(session, cmd.actor, cmd.user_id)
        if member.status != "removed":
            raise Conflict("That person has not been removed from the pool.", field="user_id")
        member.status = "active"
        return _status(member)
