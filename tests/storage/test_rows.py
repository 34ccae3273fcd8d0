"""`insert_loaded`: one INSERT, and the row as the session would have loaded it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Community, Member
from bot.storage.rows import insert_loaded
from tests.conftest import START


def _community() -> dict[str, object]:
    return {
        "platform": "local",
        "external_id": "guild1",
        "name": "Guild",
        "dialogue_channel_id": None,
        "moderator_channel_id": None,
        "cadence_weekday": None,
        "cadence_time": None,
        "cadence_timezone": "UTC",
        "signup_window_hours": None,
        "cooldown": 6,
        "odd_policy": "wait",
        "prompt_schedule": {},
        "weights": {},
        "moderator_group": None,
        "created_at": START,
        "choices_version": 0,
    }


def _member(community_id: int, user: str) -> dict[str, object]:
    return {
        "community_id": community_id,
        "external_id": user,
        "display_name": user.title(),
        "status": "active",
        "paused_until": None,
        "priority": 0,
        "created_at": START,
    }


async def test_the_row_is_stored_persistent_and_later_changes_are_updates(db: Database) -> None:
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        bob = await insert_loaded(session, Member, _member(community.id, "bob"))
        assert community.id is not None and alice.id != bob.id
        # The session knows them as loaded rows: a get answers from it, a change is pending.
        assert await session.get(Member, alice.id) is alice
        assert not session.new and not session.dirty
        alice.display_name = "Alice L."
        assert alice in session.dirty
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Member.external_id, Member.display_name, Member.created_at).order_by(
                    Member.id
                )
            )
        ).all()
    assert rows == [("alice", "Alice L.", START), ("bob", "Bob", START)]


async def test_a_missing_or_unknown_column_is_refused_before_any_insert(db: Database) -> None:
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        values = _member(community.id, "alice")
        del values["paused_until"]
        with pytest.raises(ValueError, match="paused_until"):
            await insert_loaded(session, Member, values)
        with pytest.raises(ValueError, match="nickname"):
            await insert_loaded(session, Member, {**_member(community.id, "a"), "nickname": "x"})
        assert await session.scalar(select(Member.id)) is None
