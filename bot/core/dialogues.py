"""Dialogue lifecycle: open a private thread with the intro, manual pairs, close, feedback and
the stance changes recorded at wrap-up.

Opening talks to the platform, so it runs outside any transaction: read what to open, open the
thread and post the intro, then record the thread in a second transaction that only succeeds
for the first opener (two processes racing on one dialogue leave one thread, not two).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

import matching
from bot.platforms.base import Message, PlatformError
from bot.scheduler.jobs import add_job
from bot.storage.models import (
    CONVERSATION_KINDS,
    Block,
    Claim,
    Community,
    Dialogue,
    DialogueMember,
    Feedback,
    InterestForm,
    Job,
    Member,
    Stance,
    StanceChange,
    Topic,
)
from matching.explain import FORBIDDEN_NO_KIND

from . import lookup
from .actor import Actor
from .app import Core
from .curation import find_topic
from .errors import BadInput, Conflict, NotFound
from .intro import INTERVIEWEE, INTERVIEWER, IntroPerson, dialogue_intro, speaker_labels
from .pool import claim_key, load_pool

log = logging.getLogger(__name__)

CLOSE_OUTCOMES = ("talked", "did_not", "ghosted")
FEEDBACK_COMMENT_MAX_CHARS = 1000
THREAD_TITLE_MAX_CHARS = 100  # Discord's limit for thread names; Slack's is lower for channels
# Hours after opening; `checkin` ("did you meet?") only for pairs who chose to talk live.
DEFAULT_PROMPT_HOURS: dict[str, float] = {
    "nudge": 24,
    "midpoint": 72,
    "wrapup": 168,
    "checkin": 96,
}


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenResult:
    dialogue_id: int
    state: str  # pending | open | closed
    thread_id: str | None
    opened_now: bool  # this call opened it
    error: str | None = None  # why it is still pending (a member left, DMs closed…)


@dataclass(frozen=True, slots=True)
class PairResult:
    dialogue_id: int
    members: tuple[str, ...]  # platform user ids
    score: float | None  # None when the engine would not pair them (forced, met recently…)
    forced: bool
    opened: OpenResult
    kind: str = "dialogue"  # dialogue | interview
    roles: dict[str, str] = field(default_factory=dict)  # interview: user id -> role


@dataclass(frozen=True, slots=True)
class CloseResult:
    dialogue_id: int
    outcome: str | None
    closed_now: bool  # False when it was already closed
    archived: bool  # the thread was archived by this call


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    dialogue_id: int
    rating: int
    comment: str


@dataclass(frozen=True, slots=True)
class StanceChangeResult:
    dialogue_id: int
    claim_id: int
    before: int | None  # None: the member had skipped the claim
    after: int


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairMembers:
    """Moderator: pair two members now, skipping the engine (but not blocks unless forced)."""

    actor: Actor
    user_a: str
    user_b: str
    topic: str | None = None  # slug or name of an active topic
    force: bool = False
    # None: the kind the engine picks for them (a dialogue when it would not pair them);
    # "dialogue" or "interview" to choose. `interviewer` (user_a or user_b) says who asks;
    # an interview without it takes the engine's roles, else user_a interviews user_b.
    kind: str | None = None
    interviewer: str | None = None


@dataclass(frozen=True, slots=True)
class Unpair:
    """Moderator: end a member's current dialogue early."""

    actor: Actor
    user: str


@dataclass(frozen=True, slots=True)
class GiveFeedback:
    actor: Actor
    rating: int  # 1..5
    comment: str = ""
    dialogue_id: int | None = None  # None: the member's latest dialogue


@dataclass(frozen=True, slots=True)
class RecordStanceChange:
    """Wrap-up: the member's stance on a claim after the dialogue."""

    actor: Actor
    dialogue_id: int
    claim_id: int
    after: int  # -2..2


# --- opening ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ToOpen:
    community_external_id: str
    platform: str
    member_ids: list[str]
    title: str
    intro: str


