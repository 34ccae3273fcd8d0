"""`/dialogue-admin export`: the pool and the rounds as CSV text, for moderators only.

Pool CSV, one row per member:
    user_id, display_name, status, paused_until (ISO UTC or empty), form_status (complete,
    draft or empty), format_sync, format_async, timezone, availability ("mon 18:00-21:00; …"),
    looking_for (dialogue, interview_me, interview_them; "; "), appetite, participation,
    publish_ok, show_in_browse, topics (slugs, "; "-separated), stances
    ("c12=2; c13=-1", claim ids as the engine names them), priority, dialogues (how many),
    about, private_notes (notes are written for moderators).

Rounds CSV, one row per dialogue and one per member a round left out, oldest first:
    round (number, empty for manual and mutual-want dialogues), round_date (ISO UTC),
    row (dialogue | unmatched), dialogue_id, kind (round, manual, mutual_want), state,
    outcome, members (user ids, "; "), names ("; "), score, shared_topics (names, "; "),
    format, conversation_kind (dialogue | interview), roles ("U1 interviewer; U2
    interviewee"), forced, reason (why left out), opened_at, closed_at.

Wants and blocks are private to each member and never exported. Every text cell starting with
= + - @ (or a tab / carriage return) is prefixed with a quote so a spreadsheet shows it as text
instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import (
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

from . import lookup
from .actor import Actor
from .app import Core
from .forms import looking_for_of
from .pool import claim_key

POOL_COLUMNS = (
    "user_id",
    "display_name",
    "status",
    "paused_until",
    "form_status",
    "format_sync",
    "format_async",
    "timezone",
    "availability",
    "looking_for",
    "appetite",
    "participation",
    "publish_ok",
    "show_in_browse",
    "topics",
    "stances",
    "priority",
    "dialogues",
    "about",
    "private_notes",
)
ROUNDS_COLUMNS = (
    "round",
    "round_date",
    "row",
    "dialogue_id",
    "kind",
    "state",
    "outcome",
    "members",
    "names",
    "score",
    "shared_topics",
    "format",
    "conversation_kind",
    "roles",
    "forced",
    "reason",
    "opened_at",
    "closed_at",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ExportCsv:
    actor: Actor


@dataclass(frozen=True, slots=True)
class CsvExport:
    pool_csv: str
    rounds_csv: str


def safe_cell(value: Any) -> str | int | float:
    """A CSV cell a spreadsheet will not evaluate; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _joined(items: Iterable[str]) -> str:
    return "; ".join(items)


