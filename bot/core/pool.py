"""The matching pool of one community, read from the database into the engine's input document.

`load_pool` is the only bridge between our tables and `matching`: rounds, previews and manual
pairs all build their document here, and `PoolSnapshot` maps the engine's ids (platform user
ids, topic slugs, claim ids like "c12") back to members, topic names and claim texts.

Who is in the pool: members with a *complete* form whose status is `active` or `paused`
(paused ones are passed with `"paused": true`, so the engine reports them; a pause whose
`paused_until` has passed counts as active). Removed members and `participation="once"`
members who already had a round dialogue are left out.

History: every dialogue whose members are both in the pool, whatever its outcome (pairing a
member again with someone who ghosted them is no kinder than with someone they talked to):

* a round dialogue counts `next round number - its round number` rounds ago;
* a manual or mutual-want dialogue still pending or open counts 0 rounds ago (they are
  talking right now); a closed one counts as if it belonged to the latest round that existed
  when it was created (created before any round: round 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.forms import looking_for_of
from bot.storage.models import (
    Block,
    Claim,
    ClaimTopic,
    Community,
    Dialogue,
    DialogueMember,
    FormTopic,
    InterestForm,
    Member,
    Round,
    Stance,
    Topic,
    Want,
)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60


def claim_key(claim_id: int) -> str:
    """The engine's id of a claim."""
    return f"c{claim_id}"


def claim_id_of(key: str) -> int:
    return int(key.removeprefix("c"))


