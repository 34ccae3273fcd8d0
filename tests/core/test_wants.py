"""Wants: private ticks; a mutual tick starts the LessWrong-style intake and opens a dialogue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from bot.core import blocks, forms, membership, wants
from bot.core.app import Core
from bot.core.errors import BadInput, Conflict, NotFound
from bot.core.wants import SubmitIntake, UnwantMember, WantMember
from bot.platforms.local import LocalPlatform
from bot.storage.models import Dialogue, DialogueMember, Job, Member, Want
from tests.concurrency import meeting_point
from tests.conftest import START
from tests.factories import actor, moderator, row_counts, seed_community, signed_up

ALICE, BOB, CAROL = actor(user="alice"), actor(user="bob"), actor(user="carol")


async def _pool(core: Core, *users: str) -> None:
    await seed_community(core, claims=[("Theory wins", ["ai-timelines"])])
    for user in users:
        await signed_up(core, user, topics=["ai-timelines", "forecasting"])


def _local(core: Core) -> LocalPlatform:
    platform = core.platforms["local"]
    assert isinstance(platform, LocalPlatform)
    return platform


async def _dialogues(core: Core) -> list[Dialogue]:
    async with core.db.transaction() as session:
        return list(await session.scalars(select(Dialogue).order_by(Dialogue.id)))


async def test_one_sided_want_is_stored_privately(core: Core) -> None:
    await _pool(core, "alice", "bob")
    result = await wants.want(core, WantMember(ALICE, "bob"))
    assert result == wants.WantResult("bob", mutual=False)
    assert await _dialogues(core) == []
    assert _local(core).direct == {}  # nobody is told about a one-sided tick
    # Ticking again changes nothing.
    again = await wants.want(core, WantMember(ALICE, "bob"))
    assert again.mutual is False
    assert (await row_counts(core))["wants"] == 1


async def test_mutual_want_creates_a_pending_dialogue_notifies_both_and_schedules_timeout(
    core: Core,
) -> None:
    await _pool(core, "alice", "bob")
    await wants.want(core, WantMember(ALICE, "bob"))
    result = await wants.want(core, WantMember(BOB, "alice"))
    assert result.mutual and result.dialogue_id is not None and result.undelivered == ()

    [dialogue] = await _dialogues(core)
    assert (dialogue.kind, dialogue.state, dialogue.size) == ("mutual_want", "pending", 2)
    async with core.db.transaction() as session:
        positions = (
            await session.execute(
                select(DialogueMember.position, DialogueMember.member_id).where(
                    DialogueMember.dialogue_id == dialogue.id
                )
            )
        ).all()
        job = await session.scalar(select(Job).where(Job.kind == "mutual_want_timeout"))
        dms = (await session.scalars(select(Job).where(Job.kind == "mutual_want_dm"))).all()
    assert sorted((j.payload["user_id"], j.state) for j in dms) == [
        ("alice", "done"),
        ("bob", "done"),
    ]
    assert sorted(p for p, _ in positions) == [0, 1]
    assert job is not None
    assert job.kind == "mutual_want_timeout"
    assert job.run_at == START + timedelta(hours=48)
    assert job.dedupe_key == f"mutual_want_timeout:{dialogue.id}"
    assert job.payload == {"dialogue_id": dialogue.id}

    direct = _local(core).direct
    for user in ("alice", "bob"):
        [message] = direct[("guild1", user)]
        assert message.buttons == (f"mw:intake:{dialogue.id}",)


async def test_a_closed_dm_does_not_undo_the_match(core: Core) -> None:
    await _pool(core, "alice", "bob")
    _local(core).unreachable.add("alice")
    await wants.want(core, WantMember(ALICE, "bob"))
    result = await wants.want(core, WantMember(BOB, "alice"))
    assert result.mutual and result.undelivered == ("alice",)
    assert len(await _dialogues(core)) == 1
    assert len(_local(core).direct[("guild1", "bob")]) == 1


async def test_no_second_pending_dialogue_for_the_same_pair(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await wants.want(core, WantMember(ALICE, "bob"))
    await wants.want(core, WantMember(BOB, "alice"))
    # Both untick and tick again while the first match still waits for intake.
    async with core.db.transaction() as session:
        await session.execute(delete(Want))
    await wants.want(core, WantMember(ALICE, "bob"))
    again = await wants.want(core, WantMember(BOB, "alice"))
    assert again.mutual is False
    assert len(await _dialogues(core)) == 1


async def test_wanting_yourself_is_bad_input(core: Core) -> None:
    await _pool(core, "alice")
    with pytest.raises(BadInput):
        await wants.want(core, WantMember(ALICE, "alice"))


async def test_target_must_be_a_signed_up_member(core: Core) -> None:
    await _pool(core, "alice")
    # Carol only started a form: not signed up.
    await forms.start_or_resume(core, forms.StartOrResume(CAROL))
    before = await row_counts(core)
    for target in ("nobody", "carol"):
        with pytest.raises(NotFound) as error:
            await wants.want(core, WantMember(ALICE, target))
        assert error.value.field == "target_user_id"
    assert await row_counts(core) == before


async def test_actor_must_have_signed_up(core: Core) -> None:
    await _pool(core, "alice")
    with pytest.raises(Conflict):
        await wants.want(core, WantMember(BOB, "alice"))


async def test_removed_members_neither_tick_nor_get_ticked(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await membership.remove(core, membership.RemoveMember(moderator(), "bob"))
    with pytest.raises(Conflict):
        await wants.want(core, WantMember(BOB, "alice"))
    with pytest.raises(NotFound):
        await wants.want(core, WantMember(ALICE, "bob"))
    assert (await row_counts(core))["wants"] == 0


async def test_member_of_another_community_cannot_be_wanted(core: Core) -> None:
    await _pool(core, "alice")
    await seed_community(core, community="B")
    await signed_up(core, "bob", community="B")
    before = await row_counts(core)
    with pytest.raises(NotFound):
        await wants.want(core, WantMember(ALICE, "bob"))
    assert await row_counts(core) == before


async def test_blocked_member_cannot_be_wanted(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await blocks.block(core, blocks.BlockMember(ALICE, "bob"))
    before = await row_counts(core)
    with pytest.raises(BadInput):
        await wants.want(core, WantMember(ALICE, "bob"))
    assert await row_counts(core) == before


async def test_want_towards_someone_who_blocked_you_looks_ordinary_but_never_matches(
    core: Core,
) -> None:
    await _pool(core, "alice", "bob")
    await wants.want(core, WantMember(BOB, "alice"))
    await blocks.block(core, blocks.BlockMember(BOB, "alice"))  # also drops Bob's want
    # Even if Bob's old tick were still there, the block must keep this from matching.
    async with core.db.transaction() as session:
        members = {m.external_id: m for m in await session.scalars(select(Member))}
        bob, alice = members["bob"], members["alice"]
        session.add(
            Want(
                community_id=bob.community_id,
                member_id=bob.id,
                target_id=alice.id,
                created_at=START,
            )
        )
    result = await wants.want(core, WantMember(ALICE, "bob"))
    assert result == wants.WantResult("bob", mutual=False)  # same answer as a one-sided tick
    assert await _dialogues(core) == []
    assert _local(core).direct == {}


async def test_unwant_removes_the_tick_and_calls_off_a_pending_match(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await wants.want(core, WantMember(ALICE, "bob"))
    match = await wants.want(core, WantMember(BOB, "alice"))
    result = await wants.unwant(core, UnwantMember(ALICE, "bob"))
    assert result == wants.UnwantResult("bob", True, match.dialogue_id)
    [dialogue] = await _dialogues(core)
    assert (dialogue.state, dialogue.outcome) == ("closed", "ended")
    async with core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Want)) == 1  # Bob's stays
    again = await wants.unwant(core, UnwantMember(ALICE, "bob"))
    assert again.removed is False


async def test_unwant_of_unknown_member_is_not_found(core: Core) -> None:
    await _pool(core, "alice")
    with pytest.raises(NotFound):
        await wants.unwant(core, UnwantMember(ALICE, "nobody"))


async def _matched(core: Core) -> int:
    await _pool(core, "alice", "bob", "carol")
    await wants.want(core, WantMember(ALICE, "bob"))
    result = await wants.want(core, WantMember(BOB, "alice"))
    assert result.dialogue_id is not None
    return result.dialogue_id


async def test_first_intake_waits_for_the_other(core: Core) -> None:
    dialogue_id = await _matched(core)
    result = await wants.submit_intake(
        core, SubmitIntake(ALICE, dialogue_id, ("ai-timelines",), "sync", "Evenings please")
    )
    assert result == wants.IntakeResult(dialogue_id, both_submitted=False, opened=False)
    async with core.db.transaction() as session:
        intakes = list(
            await session.scalars(
                select(DialogueMember.intake)
                .where(DialogueMember.dialogue_id == dialogue_id)
                .order_by(DialogueMember.position)
            )
        )
    # Without an answer to "what are you looking for?" the intake keeps the form's (dialogue).
    mine = {
        "topics": ["ai-timelines"],
        "format": "sync",
        "looking_for": ["dialogue"],
        "notes": "Evenings please",
    }
    assert sorted(intakes, key=str) == sorted([None, mine], key=str)
    [dialogue] = await _dialogues(core)
    assert dialogue.state == "pending"


async def test_both_intakes_open_the_dialogue(core: Core) -> None:
    dialogue_id = await _matched(core)
    await wants.submit_intake(core, SubmitIntake(ALICE, dialogue_id, ("ai-timelines",), "async"))
    result = await wants.submit_intake(
        core, SubmitIntake(BOB, dialogue_id, ("ai-timelines", "forecasting"), "either")
    )
    assert result.both_submitted and result.opened
    async with core.db.transaction() as session:
        intakes = list(
            await session.scalars(
                select(DialogueMember.intake).where(DialogueMember.dialogue_id == dialogue_id)
            )
        )
    assert all(intake is not None for intake in intakes)
    [dialogue] = await _dialogues(core)
    assert dialogue.state == "open" and dialogue.thread_id is not None
    thread = _local(core).threads[dialogue.thread_id]
    assert sorted(thread.member_ids) == ["alice", "bob"]
    # The dialogue is open: intake is over.
    with pytest.raises(Conflict):
        await wants.submit_intake(core, SubmitIntake(ALICE, dialogue_id, ("forecasting",), "sync"))


async def test_timeout_opens_a_dialogue_still_waiting(core: Core) -> None:
    dialogue_id = await _matched(core)
    assert await wants.intake_timed_out(core, dialogue_id) is True
    [dialogue] = await _dialogues(core)
    assert dialogue.state == "open"
    assert await wants.intake_timed_out(core, dialogue_id) is False


async def test_intake_by_an_outsider_or_for_another_communitys_dialogue_is_not_found(
    core: Core,
) -> None:
    dialogue_id = await _matched(core)
    await seed_community(core, community="B")
    await signed_up(core, "alice", community="B")
    before = await row_counts(core)
    for who in (CAROL, actor("B", "alice")):
        with pytest.raises(NotFound):
            await wants.submit_intake(
                core, SubmitIntake(who, dialogue_id, ("ai-timelines",), "sync")
            )
    assert await row_counts(core) == before
    async with core.db.transaction() as session:
        assert set(
            await session.scalars(
                select(DialogueMember.intake).where(DialogueMember.dialogue_id == dialogue_id)
            )
        ) == {None}


@pytest.mark.parametrize(
    ("topics", "fmt", "notes", "field"),
    [
        ((), "sync", "", "topics"),
        (("no-such-topic",), "sync", "", "topics"),
        (("ai-timelines",), "live", "", "format"),
        (("ai-timelines",), "sync", "n" * 1001, "notes"),
    ],
)
async def test_bad_intake_is_refused(
    core: Core, topics: tuple[str, ...], fmt: str, notes: str, field: str
) -> None:
    dialogue_id = await _matched(core)
    with pytest.raises(BadInput) as error:
        await wants.submit_intake(core, SubmitIntake(ALICE, dialogue_id, topics, fmt, notes))
    assert error.value.field == field


@pytest.mark.parametrize(
    ("custom_id", "expected"),
    [("mw:intake:42", 42), ("mw:intake:", None), ("mw:intake:4x", None), ("other:42", None)],
)
def test_intake_button_ids_round_trip(custom_id: str, expected: int | None) -> None:
    assert wants.intake_dialogue_id(custom_id) == expected
    assert wants.intake_dialogue_id(wants.intake_custom_id(7)) == 7


async def test_intakes_sent_at_the_same_moment_open_the_dialogue(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both sides reach the service before either writes: neither may see only the other's
    # missing intake, or the pair waits 48 hours for the timeout.
    dialogue_id = await _matched(core)
    monkeypatch.setattr(wants, "active_topics_by_slug", meeting_point(wants.active_topics_by_slug))
    results = await asyncio.gather(
        wants.submit_intake(core, SubmitIntake(ALICE, dialogue_id, ("ai-timelines",), "sync")),
        wants.submit_intake(core, SubmitIntake(BOB, dialogue_id, ("forecasting",), "async")),
    )
    assert sorted(r.opened for r in results) == [False, True]
    [dialogue] = await _dialogues(core)
    assert dialogue.state == "open"
