"""Matching rounds: preview what the engine would do, and run a round for real.

A run happens in three steps so a crash anywhere can be resumed by running again with the
same idempotency key:

1. one transaction builds the pool, solves it and writes the round (`opening`), its pending
   dialogues, who was left out and why, and the members' new priorities;
2. outside any transaction, every still-pending dialogue of the round is opened on the
   platform (a member who left or closed DMs leaves that dialogue pending, not the round stuck);
3. the round is marked `committed`; the call that does so tells the unmatched members why.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import matching
from bot.platforms.base import Message, PlatformError
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
    Community,
    Dialogue,
    DialogueMember,
    Member,
    Round,
    RoundUnmatched,
)

from . import lookup
from .actor import Actor, CommunityRef
from .app import Core
from .dialogues import try_open_dialogue
from .errors import Conflict
from .intro import explain_unmatched, stance_words
from .pool import PoolSnapshot, claim_id_of, load_pool

log = logging.getLogger(__name__)

SYSTEM_USER_ID = "system"


def scheduler_actor(community: CommunityRef) -> Actor:
    """The actor the round scheduler runs as: trusted, like a moderator."""
    return Actor(community, SYSTEM_USER_ID, "scheduler", is_moderator=True)


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class StanceView:
    user_id: str
    name: str
    value: int
    words: str  # "strongly agree"…


@dataclass(frozen=True, slots=True)
class DisagreementView:
    claim_id: int
    text: str
    stances: tuple[StanceView, ...]


@dataclass(frozen=True, slots=True)
class PairView:
    members: tuple[MemberView, ...]
    score: float | None
    shared_topics: tuple[str, ...]  # topic names, most valuable first
    disagreements: tuple[DisagreementView, ...]  # largest gap first
    format: str | None  # sync | async
    mutual_want: bool
    dialogue_id: int | None = None  # None in a preview
    state: str | None = None  # pending | open | closed; None in a preview
    kind: str = "dialogue"  # dialogue | interview
    roles: dict[str, str] = field(default_factory=dict)  # interview: user id -> role

    def role_of(self, user_id: str) -> str | None:
        return self.roles.get(user_id)


@dataclass(frozen=True, slots=True)
class UnmatchedView:
    user_id: str
    name: str
    reason: str  # one of matching.REASONS
    explanation: str  # what the member is told


@dataclass(frozen=True, slots=True)
class PreviewResult:
    round_number: int  # the number a run now would get
    pool_size: int
    pairs: tuple[PairView, ...]
    unmatched: tuple[UnmatchedView, ...]
    total_score: float
    solver: str


@dataclass(frozen=True, slots=True)
class OpenFailure:
    dialogue_id: int
    error: str


@dataclass(frozen=True, slots=True)
class RoundResult:
    round_id: int
    number: int
    status: str  # opening | committed
    idempotency_key: str
    created_now: bool  # False when the key named an existing round
    pool_size: int
    total_score: float
    pairs: tuple[PairView, ...]
    unmatched: tuple[UnmatchedView, ...]
    failed: tuple[OpenFailure, ...]  # dialogues this call could not open (still pending)


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewRound:
    actor: Actor


@dataclass(frozen=True, slots=True)
class RunRound:
    actor: Actor  # a moderator, or `scheduler_actor(...)`
    # The scheduled slot or request this run answers; None: a fresh key (a new round).
    idempotency_key: str | None = None


# --- services --------------------------------------------------------------------------------


async def preview(core: Core, cmd: PreviewRound) -> PreviewResult:
    """What a round run now would produce; nothing is stored."""
    cmd.actor.require_moderator()
    now = core.clock.now()
    async with core.db.read() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        snapshot = await load_pool(session, community, now)
    # Solving can take a while on a big pool: no transaction held meanwhile.
    result = solve_pool(snapshot)
    return PreviewResult(
        round_number=snapshot.next_round_number,
        pool_size=len(snapshot.members),
        pairs=tuple(
            _pair_view(snapshot.explanation(pair, now), snapshot.name) for pair in result["pairs"]
        ),
        unmatched=tuple(
            _unmatched_view(u["id"], snapshot.name(u["id"]), u["reason"])
            for u in result["unmatched"]
        ),
        total_score=result["total_score"],
        solver=result["solver"],
    )


BUSY = "already in a dialogue"


def solve_pool(snapshot: PoolSnapshot) -> dict[str, Any]:
    """The engine's output document for the pool, plus the members sitting out as busy."""
    # InvalidInput here is a bug in load_pool, not a person's mistake: let it raise.
    out = matching.solve(matching.Pool.from_dict(snapshot.document), solver="auto").to_dict()
    out["unmatched"] += [
        {"id": member.user_id, "reason": BUSY}
        for member in snapshot.members.values()
        if member.busy
    ]
    return out


