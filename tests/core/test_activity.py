"""Adapters record who wrote in a dialogue thread and when, so quiet sides can be nudged."""

from __future__ import annotations

from datetime import timedelta

from bot.core.activity import record_message
from bot.core.actor import CommunityRef
from bot.core.app import Core
from bot.core.dialogues import PairMembers, pair
from bot.storage.models import DialogueMember
from tests.core.conftest import MOD, dialogue_row, member_row, two_disagreeing
from tests.factories import Seeded

GUILD = CommunityRef("local", "guild1")


async def last_message(core: Core, dialogue_id: int, user: str) -> object:
    member = await member_row(core, user)
    async with core.db.transaction() as session:
        row = await session.get(DialogueMember, (dialogue_id, member.id))
        assert row is not None
        return row.last_message_at


async def test_a_members_message_is_recorded_and_others_are_ignored(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    result = await pair(core, PairMembers(MOD, "alice", "bob"))
    dialogue = await dialogue_row(core, result.dialogue_id)
    assert dialogue.thread_id is not None
    now = core.clock.now()

    assert await record_message(core, GUILD, dialogue.thread_id, "alice", now)
    assert await last_message(core, dialogue.id, "alice") == now
    assert await last_message(core, dialogue.id, "bob") is None

    # Someone outside the dialogue, another thread, another community: nothing recorded.
    assert not await record_message(core, GUILD, dialogue.thread_id, "mallory", now)
    assert not await record_message(core, GUILD, "T-unknown", "bob", now)
    assert not await record_message(core, CommunityRef("local", "other"), dialogue.thread_id,
                                    "bob", now)  # fmt: skip
    assert await last_message(core, dialogue.id, "bob") is None

    # A late delivery of an older message does not move the time back.
    assert not await record_message(core, GUILD, dialogue.thread_id, "alice", now - timedelta(1))
    assert await last_message(core, dialogue.id, "alice") == now
