"""Curating what a community talks about: topics (and members' suggestions) and claims.

Moderators add, remove and review; everyone can list. Nothing is deleted: a removed topic or
claim keeps its rows so past forms, dialogues and statistics still make sense.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Integer, bindparam, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    MAX_TOPICS_PER_FORM,
    Claim,
    ClaimTopic,
    Community,
    FormTopic,
    InterestForm,
    Member,
    Topic,
)
from bot.storage.prepared import Prepared, Statements

from . import lookup
from .actor import Actor, CommunityRef
from .app import Core
from .errors import BadInput, Conflict, NotFound

TOPIC_NAME_MAX_CHARS = 100
CLAIM_MAX_CHARS = 300
MAX_TOPICS_PER_CLAIM = 5


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommunityView:
    id: int
    platform: str
    external_id: str
    name: str


@dataclass(frozen=True, slots=True)
class TopicView:
    id: int
    slug: str
    name: str
    status: str  # active | suggested | rejected | removed
    suggested_by: str | None = None  # platform user id; shown to moderators only


@dataclass(frozen=True, slots=True)
class ClaimView:
    id: int
    text: str
    topics: tuple[str, ...]  # topic slugs
    status: str = "active"


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddTopic:
    actor: Actor
    name: str


@dataclass(frozen=True, slots=True)
class RemoveTopic:
    actor: Actor
    topic: str  # slug or name


@dataclass(frozen=True, slots=True)
class ListTopics:
    actor: Actor


@dataclass(frozen=True, slots=True)
class ApproveTopic:
    actor: Actor
    topic: str  # slug or name of a suggested topic


@dataclass(frozen=True, slots=True)
class RejectTopic:
    actor: Actor
    topic: str


@dataclass(frozen=True, slots=True)
class AddClaim:
    actor: Actor
    text: str
    topics: tuple[str, ...]  # slugs or names of active topics


@dataclass(frozen=True, slots=True)
class RemoveClaim:
    actor: Actor
    claim_id: int


@dataclass(frozen=True, slots=True)
class ListClaims:
    actor: Actor


# --- helpers shared with forms ---------------------------------------------------------------


def slugify(name: str) -> str:
    """'AI timelines' -> 'ai-timelines'. Letters of any script survive; accents are folded."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "-", folded.lower()).strip("-")[:64]


def clean_topic_name(name: str, *, field: str = "name") -> tuple[str, str]:
    """The trimmed name and its slug, or BadInput naming the problem."""
    name = " ".join(name.split())
    if not name:
        raise BadInput("Give the topic a name.", field=field)
    if len(name) > TOPIC_NAME_MAX_CHARS:
        raise BadInput(
            f"Topic names can be at most {TOPIC_NAME_MAX_CHARS} characters "
            f"(this one has {len(name)}).",
            field=field,
        )
    slug = slugify(name)
    if not slug:
        raise BadInput("A topic name needs at least one letter or digit.", field=field)
    return name, slug


async def find_topic(session: AsyncSession, community_id: int, slug_or_name: str) -> Topic | None:
    return await session.scalar(
        select(Topic).where(Topic.community_id == community_id, Topic.slug == slugify(slug_or_name))
    )


async def active_topics_by_slug(
    session: AsyncSession, community_id: int, wanted: tuple[str, ...] | list[str], *, field: str
) -> list[Topic]:
    """Resolve slugs/names to this community's active topics, or NotFound naming the unknown."""
    slugs = list(dict.fromkeys(slugify(s) for s in wanted))
    found = {
        t.slug: t
        for t in await session.scalars(
            select(Topic).where(
                Topic.community_id == community_id,
                Topic.slug.in_(slugs),
                Topic.status == "active",
            )
        )
    }
    missing = [s for s in slugs if s not in found]
    if missing:
        raise NotFound(
            f"No active topic called {', '.join(repr(m) for m in missing)} here; "
            "see the topic list.",
            field=field,
        )
    return [found[s] for s in slugs]


