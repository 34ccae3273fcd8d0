"""Topics and claims: moderators curate, everyone lists, nothing crosses communities."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import curation, forms
from bot.core.actor import CommunityRef
from bot.core.app import Core
from bot.core.errors import BadInput, Conflict, Forbidden, NotFound
from bot.storage.models import Claim, Topic
from tests.factories import actor, moderator, row_counts, seed_community

MOD = moderator()


async def test_setup_community_is_idempotent(core: Core) -> None:
    first = await curation.setup_community(core, CommunityRef("local", "guild1"), "One")
    again = await curation.setup_community(core, CommunityRef("local", "guild1"), "One")
    assert first == again
    assert first.name == "One"


async def test_topic_name_becomes_slug_and_is_listed(core: Core) -> None:
    await seed_community(core, topics=[])
    topic = await curation.add_topic(core, curation.AddTopic(MOD, "  AI   Timelines "))
    assert (topic.slug, topic.name, topic.status) == ("ai-timelines", "AI Timelines", "active")
    listed = await curation.list_topics(core, curation.ListTopics(actor()))
    assert [t.slug for t in listed] == ["ai-timelines"]


async def test_duplicate_topic_is_a_conflict(core: Core) -> None:
    await seed_community(core, topics=["AI timelines"])
    with pytest.raises(Conflict) as error:
        await curation.add_topic(core, curation.AddTopic(MOD, "ai TIMELINES!"))
    assert error.value.field == "name"


async def test_only_moderators_curate(core: Core) -> None:
    seeded = await seed_community(core, claims=[("Theory wins", ["ai-timelines"])])
    member = actor(user="someone")
    before = await row_counts(core)
    for call in (
        curation.add_topic(core, curation.AddTopic(member, "New")),
        curation.remove_topic(core, curation.RemoveTopic(member, "ai-timelines")),
        curation.approve_topic(core, curation.ApproveTopic(member, "x")),
        curation.reject_topic(core, curation.RejectTopic(member, "x")),
        curation.add_claim(core, curation.AddClaim(member, "x", ("ai-timelines",))),
        curation.remove_claim(core, curation.RemoveClaim(member, seeded.claims[0])),
    ):
        with pytest.raises(Forbidden):
            await call
    assert await row_counts(core) == before


async def test_removed_topic_keeps_its_row_and_leaves_the_list(core: Core) -> None:
    await seed_community(core, topics=["AI timelines", "Forecasting"])
    removed = await curation.remove_topic(core, curation.RemoveTopic(MOD, "AI timelines"))
    assert removed.status == "removed"
    listed = await curation.list_topics(core, curation.ListTopics(MOD))
    assert [t.slug for t in listed] == ["forecasting"]
    async with core.db.transaction() as session:
        assert await session.scalar(select(Topic.status).where(Topic.slug == "ai-timelines")) == (
            "removed"
        )
    # Adding it again brings the same row back.
    again = await curation.add_topic(core, curation.AddTopic(MOD, "AI timelines"))
    assert again.id == removed.id and again.status == "active"


async def test_removing_unknown_topic_is_not_found(core: Core) -> None:
    await seed_community(core)
    with pytest.raises(NotFound):
        await curation.remove_topic(core, curation.RemoveTopic(MOD, "no-such-topic"))


async def test_moderators_see_suggestions_and_approve_or_reject(core: Core) -> None:
    await seed_community(core, topics=["AI timelines"])
    alice = actor(user="alice")
    await forms.save_answers(
        core, forms.SaveAnswers(alice, suggested_topics=("Mentorship", "Infohazards"))
    )
    as_member = await curation.list_topics(core, curation.ListTopics(alice))
    assert [t.slug for t in as_member] == ["ai-timelines"]
    as_mod = await curation.list_topics(core, curation.ListTopics(MOD))
    suggested = {t.slug: t for t in as_mod if t.status == "suggested"}
    assert set(suggested) == {"mentorship", "infohazards"}
    assert suggested["mentorship"].suggested_by == "alice"

    approved = await curation.approve_topic(core, curation.ApproveTopic(MOD, "mentorship"))
    rejected = await curation.reject_topic(core, curation.RejectTopic(MOD, "Infohazards"))
    assert (approved.status, rejected.status) == ("active", "rejected")
    listed = await curation.list_topics(core, curation.ListTopics(alice))
    assert [t.slug for t in listed] == ["ai-timelines", "mentorship"]
    # The suggester gets the approved topic on their form.
    assert "mentorship" in (await forms.profile(core, forms.ShowProfile(alice))).topics


async def test_approving_an_active_topic_is_not_found(core: Core) -> None:
    await seed_community(core, topics=["AI timelines"])
    with pytest.raises(NotFound):
        await curation.approve_topic(core, curation.ApproveTopic(MOD, "ai-timelines"))


async def test_claim_with_topics_is_listed(core: Core) -> None:
    await seed_community(core, topics=["AI timelines", "Forecasting"])
    claim = await curation.add_claim(
        core,
        curation.AddClaim(MOD, "Theory beats empirical work", ("forecasting", "AI timelines")),
    )
    assert claim.topics == ("ai-timelines", "forecasting")
    listed = await curation.list_claims(core, curation.ListClaims(actor()))
    assert listed == [claim]


@pytest.mark.parametrize(
    ("text", "topics", "error", "field"),
    [
        ("x" * 301, ("ai-timelines",), BadInput, "text"),
        ("   ", ("ai-timelines",), BadInput, "text"),
        ("A claim", (), BadInput, "topics"),
        ("A claim", ("no-such-topic",), NotFound, "topics"),
        ("A claim", ("removed-one",), NotFound, "topics"),
    ],
)
async def test_bad_claims_are_refused_and_nothing_is_written(
    core: Core, text: str, topics: tuple[str, ...], error: type[Exception], field: str
) -> None:
    await seed_community(core, topics=["AI timelines", "Removed one"])
    await curation.remove_topic(core, curation.RemoveTopic(MOD, "removed-one"))
    before = await row_counts(core)
    with pytest.raises(error) as raised:
        await curation.add_claim(core, curation.AddClaim(MOD, text, topics))
    assert raised.value.field == field  # type: ignore[attr-defined]
    assert await row_counts(core) == before


async def test_claim_of_300_chars_is_fine(core: Core) -> None:
    await seed_community(core)
    claim = await curation.add_claim(core, curation.AddClaim(MOD, "y" * 300, ("ai-timelines",)))
    assert len(claim.text) == 300


async def test_removed_claim_leaves_the_list_but_keeps_its_row(core: Core) -> None:
    seeded = await seed_community(
        core, claims=[("One", ["ai-timelines"]), ("Two", ["forecasting"])]
    )
    removed = await curation.remove_claim(core, curation.RemoveClaim(MOD, seeded.claims[0]))
    assert removed.status == "removed" and removed.topics == ("ai-timelines",)
    listed = await curation.list_claims(core, curation.ListClaims(actor()))
    assert [c.id for c in listed] == [seeded.claims[1]]
    async with core.db.transaction() as session:
        assert await session.get(Claim, seeded.claims[0]) is not None


async def test_another_communitys_claims_and_topics_are_unknown(core: Core) -> None:
    await seed_community(core, community="A")
    other = await seed_community(
        core, topics=["Only in B"], claims=[("B claim", ["only-in-b"])], community="B"
    )
    mod_a = moderator("A")
    before = await row_counts(core)
    with pytest.raises(NotFound):
        await curation.remove_claim(core, curation.RemoveClaim(mod_a, other.claims[0]))
    with pytest.raises(NotFound):
        await curation.remove_topic(core, curation.RemoveTopic(mod_a, "only-in-b"))
    with pytest.raises(NotFound):
        await curation.add_claim(core, curation.AddClaim(mod_a, "uses B", ("only-in-b",)))
    assert await row_counts(core) == before
    assert [c.id for c in await curation.list_claims(core, curation.ListClaims(actor("A")))] == []
    async with core.db.transaction() as session:
        assert await session.scalar(select(Claim.status).where(Claim.id == other.claims[0])) == (
            "active"
        )


async def test_unknown_community_is_not_found(core: Core) -> None:
    with pytest.raises(NotFound):
        await curation.list_topics(core, curation.ListTopics(actor("nowhere")))