@dataclass(frozen=True, slots=True)
class PoolMember:
    """What the core needs about one member of the pool, beyond the engine's document."""

    member_id: int
    user_id: str
    display_name: str
    about: str
    paused: bool
    # In a dialogue that is not over yet (see `load_pool`): left out of this round.
    busy: bool
    timezone: str
    availability: tuple[dict[str, str], ...]
    topics: frozenset[str]  # slugs
    stances: dict[str, int]  # claim key -> -2..2
    looking_for: tuple[str, ...] = ("dialogue",)


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    """The engine's input document for one community plus the way back to our rows."""

    community_id: int
    document: dict[str, Any]
    members: dict[str, PoolMember]  # by platform user id
    topic_names: dict[str, str]  # slug -> name
    claim_texts: dict[str, str]  # claim key -> text
    latest_round_number: int

    @property
    def next_round_number(self) -> int:
        return self.latest_round_number + 1

    def name(self, user_id: str) -> str:
        member = self.members.get(user_id)
        return (member.display_name or user_id) if member else user_id

    def explanation(self, pair: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The engine's pair explanation (`Pair.to_dict()`), with topic names and claim texts
        added so it can be shown without the pool; stored as `Dialogue.explanation`."""
        members = list(pair["members"])
        people = [self.members[m] for m in members if m in self.members]
        out: dict[str, Any] = {
            "members": members,
            "score": pair.get("score"),
            "shared_topics": [
                {"slug": slug, "name": self.topic_names.get(slug, slug)}
                for slug in pair.get("shared_topics", ())
            ],
            "disagreements": [
                {
                    "claim": d["claim"],
                    "text": self.claim_texts.get(d["claim"], d["claim"]),
                    "stances": dict(d["stances"]),
                }
                for d in pair.get("disagreements", ())
            ],
            "format": pair.get("format"),
            "mutual_want": bool(pair.get("mutual_want", False)),
            "one_way_want": bool(pair.get("one_way_want", False)),
            "availability_overlap": availability_overlap(people, now),
            "score_terms": dict(pair.get("score_terms") or {}),
            "kind": pair.get("kind") or "dialogue",
        }
        if pair.get("roles"):
            out["roles"] = dict(pair["roles"])
        if pair.get("forbidden"):
            out["forbidden"] = pair["forbidden"]
        return out


def is_paused(member: Member, now: datetime) -> bool:
    """Paused right now: the pool and `/dialogue status` both ask this."""
    return paused_now(member.status, member.paused_until, now)


def paused_now(status: str, paused_until: datetime | None, now: datetime) -> bool:
    """`is_paused` from a member's `status` and `paused_until` columns as read."""
    if status != "paused":
        return False
    # A pause with an end date that has passed is over, even before `resume` is run.
    return paused_until is None or paused_until > now


async def load_pool(
    session: AsyncSession,
    community: Community,
    now: datetime,
    *,
    seed: int | None = None,
    include_busy: bool = False,
) -> PoolSnapshot:
    """Read the pool of `community` as the engine's input document.

    `seed` defaults to the number of the next round, so a preview shows exactly what a run
    right after it commits. `include_busy` keeps members who are in a dialogue in the engine's
    view: for explaining a pair that is being opened, which is what makes them busy.
    """
    cid = community.id
    topics = list(
        await session.scalars(
            select(Topic)
            .where(Topic.community_id == cid, Topic.status == "active")
            .order_by(Topic.id)
        )
    )
    slug_of = {t.id: t.slug for t in topics}
    claims = list(
        await session.scalars(
            select(Claim)
            .where(Claim.community_id == cid, Claim.status == "active")
            .order_by(Claim.id)
        )
    )
    claim_topic_rows = (
        await session.execute(
            select(ClaimTopic.claim_id, ClaimTopic.topic_id).where(ClaimTopic.community_id == cid)
        )
    ).all()
    claim_topics: dict[int, list[str]] = {}
    for claim_id, topic_id in claim_topic_rows:
        if topic_id in slug_of:  # a removed topic no longer exists for the engine
            claim_topics.setdefault(claim_id, []).append(slug_of[topic_id])

    latest = await session.scalar(select(func.max(Round.number)).where(Round.community_id == cid))
    latest_number = int(latest or 0)

    rows = (
        await session.execute(
            select(Member, InterestForm)
            .join(InterestForm, InterestForm.member_id == Member.id)
            .where(
                Member.community_id == cid,
                Member.status.in_(("active", "paused")),
                InterestForm.status == "complete",
            )
            .order_by(Member.id)
        )
    ).all()
    once_done = set(
        await session.scalars(
            select(DialogueMember.member_id)
            .join(Dialogue, Dialogue.id == DialogueMember.dialogue_id)
            .where(Dialogue.community_id == cid, Dialogue.kind == "round")
        )
    )
    rows = [(m, f) for m, f in rows if not (f.participation == "once" and m.id in once_done)]
    # One dialogue at a time: a member in a pending or open mutual-want or manual dialogue
    # sits this round out. Open dialogues from earlier rounds do not count: they end at
    # wrap-up, which the default schedule puts at the next round's time, and an
    # every-round member should not miss a round because a wrap-up ran an hour late.
    busy_ids: set[int] = set()
    if not include_busy:
        busy_ids = set(
            await session.scalars(
                select(DialogueMember.member_id)
                .join(Dialogue, Dialogue.id == DialogueMember.dialogue_id)
                .where(
                    Dialogue.community_id == cid,
                    Dialogue.state.in_(("pending", "open")),
                    Dialogue.round_id.is_(None),
                )
            )
        )
    # Everything the engine sees (topics, stances, ticks, history) is about these members.
    by_id = {m.id: m for m, _ in rows if m.id not in busy_ids}
    claim_ids = {c.id for c in claims}

    picked: dict[int, set[str]] = {}
    for member_id, topic_id in (
        await session.execute(
            select(FormTopic.member_id, FormTopic.topic_id).where(FormTopic.community_id == cid)
        )
    ).all():
        if member_id in by_id and topic_id in slug_of:
            picked.setdefault(member_id, set()).add(slug_of[topic_id])
    stances: dict[int, dict[str, int]] = {}
    for member_id, claim_id, value in (
        await session.execute(
            select(Stance.member_id, Stance.claim_id, Stance.value).where(
                Stance.community_id == cid
            )
        )
    ).all():
        if member_id in by_id and claim_id in claim_ids:
            stances.setdefault(member_id, {})[claim_key(claim_id)] = value

    def ticks(model: type[Want] | type[Block]) -> Any:
        return select(model.member_id, model.target_id).where(model.community_id == cid)

    wants: dict[int, set[str]] = {}
    for member_id, target_id in (await session.execute(ticks(Want))).all():
        if member_id in by_id and target_id in by_id:
            wants.setdefault(member_id, set()).add(by_id[target_id].external_id)
    blocks: dict[int, set[str]] = {}
    for member_id, target_id in (await session.execute(ticks(Block))).all():
        if member_id in by_id and target_id in by_id:
            blocks.setdefault(member_id, set()).add(by_id[target_id].external_id)

    history = await _history(session, cid, by_id, latest_number)

    participants: list[dict[str, Any]] = []
    members: dict[str, PoolMember] = {}
    for member, form in rows:
        paused = is_paused(member, now)
        busy = member.id in busy_ids
        entry: dict[str, Any] = {
            "id": member.external_id,
            "topics": sorted(picked.get(member.id, ())),
            "stances": dict(sorted(stances.get(member.id, {}).items())),
            "format": {"sync": form.format_sync, "async": form.format_async},
            "timezone": form.timezone,
            "disagreement": form.appetite,
            "looking_for": list(looking_for_of(form.looking_for)),
            "wants": sorted(wants.get(member.id, ())),
            "blocks": sorted(blocks.get(member.id, ())),
            "priority": member.priority,
        }
        if form.availability:  # empty: flexible, which the engine spells as "no field"
            entry["availability"] = list(form.availability)
        if paused:
            entry["paused"] = True
        if not busy:
            participants.append(entry)
        members[member.external_id] = PoolMember(
            member_id=member.id,
            user_id=member.external_id,
            display_name=member.display_name,
            about=form.about,
            paused=paused,
            busy=busy,
            timezone=form.timezone,
            availability=tuple(form.availability or ()),
            topics=frozenset(entry["topics"]),
            stances=entry["stances"],
            looking_for=tuple(entry["looking_for"]),
        )

    config: dict[str, Any] = {
        "cooldown": community.cooldown,
        "odd": community.odd_policy,
        "seed": latest_number + 1 if seed is None else seed,
        # Availability is converted with the UTC offsets in force this week.
        "reference_date": now.date().isoformat(),
    }
    if community.weights:
        config["weights"] = dict(community.weights)
    document = {
        "topics": [t.slug for t in topics],
        "claims": {
            claim_key(c.id): {"text": c.text, "topics": sorted(claim_topics.get(c.id, ()))}
            for c in claims
        },
        "participants": participants,
        "history": history,
        "config": config,
    }
    return PoolSnapshot(
        community_id=cid,
        document=document,
        members=members,
        topic_names={t.slug: t.name for t in topics},
        claim_texts={claim_key(c.id): c.text for c in claims},
        latest_round_number=latest_number,
    )


async def _history(
    session: AsyncSession, cid: int, by_id: dict[int, Member], latest_number: int
) -> list[dict[str, Any]]:
    rounds = (
        await session.execute(
            select(Round.id, Round.number, Round.created_at).where(Round.community_id == cid)
        )
    ).all()
    number_of = {rid: number for rid, number, _ in rounds}
    round_times = sorted((created, number) for _, number, created in rounds)

    def round_current_at(moment: datetime) -> int:
        current = 0
        for created, number in round_times:
            if created <= moment:
                current = max(current, number)
        return current

    dialogues = (
        await session.execute(
            select(Dialogue.id, Dialogue.round_id, Dialogue.state, Dialogue.created_at).where(
                Dialogue.community_id == cid
            )
        )
    ).all()
    seats: dict[int, list[str]] = {}
    for dialogue_id, member_id in (
        await session.execute(
            select(DialogueMember.dialogue_id, DialogueMember.member_id).where(
                DialogueMember.community_id == cid
            )
        )
    ).all():
        if member_id in by_id:
            seats.setdefault(dialogue_id, []).append(by_id[member_id].external_id)

    next_number = latest_number + 1
    closest: dict[tuple[str, str], int] = {}
    for dialogue_id, round_id, state, created_at in dialogues:
        if round_id is not None:
            ago = next_number - number_of[round_id]
        elif state in ("pending", "open"):
            ago = 0
        else:
            ago = next_number - round_current_at(created_at)
        for a, b in combinations(sorted(seats.get(dialogue_id, ())), 2):
            closest[(a, b)] = min(ago, closest.get((a, b), ago))
    return [{"members": [a, b], "rounds_ago": ago} for (a, b), ago in sorted(closest.items())]


def _utc_intervals(
    availability: Iterable[dict[str, str]], timezone: str, now: datetime
) -> list[tuple[int, int]]:
    """Weekly windows as [start, end) minutes of a UTC week (Monday 00:00 = 0)."""
    offset = now.astimezone(ZoneInfo(timezone)).utcoffset() or timedelta(0)
    shift = int(offset.total_seconds()) // 60
    out: list[tuple[int, int]] = []
    for window in availability:
        h1, m1 = (int(x) for x in window["start"].split(":"))
        h2, m2 = (int(x) for x in window["end"].split(":"))
        day = DAYS.index(window["day"]) * 1440
        start, end = day + h1 * 60 + m1 - shift, day + h2 * 60 + m2 - shift
        # Windows crossing the week's edge after the shift wrap around.
        start_mod = start % WEEK_MINUTES
        end_mod = start_mod + (end - start)
        if end_mod <= WEEK_MINUTES:
            out.append((start_mod, end_mod))
        else:
            out.append((start_mod, WEEK_MINUTES))
            out.append((0, end_mod - WEEK_MINUTES))
    return out


def availability_overlap(people: Iterable[PoolMember], now: datetime) -> list[dict[str, str]]:
    """The weekly windows (UTC) when everyone is available; members without windows are
    flexible and do not narrow it. Empty list: no overlap, or nobody gave windows."""
    common: list[tuple[int, int]] | None = None
    for person in people:
        if not person.availability:
            continue
        mine = _utc_intervals(person.availability, person.timezone, now)
        if common is None:
            common = mine
            continue
        common = [
            (max(a, c), min(b, d)) for a, b in common for c, d in mine if max(a, c) < min(b, d)
        ]
    if not common:
        return []
    merged: list[list[int]] = []
    for start, end in sorted(common):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    windows = []
    for start, end in merged:
        # Split at midnight so each window is one day of the week.
        while start < end:
            day_end = (start // 1440 + 1) * 1440
            stop = min(end, day_end)
            windows.append(
                {
                    "day": DAYS[start // 1440],
                    "start": f"{start % 1440 // 60:02d}:{start % 60:02d}",
                    "end": "24:00"
                    if stop == day_end
                    else f"{stop % 1440 // 60:02d}:{stop % 60:02d}",
                }
            )
            start = stop
    return windows