async def run(core: Core, cmd: RunRound) -> RoundResult:
    """Commit a round and open its dialogues. Idempotent per `idempotency_key`."""
    cmd.actor.require_moderator()
    key = cmd.idempotency_key or f"run:{uuid.uuid4().hex}"
    try:
        round_id, created = await _create_round(core, cmd.actor, key)
    except IntegrityError:
        # A concurrent run inserted this key, or the next round number, first.
        async with core.db.transaction() as session:
            community = await lookup.get_community(session, cmd.actor.community)
            found = await session.scalar(
                select(Round.id).where(
                    Round.community_id == community.id, Round.idempotency_key == key
                )
            )
        if found is None:
            raise Conflict("Another round is being made right now; try again shortly.") from None
        round_id, created = found, False
    return await _finish(core, round_id, created)


async def resume_opening_rounds(core: Core) -> list[RoundResult]:
    """Finish every round a crash left `opening` (all communities): for start-up."""
    async with core.db.transaction() as session:
        ids = list(
            await session.scalars(
                select(Round.id).where(Round.status == "opening").order_by(Round.id)
            )
        )
    return [await _finish(core, round_id, False) for round_id in ids]


async def _create_round(core: Core, actor: Actor, key: str) -> tuple[int, bool]:
    now = core.clock.now()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, actor.community)
        existing = await session.scalar(
            select(Round.id).where(Round.community_id == community.id, Round.idempotency_key == key)
        )
        if existing is not None:
            return existing, False
        opening = await session.scalar(
            select(Round.number).where(
                Round.community_id == community.id, Round.status == "opening"
            )
        )
        if opening is not None:
            raise Conflict(
                f"Round {opening} is still opening its dialogues; wait for it to finish "
                "before running another."
            )
        snapshot = await load_pool(session, community, now)
        out = solve_pool(snapshot)
        round_ = Round(
            community_id=community.id,
            number=snapshot.next_round_number,
            idempotency_key=key,
            status="opening",
            seed=snapshot.document["config"]["seed"],
            solver=out["solver"],
            total_score=out["total_score"],
            pool_size=len(snapshot.members),
            created_at=now,
        )
        session.add(round_)
        await session.flush()
        await _store_outcome(session, community, round_, snapshot, out, actor, now)
        return round_.id, True


