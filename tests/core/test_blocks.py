"""Blocks: private, remove the blocker's own tick, call off a match still waiting for intake."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import blocks, wants
from bot.core.app import Core
from bot.core.blocks import BlockMember, UnblockMember
from bot.core.errors import BadInput, NotFound
from bot.storage.models import Block, Dialogue, Job, Member, Want
from tests.factories import actor, row_counts, seed_community, signed_up

ALICE, BOB = actor(user="alice"), actor(user="bob")


async def _pool(core: Core, *users: str, community: str = "guild1") -> None:
    await seed_community(core, community=community)
    for user in users:
        await signed_up(core, user, community=community)


async def _pairs(core: Core, model: type[Block] | type[Want]) -> set[tuple[str, str]]:
    async with core.db.transaction() as session:
        names = dict((await session.execute(select(Member.id, Member.external_id))).all())
        rows = await session.execute(select(model.member_id, model.target_id))
        return {(names[a], names[b]) for a, b in rows}


async def test_block_is_stored_and_idempotent(core: Core) -> None:
    await _pool(core, "alice", "bob")
    first = await blocks.block(core, BlockMember(ALICE, "bob"))
    again = await blocks.block(core, BlockMember(ALICE, "bob"))
    assert (first.blocked, first.changed) == (True, True)
    assert (again.blocked, again.changed) == (True, False)
    assert await _pairs(core, Block) == {("alice", "bob")}


async def test_block_removes_only_the_blockers_want(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await wants.want(core, wants.WantMember(ALICE, "bob"))
    await blocks.block(core, BlockMember(BOB, "alice"))
    await wants.want(core, wants.WantMember(ALICE, "bob"))  # Bob still hidden: no error
    assert await _pairs(core, Want) == {("alice", "bob")}
    await blocks.unblock(core, UnblockMember(BOB, "alice"))
    await wants.want(core, wants.WantMember(BOB, "alice"))
    await blocks.block(core, BlockMember(BOB, "alice"))
    assert await _pairs(core, Want) == {("alice", "bob")}


async def test_block_calls_off_a_pending_mutual_want(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await wants.want(core, wants.WantMember(ALICE, "bob"))
    match = await wants.want(core, wants.WantMember(BOB, "alice"))
    result = await blocks.block(core, BlockMember(BOB, "alice"))
    assert result.cancelled_dialogue_ids == (match.dialogue_id,)
    async with core.db.transaction() as session:
        dialogue = await session.get(Dialogue, match.dialogue_id)
        timeout = await session.scalar(
            select(Job).where(Job.dedupe_key == f"mutual_want_timeout:{match.dialogue_id}")
        )
    assert dialogue is not None
    assert (dialogue.state, dialogue.outcome) == ("closed", "ended")
    assert dialogue.closed_at is not None
    assert timeout is not None and timeout.state == "done", "the intake timeout cannot fire"


async def test_unblock_lifts_the_block(core: Core) -> None:
    await _pool(core, "alice", "bob")
    await blocks.block(core, BlockMember(ALICE, "bob"))
    result = await blocks.unblock(core, UnblockMember(ALICE, "bob"))
    assert (result.blocked, result.changed) == (False, True)
    assert await _pairs(core, Block) == set()
    assert (await blocks.unblock(core, UnblockMember(ALICE, "bob"))).changed is False


async def test_blocking_does_not_need_a_signup(core: Core) -> None:
    await _pool(core, "bob")
    await blocks.block(core, BlockMember(actor(user="newcomer"), "bob"))
    assert await _pairs(core, Block) == {("newcomer", "bob")}


async def test_blocking_yourself_is_bad_input(core: Core) -> None:
    await _pool(core, "alice")
    with pytest.raises(BadInput):
        await blocks.block(core, BlockMember(ALICE, "alice"))


async def test_unknown_target_is_not_found_and_nothing_changes(core: Core) -> None:
    await _pool(core, "alice")
    await _pool(core, "bob", community="B")
    before = await row_counts(core)
    for target in ("nobody", "bob"):  # Bob is only in community B
        with pytest.raises(NotFound) as error:
            await blocks.block(core, BlockMember(ALICE, target))
        assert error.value.field == "target_user_id"
        with pytest.raises(NotFound):
            await blocks.unblock(core, UnblockMember(ALICE, target))
    assert await row_counts(core) == before
