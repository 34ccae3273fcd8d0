"""Membership: pause and resume, leaving deletes all personal data, moderator removal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core import blocks, dialogues, forms, membership, wants
from bot.core.app import Core
from bot.core.errors import BadInput, Conflict, Forbidden, NotFound
from bot.core.membership import Leave, Pause, ReinstateMember, RemoveMember, Resume
from bot.platforms.local import LocalPlatform
from bot.storage.models import (
    Dialogue,
    DialogueMember,
    Feedback,
    Job,
    Member,
    Round,
    RoundUnmatched,
    StanceChange,
    Topic,
)
from tests.conftest import START
from tests.factories import actor, moderator, row_counts, seed_community, signed_up

ALICE = actor(user="alice")
MOD = moderator()


async def _pool(core: Core) -> list[int]:
    seeded = await seed_community(
        core, claims=[("Theory wins", ["ai-timelines"]), ("Forecasts help", ["forecasting"])]
    )
    for user in ("alice", "bob", "carol"):
        await signed_up(
            core,
            user,
            topics=["ai-timelines", "forecasting"],
            stances={c: 1 for c in seeded.claims},
        )
    return seeded.claims


async def test_pause_until_a_future_time_and_resume(core: Core) -> None:
    await _pool(core)
    until = START + timedelta(days=14)
    paused = await membership.pause(core, Pause(ALICE, until))
    assert paused == membership.MemberStatus("alice", "paused", until)
    resumed = await membership.resume(core, Resume(ALICE))
    assert resumed == membership.MemberStatus("alice", "active", None)


async def test_pause_without_end(core: Core) -> None:
    await _pool(core)
    assert (await membership.pause(core, Pause(ALICE))).paused_until is None


@pytest.mark.parametrize(
    "until", [START, START - timedelta(hours=1), START.replace(tzinfo=None) + timedelta(days=1)]
)
async def test_pause_end_must_be_an_aware_future_time(core: Core, until: object) -> None:
    await _pool(core)
    with pytest.raises(BadInput) as error:
        await membership.pause(core, Pause(ALICE, until))  # type: ignore[arg-type]
    assert error.value.field == "until"
    async with core.db.transaction() as session:
        status = await session.scalar(select(Member.status).where(Member.external_id == "alice"))
    assert status == "active"


async def test_unknown_member_cannot_pause_or_leave(core: Core) -> None:
    await _pool(core)
    stranger = actor(user="stranger")
    for call in (
        membership.pause(core, Pause(stranger)),
        membership.resume(core, Resume(stranger)),
        membership.leave(core, Leave(stranger)),
    ):
        with pytest.raises(NotFound):
            await call


async def test_moderator_removes_and_reinstates(core: Core) -> None:
    await _pool(core)
    removed = await membership.remove(core, RemoveMember(MOD, "alice"))
    assert removed.status == "removed"
    # A removed member cannot put themselves back by resuming or pausing.
    with pytest.raises(Conflict):
        await membership.resume(core, Resume(ALICE))
    with pytest.raises(Conflict):
        await membership.pause(core, Pause(ALICE))
    # Their data is kept.
    assert (await forms.profile(core, forms.ShowProfile(ALICE))).status == "complete"
    reinstated = await membership.reinstate(core, ReinstateMember(MOD, "alice"))
    assert reinstated.status == "active"
    with pytest.raises(Conflict):
        await membership.reinstate(core, ReinstateMember(MOD, "alice"))


async def test_only_moderators_remove_and_only_members_of_this_community(core: Core) -> None:
    await _pool(core)
    await seed_community(core, community="B")
    await signed_up(core, "dave", community="B")
    with pytest.raises(Forbidden):
        await membership.remove(core, RemoveMember(actor(user="bob"), "alice"))
    with pytest.raises(Forbidden):
        await membership.reinstate(core, ReinstateMember(actor(user="bob"), "alice"))
    before = await row_counts(core)
    with pytest.raises(NotFound):
        await membership.remove(core, RemoveMember(MOD, "dave"))
    assert await row_counts(core) == before
    async with core.db.transaction() as session:
        assert await session.scalar(select(Member.status).where(Member.external_id == "dave")) == (
            "active"
        )


async def _history(core: Core, claims: list[int]) -> dict[str, int]:
    """Alice everywhere: a past dialogue with feedback and stance changes, an unmatched round,
    an open dialogue, a suggestion, wants and blocks both ways. Returns dialogue ids."""
    bob, carol = actor(user="bob"), actor(user="carol")
    await forms.save_answers(core, forms.SaveAnswers(ALICE, suggested_topics=("Mentorship",)))
    await wants.want(core, wants.WantMember(ALICE, "bob"))
    await wants.want(core, wants.WantMember(carol, "alice"))
    await blocks.block(core, blocks.BlockMember(ALICE, "carol"))
    await blocks.block(core, blocks.BlockMember(bob, "alice"))
    await wants.want(core, wants.WantMember(bob, "carol"))  # not Alice's: must stay
    async with core.db.transaction() as session:
        ids = {m.external_id: m for m in await session.scalars(select(Member))}
        a, b, c = ids["alice"], ids["bob"], ids["carol"]
        cid = a.community_id
        past_round = Round(
            community_id=cid, number=1, idempotency_key="r1", status="committed", created_at=START
        )
        later_round = Round(
            community_id=cid, number=2, idempotency_key="r2", status="committed", created_at=START
        )
        session.add_all([past_round, later_round])
        await session.flush()
        past = Dialogue(
            community_id=cid,
            round_id=past_round.id,
            kind="round",
            state="closed",
            outcome="talked",
            size=2,
            explanation={"members": ["alice", "bob"], "disagreements": [{"claim": claims[0]}]},
            created_at=START,
        )
        current = Dialogue(
            community_id=cid, kind="manual", state="open", size=2, thread_id="T9", created_at=START
        )
        session.add_all([past, current])
        await session.flush()
        for dialogue, other in ((past, b), (current, c)):
            for position, member in enumerate((a, other)):
                session.add(
                    DialogueMember(
                        community_id=cid,
                        dialogue_id=dialogue.id,
                        member_id=member.id,
                        position=position,
                    )
                )
        session.add_all(
            [
                RoundUnmatched(
                    community_id=cid, round_id=later_round.id, member_id=a.id, reason="odd"
                ),
                RoundUnmatched(
                    community_id=cid, round_id=later_round.id, member_id=c.id, reason="odd"
                ),
                Feedback(
                    community_id=cid,
                    dialogue_id=past.id,
                    member_id=a.id,
                    rating=5,
                    created_at=START,
                ),
                Feedback(
                    community_id=cid,
                    dialogue_id=past.id,
                    member_id=b.id,
                    rating=4,
                    created_at=START,
                ),
                StanceChange(
                    community_id=cid,
                    dialogue_id=past.id,
                    member_id=a.id,
                    claim_id=claims[0],
                    before=1,
                    after=-1,
                    created_at=START,
                ),
            ]
        )
        return {"past": past.id, "current": current.id}


async def test_leave_deletes_all_personal_data_and_keeps_anonymous_counts(core: Core) -> None:
    claims = await _pool(core)
    dialogue_ids = await _history(core, claims)
    before = await row_counts(core)

    result = await membership.leave(core, Leave(ALICE))
    assert result.closed_dialogues == (membership.ClosedDialogue(dialogue_ids["current"], "T9"),)

    after = await row_counts(core)
    removed = {table: before[table] - after[table] for table in before}
    assert removed == {
        "communities": 0,
        "members": 1,
        "topics": 0,  # her suggestion stays, without her name
        "claims": 0,
        "claim_topics": 0,
        "interest_forms": 1,
        "form_topics": 2,
        "stances": 2,
        "wants": 2,  # hers and Carol's of her; Bob's of Carol stays
        "blocks": 2,  # hers and Bob's of her
        "rounds": 0,
        "round_unmatched": 1,
        "dialogues": 0,
        "dialogue_members": 2,
        "stance_changes": 1,
        "feedback": 1,
        "jobs": 0,
        **{t: 0 for t in before if t not in _KNOWN_TABLES},
    }
    async with core.db.transaction() as session:
        assert await session.scalar(select(Member).where(Member.external_id == "alice")) is None
        suggestion = await session.scalar(select(Topic).where(Topic.slug == "mentorship"))
        assert suggestion is not None and suggestion.suggested_by_id is None
        past = await session.get(Dialogue, dialogue_ids["past"])
        current = await session.get(Dialogue, dialogue_ids["current"])
    assert past is not None and current is not None
    assert (past.state, past.outcome, past.size, past.explanation) == ("closed", "talked", 2, {})
    assert (current.state, current.outcome) == ("closed", "ended")
    # The others are untouched and Alice can sign up again from scratch.
    assert (await forms.profile(core, forms.ShowProfile(actor(user="bob")))).status == "complete"
    fresh = await forms.start_or_resume(core, forms.StartOrResume(ALICE))
    assert (fresh.status, fresh.topics, fresh.stances) == ("draft", (), {})


_KNOWN_TABLES = {
    "communities",
    "members",
    "topics",
    "claims",
    "claim_topics",
    "interest_forms",
    "form_topics",
    "stances",
    "wants",
    "blocks",
    "rounds",
    "round_unmatched",
    "dialogues",
    "dialogue_members",
    "stance_changes",
    "feedback",
    "jobs",
}


async def test_leave_touches_nothing_in_another_community(core: Core) -> None:
    await _pool(core)
    await seed_community(core, community="B")
    await signed_up(core, "alice", community="B")
    await membership.leave(core, Leave(ALICE))
    assert (await forms.profile(core, forms.ShowProfile(actor("B", "alice")))).status == (
        "complete"
    )


async def test_leave_waits_while_their_round_is_opening(core: Core) -> None:
    await _pool(core)
    async with core.db.transaction() as session:
        alice = await session.scalar(select(Member).where(Member.external_id == "alice"))
        assert alice is not None
        opening = Round(
            community_id=alice.community_id,
            number=4,
            idempotency_key="r4",
            status="opening",
            created_at=START,
        )
        session.add(opening)
        await session.flush()
        session.add(
            RoundUnmatched(
                community_id=alice.community_id,
                round_id=opening.id,
                member_id=alice.id,
                reason="odd",
            )
        )
    before = await row_counts(core)
    with pytest.raises(Conflict) as error:
        await membership.leave(core, Leave(ALICE))
    assert "Round 4" in error.value.message
    assert await row_counts(core) == before


async def test_leave_tells_the_partner_archives_the_thread_and_cancels_its_prompts(
    core: Core,
) -> None:
    await _pool(core)
    made = await dialogues.pair(core, dialogues.PairMembers(moderator(), "alice", "bob"))
    local = core.platform("local")
    assert isinstance(local, LocalPlatform)
    thread = local.threads[made.opened.thread_id or ""]

    await membership.leave(core, Leave(ALICE))

    assert thread.archived
    assert thread.messages[-1].text == membership.LEFT_NOTE
    assert "alice" not in thread.messages[-1].text.lower()
    async with core.db.transaction() as session:
        jobs = list(await session.scalars(select(Job).where(Job.dedupe_key.like("prompt:%"))))
    assert jobs and all(job.state == "done" for job in jobs)