async def open_dialogue(core: Core, dialogue_id: int) -> None:
    """Open the platform thread for a pending dialogue and post its intro. Idempotent.

    A platform refusal leaves the dialogue pending (logged); `try_open_dialogue` says why.
    """
    await try_open_dialogue(core, dialogue_id)


async def try_open_dialogue(core: Core, dialogue_id: int) -> OpenResult:
    """`open_dialogue`, returning what happened. Never raises for a platform refusal."""
    async with core.db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        if dialogue is None:
            raise NotFound("That dialogue does not exist.")
        if dialogue.thread_id is not None or dialogue.state != "pending":
            return OpenResult(dialogue_id, dialogue.state, dialogue.thread_id, opened_now=False)
        community = await session.get_one(Community, dialogue.community_id)
        if dialogue.kind == "mutual_want" and "members" not in (dialogue.explanation or {}):
            explanation = await _mutual_want_explanation(
                session, community, dialogue, core.clock.now()
            )
            await _set_kind(session, dialogue, explanation)
        people = await _intro_people(session, dialogue_id)
        plan = _ToOpen(
            community_external_id=community.external_id,
            platform=community.platform,
            member_ids=[p.user_id for p in people],
            title=_title(people),
            intro=dialogue_intro(
                people,
                dialogue.explanation or {},
                dialogue.topic,
                community_text=prompt_text(community.prompt_schedule, "opening"),
            ),
        )

    # Keyed by the dialogue: a retry after a crash between opening the thread and saving its
    # id (or a second process racing on the same dialogue) gets the same thread back, with one
    # intro, instead of leaving an orphan thread behind.
    platform = core.platform(plan.platform)
    try:
        thread_id = await platform.open_private_thread(
            plan.community_external_id,
            plan.member_ids,
            plan.title,
            idempotency_key=f"d{dialogue_id}:open",
        )
    except PlatformError as error:
        log.warning("dialogue %s stays pending: cannot open its thread: %s", dialogue_id, error)
        await _retry_later(core, dialogue_id)
        return OpenResult(dialogue_id, "pending", None, opened_now=False, error=str(error))
    try:
        await platform.post(thread_id, Message(plan.intro), idempotency_key=f"d{dialogue_id}:intro")
    except PlatformError as error:
        # The thread stays: the next attempt reuses it (same key) and posts the intro then.
        log.warning("dialogue %s stays pending: cannot post its intro: %s", dialogue_id, error)
        await _retry_later(core, dialogue_id)
        return OpenResult(dialogue_id, "pending", None, opened_now=False, error=str(error))

    now = core.clock.now()
    async with core.db.transaction() as session:
        claimed = await session.execute(
            update(Dialogue)
            .where(
                Dialogue.id == dialogue_id,
                Dialogue.thread_id.is_(None),
                Dialogue.state == "pending",
            )
            .values(state="open", thread_id=thread_id, opened_at=now)
        )
        won = cast(CursorResult[Any], claimed).rowcount == 1
        if won:
            dialogue = await session.get_one(Dialogue, dialogue_id, populate_existing=True)
            community = await session.get_one(Community, dialogue.community_id)
            await schedule_prompts(session, community, dialogue, now)
        else:
            current = await session.get_one(Dialogue, dialogue_id, populate_existing=True)
    if not won:
        # Someone else opened (or closed) it meanwhile. The same key gave them the same thread;
        # a different one (a platform without keys) is a duplicate and goes.
        if current.thread_id != thread_id:
            await archive(core, plan.platform, thread_id)
        return OpenResult(dialogue_id, current.state, current.thread_id, opened_now=False)
    return OpenResult(dialogue_id, "open", thread_id, opened_now=True)


OPEN_RETRY_AFTER = timedelta(minutes=10)


async def _retry_later(core: Core, dialogue_id: int) -> None:
    """A dialogue the platform refused to open stays pending; the scheduler tries again
    (backing off, then telling the moderators) instead of leaving its members stuck."""
    now = core.clock.now()
    async with core.db.transaction() as session:
        community_id = await session.scalar(
            select(Dialogue.community_id).where(Dialogue.id == dialogue_id)
        )
        await add_job(
            session,
            kind="open_dialogue",
            run_at=now + OPEN_RETRY_AFTER,
            dedupe_key=f"open:{dialogue_id}",
            community_id=community_id,
            payload={"dialogue_id": dialogue_id},
            now=now,
        )


