"""Which members a dialogue thread belongs to: adapters ask it to limit who a post may ping."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Community, Dialogue, DialogueMember, Member

from .app import Core


async def members_of_thread(core: Core, platform: str, thread_id: str) -> list[str]:
    """The platform user ids of the dialogue whose thread this is; [] when it is none."""
    async with core.db.transaction() as session:
        rows = await session.scalars(
            select(Member.external_id)
            .join(DialogueMember, DialogueMember.member_id == Member.id)
            .join(Dialogue, Dialogue.id == DialogueMember.dialogue_id)
            .join(Community, Community.id == Dialogue.community_id)
            .where(Community.platform == platform, Dialogue.thread_id == thread_id)
            .order_by(DialogueMember.position)
        )
        return list(rows)
