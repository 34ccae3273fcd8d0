"""`/dialogue browse`: the people in the pool a member could talk with, suggested partners first.

The LessWrong dialogue-matching table, in chat. Who is listed: members of the actor's
community who are in the pool (`load_pool`: a complete form, not removed; members who are
paused or in a dialogue are included, since a tick outlasts both), minus the actor, anyone
hidden by their form's "show me in browse", and anyone blocked in either direction (so a
block is never revealed: a blocker looks exactly like someone hidden or not signed up).

Order: "suggested for you" first, the `SUGGESTIONS` partners the engine scores highest for
the actor (`Pool.score_row_millis`, one row of the `score_block` a round maximises), then
everyone else by name. The scoring pool is the round's pool with two changes:

* ticks are left out. A tick towards the actor would add the one-way bonus and lift its
  sender into the suggestions, telling the actor who wants them; and the actor's own ticks
  would reorder the list while they tick their way through it, so paging on after a tick
  could skip people. The actor's own tick is shown on its entry instead.
* nobody is paused: a tick outlasts a pause, so a paused member still gets suggestions and
  a paused partner is still scored on their merits.

Everything else (rarity of topics, disagreement, format, availability, history, blocks) is
exactly what a round would value. Only the page shown is explained, so a page of a
10,000-member pool costs one row of scores, not 10,000 explanations.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np
from sqlalchemy import or_, select

import matching
from bot.storage.models import Block, InterestForm, Topic, Want
from matching.result import to_points

from . import lookup
from .actor import Actor
from .app import Core
from .curation import active_topics_by_slug
from .errors import BadInput, NotFound
from .pool import PoolMember, PoolSnapshot, claim_id_of, load_pool

PAGE_SIZE = 5  # five people with their text fit one chat message and its buttons
SUGGESTIONS = 3
MAX_DISAGREEMENTS = 2

# Kinds of conversation, from the actor's side (MATCHING.md `looking_for`).
KIND_DIALOGUE = "dialogue"
KIND_YOU_INTERVIEW = "you_interview_them"
KIND_THEY_INTERVIEW = "they_interview_you"


# Persistent component ids (they work after a restart): a toggle per person, and paging.
WANT_PREFIX = "browse:want:"
UNWANT_PREFIX = "browse:unwant:"
PAGE_PREFIX = "browse:page:"


def want_custom_id(user_id: str) -> str:
    return f"{WANT_PREFIX}{user_id}"


def unwant_custom_id(user_id: str) -> str:
    return f"{UNWANT_PREFIX}{user_id}"


def page_custom_id(page: int, topic_id: int | None = None) -> str:
    """`browse:page:2`, or `browse:page:2:17` for topic #17: the topic's id, not its slug (up
    to 64 characters), keeps the id within Discord's 100 with the adapter's own prefix."""
    return f"{PAGE_PREFIX}{page}" + ("" if topic_id is None else f":{topic_id}")


def _user_after(prefix: str, custom_id: str) -> str | None:
    user_id = custom_id.removeprefix(prefix)
    return user_id if user_id != custom_id and user_id else None


def want_target(custom_id: str) -> str | None:
    """The member a "I'd dialogue with them" button ticks, or None when it is not one."""
    return _user_after(WANT_PREFIX, custom_id)


def unwant_target(custom_id: str) -> str | None:
    return _user_after(UNWANT_PREFIX, custom_id)


def page_of(custom_id: str) -> tuple[int, str | None] | None:
    """(page, topic id or None) of a paging button, or None when it is not one."""
    rest = custom_id.removeprefix(PAGE_PREFIX)
    if rest == custom_id:
        return None
    number, colon, topic = rest.partition(":")
    if not number.isdigit() or int(number) < 1 or (colon and not topic.isdigit()):
        return None
    return int(number), int(topic) if colon else None


@dataclass(frozen=True, slots=True)
class Browse:
    actor: Actor
    _: KW_ONLY  # the filters by name: a topic slug and a topic id are easy to swap
    topic: str | None = None  # slug or name of an active topic
    topic_id: int | None = None  # or its id (paging buttons carry it)
    page: int = 1


@dataclass(frozen=True, slots=True)
class ClaimGap:
    """A claim both answered, with both stances (-2..2)."""

    claim_id: int
    text: str
    mine: int
    theirs: int

    @property
    def gap(self) -> int:
        return abs(self.mine - self.theirs)


@dataclass(frozen=True, slots=True)
class BrowseEntry:
    user_id: str
    display_name: str
    about: str  # their "what I'd like to talk about"; private notes are never read here
    shared_topics: tuple[str, ...]  # topic names both picked
    disagreements: tuple[ClaimGap, ...]  # where they stand furthest apart, largest gap first
    claims_in_common: int  # claims both answered
    kinds: tuple[str, ...]  # KIND_* both accept; empty when none
    wanted: bool  # the actor has ticked them
    suggested: bool
    # The engine's score for the pair (what a round would value); None when a round could not
    # pair them (no shared format, met recently).
    score: float | None


@dataclass(frozen=True, slots=True)
class BrowsePage:
    entries: tuple[BrowseEntry, ...]
    page: int  # 1-based, clamped to the last page
    pages: int  # at least 1
    total: int  # people listed over all pages
    topic: str | None  # the filter's slug
    topic_name: str | None
    topic_id: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# --- the engine's view -------------------------------------------------------------------------


def scoring_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The round's input document as browse scores it (see the module doc): no ticks, nobody
    paused. A member's row depends only on ticks between them and each other member, so
    dropping every tick scores each actor exactly as dropping only theirs would, and one
    document serves every member of the community."""
    participants = []
    for entry in document["participants"]:
        if entry.get("paused") or entry.get("wants"):
            entry = {k: v for k, v in entry.items() if k != "paused"}
            entry["wants"] = []
        participants.append(entry)
    return {**document, "participants": participants}