async def _intro_people(session: AsyncSession, dialogue_id: int) -> list[IntroPerson]:
    rows = (
        await session.execute(
            select(
                Member.external_id, Member.display_name, InterestForm.about, DialogueMember.intake
            )
            .join(DialogueMember, DialogueMember.member_id == Member.id)
            .outerjoin(InterestForm, InterestForm.member_id == Member.id)
            .where(DialogueMember.dialogue_id == dialogue_id)
            .order_by(DialogueMember.position, Member.id)
        )
    ).all()
    return [
        IntroPerson(uid, name or uid, about or "", (intake or {}).get("notes", ""))
        for uid, name, about, intake in rows
    ]


async def _explain(
    session: AsyncSession,
    community: Community,
    user_ids: list[str],
    now: datetime,
    looking_for: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The engine's explanation of these two members, or a minimal one when either is outside
    the pool (a one-round member who had their round, a draft form).

    `looking_for` replaces what the members' forms say they look for (a mutual want's intake
    answers). Whoever asked for this pair wants it, so when the two look for nothing in
    common the explanation is that of a dialogue between equals, the default kind.
    """
    snapshot = await load_pool(session, community, now, include_busy=True)
    if len(user_ids) == 2 and all(uid in snapshot.members for uid in user_ids):
        # Whoever asked for this pair (a moderator, their mutual want) overrides the cooldown,
        # so their past meetings must not hide the score and format from the explanation.
        document = dict(snapshot.document)
        document["history"] = [
            h for h in document["history"] if sorted(h["members"]) != sorted(user_ids)
        ]
        pair = _explain_with(document, user_ids, looking_for or {})
        if pair.forbidden == FORBIDDEN_NO_KIND:
            pair = _explain_with(document, user_ids, {uid: ["dialogue"] for uid in user_ids})
        return snapshot.explanation(pair.to_dict(), now)
    return _minimal_explanation(user_ids)


def _explain_with(
    document: dict[str, Any], user_ids: list[str], looking_for: dict[str, list[str]]
) -> matching.Pair:
    if looking_for:
        document = dict(document)
        document["participants"] = [
            {**p, "looking_for": looking_for[p["id"]]} if p["id"] in looking_for else p
            for p in document["participants"]
        ]
    return matching.Pool.from_dict(document).explain(*user_ids)


async def _set_kind(
    session: AsyncSession,
    dialogue: Dialogue,
    explanation: dict[str, Any],
    kind: str | None = None,
    roles: dict[str, str] | None = None,
) -> None:
    """Store a dialogue's explanation with its kind and roles, and the roles on its members:
    the intro reads the explanation, stats and exports the columns; both say the same.

    `kind`/`roles` override the explanation's (a moderator's choice)."""
    kind = kind or explanation.get("kind") or "dialogue"
    if kind not in CONVERSATION_KINDS:
        raise BadInput(f"The kind must be one of: {', '.join(CONVERSATION_KINDS)}.", field="kind")
    roles = dict(explanation.get("roles") or {}) if roles is None else roles
    explanation = {**explanation, "kind": kind}
    explanation.pop("roles", None)
    if kind == "interview":
        explanation["roles"] = roles
    dialogue.explanation = explanation
    dialogue.conversation_kind = kind
    seats = (
        await session.execute(
            select(DialogueMember, Member.external_id)
            .join(Member, Member.id == DialogueMember.member_id)
            .where(DialogueMember.dialogue_id == dialogue.id)
        )
    ).all()
    for seat, uid in seats:
        seat.role = roles.get(uid) if kind == "interview" else None


async def speaker_labels_of(core: Core, dialogue_id: int) -> dict[str, str]:
    """user id -> how the dialogue's transcript names them: "Alice (interviewer)" in an
    interview, "Alice" in a dialogue between equals."""
    async with core.db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        if dialogue is None:
            raise NotFound("That dialogue does not exist.")
        people = await _intro_people(session, dialogue_id)
        return speaker_labels(people, dialogue.explanation or {})


async def _mutual_want_explanation(
    session: AsyncSession, community: Community, dialogue: Dialogue, now: datetime
) -> dict[str, Any]:
    """A mutual want's explanation: the engine's, with the topics and format both members
    chose in their intake taking precedence."""
    rows = (
        await session.execute(
            select(Member.external_id, DialogueMember.intake)
            .join(DialogueMember, DialogueMember.member_id == Member.id)
            .where(DialogueMember.dialogue_id == dialogue.id)
            .order_by(DialogueMember.position, Member.id)
        )
    ).all()
    # Each side's intake says what they look for in this conversation (their form, if the
    # intake was from before the question).
    looking_for = {
        uid: intake["looking_for"] for uid, intake in rows if (intake or {}).get("looking_for")
    }
    explanation = await _explain(session, community, [uid for uid, _ in rows], now, looking_for)
    explanation["mutual_want"] = True
    intakes = [intake for _, intake in rows if intake]
    if intakes:
        chosen = [list(i.get("topics") or []) for i in intakes]
        common = [t for t in chosen[0] if all(t in c for c in chosen[1:])]
        slugs = common or list(dict.fromkeys(t for c in chosen for t in c))
        names = dict(
            (
                await session.execute(
                    select(Topic.slug, Topic.name).where(
                        Topic.community_id == community.id, Topic.slug.in_(slugs)
                    )
                )
            ).all()
        )
        explanation["shared_topics"] = [{"slug": s, "name": names.get(s, s)} for s in slugs]
        formats = {i.get("format") for i in intakes} - {"either", None}
        if len(formats) == 1:
            explanation["format"] = formats.pop()
    return explanation


def _title(people: list[IntroPerson]) -> str:
    title = "Dialogue: " + " & ".join(p.name for p in people)
    if len(title) > THREAD_TITLE_MAX_CHARS:
        title = title[: THREAD_TITLE_MAX_CHARS - 1] + "…"
    return title


def prompt_hours(schedule: dict[str, Any] | None) -> dict[str, float]:
    """Hours after opening for each prompt: the community's settings over the defaults.

    The schedule is stored as `{"nudge": {"hours": 24, "text": "..."}, ...}` (written by
    `community_config`); older or hand-written rows may hold a bare number of hours, or
    `null`/`false` to turn a prompt off.
    """
    hours = dict(DEFAULT_PROMPT_HOURS)
    for name in list(hours):
        entry = (schedule or {}).get(name, {})
        if entry is None or entry is False:
            del hours[name]
            continue
        value = entry.get("hours") if isinstance(entry, dict) else entry
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            hours[name] = float(value)
    return hours


def prompt_text(schedule: dict[str, Any] | None, name: str) -> str | None:
    """The community's own text for a prompt (`opening`, `nudge`…), if it set one."""
    entry = (schedule or {}).get(name)
    text = entry.get("text") if isinstance(entry, dict) else None
    return text if isinstance(text, str) and text.strip() else None