def _topic_view(topic: Topic, suggested_by: str | None = None) -> TopicView:
    return TopicView(topic.id, topic.slug, topic.name, topic.status, suggested_by)


async def _claim_views(session: AsyncSession, claims: list[Claim]) -> list[ClaimView]:
    ids = [c.id for c in claims]
    slugs: dict[int, list[str]] = {i: [] for i in ids}
    rows = await session.execute(
        select(ClaimTopic.claim_id, Topic.slug)
        .join(
            Topic,
            (Topic.id == ClaimTopic.topic_id) & (Topic.community_id == ClaimTopic.community_id),
        )
        .where(ClaimTopic.claim_id.in_(ids))
        .order_by(ClaimTopic.claim_id, Topic.slug)
    )
    for claim_id, slug in rows:
        slugs[claim_id].append(slug)
    return [ClaimView(c.id, c.text, tuple(slugs[c.id]), c.status) for c in claims]


# --- services --------------------------------------------------------------------------------


async def setup_community(core: Core, ref: CommunityRef, name: str) -> CommunityView:
    """Create the community on first contact (the bot joined a guild/workspace); idempotent."""
    async with core.db.transaction() as session:
        community = await lookup.ensure_community(session, ref, name, core.clock.now())
        return CommunityView(
            community.id, community.platform, community.external_id, community.name
        )


async def add_topic(core: Core, cmd: AddTopic) -> TopicView:
    cmd.actor.require_moderator()
    name, slug = clean_topic_name(cmd.name)
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        topic = await find_topic(session, community.id, slug)
        if topic is not None and topic.status == "active":
            raise Conflict(f"There is already a topic {topic.name!r} ({topic.slug}).", field="name")
        if topic is None:
            topic = Topic(
                community_id=community.id,
                slug=slug,
                name=name,
                status="active",
                created_at=core.clock.now(),
            )
            session.add(topic)
        else:
            # A suggested, rejected or removed topic with this slug comes back as active: its
            # old form and claim links stay meaningful, and the unique slug stays unique.
            topic.name = name
            topic.status = "active"
        await session.flush()
        return _topic_view(topic)


async def remove_topic(core: Core, cmd: RemoveTopic) -> TopicView:
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        topic = await find_topic(session, community.id, cmd.topic)
        if topic is None or topic.status != "active":
            raise NotFound(f"No active topic called {cmd.topic!r} here.", field="topic")
        topic.status = "removed"
        return _topic_view(topic)


async def list_topics(core: Core, cmd: ListTopics) -> list[TopicView]:
    """Active topics; moderators also see suggestions waiting for review (and who made them)."""
    async with core.db.read() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        if not cmd.actor.is_moderator:
            return await active_topic_views(session, community.id)
        rows = await session.execute(
            select(Topic, Member.external_id)
            .outerjoin(Member, Member.id == Topic.suggested_by_id)
            .where(Topic.community_id == community.id, Topic.status.in_(["active", "suggested"]))
            .order_by(Topic.status, Topic.name)
        )
        return [_topic_view(topic, by) for topic, by in rows]


# What the signup form offers is read for every member who opens it (a crowd pressing the
# button reads it hundreds of times a second), so the statements are built once and read
# plain rows (the tables, not the ORM entities): the form's views are built from those.
_TOPICS, _CLAIMS, _CLAIM_TOPICS = Topic.__table__.c, Claim.__table__.c, ClaimTopic.__table__.c
_ACTIVE_TOPICS = (
    select(_TOPICS.id, _TOPICS.slug, _TOPICS.name)
    .where(_TOPICS.community_id == bindparam("community_id"), _TOPICS.status == "active")
    .order_by(_TOPICS.name)
)
# Each active claim with its topics' slugs, one row per topic (a claim without one: NULL).
_ACTIVE_CLAIMS = (
    select(_CLAIMS.id, _CLAIMS.text, _TOPICS.slug)
    .outerjoin(ClaimTopic.__table__, _CLAIM_TOPICS.claim_id == _CLAIMS.id)
    .outerjoin(
        Topic.__table__,
        (_TOPICS.id == _CLAIM_TOPICS.topic_id)
        & (_TOPICS.community_id == _CLAIM_TOPICS.community_id),
    )
    .where(_CLAIMS.community_id == bindparam("community_id"), _CLAIMS.status == "active")
    .order_by(_CLAIMS.id, _TOPICS.slug)
)