async def _store_outcome(
    session: AsyncSession,
    community: Community,
    round_: Round,
    snapshot: PoolSnapshot,
    out: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> None:
    matched: list[int] = []
    for pair in out["pairs"]:
        seats = [snapshot.members[uid].member_id for uid in pair["members"]]
        matched += seats
        roles = pair.get("roles") or {}
        dialogue = Dialogue(
            community_id=community.id,
            round_id=round_.id,
            kind="round",
            conversation_kind=pair.get("kind") or "dialogue",
            state="pending",
            size=len(seats),
            score=pair["score"],
            explanation=snapshot.explanation(pair, now),
            forced=False,
            created_by=actor.user_id,
            created_at=now,
        )
        dialogue.members = [
            DialogueMember(
                community_id=community.id,
                member_id=member_id,
                position=n,
                role=roles.get(uid),
            )
            for n, (uid, member_id) in enumerate(zip(pair["members"], seats, strict=True))
        ]
        session.add(dialogue)
    waiting: list[int] = []
    for left in out["unmatched"]:
        member = snapshot.members[left["id"]]
        session.add(
            RoundUnmatched(
                community_id=community.id,
                round_id=round_.id,
                member_id=member.member_id,
                reason=left["reason"],
            )
        )
        if not (member.paused or member.busy):
            waiting.append(member.member_id)
    if matched:
        await session.execute(update(Member).where(Member.id.in_(matched)).values(priority=0))
    if waiting:
        await session.execute(
            update(Member).where(Member.id.in_(waiting)).values(priority=Member.priority + 1)
        )
    await session.flush()


async def _finish(core: Core, round_id: int, created: bool) -> RoundResult:
    async with core.db.transaction() as session:
        pending = list(
            await session.scalars(
                select(Dialogue.id)
                .where(Dialogue.round_id == round_id, Dialogue.state == "pending")
                .order_by(Dialogue.id)
            )
        )
    failed = []
    for dialogue_id in pending:
        opened = await try_open_dialogue(core, dialogue_id)
        if opened.error is not None:
            failed.append(OpenFailure(dialogue_id, opened.error))

    now = core.clock.now()
    async with core.db.transaction() as session:
        flipped = await session.execute(
            update(Round)
            .where(Round.id == round_id, Round.status == "opening")
            .values(status="committed", committed_at=now)
        )
        if cast(CursorResult[Any], flipped).rowcount == 1:
            # Only the call that committed the round tells people, and through jobs written in
            # the same transaction: a crash right after the commit loses no DM, a re-run
            # repeats none.
            await _queue_unmatched_notices(session, round_id, now)
            committed_now = True
        else:
            committed_now = False
    if committed_now:
        await _tell_unmatched_now(core, round_id)
    return await _round_result(core, round_id, created, tuple(failed))


async def _unmatched_of(session: AsyncSession, round_id: int) -> list[tuple[str, str]]:
    """(user id, reason) of everyone the round left out."""
    rows = await session.execute(
        select(Member.external_id, RoundUnmatched.reason)
        .join(RoundUnmatched, RoundUnmatched.member_id == Member.id)
        .where(RoundUnmatched.round_id == round_id)
        .order_by(Member.id)
    )
    return [(uid, reason) for uid, reason in rows.all()]


async def _queue_unmatched_notices(session: AsyncSession, round_id: int, now: datetime) -> None:
    round_ = await session.get_one(Round, round_id)
    for user_id, reason in await _unmatched_of(session, round_id):
        if reason in (matching.PAUSED, BUSY):  # asked for quiet / already talking
            continue
        await add_job(
            session,
            kind="unmatched_dm",
            run_at=inline_due(now),
            dedupe_key=f"unmatched:{round_id}:{user_id}",
            community_id=round_.community_id,
            payload={"user_id": user_id, "reason": reason, "round_id": round_id},
            now=now,
        )


INLINE_OWNER = "round run"


async def _tell_unmatched_now(core: Core, round_id: int) -> None:
    """Run the round's unmatched-DM jobs at once, in this call (the moderator who ran the
    round hears of an undeliverable DM with the answer, as the adapters report it)."""
    jobs = await claim_inline(core.db, f"unmatched:{round_id}:", INLINE_OWNER, core.clock.now())
    for job_id, community_id, payload in jobs:
        assert community_id is not None  # unmatched DMs are planned per community
        try:
            told = await notify_unmatched(
                core, community_id, payload["user_id"], payload["reason"], job_key(job_id)
            )
            note = None if told else CANCELLED + "the member left or was removed"
        except PlatformError as error:
            # Closed DMs and the like: the adapter tells the moderators; nothing to retry.
            log.info("cannot tell %s why they were not matched: %s", payload["user_id"], error)
            note = f"not delivered: {error}"
        await finish_inline(core.db, job_id, INLINE_OWNER, done_values(core.clock.now(), note))


async def notify_unmatched(
    core: Core, community_id: int, user_id: str, reason: str, key: str
) -> bool:
    """Handler of an `unmatched_dm` job: tell the member why; False when they have left."""
    async with core.db.transaction() as session:
        community = await session.get_one(Community, community_id)
        member = await lookup.find_member(session, community, user_id)
    if member is None or member.status == "removed":
        return False
    await core.platform(community.platform).send_direct(
        community.external_id, user_id, Message(explain_unmatched(reason)), idempotency_key=key
    )
    return True


async def _round_result(
    core: Core, round_id: int, created: bool, failed: tuple[OpenFailure, ...]
) -> RoundResult:
    async with core.db.transaction() as session:
        round_ = await session.get_one(Round, round_id)
        dialogues = list(
            await session.scalars(
                select(Dialogue).where(Dialogue.round_id == round_id).order_by(Dialogue.id)
            )
        )
        unmatched = await _unmatched_of(session, round_id)
        # Names of this round's people only, not of the whole community.
        seated = (
            select(DialogueMember.member_id)
            .join(Dialogue, Dialogue.id == DialogueMember.dialogue_id)
            .where(Dialogue.round_id == round_id)
        )
        left_out = select(RoundUnmatched.member_id).where(RoundUnmatched.round_id == round_id)
        names = dict(
            (
                await session.execute(
                    select(Member.external_id, Member.display_name).where(
                        Member.community_id == round_.community_id,
                        or_(Member.id.in_(seated), Member.id.in_(left_out)),
                    )
                )
            ).all()
        )

        def name(uid: str) -> str:
            return names.get(uid) or uid

        return RoundResult(
            round_id=round_.id,
            number=round_.number,
            status=round_.status,
            idempotency_key=round_.idempotency_key,
            created_now=created,
            pool_size=round_.pool_size,
            total_score=round_.total_score,
            pairs=tuple(
                _pair_view(d.explanation or {}, name, dialogue_id=d.id, state=d.state)
                for d in dialogues
            ),
            unmatched=tuple(_unmatched_view(uid, name(uid), reason) for uid, reason in unmatched),
            failed=failed,
        )


def _pair_view(
    explanation: dict[str, Any],
    name: Callable[[str], str],
    *,
    dialogue_id: int | None = None,
    state: str | None = None,
) -> PairView:
    return PairView(
        members=tuple(MemberView(uid, name(uid)) for uid in explanation.get("members", ())),
        score=explanation.get("score"),
        shared_topics=tuple(t["name"] for t in explanation.get("shared_topics", ())),
        disagreements=tuple(
            DisagreementView(
                claim_id=claim_id_of(d["claim"]),
                text=d.get("text", d["claim"]),
                stances=tuple(
                    StanceView(uid, name(uid), value, stance_words(value))
                    for uid, value in d["stances"].items()
                ),
            )
            for d in explanation.get("disagreements", ())
        ),
        format=explanation.get("format"),
        mutual_want=bool(explanation.get("mutual_want")),
        dialogue_id=dialogue_id,
        state=state,
        kind=explanation.get("kind") or "dialogue",
        roles=dict(explanation.get("roles") or {}),
    )


def _unmatched_view(user_id: str, name: str, reason: str) -> UnmatchedView:
    return UnmatchedView(user_id, name, reason, explain_unmatched(reason))