async def schedule_prompts(
    session: AsyncSession, community: Community, dialogue: Dialogue, opened_at: datetime
) -> list[str]:
    """Insert the prompt jobs of a newly opened dialogue; existing ones are kept. Returns the
    names of the prompts scheduled by this call."""
    hours = prompt_hours(community.prompt_schedule)
    if (dialogue.explanation or {}).get("format") != "sync":
        hours.pop("checkin", None)
    keys = {name: f"prompt:{dialogue.id}:{name}" for name in hours}
    existing = set(
        await session.scalars(select(Job.dedupe_key).where(Job.dedupe_key.in_(keys.values())))
    )
    added = []
    for name, after in hours.items():
        if keys[name] in existing:
            continue
        session.add(
            Job(
                community_id=community.id,
                kind="prompt",
                run_at=opened_at + timedelta(hours=after),
                payload={"dialogue_id": dialogue.id, "prompt": name},
                state="pending",
                dedupe_key=keys[name],
                attempts=0,
                created_at=opened_at,
            )
        )
        added.append(name)
    await session.flush()
    return added


# --- manual pairs ----------------------------------------------------------------------------


async def pair(core: Core, cmd: PairMembers) -> PairResult:
    """Pair two members now and open their dialogue."""
    cmd.actor.require_moderator()
    if cmd.user_a == cmd.user_b:
        raise BadInput("Pick two different members: nobody can be paired with themself.")
    _check_kind(cmd)
    now = core.clock.now()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        a = await _signed_up(session, community, cmd.user_a)
        b = await _signed_up(session, community, cmd.user_b)
        await lookup.lock_pair(session, a.id, b.id)  # a double-sent pair makes one dialogue
        together = await session.scalar(
            select(Dialogue.id)
            .join(DialogueMember, DialogueMember.dialogue_id == Dialogue.id)
            .where(
                Dialogue.community_id == community.id,
                Dialogue.state.in_(("pending", "open")),
                DialogueMember.member_id.in_((a.id, b.id)),
            )
            .group_by(Dialogue.id)
            .having(func.count() == 2)
        )
        if together is not None:
            raise Conflict(f"{_name(a)} and {_name(b)} already have a dialogue in progress.")
        blocks = list(
            await session.scalars(
                select(Block).where(
                    Block.community_id == community.id,
                    or_(
                        and_(Block.member_id == a.id, Block.target_id == b.id),
                        and_(Block.member_id == b.id, Block.target_id == a.id),
                    ),
                )
            )
        )
        if blocks:
            first = blocks[0]
            blocker, blocked = (a, b) if first.member_id == a.id else (b, a)
            if not cmd.force:
                raise Conflict(
                    f"{_name(blocker)} has blocked {_name(blocked)}. Pair them anyway only "
                    "with the force option; that is logged."
                )
            log.warning(
                "community %s: moderator %s force-paired %s and %s despite a block by %s",
                community.id,
                cmd.actor.user_id,
                a.external_id,
                b.external_id,
                blocker.external_id,
            )
        topic_name = await _topic_name(session, community, cmd.topic) if cmd.topic else None

        explanation = await _explain(session, community, [a.external_id, b.external_id], now)
        kind, roles = _chosen_kind(cmd, explanation)
        score = explanation["score"]
        dialogue = Dialogue(
            community_id=community.id,
            round_id=None,
            kind="manual",
            state="pending",
            size=2,
            score=score,
            explanation=explanation,
            topic=topic_name,
            forced=bool(blocks),
            created_by=cmd.actor.user_id,
            created_at=now,
        )
        dialogue.members = [
            DialogueMember(community_id=community.id, member_id=a.id, position=0),
            DialogueMember(community_id=community.id, member_id=b.id, position=1),
        ]
        session.add(dialogue)
        await session.flush()
        await _set_kind(session, dialogue, explanation, kind, roles)
        dialogue_id = dialogue.id
        forced = dialogue.forced
    opened = await try_open_dialogue(core, dialogue_id)
    return PairResult(
        dialogue_id, (cmd.user_a, cmd.user_b), score, forced, opened, kind=kind, roles=roles
    )