# Both at once, for the interest form (one statement, one round trip): the topics by name,
# then the claims by id with their topics' slugs. The kinds are written into the SQL, not
# bound: PostgreSQL cannot type a bound parameter in a UNION's select list.
_FORM_CHOICES = union_all(
    select(
        literal_column("0", Integer).label("kind"),
        _TOPICS.id,
        _TOPICS.name.label("text"),
        _TOPICS.slug,
        _TOPICS.name.label("sort_name"),
    ).where(_TOPICS.community_id == bindparam("community_id"), _TOPICS.status == "active"),
    select(literal_column("1", Integer), _CLAIMS.id, _CLAIMS.text, _TOPICS.slug, null())
    .select_from(Claim.__table__)
    .outerjoin(ClaimTopic.__table__, _CLAIM_TOPICS.claim_id == _CLAIMS.id)
    .outerjoin(
        Topic.__table__,
        (_TOPICS.id == _CLAIM_TOPICS.topic_id)
        & (_TOPICS.community_id == _CLAIM_TOPICS.community_id),
    )
    .where(_CLAIMS.community_id == bindparam("community_id"), _CLAIMS.status == "active"),
).order_by("kind", "sort_name", "id", "slug")


@dataclass(frozen=True, slots=True)
class FormChoices:
    """What the interest form offers: the active topics (by name) and claims (by id)."""

    topics: tuple[TopicView, ...]
    claims: tuple[ClaimView, ...]

    def topic_ids(self) -> dict[str, int]:
        return {t.slug: t.id for t in self.topics}

    def claim_ids(self) -> set[int]:
        return {c.id for c in self.claims}


_FORM_CHOICES_PREPARED = Prepared(_FORM_CHOICES)


async def form_choices(statements: Statements, community_id: int) -> FormChoices:
    """`active_topic_views` and `active_claim_views` in one statement."""
    topics: list[TopicView] = []
    claims: dict[int, tuple[str, list[str]]] = {}
    found = await statements.run(_FORM_CHOICES_PREPARED, {"community_id": community_id})
    for kind, id_, text, slug, _ in found.rows:
        if kind == 0:
            topics.append(TopicView(id_, slug, text, "active"))
        else:
            _, slugs = claims.setdefault(id_, (text, []))
            if slug is not None:
                slugs.append(slug)
    return FormChoices(
        tuple(topics),
        tuple(ClaimView(id_, text, tuple(slugs)) for id_, (text, slugs) in claims.items()),
    )


async def cached_form_choices(
    core: Core, statements: Statements, community: Community
) -> FormChoices:
    """`form_choices`, kept by this process for each community while the community's
    `choices_version`, read with it in this transaction, is the one they were read at.
    Database triggers bump it on every change to the community's topics, claims and claim
    topics, whichever process or statement makes it (migration 0006), so a kept copy is
    never used after a change. Every `/dialogue signup` reads them, and they change only
    when a moderator (or a member's suggestion) changes a topic or claim."""
    # created_at too: SQLite may give a new community the id of a deleted one.
    key = (community.id, community.created_at)
    kept = core.choices_cache.get(key)
    if kept is not None and kept[0] == community.choices_version:
        return cast(FormChoices, kept[1])
    choices = await form_choices(statements, community.id)
    core.choices_cache[key] = (community.choices_version, choices)
    return choices


async def active_topic_views(session: AsyncSession, community_id: int) -> list[TopicView]:
    """The topics a member may choose, by name: what the signup form offers."""
    rows = await session.execute(_ACTIVE_TOPICS, {"community_id": community_id})
    return [TopicView(id_, slug, name, "active") for id_, slug, name in rows]


