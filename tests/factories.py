"""Test data built through the real core services, so every row is one the product could make.

seeded = await seed_community(
    core, topics=["AI timelines"], claims=[("Theory wins", ["ai-timelines"])]
)
alice = await signed_up(core, "alice", topics=["ai-timelines"], stances={seeded.claims[0]: 2})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.core import curation, forms
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.core.forms import Window
from bot.storage.models import Base

DEFAULT_TOPICS = ("AI timelines", "Interpretability", "Forecasting")


def actor(
    community: str = "guild1",
    user: str = "u1",
    moderator: bool = False,
    platform: str = "local",
    name: str = "",
) -> Actor:
    """An actor in `community` on `platform`; `name` defaults to the user id."""
    return Actor(CommunityRef(platform, community), user, name or user, moderator)


def moderator(community: str = "guild1", user: str = "mod", platform: str = "local") -> Actor:
    return actor(community, user, moderator=True, platform=platform)


@dataclass(frozen=True)
class Seeded:
    community_id: int
    topics: dict[str, int]  # slug -> topic id
    claims: list[int]  # claim ids, in the order given


async def seed_community(
    core: Core,
    topics: Iterable[str] = DEFAULT_TOPICS,
    claims: Iterable[tuple[str, Sequence[str]]] = (),
    community: str = "guild1",
    platform: str = "local",
    name: str = "Test community",
) -> Seeded:
    """A community with active topics (by name) and claims (text, [topic slugs or names])."""
    view = await curation.setup_community(core, CommunityRef(platform, community), name)
    mod = moderator(community, platform=platform)
    topic_ids: dict[str, int] = {}
    for topic_name in topics:
        topic = await curation.add_topic(core, curation.AddTopic(mod, topic_name))
        topic_ids[topic.slug] = topic.id
    claim_ids = []
    for text, claim_topics in claims:
        claim = await curation.add_claim(core, curation.AddClaim(mod, text, tuple(claim_topics)))
        claim_ids.append(claim.id)
    return Seeded(view.id, topic_ids, claim_ids)


def windows(*spec: tuple[str, str, str] | Window) -> tuple[Window, ...]:
    """windows(("mon", "18:00", "21:00"), ...) -> availability for a form."""
    return tuple(w if isinstance(w, Window) else Window(*w) for w in spec)


async def signed_up(
    core: Core,
    user: str,
    topics: Sequence[str] = ("ai-timelines",),
    stances: Mapping[int, int | None] | None = None,
    sync: str = "great",
    async_: str = "okay",
    timezone: str = "UTC",
    availability: Sequence[tuple[str, str, str] | Window] = (),
    appetite: str = "seek",
    about: str = "",
    community: str = "guild1",
    platform: str = "local",
    publish_ok: bool = False,
    participation: str = "every",
    name: str = "",
    looking_for: Sequence[str] | None = None,
) -> forms.FormView:
    """A member with a complete interest form (the community must exist: seed_community)."""
    who = actor(community, user, platform=platform, name=name)
    await forms.start_or_resume(core, forms.StartOrResume(who))
    await forms.save_answers(
        core,
        forms.SaveAnswers(
            who,
            topics=tuple(topics),
            stances=dict(stances or {}),
            format_sync=sync,
            format_async=async_,
            timezone=timezone,
            availability=windows(*availability),
            appetite=appetite,
            about=about,
            publish_ok=publish_ok,
            participation=participation,
            looking_for=None if looking_for is None else tuple(looking_for),
        ),
    )
    return await forms.submit(core, forms.SubmitForm(who))


async def row_counts(core: Core) -> dict[str, int]:
    """Rows in every table: for asserting that a refused command changed nothing."""
    counts = {}
    async with core.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts
