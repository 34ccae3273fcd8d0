"""Private 'I'd dialogue with X' ticks, and the LessWrong-style flow a mutual tick starts.

A mutual want creates a pending `mutual_want` dialogue, DMs both people a button to a short
topic/format intake (one `mutual_want_dm` job each, committed with the match and tried at
once; a DM that fails is retried by the scheduler, never sent twice), and schedules a timeout
job; when both have sent their intake (or the
timeout fires) the dialogue opens at once, outside the round cadence.

Blocks and privacy: a want towards someone the actor blocked is refused (the actor knows
about their own block). A want towards someone who blocked the actor is stored and answered
exactly like any one-sided want, so it reveals nothing; it just never becomes a match.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from bot.platforms.base import Button, Message, PlatformError
from bot.scheduler.jobs import (
    CANCELLED,
    add_job,
    claim_inline,
    done_values,
    finish_inline,
    inline_due,
    job_key,
)
from bot.storage.models import (
    MAX_TOPICS_PER_FORM,
    NOTES_MAX_CHARS,
    Block,
    Community,
    Dialogue,
    DialogueMember,
    InterestForm,
    Job,
    Member,
    Want,
)

from . import dialogues, lookup
from .actor import Actor
from .app import Core
from .curation import active_topics_by_slug
from .errors import BadInput, Conflict, NotFound
from .forms import clean_looking_for, looking_for_of

log = logging.getLogger(__name__)

MUTUAL_WANT_TIMEOUT = timedelta(hours=48)
# A mutual-want DM that failed at once goes back to the scheduler, first retried after this.
DM_RETRY_AFTER = timedelta(seconds=30)
DM_KIND = "mutual_want_dm"
INLINE_OWNER = "mutual want"
INTAKE_FORMATS = ("sync", "async", "either")


INTAKE_PREFIX = "mw:intake:"


def intake_custom_id(dialogue_id: int) -> str:
    """The button on the match DM; adapters route it to the intake form."""
    return f"{INTAKE_PREFIX}{dialogue_id}"


def intake_dialogue_id(custom_id: str) -> int | None:
    """The dialogue an intake button belongs to, or None when `custom_id` is not one."""
    number = custom_id.removeprefix(INTAKE_PREFIX)
    if number == custom_id or not number.isdigit():
        return None
    return int(number)


# --- commands and results --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WantMember:
    actor: Actor
    target_user_id: str


@dataclass(frozen=True, slots=True)
class UnwantMember:
    actor: Actor
    target_user_id: str


@dataclass(frozen=True, slots=True)
class SubmitIntake:
    actor: Actor
    dialogue_id: int
    topics: tuple[str, ...]  # active topic slugs
    format: str  # sync | async | either
    notes: str = ""  # for the partner, shown in the dialogue intro
    # What this member wants from this conversation; None: what their interest form says.
    looking_for: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class WantResult:
    target_user_id: str
    mutual: bool  # a new mutual-want dialogue was created by this tick
    dialogue_id: int | None = None
    # User ids the match DM could not reach (closed DMs, left): the match stands regardless.
    undelivered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnwantResult:
    target_user_id: str
    removed: bool  # there was a want to remove
    cancelled_dialogue_id: int | None = None


@dataclass(frozen=True, slots=True)
class IntakeResult:
    dialogue_id: int
    both_submitted: bool
    opened: bool  # open_dialogue was called for it by this submission


# --- shared lookups --------------------------------------------------------------------------


async def signed_up_member(session: AsyncSession, community: Community, user_id: str) -> Member:
    """A member of this community with a complete form who is not removed, else NotFound."""
    member = await lookup.find_member(session, community, user_id)
    form = None if member is None else await session.get(InterestForm, member.id)
    if member is None or form is None or form.status != "complete" or member.status == "removed":
        raise NotFound("That person has not signed up for dialogues here.", field="target_user_id")
    return member


async def dialogues_between(
    session: AsyncSession,
    community_id: int,
    a: int,
    b: int,
    *,
    states: Iterable[str],
    kinds: Iterable[str] | None = None,
) -> list[Dialogue]:
    """Dialogues in `states` (and `kinds`) that both members take part in."""
    first, second = aliased(DialogueMember), aliased(DialogueMember)
    query = (
        select(Dialogue)
        .join(first, and_(first.dialogue_id == Dialogue.id, first.member_id == a))
        .join(second, and_(second.dialogue_id == Dialogue.id, second.member_id == b))
        .where(Dialogue.community_id == community_id, Dialogue.state.in_(list(states)))
        .order_by(Dialogue.id)
    )
    if kinds is not None:
        query = query.where(Dialogue.kind.in_(list(kinds)))
    return list(await session.scalars(query))


async def blocked_either_way(session: AsyncSession, a: int, b: int) -> bool:
    row = await session.scalar(
        select(Block.member_id).where(
            or_(
                and_(Block.member_id == a, Block.target_id == b),
                and_(Block.member_id == b, Block.target_id == a),
            )
        )
    )
    return row is not None


# --- services --------------------------------------------------------------------------------


async def want(core: Core, cmd: WantMember) -> WantResult:
    now = core.clock.now()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        me = await lookup.get_pool_member(
            session, community, cmd.actor, before="ticking people", off="ticks are off for now"
        )
        if cmd.target_user_id == cmd.actor.user_id:
            raise BadInput("You cannot tick yourself.", field="target_user_id")
        target = await signed_up_member(session, community, cmd.target_user_id)
        # Two people ticking each other at the same moment must yield one match, not two.
        await lookup.lock_pair(session, me.id, target.id)
        if await session.get(Block, (me.id, target.id)) is not None:
            raise BadInput(
                "You have blocked them; unblock them first if you want a dialogue.",
                field="target_user_id",
            )
        if await session.get(Want, (me.id, target.id)) is None:
            session.add(
                Want(
                    community_id=community.id, member_id=me.id, target_id=target.id, created_at=now
                )
            )
            await session.flush()

        reverse = await session.get(Want, (target.id, me.id))
        if (
            reverse is None
            or await blocked_either_way(session, me.id, target.id)
            or await dialogues_between(
                session, community.id, me.id, target.id, states=("pending", "open")
            )
        ):
            return WantResult(cmd.target_user_id, mutual=False)

        dialogue = Dialogue(
            community_id=community.id,
            kind="mutual_want",
            state="pending",
            size=2,
            explanation={"mutual_want": True},
            forced=False,
            created_at=now,
        )
        session.add(dialogue)
        await session.flush()
        session.add_all(
            [
                DialogueMember(
                    community_id=community.id, dialogue_id=dialogue.id, member_id=m.id, position=i
                )
                for i, m in enumerate((target, me))  # the earlier ticker first
            ]
        )
        session.add(
            Job(
                community_id=community.id,
                kind="mutual_want_timeout",
                run_at=now + MUTUAL_WANT_TIMEOUT,
                payload={"dialogue_id": dialogue.id},
                state="pending",
                dedupe_key=f"mutual_want_timeout:{dialogue.id}",
                attempts=0,
                created_at=now,
            )
        )
        await session.flush()
        dialogue_id = dialogue.id
        # The DMs are jobs in the match's own transaction: a crash after the commit loses
        # neither, and each has its idempotency key, so no retry sends one twice.
        for person, partner in ((me, target), (target, me)):
            await add_job(
                session,
                kind=DM_KIND,
                run_at=inline_due(now),
                dedupe_key=f"{DM_KIND}:{dialogue_id}:{person.external_id}",
                community_id=community.id,
                payload={
                    "dialogue_id": dialogue_id,
                    "user_id": person.external_id,
                    "partner": partner.display_name,
                },
                now=now,
            )

    # After the commit: a DM that cannot be delivered must not undo the match.
    undelivered = await _send_dms_now(core, dialogue_id)
    return WantResult(cmd.target_user_id, True, dialogue_id, undelivered)


async def notify_mutual(core: Core, dialogue_id: int, user_id: str, partner: str, key: str) -> bool:
    """Handler of a `mutual_want_dm` job: the intake button, while the match still waits for
    it (False once it was called off or opened)."""
    async with core.db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        if dialogue is None or dialogue.kind != "mutual_want" or dialogue.state != "pending":
            return False
        community = await session.get_one(Community, dialogue.community_id)
    message = Message(
        f"You and {partner or 'someone'} both said you would like a dialogue with each "
        "other. Choose the topics and format you would like; the dialogue opens when you "
        f"both have (or in {MUTUAL_WANT_TIMEOUT.total_seconds() / 3600:.0f} hours).",
        (Button(intake_custom_id(dialogue_id), "Choose topics and format"),),
    )
    await core.platform(community.platform).send_direct(
        community.external_id, user_id, message, idempotency_key=key
    )
    return True


async def _send_dms_now(core: Core, dialogue_id: int) -> tuple[str, ...]:
    """Run the match's DM jobs in this call, so the ticker hears at once of one that failed.
    A failed one goes back to the scheduler (its attempt counted), which retries it with its
    backoff."""
    jobs = await claim_inline(core.db, f"{DM_KIND}:{dialogue_id}:", INLINE_OWNER, core.clock.now())
    undelivered = []
    for job_id, _community_id, payload in jobs:
        user_id = str(payload["user_id"])
        values: dict[str, object]
        try:
            told = await notify_mutual(
                core, dialogue_id, user_id, str(payload["partner"] or ""), job_key(job_id)
            )
            note = None if told else CANCELLED + "no longer pending"
            values = done_values(core.clock.now(), note)
        except PlatformError as error:
            log.warning("mutual want %s: could not DM %s yet: %s", dialogue_id, user_id, error)
            undelivered.append(user_id)
            values = {
                "state": "pending",
                "run_at": core.clock.now() + DM_RETRY_AFTER,
                "lease_until": None,
                "last_error": str(error)[:500],
            }
        await finish_inline(core.db, job_id, INLINE_OWNER, values)
    return tuple(undelivered)


async def unwant(core: Core, cmd: UnwantMember) -> UnwantResult:
    """Remove a tick; a mutual-want dialogue still waiting for intake is called off with it."""
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        me = await lookup.find_member(session, community, cmd.actor.user_id)
        target = await lookup.find_member(session, community, cmd.target_user_id)
        if me is None or target is None:
            raise NotFound("You have no tick for that person.", field="target_user_id")
        result = await session.execute(
            delete(Want).where(Want.member_id == me.id, Want.target_id == target.id)
        )
        cancelled = None
        for dialogue in await dialogues_between(
            session, community.id, me.id, target.id, states=("pending",), kinds=("mutual_want",)
        ):
            if await dialogues.end_in(session, dialogue, "ended", core.clock.now()):
                cancelled = dialogue.id
        removed = bool(getattr(result, "rowcount", 0))
        return UnwantResult(cmd.target_user_id, removed, cancelled)


async def submit_intake(core: Core, cmd: SubmitIntake) -> IntakeResult:
    """Store one side's topics/format for a mutual-want dialogue; open it once both are in."""
    if cmd.format not in INTAKE_FORMATS:
        raise BadInput(f"Format must be one of: {', '.join(INTAKE_FORMATS)}.", field="format")
    if not cmd.topics:
        raise BadInput("Pick at least one topic to talk about.", field="topics")
    if len(set(cmd.topics)) > MAX_TOPICS_PER_FORM:
        raise BadInput(f"Pick at most {MAX_TOPICS_PER_FORM} topics.", field="topics")
    looking = None if cmd.looking_for is None else clean_looking_for(cmd.looking_for)
    notes = cmd.notes.strip()
    if len(notes) > NOTES_MAX_CHARS:
        raise BadInput(
            f"Notes can be at most {NOTES_MAX_CHARS} characters (yours has {len(notes)}).",
            field="notes",
        )
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        me = await lookup.find_member(session, community, cmd.actor.user_id)
        # Locked (PostgreSQL), so the two sides' intakes are written one after the other and
        # exactly one of them sees both in and opens the dialogue.
        dialogue = await session.scalar(
            select(Dialogue)
            .where(
                Dialogue.community_id == community.id,
                Dialogue.id == cmd.dialogue_id,
                Dialogue.kind == "mutual_want",
            )
            .options(selectinload(Dialogue.members))
            .with_for_update(of=Dialogue)
        )
        mine = None
        if dialogue is not None and me is not None:
            mine = next((dm for dm in dialogue.members if dm.member_id == me.id), None)
        if dialogue is None or mine is None:
            raise NotFound("There is no such mutual-want dialogue for you.", field="dialogue_id")
        if dialogue.state != "pending":
            raise Conflict(
                "This dialogue has already opened."
                if dialogue.state == "open"
                else "This dialogue was called off."
            )
        try:
            topics = await active_topics_by_slug(session, community.id, cmd.topics, field="topics")
        except NotFound as error:
            raise BadInput(error.message, field="topics") from None
        if looking is None:
            form = await session.get(InterestForm, me.id)
            looking = list(looking_for_of(form.looking_for if form else None))
        mine.intake = {
            "topics": [t.slug for t in topics],
            "format": cmd.format,
            "looking_for": looking,
            "notes": notes,
        }
        await session.flush()
        # Read again now that this transaction writes: SQLite takes no lock for the reads
        # above, so the other side's intake may have been committed since.
        intakes = await session.scalars(
            select(DialogueMember.intake).where(DialogueMember.dialogue_id == dialogue.id)
        )
        both = all(intake is not None for intake in intakes)
    if both:
        await dialogues.open_dialogue(core, cmd.dialogue_id)
    return IntakeResult(cmd.dialogue_id, both_submitted=both, opened=both)


async def intake_timed_out(core: Core, dialogue_id: int) -> bool:
    """Handler for the `mutual_want_timeout` job: open the dialogue if it still waits."""
    async with core.db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        waiting = (
            dialogue is not None and dialogue.kind == "mutual_want" and dialogue.state == "pending"
        )
    if waiting:
        await dialogues.open_dialogue(core, dialogue_id)
    return waiting