class _CollectionPaused:
    """Python's cyclic garbage collector held off while browse reads and builds a pool.

    Reading a 10,000-member pool makes a few hundred thousand small objects (rows, the
    engine's document) that all stay alive until the call ends; meanwhile the collector
    scans the whole heap again and again, for nothing: two thirds of `load_pool`'s CPU
    (bench/bench_browse.py). Reference counting still frees everything as usual; only cycles
    wait, and the collector is back when the last browse in flight is done (a depth count, so
    overlapping calls do not turn it on under each other). Left alone if someone else turned
    it off.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.restore = False

    def __enter__(self) -> None:
        if self.depth == 0:
            self.restore = gc.isenabled()
            gc.disable()
        self.depth += 1

    def __exit__(self, *exc: object) -> None:
        self.depth -= 1
        if self.depth == 0 and self.restore:
            gc.enable()


_collection_paused = _CollectionPaused()


class _BuiltPools:
    """The last built `matching.Pool` of a few communities, reused while the scoring document
    is equal to the one it was built from: building is ~40 % of a browse call on a large pool
    and the document rarely changes between two page presses. Reuse is decided by comparing
    the documents themselves (read fresh every call), so it can never serve stale scores."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[int, tuple[dict[str, Any], matching.Pool]] = OrderedDict()

    def get(self, community_id: int, document: dict[str, Any]) -> matching.Pool:
        cached = self.entries.get(community_id)
        if cached is not None and cached[0] == document:
            self.entries.move_to_end(community_id)
            return cached[1]
        pool = matching.Pool.from_dict(document)
        self.entries[community_id] = (document, pool)
        self.entries.move_to_end(community_id)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return pool


_pools = _BuiltPools(size=4)


def kinds_both_accept(mine: list[str], theirs: list[str]) -> tuple[str, ...]:
    """The kinds of conversation two members' `looking_for` lists both accept (MATCHING.md):
    a dialogue when both list it; an interview when one wants to be interviewed and the
    other to interview. Named from the side of the first."""
    kinds = []
    if KIND_DIALOGUE in mine and KIND_DIALOGUE in theirs:
        kinds.append(KIND_DIALOGUE)
    if "interview_them" in mine and "interview_me" in theirs:
        kinds.append(KIND_YOU_INTERVIEW)
    if "interview_me" in mine and "interview_them" in theirs:
        kinds.append(KIND_THEY_INTERVIEW)
    return tuple(kinds)


def _disagreements(
    snapshot: PoolSnapshot, me: PoolMember, them: PoolMember
) -> tuple[tuple[ClaimGap, ...], int]:
    common = sorted(set(me.stances) & set(them.stances), key=claim_id_of)
    gaps = [
        ClaimGap(claim_id_of(c), snapshot.claim_texts.get(c, c), me.stances[c], them.stances[c])
        for c in common
    ]
    apart = sorted((g for g in gaps if g.gap > 0), key=lambda g: (-g.gap, g.claim_id))
    return tuple(apart[:MAX_DISAGREEMENTS]), len(common)


def _sort_name(member: PoolMember) -> tuple[str, str]:
    return ((member.display_name or member.user_id).casefold(), member.user_id)