async def export_csv(core: Core, cmd: ExportCsv) -> CsvExport:
    cmd.actor.require_moderator()
    async with core.db.read() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        cid = community.id
        slugs = dict(
            (
                await session.execute(select(Topic.id, Topic.slug).where(Topic.community_id == cid))
            ).all()
        )
        topics: dict[int, list[str]] = {}
        for member_id, topic_id in (
            await session.execute(
                select(FormTopic.member_id, FormTopic.topic_id)
                .where(FormTopic.community_id == cid)
                .order_by(FormTopic.topic_id)
            )
        ).all():
            topics.setdefault(member_id, []).append(slugs[topic_id])
        stances: dict[int, list[str]] = {}
        for member_id, claim_id, value in (
            await session.execute(
                select(Stance.member_id, Stance.claim_id, Stance.value)
                .where(Stance.community_id == cid)
                .order_by(Stance.claim_id)
            )
        ).all():
            stances.setdefault(member_id, []).append(f"{claim_key(claim_id)}={value}")
        dialogue_counts = dict(
            (
                await session.execute(
                    select(DialogueMember.member_id, func.count())
                    .where(DialogueMember.community_id == cid)
                    .group_by(DialogueMember.member_id)
                )
            ).all()
        )
        pool_rows = []
        people: dict[int, tuple[str, str]] = {}  # member id -> (user id, name), for rounds
        for member, form in (
            await session.execute(
                select(Member, InterestForm)
                .outerjoin(InterestForm, InterestForm.member_id == Member.id)
                .where(Member.community_id == cid)
                .order_by(Member.id)
            )
        ).all():
            people[member.id] = (member.external_id, member.display_name)
            pool_rows.append(
                [
                    member.external_id,
                    member.display_name,
                    member.status,
                    member.paused_until,
                    form.status if form else None,
                    form.format_sync if form else None,
                    form.format_async if form else None,
                    form.timezone if form else None,
                    _joined(f"{w['day']} {w['start']}-{w['end']}" for w in form.availability)
                    if form
                    else None,
                    _joined(looking_for_of(form.looking_for)) if form else None,
                    form.appetite if form else None,
                    form.participation if form else None,
                    form.publish_ok if form else None,
                    form.show_in_browse if form else None,
                    _joined(topics.get(member.id, ())),
                    _joined(stances.get(member.id, ())),
                    member.priority,
                    dialogue_counts.get(member.id, 0),
                    form.about if form else None,
                    form.private_notes if form else None,
                ]
            )

        rounds = {
            r.id: r for r in await session.scalars(select(Round).where(Round.community_id == cid))
        }
        seats: dict[int, list[int]] = {}
        roles: dict[int, dict[int, str]] = {}  # dialogue -> member -> interview role
        for dialogue_id, member_id, role in (
            await session.execute(
                select(DialogueMember.dialogue_id, DialogueMember.member_id, DialogueMember.role)
                .where(DialogueMember.community_id == cid)
                .order_by(DialogueMember.dialogue_id, DialogueMember.position)
            )
        ).all():
            seats.setdefault(dialogue_id, []).append(member_id)
            if role:
                roles.setdefault(dialogue_id, {})[member_id] = role

        entries: list[tuple[tuple[Any, ...], list[Any]]] = []
        for d in await session.scalars(select(Dialogue).where(Dialogue.community_id == cid)):
            round_ = rounds.get(d.round_id) if d.round_id is not None else None
            seated = [people[m] for m in seats.get(d.id, ()) if m in people]
            shared = (d.explanation or {}).get("shared_topics") or []
            entries.append(
                (
                    # Same moment: a round's rows come before a manual pair made with it.
                    (
                        round_.created_at if round_ else d.created_at,
                        round_.number if round_ else 1 << 30,
                        0,
                        d.id,
                    ),
                    [
                        round_.number if round_ else None,
                        round_.created_at if round_ else d.created_at,
                        "dialogue",
                        d.id,
                        d.kind,
                        d.state,
                        d.outcome,
                        _joined(uid for uid, _ in seated),
                        _joined(name or uid for uid, name in seated),
                        d.score,
                        _joined(t.get("name", t.get("slug", "")) for t in shared),
                        (d.explanation or {}).get("format"),
                        d.conversation_kind,
                        _joined(
                            f"{people[m][0]} {role}"
                            for m, role in roles.get(d.id, {}).items()
                            if m in people
                        ),
                        d.forced,
                        None,
                        d.opened_at,
                        d.closed_at,
                    ],
                )
            )
        for round_id, member_id, reason in (
            await session.execute(
                select(
                    RoundUnmatched.round_id, RoundUnmatched.member_id, RoundUnmatched.reason
                ).where(RoundUnmatched.community_id == cid)
            )
        ).all():
            round_ = rounds[round_id]
            uid, name = people.get(member_id, ("", ""))
            entries.append(
                (
                    (round_.created_at, round_.number, 1, member_id),
                    [
                        round_.number,
                        round_.created_at,
                        "unmatched",
                        None,
                        None,
                        None,
                        None,
                        uid,
                        name or uid,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        reason,
                        None,
                        None,
                    ],
                )
            )
        entries.sort(key=lambda entry: entry[0])
    return CsvExport(
        pool_csv=_csv(POOL_COLUMNS, pool_rows),
        rounds_csv=_csv(ROUNDS_COLUMNS, [row for _, row in entries]),
    )