async def _suggested(session: AsyncSession, actor: Actor, ref: str) -> Topic:
    community = await lookup.get_community(session, actor.community)
    topic = await find_topic(session, community.id, ref)
    if topic is None or topic.status != "suggested":
        raise NotFound(f"No suggested topic called {ref!r} is waiting for review.", field="topic")
    return topic


async def approve_topic(core: Core, cmd: ApproveTopic) -> TopicView:
    """Make a suggestion active, and add it to the suggester's form if it has room."""
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        topic = await _suggested(session, cmd.actor, cmd.topic)
        topic.status = "active"
        if topic.suggested_by_id is not None:
            form = await session.get(InterestForm, topic.suggested_by_id)
            if form is not None:
                chosen = list(
                    await session.scalars(
                        select(FormTopic.topic_id).where(FormTopic.member_id == form.member_id)
                    )
                )
                if topic.id not in chosen and len(chosen) < MAX_TOPICS_PER_FORM:
                    session.add(
                        FormTopic(
                            community_id=topic.community_id,
                            member_id=form.member_id,
                            topic_id=topic.id,
                        )
                    )
        await session.flush()
        return _topic_view(topic)


async def reject_topic(core: Core, cmd: RejectTopic) -> TopicView:
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        topic = await _suggested(session, cmd.actor, cmd.topic)
        topic.status = "rejected"
        return _topic_view(topic)


async def add_claim(core: Core, cmd: AddClaim) -> ClaimView:
    cmd.actor.require_moderator()
    text = " ".join(cmd.text.split())
    if not text:
        raise BadInput("Write the claim's statement.", field="text")
    if len(text) > CLAIM_MAX_CHARS:
        raise BadInput(
            f"Claims can be at most {CLAIM_MAX_CHARS} characters (this one has {len(text)}).",
            field="text",
        )
    if not cmd.topics:
        raise BadInput("A claim needs at least one topic.", field="topics")
    if len(set(cmd.topics)) > MAX_TOPICS_PER_CLAIM:
        raise BadInput(
            f"A claim can belong to at most {MAX_TOPICS_PER_CLAIM} topics.", field="topics"
        )
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        topics = await active_topics_by_slug(session, community.id, cmd.topics, field="topics")
        claim = Claim(
            community_id=community.id, text=text, status="active", created_at=core.clock.now()
        )
        session.add(claim)
        await session.flush()
        session.add_all(
            ClaimTopic(community_id=community.id, claim_id=claim.id, topic_id=t.id) for t in topics
        )
        await session.flush()
        return ClaimView(claim.id, claim.text, tuple(sorted(t.slug for t in topics)))


async def remove_claim(core: Core, cmd: RemoveClaim) -> ClaimView:
    cmd.actor.require_moderator()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        claim = await session.scalar(
            select(Claim).where(
                Claim.community_id == community.id,
                Claim.id == cmd.claim_id,
                Claim.status == "active",
            )
        )
        if claim is None:
            raise NotFound(f"No active claim #{cmd.claim_id} here.", field="claim_id")
        # Stances stay: past dialogues' explanations and stance changes refer to them.
        claim.status = "removed"
        return (await _claim_views(session, [claim]))[0]


async def list_claims(core: Core, cmd: ListClaims) -> list[ClaimView]:
    async with core.db.read() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        return await active_claim_views(session, community.id)


async def active_claim_views(session: AsyncSession, community_id: int) -> list[ClaimView]:
    """The claims members rate, in the order they were added."""
    claims: dict[int, tuple[str, list[str]]] = {}
    for id_, text, slug in await session.execute(_ACTIVE_CLAIMS, {"community_id": community_id}):
        _, slugs = claims.setdefault(id_, (text, []))
        if slug is not None:
            slugs.append(slug)
    return [ClaimView(id_, text, tuple(slugs)) for id_, (text, slugs) in claims.items()]