def _check_kind(cmd: PairMembers) -> None:
    if cmd.kind is not None and cmd.kind not in CONVERSATION_KINDS:
        raise BadInput(
            f"“{cmd.kind}” is not a kind of conversation; choose "
            f"{' or '.join(CONVERSATION_KINDS)}.",
            field="kind",
        )
    if cmd.interviewer is not None:
        if cmd.kind == "dialogue":
            raise BadInput("A dialogue between equals has no interviewer.", field="interviewer")
        if cmd.interviewer not in (cmd.user_a, cmd.user_b):
            raise BadInput(
                "The interviewer must be one of the two members being paired.",
                field="interviewer",
            )


def _chosen_kind(cmd: PairMembers, explanation: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The kind and roles of a manual pair: the moderator's, else the engine's."""
    engine_roles = dict(explanation.get("roles") or {})
    engine_kind = explanation.get("kind") if not explanation.get("forbidden") else None
    kind = cmd.kind or ("interview" if cmd.interviewer else None) or engine_kind or "dialogue"
    if kind != "interview":
        return kind, {}
    if cmd.interviewer is not None:
        asker = cmd.interviewer
    elif engine_kind == "interview" and engine_roles:
        return kind, engine_roles
    else:
        asker = cmd.user_a
    asked = cmd.user_b if asker == cmd.user_a else cmd.user_a
    return kind, {asker: INTERVIEWER, asked: INTERVIEWEE}


def _minimal_explanation(members: list[str]) -> dict[str, Any]:
    return {
        "members": members,
        "score": None,
        "shared_topics": [],
        "disagreements": [],
        "format": None,
        "mutual_want": False,
        "one_way_want": False,
        "availability_overlap": [],
        "score_terms": {},
    }


def _name(member: Member) -> str:
    return member.display_name or member.external_id


async def _signed_up(session: AsyncSession, community: Community, user_id: str) -> Member:
    member = await lookup.get_member(session, community, user_id)
    if member.status == "removed":
        raise Conflict(f"{_name(member)} has been removed from the pool.")
    form_status = await session.scalar(
        select(InterestForm.status).where(InterestForm.member_id == member.id)
    )
    if form_status != "complete":
        raise Conflict(f"{_name(member)} has not finished signing up.")
    return member


async def _topic_name(session: AsyncSession, community: Community, topic: str) -> str:
    """The name of the active topic `topic` names by slug or name (as curation resolves it)."""
    found = await find_topic(session, community.id, topic)
    if found is None or found.status != "active":
        raise NotFound(f"There is no topic called “{topic}” here.", field="topic")
    return found.name


# --- closing ---------------------------------------------------------------------------------


# Built once: every `/dialogue status` runs it (see bot.core.lookup).
def _is_current(d: Any, seat: Any, community_id: Any, member_id: Any) -> tuple[Any, ...]:
    """A member's current dialogue: pending or open, in `community_id`, with a seat (joined
    on its dialogue) for `member_id`. `d` and `seat`: the dialogues and dialogue_members
    columns to test (the mapped classes, or a table alias's columns); the newest such
    dialogue is the current one.
    One definition for `current_dialogue` and `current_dialogue_id`."""
    return (
        d.community_id == community_id,
        seat.member_id == member_id,
        # Not IN (…): a literal IN list is re-rendered at every execution.
        or_(d.state == "pending", d.state == "open"),
    )


_CURRENT_DIALOGUE = (
    select(Dialogue)
    .join(DialogueMember, DialogueMember.dialogue_id == Dialogue.id)
    .where(
        *_is_current(Dialogue, DialogueMember, bindparam("community_id"), bindparam("member_id"))
    )
    .order_by(Dialogue.created_at.desc(), Dialogue.id.desc())
    .limit(1)
)


def current_dialogue_id(members: Any) -> Any:
    """The id of the current dialogue (`current_dialogue`) of the member in `members` (the
    members table of an enclosing statement), as a correlated scalar subquery; NULL if none."""
    d = Dialogue.__table__.alias("current_dialogue")
    seat = DialogueMember.__table__.alias("current_seat")
    return (
        select(d.c.id)
        .select_from(d.join(seat, seat.c.dialogue_id == d.c.id))
        .where(*_is_current(d.c, seat.c, members.c.community_id, members.c.id))
        .order_by(d.c.created_at.desc(), d.c.id.desc())
        .limit(1)
        .correlate(members)
        .scalar_subquery()
    )


async def current_dialogue(session: AsyncSession, member: Member) -> Dialogue | None:
    """The member's newest dialogue that is not over (pending or open), if any."""
    return await session.scalar(
        _CURRENT_DIALOGUE, {"community_id": member.community_id, "member_id": member.id}
    )


async def unpair(core: Core, cmd: Unpair) -> CloseResult:
    """End the member's current (pending or open) dialogue with outcome `ended`."""
    cmd.actor.require_moderator()
    now = core.clock.now()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        member = await lookup.get_member(session, community, cmd.user)
        dialogue = await current_dialogue(session, member)
        if dialogue is None:
            raise NotFound(f"{_name(member)} has no dialogue in progress.")
        thread_id = dialogue.thread_id
        ended = await end_in(session, dialogue, "ended", now)
        dialogue_id, outcome = dialogue.id, dialogue.outcome
        platform = community.platform
    if not ended:  # closed meanwhile (wrap-up): that close archives the thread
        return CloseResult(dialogue_id, outcome, closed_now=False, archived=False)
    archived = await archive(core, platform, thread_id) if thread_id else False
    return CloseResult(dialogue_id, "ended", closed_now=True, archived=archived)


async def close(core: Core, dialogue_id: int, outcome: str) -> CloseResult:
    """Close a dialogue with its outcome (wrap-up, scheduler) and archive its thread."""
    if outcome not in CLOSE_OUTCOMES:
        raise BadInput(f"Outcome must be one of {', '.join(CLOSE_OUTCOMES)}.", field="outcome")
    now = core.clock.now()
    async with core.db.transaction() as session:
        dialogue = await session.get(Dialogue, dialogue_id)
        if dialogue is None:
            raise NotFound("That dialogue does not exist.")
        if dialogue.state == "closed":
            return CloseResult(dialogue_id, dialogue.outcome, closed_now=False, archived=False)
        thread_id = dialogue.thread_id
        if not await end_in(session, dialogue, outcome, now):
            return CloseResult(dialogue_id, dialogue.outcome, closed_now=False, archived=False)
        platform = (await session.get_one(Community, dialogue.community_id)).platform
    archived = await archive(core, platform, thread_id) if thread_id else False
    return CloseResult(dialogue_id, outcome, closed_now=True, archived=archived)


async def end_in(session: AsyncSession, dialogue: Dialogue, outcome: str, now: datetime) -> bool:
    """THE way a dialogue ends in the database (wrap-up, unpair, block, unwant, leave):
    state, outcome, and no job left to fire for it.

    False when another transaction closed it first (its outcome stands; `dialogue` is
    refreshed): the conditional update waits for that one, so only one ending wins.
    """
    ended = await session.execute(
        update(Dialogue)
        .where(Dialogue.id == dialogue.id, Dialogue.state != "closed")
        .values(state="closed", outcome=outcome, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], ended).rowcount != 1:
        await session.refresh(dialogue)
        return False
    dialogue.state = "closed"
    dialogue.outcome = outcome
    dialogue.closed_at = now
    # Prompts must not reach an archived thread, nor an intake timeout open a called-off pair.
    await session.execute(
        update(Job)
        .where(
            or_(
                Job.dedupe_key.like(f"prompt:{dialogue.id}:%"),
                Job.dedupe_key == f"mutual_want_timeout:{dialogue.id}",
            ),
            Job.state == "pending",
        )
        .values(state="done", done_at=now, last_error="cancelled: dialogue closed")
    )
    return True


async def archive(core: Core, platform: str, thread_id: str, note: str | None = None) -> bool:
    """Archive a thread after its dialogue ended, posting `note` first; a thread the platform
    no longer has is an expected event, reported as False."""
    target = core.platform(platform)
    try:
        if note:
            await target.post(thread_id, Message(note))
        await target.archive_thread(thread_id)
    except PlatformError as error:
        log.warning("cannot archive thread %s: %s", thread_id, error)
        return False
    return True


# --- feedback and stance changes -------------------------------------------------------------


async def _own_dialogue(
    session: AsyncSession, community: Community, member: Member, dialogue_id: int
) -> Dialogue:
    dialogue = await session.scalar(
        select(Dialogue)
        .join(DialogueMember, DialogueMember.dialogue_id == Dialogue.id)
        .where(
            Dialogue.id == dialogue_id,
            Dialogue.community_id == community.id,
            DialogueMember.member_id == member.id,
        )
    )
    if dialogue is None:
        raise NotFound("You have no dialogue with that id here.", field="dialogue")
    return dialogue


async def feedback(core: Core, cmd: GiveFeedback) -> FeedbackResult:
    """Rate a dialogue (by default the member's latest one that opened); a second rating of
    the same dialogue replaces the first."""
    if isinstance(cmd.rating, bool) or not isinstance(cmd.rating, int) or not 1 <= cmd.rating <= 5:
        raise BadInput("Rate the dialogue from 1 to 5.", field="rating")
    comment = cmd.comment.strip()
    if len(comment) > FEEDBACK_COMMENT_MAX_CHARS:
        raise BadInput(
            f"Keep the comment under {FEEDBACK_COMMENT_MAX_CHARS} characters "
            f"(it has {len(comment)}).",
            field="comment",
        )
    now = core.clock.now()
    async with core.db.transaction() as session:
        community, member = await lookup.get_own_member(session, cmd.actor)
        if cmd.dialogue_id is not None:
            dialogue = await _own_dialogue(session, community, member, cmd.dialogue_id)
        else:
            found = await session.scalar(
                select(Dialogue)
                .join(DialogueMember, DialogueMember.dialogue_id == Dialogue.id)
                .where(
                    Dialogue.community_id == community.id,
                    DialogueMember.member_id == member.id,
                    Dialogue.opened_at.is_not(None),
                )
                .order_by(Dialogue.opened_at.desc(), Dialogue.id.desc())
                .limit(1)
            )
            if found is None:
                raise NotFound("You have no dialogue to rate yet.")
            dialogue = found
        row = await session.get(Feedback, (dialogue.id, member.id))
        if row is None:
            session.add(
                Feedback(
                    community_id=community.id,
                    dialogue_id=dialogue.id,
                    member_id=member.id,
                    rating=cmd.rating,
                    comment=comment,
                    created_at=now,
                )
            )
        else:
            row.rating, row.comment, row.created_at = cmd.rating, comment, now
        return FeedbackResult(dialogue.id, cmd.rating, comment)


async def record_stance_change(core: Core, cmd: RecordStanceChange) -> StanceChangeResult:
    """Store a member's new stance on a claim after a dialogue, and its stance before.

    Asked twice in one dialogue, the first `before` is kept. A claim the member had skipped
    gets a stance and no change row (there was nothing to move from).
    """
    if isinstance(cmd.after, bool) or not isinstance(cmd.after, int) or not -2 <= cmd.after <= 2:
        raise BadInput("A stance goes from -2 (strongly disagree) to 2 (strongly agree).")
    now = core.clock.now()
    async with core.db.transaction() as session:
        community, member = await lookup.get_own_member(session, cmd.actor)
        dialogue = await _own_dialogue(session, community, member, cmd.dialogue_id)
        if dialogue.opened_at is None:
            raise Conflict("This dialogue has not opened yet.")
        claim = await session.scalar(
            select(Claim).where(Claim.id == cmd.claim_id, Claim.community_id == community.id)
        )
        if claim is None:
            raise NotFound("That claim does not exist here.", field="claim")
        disagreed = {
            item.get("claim") for item in (dialogue.explanation or {}).get("disagreements") or []
        }
        if claim_key(claim.id) not in disagreed:
            raise BadInput("That claim is not one this dialogue disagreed on.", field="claim")
        stance = await session.get(Stance, (member.id, claim.id))
        change = await session.get(StanceChange, (dialogue.id, member.id, claim.id))
        before: int | None
        if change is not None:
            before = change.before
            change.after, change.created_at = cmd.after, now
        elif stance is not None:
            before = stance.value
            session.add(
                StanceChange(
                    community_id=community.id,
                    dialogue_id=dialogue.id,
                    member_id=member.id,
                    claim_id=claim.id,
                    before=stance.value,
                    after=cmd.after,
                    created_at=now,
                )
            )
        else:
            before = None
        if stance is None:
            session.add(
                Stance(
                    community_id=community.id,
                    member_id=member.id,
                    claim_id=claim.id,
                    value=cmd.after,
                )
            )
        else:
            stance.value = cmd.after
        return StanceChangeResult(dialogue.id, claim.id, before, cmd.after)
