"""Private blocks: 'never pair me with X'. The engine reads them in both directions.

Blocking removes the blocker's own want of the target (the target's want stays, unseen, so
the block is not revealed) and calls off a mutual-want dialogue still waiting for intake.
A dialogue already open is left to `/dialogue-admin unpair` or its natural end.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from bot.storage.models import Block, Want

from . import lookup
from .actor import Actor
from .app import Core
from .dialogues import end_in
from .errors import BadInput, NotFound
from .wants import dialogues_between


@dataclass(frozen=True, slots=True)
class BlockMember:
    actor: Actor
    target_user_id: str


@dataclass(frozen=True, slots=True)
class UnblockMember:
    actor: Actor
    target_user_id: str


@dataclass(frozen=True, slots=True)
class BlockResult:
    target_user_id: str
    blocked: bool  # the block is in place now
    changed: bool  # this command added or removed it (False: it already was so)
    cancelled_dialogue_ids: tuple[int, ...] = ()


async def block(core: Core, cmd: BlockMember) -> BlockResult:
    now = core.clock.now()
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        if cmd.target_user_id == cmd.actor.user_id:
            raise BadInput("You cannot block yourself.", field="target_user_id")
        # Blocking needs no signup: someone may want to rule a person out before joining.
        me = await lookup.ensure_member(session, community, cmd.actor, now)
        target = await lookup.find_member(session, community, cmd.target_user_id)
        if target is None:
            raise NotFound("That person is not known here.", field="target_user_id")
        changed = await session.get(Block, (me.id, target.id)) is None
        if changed:
            session.add(
                Block(
                    community_id=community.id, member_id=me.id, target_id=target.id, created_at=now
                )
            )
        await session.execute(
            delete(Want).where(Want.member_id == me.id, Want.target_id == target.id)
        )
        cancelled = []
        for dialogue in await dialogues_between(
            session, community.id, me.id, target.id, states=("pending",), kinds=("mutual_want",)
        ):
            if await end_in(session, dialogue, "ended", now):
                cancelled.append(dialogue.id)
        return BlockResult(cmd.target_user_id, True, changed, tuple(cancelled))


async def unblock(core: Core, cmd: UnblockMember) -> BlockResult:
    async with core.db.transaction() as session:
        community = await lookup.get_community(session, cmd.actor.community)
        me = await lookup.find_member(session, community, cmd.actor.user_id)
        target = await lookup.find_member(session, community, cmd.target_user_id)
        if target is None:
            raise NotFound("That person is not known here.", field="target_user_id")
        if me is None:
            return BlockResult(cmd.target_user_id, False, False)
        result = await session.execute(
            delete(Block).where(Block.member_id == me.id, Block.target_id == target.id)
        )
        return BlockResult(cmd.target_user_id, False, bool(getattr(result, "rowcount", 0)))