# --- the service -------------------------------------------------------------------------------


async def browse(core: Core, cmd: Browse) -> BrowsePage:
    if isinstance(cmd.page, bool) or not isinstance(cmd.page, int) or cmd.page < 1:
        raise BadInput("The page number starts at 1.", field="page")
    with _collection_paused:
        return await _browse(core, cmd)


async def _browse(core: Core, cmd: Browse) -> BrowsePage:
    now = core.clock.now()
    # Browse only reads: a read transaction runs beside the writer (SQLite) instead of taking
    # a write turn for the seconds a large pool takes to read.
    async with core.db.read() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        me = await lookup.get_pool_member(
            session, community, cmd.actor, before="browsing the pool", off="browsing is off"
        )
        topic = None
        if cmd.topic_id is not None:
            topic = await session.get(Topic, cmd.topic_id)
            if topic is None or topic.community_id != community.id or topic.status != "active":
                raise BadInput("That topic is no longer offered here.", field="topic")
        elif cmd.topic is not None:
            try:
                (topic,) = await active_topics_by_slug(
                    session, community.id, [cmd.topic], field="topic"
                )
            except NotFound as error:
                raise BadInput(error.message, field="topic") from None
        snapshot = await load_pool(session, community, now, include_busy=True)
        hidden = set(
            await session.scalars(
                select(InterestForm.member_id).where(
                    InterestForm.community_id == community.id,
                    InterestForm.show_in_browse.is_(False),
                )
            )
        )
        blocked = set()
        for member_id, target_id in (
            await session.execute(
                select(Block.member_id, Block.target_id).where(
                    Block.community_id == community.id,
                    or_(Block.member_id == me.id, Block.target_id == me.id),
                )
            )
        ).all():
            blocked.add(target_id if member_id == me.id else member_id)
        ticked = set(await session.scalars(select(Want.target_id).where(Want.member_id == me.id)))

    listed = [
        m
        for m in snapshot.members.values()
        if m.member_id != me.id
        and m.member_id not in hidden
        and m.member_id not in blocked
        and (topic is None or topic.slug in m.topics)
    ]
    millis: dict[str, int] = {}
    document = scoring_document(snapshot.document)
    mine = snapshot.members.get(cmd.actor.user_id)
    if mine is not None:
        pool = _pools.get(community.id, document)
        row, allowed = pool.score_row_millis(cmd.actor.user_id)
        ids = pool.ids
        millis = {ids[k]: int(row[k]) for k in np.flatnonzero(allowed).tolist()}

    by_score = sorted(
        (m for m in listed if m.user_id in millis),
        key=lambda m: (-millis[m.user_id], *_sort_name(m)),
    )
    suggested = by_score[:SUGGESTIONS]
    chosen = {m.user_id for m in suggested}
    ordered = suggested + sorted((m for m in listed if m.user_id not in chosen), key=_sort_name)

    total = len(ordered)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(cmd.page, pages)
    shown = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    wanted_ids = {cmd.actor.user_id, *(m.user_id for m in shown)}
    looking_for = {
        p["id"]: list(p.get("looking_for", [KIND_DIALOGUE]))
        for p in document["participants"]
        if p["id"] in wanted_ids
    }
    entries = []
    for them in shown:
        # `mine` is None only for a one-round member whose round is done: listed, unscored.
        gaps, in_common = _disagreements(snapshot, mine, them) if mine else ((), 0)
        shared = them.topics & mine.topics if mine else frozenset()
        score = millis.get(them.user_id)
        entries.append(
            BrowseEntry(
                user_id=them.user_id,
                display_name=them.display_name or them.user_id,
                about=them.about,
                shared_topics=tuple(
                    sorted((snapshot.topic_names.get(t, t) for t in shared), key=str.casefold)
                ),
                disagreements=gaps,
                claims_in_common=in_common,
                # Kinds from `looking_for` in the engine's document (load_pool passes each
                # form's answer; a form from before the question reads as a dialogue).
                kinds=kinds_both_accept(
                    looking_for.get(cmd.actor.user_id, [KIND_DIALOGUE]),
                    looking_for.get(them.user_id, [KIND_DIALOGUE]),
                ),
                wanted=them.member_id in ticked,
                suggested=them.user_id in chosen,
                score=None if score is None else to_points(score),
            )
        )
    return BrowsePage(
        entries=tuple(entries),
        page=page,
        pages=pages,
        total=total,
        topic=None if topic is None else topic.slug,
        topic_name=None if topic is None else topic.name,
        topic_id=None if topic is None else topic.id,
    )
