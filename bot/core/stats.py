"""`/dialogue-admin pool`: the numbers a moderator needs to run the community.

Pool size and forms, format split, topic and claim coverage, how divisive each claim really is
among the pairs the rounds made, rounds history, how dialogues ended, and which claims
dialogues moved people on. Counts only: no member is named.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations

from sqlalchemy import func, select

from bot.storage.models import (
    CONVERSATION_KINDS,
    FORMAT_RATINGS,
    LOOKING_FOR,
    Claim,
    Dialogue,
    DialogueMember,
    FormTopic,
    InterestForm,
    Job,
    Member,
    Round,
    RoundUnmatched,
    Stance,
    StanceChange,
    Topic,
)

from . import lookup
from .actor import Actor
from .app import Core
from .forms import looking_for_of

# Two stances this far apart count as a disagreement (e.g. agree vs disagree, 1 vs -1).
DISAGREEMENT_GAP = 2


@dataclass(frozen=True, slots=True)
class TopicCoverage:
    slug: str
    name: str
    members: int  # complete forms (removed members left out) that picked it


@dataclass(frozen=True, slots=True)
class ClaimStats:
    claim_id: int
    text: str
    answers: int  # members (not removed) with a stance on it
    pairs_answered: int  # round pairs (committed rounds) where both members answered it
    pairs_disagreeing: int  # …and their stances are at least DISAGREEMENT_GAP apart
    divisiveness: float | None  # pairs_disagreeing / pairs_answered; None: no such pair


@dataclass(frozen=True, slots=True)
class RoundSummary:
    number: int
    created_at: datetime
    status: str
    pairs: int  # dialogues (a trio counts once)
    unmatched: int


@dataclass(frozen=True, slots=True)
class Outcomes:
    pending: int
    open: int
    talked: int
    did_not: int
    ghosted: int
    ended: int  # ended early by a moderator, a block or a leave
    completion_rate: float | None  # talked / (talked + did_not + ghosted)


@dataclass(frozen=True, slots=True)
class StanceMoves:
    claim_id: int
    text: str
    asked: int  # stance changes recorded (member and dialogue)
    moved: int  # …where the stance changed
    toward_agree: int
    toward_disagree: int


@dataclass(frozen=True, slots=True)
class ParkedJob:
    """A scheduled job the bot gave up on (moderators were told once)."""

    job_id: int
    kind: str
    run_at: datetime
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class PoolStats:
    members: dict[str, int]  # by status: active, paused, removed
    forms: dict[str, int]  # complete, draft, none (members without a form)
    formats: dict[str, dict[str, int]]  # {"sync": {"great": n, "okay": n, "no": n}, "async": …}
    topics: tuple[TopicCoverage, ...]
    claims: tuple[ClaimStats, ...]
    rounds: tuple[RoundSummary, ...]  # newest first
    outcomes: Outcomes
    stance_moves: tuple[StanceMoves, ...]
    members_moved: int  # distinct members who moved on at least one claim
    # Complete forms (removed members left out) listing each LOOKING_FOR value; a form may
    # list several, so these can add up to more than the forms.
    looking_for: dict[str, int] = field(default_factory=dict)
    pairs_by_kind: dict[str, int] = field(default_factory=dict)  # every dialogue, by its kind
    parked_jobs: tuple[ParkedJob, ...] = ()  # newest first


@dataclass(frozen=True, slots=True)
class ShowPoolStats:
    actor: Actor


async def pool_stats(core: Core, cmd: ShowPoolStats) -> PoolStats:
    cmd.actor.require_moderator()
    async with core.db.read() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        cid = community.id

        members = dict.fromkeys(("active", "paused", "removed"), 0)
        for status, n in (
            await session.execute(
                select(Member.status, func.count())
                .where(Member.community_id == cid)
                .group_by(Member.status)
            )
        ).all():
            members[status] = n
        total = sum(members.values())

        form_rows = (
            await session.execute(
                select(
                    InterestForm.status,
                    InterestForm.format_sync,
                    InterestForm.format_async,
                    InterestForm.looking_for,
                )
                .join(Member, Member.id == InterestForm.member_id)
                .where(InterestForm.community_id == cid)
                .where(Member.status != "removed")
            )
        ).all()
        all_forms = dict(
            (
                await session.execute(
                    select(InterestForm.status, func.count())
                    .where(InterestForm.community_id == cid)
                    .group_by(InterestForm.status)
                )
            ).all()
        )
        forms = {"complete": all_forms.get("complete", 0), "draft": all_forms.get("draft", 0)}
        forms["none"] = total - forms["complete"] - forms["draft"]
        formats = {kind: dict.fromkeys(FORMAT_RATINGS, 0) for kind in ("sync", "async")}
        looking_for = dict.fromkeys(LOOKING_FOR, 0)
        for status, sync, async_, looking in form_rows:
            if status == "complete":
                formats["sync"][sync] += 1
                formats["async"][async_] += 1
                for value in looking_for_of(looking):
                    looking_for[value] += 1
        pairs_by_kind = dict.fromkeys(CONVERSATION_KINDS, 0)
        for kind, n in (
            await session.execute(
                select(Dialogue.conversation_kind, func.count())
                .where(Dialogue.community_id == cid)
                .group_by(Dialogue.conversation_kind)
            )
        ).all():
            pairs_by_kind[kind] = n

        in_pool = (
            select(Member.id)
            .join(InterestForm, InterestForm.member_id == Member.id)
            .where(
                Member.community_id == cid,
                Member.status != "removed",
                InterestForm.status == "complete",
            )
        )
        picked = Counter(
            (
                await session.scalars(
                    select(FormTopic.topic_id).where(
                        FormTopic.community_id == cid, FormTopic.member_id.in_(in_pool)
                    )
                )
            ).all()
        )
        topics = tuple(
            TopicCoverage(t.slug, t.name, picked.get(t.id, 0))
            for t in await session.scalars(
                select(Topic)
                .where(Topic.community_id == cid, Topic.status == "active")
                .order_by(Topic.id)
            )
        )

        claims = list(
            await session.scalars(
                select(Claim)
                .where(Claim.community_id == cid, Claim.status == "active")
                .order_by(Claim.id)
            )
        )
        stances: dict[int, dict[int, int]] = {}  # member -> claim -> value
        answers: Counter[int] = Counter()
        removed = set(
            await session.scalars(
                select(Member.id).where(Member.community_id == cid, Member.status == "removed")
            )
        )
        for member_id, claim_id, value in (
            await session.execute(
                select(Stance.member_id, Stance.claim_id, Stance.value).where(
                    Stance.community_id == cid
                )
            )
        ).all():
            stances.setdefault(member_id, {})[claim_id] = value
            if member_id not in removed:
                answers[claim_id] += 1

        seats: dict[int, list[int]] = {}
        for dialogue_id, member_id in (
            await session.execute(
                select(DialogueMember.dialogue_id, DialogueMember.member_id)
                .join(Dialogue, Dialogue.id == DialogueMember.dialogue_id)
                .join(Round, Round.id == Dialogue.round_id)
                .where(Dialogue.community_id == cid, Round.status == "committed")
            )
        ).all():
            seats.setdefault(dialogue_id, []).append(member_id)
        both: Counter[int] = Counter()
        apart: Counter[int] = Counter()
        for seated in seats.values():
            for a, b in combinations(sorted(seated), 2):
                mine, theirs = stances.get(a, {}), stances.get(b, {})
                for claim_id in mine.keys() & theirs.keys():
                    both[claim_id] += 1
                    if abs(mine[claim_id] - theirs[claim_id]) >= DISAGREEMENT_GAP:
                        apart[claim_id] += 1
        claim_stats = tuple(
            ClaimStats(
                claim_id=c.id,
                text=c.text,
                answers=answers.get(c.id, 0),
                pairs_answered=both.get(c.id, 0),
                pairs_disagreeing=apart.get(c.id, 0),
                divisiveness=round(apart[c.id] / both[c.id], 3) if both.get(c.id) else None,
            )
            for c in claims
        )

        pairs_per_round = dict(
            (
                await session.execute(
                    select(Dialogue.round_id, func.count())
                    .where(Dialogue.community_id == cid, Dialogue.round_id.is_not(None))
                    .group_by(Dialogue.round_id)
                )
            ).all()
        )
        unmatched_per_round = dict(
            (
                await session.execute(
                    select(RoundUnmatched.round_id, func.count())
                    .where(RoundUnmatched.community_id == cid)
                    .group_by(RoundUnmatched.round_id)
                )
            ).all()
        )
        rounds = tuple(
            RoundSummary(
                r.number,
                r.created_at,
                r.status,
                pairs_per_round.get(r.id, 0),
                unmatched_per_round.get(r.id, 0),
            )
            for r in await session.scalars(
                select(Round).where(Round.community_id == cid).order_by(Round.number.desc())
            )
        )

        by_state: Counter[str] = Counter()
        for state, outcome, n in (
            await session.execute(
                select(Dialogue.state, Dialogue.outcome, func.count())
                .where(Dialogue.community_id == cid)
                .group_by(Dialogue.state, Dialogue.outcome)
            )
        ).all():
            by_state[outcome if state == "closed" else state] += n
        decided = by_state["talked"] + by_state["did_not"] + by_state["ghosted"]
        outcomes = Outcomes(
            pending=by_state["pending"],
            open=by_state["open"],
            talked=by_state["talked"],
            did_not=by_state["did_not"],
            ghosted=by_state["ghosted"],
            ended=by_state["ended"],
            completion_rate=round(by_state["talked"] / decided, 3) if decided else None,
        )

        changes = (
            await session.execute(
                select(
                    StanceChange.member_id,
                    StanceChange.claim_id,
                    StanceChange.before,
                    StanceChange.after,
                ).where(StanceChange.community_id == cid)
            )
        ).all()
        texts = {
            c.id: c.text
            for c in await session.scalars(select(Claim).where(Claim.community_id == cid))
        }
        moves: dict[int, list[int]] = {}  # claim -> [asked, moved, toward agree, toward disagree]
        movers = set()
        for member_id, claim_id, before, after in changes:
            tally = moves.setdefault(claim_id, [0, 0, 0, 0])
            tally[0] += 1
            if after != before:
                tally[1] += 1
                tally[2 if after > before else 3] += 1
                movers.add(member_id)
        stance_moves = tuple(
            StanceMoves(claim_id, texts.get(claim_id, ""), *tally)
            for claim_id, tally in sorted(moves.items())
        )

        parked = tuple(
            ParkedJob(j.id, j.kind, j.run_at, j.attempts, j.last_error or "")
            for j in await session.scalars(
                select(Job)
                .where(Job.community_id == cid, Job.state == "failed")
                .order_by(Job.id.desc())
                .limit(20)
            )
        )
        return PoolStats(
            parked_jobs=parked,
            members=members,
            forms=forms,
            formats=formats,
            topics=topics,
            claims=claim_stats,
            rounds=rounds,
            outcomes=outcomes,
            stance_moves=stance_moves,
            members_moved=len(movers),
            looking_for=looking_for,
            pairs_by_kind=pairs_by_kind,
        )
