"""Who wrote in a dialogue thread, and when (never what): the scheduler nudges a quiet side.

Adapters call `record_message` for each member message they see in a dialogue's thread. A
message in a thread that is no dialogue's, or from someone not in it, is ignored: adapters
see every message of the channels they are in and need not know which ones matter.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from bot.storage.models import Dialogue, DialogueMember, Member

from .actor import CommunityRef
from .app import Core
from .lookup import find_community


async def record_message(
    core: Core, community: CommunityRef, thread_id: str, user_id: str, at: datetime
) -> bool:
    """Note that `user_id` wrote in `thread_id` at `at`; True when that moved their last
    message time (False: not a member of that thread's dialogue, or an older delivery)."""
    async with core.db.transaction() as session:
        found = await find_community(session, community)
        if found is None:
            return False
        dialogue_ids = select(Dialogue.id).where(
            Dialogue.community_id == found.id, Dialogue.thread_id == thread_id
        )
        member_ids = select(Member.id).where(
            Member.community_id == found.id, Member.external_id == user_id
        )
        result = await session.execute(
            update(DialogueMember)
            .where(
                DialogueMember.community_id == found.id,
                DialogueMember.dialogue_id.in_(dialogue_ids),
                DialogueMember.member_id.in_(member_ids),
                # Deliveries can arrive out of order: keep the latest moment.
                or_(DialogueMember.last_message_at.is_(None), DialogueMember.last_message_at < at),
            )
            .values(last_message_at=at)
        )
        return bool(result.rowcount)
