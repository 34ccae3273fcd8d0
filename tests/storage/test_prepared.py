"""`Prepared`: a statement run on SQLite's connection stores and reads exactly what
`session.execute` does; elsewhere it is `session.execute`. `attach_loaded`'s objects behave
like the ORM's. `Database.write_rows` is a unit of work like `write`, without a session."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError

from bot.core import lookup
from bot.core.actor import Actor, CommunityRef
from bot.core.errors import NotFound
from bot.storage.database import Database
from bot.storage.models import Community, InterestForm, Member
from bot.storage.prepared import Prepared, Statements
from bot.storage.rows import attach_loaded, insert_loaded, insert_row
from tests.conftest import START
from tests.sql_seen import sql_seen
from tests.storage.test_rows import _community, _member

_FORMS = InterestForm.__table__
_READ_FORM = select(
    _FORMS.c.member_id,
    _FORMS.c.step,
    _FORMS.c.availability,
    _FORMS.c.looking_for,
    _FORMS.c.publish_ok,
    _FORMS.c.show_in_browse,
    _FORMS.c.updated_at,
).where(
    _FORMS.c.member_id
    == select(Member.id).where(Member.external_id == bindparam("user")).scalar_subquery()
)


def _form(member_id: int, community_id: int, step: str | None) -> dict[str, object]:
    return {
        "member_id": member_id,
        "community_id": community_id,
        "status": "draft",
        "step": step,
        "format_sync": "great",
        "format_async": "no",
        "timezone": "Europe/Berlin",
        "availability": [{"day": "mon", "start": "18:00", "end": "21:00"}],
        "looking_for": ["dialogue", "interview"],
        "appetite": "seek",
        "about": "about me",
        "private_notes": "",
        "publish_ok": True,
        "participation": "every",
        "show_in_browse": False,
        "updated_at": START + timedelta(microseconds=123456),
    }


def _fast_path_taken(prepared: Prepared) -> bool:
    return any(compiled is not None for compiled in prepared._compiled.values())


async def test_a_prepared_insert_stores_what_session_execute_stores(db: Database) -> None:
    insert_forms = Prepared(insert(_FORMS), keys=tuple(sorted(_form(0, 0, None))))
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        bob = await insert_loaded(session, Member, _member(community.id, "bob"))
        assert alice.id != bob.id  # the generated keys came back, one per row
        await insert_forms.run(session, _form(alice.id, community.id, "topics"))
        await session.execute(insert(_FORMS), _form(bob.id, community.id, "topics"))
    assert _fast_path_taken(insert_forms) == db.is_sqlite
    async with db.read() as session:
        # As stored, below any type conversion: the two rows are the same but for the key.
        stored = (
            await session.execute(
                text(
                    "SELECT availability, looking_for, publish_ok, show_in_browse, updated_at "
                    "FROM interest_forms ORDER BY member_id"
                )
            )
        ).all()
    assert len(stored) == 2 and stored[0] == stored[1]


async def test_a_prepared_read_gives_the_values_session_execute_gives(db: Database) -> None:
    prepared = Prepared(_READ_FORM)
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        await insert_loaded(session, InterestForm, _form(alice.id, community.id, None))
    async with db.read() as session:
        expected = (await session.execute(_READ_FORM, {"user": "alice"})).one()
        rows = (await prepared.run(session, {"user": "alice"})).rows
        nobody = (await prepared.run(session, {"user": "carol"})).rows
    assert _fast_path_taken(prepared) == db.is_sqlite
    assert [tuple(r) for r in rows] == [tuple(expected)]
    row = rows[0]
    # Converted as the ORM converts: JSON, booleans, an aware datetime, a NULL.
    assert row.availability == [{"day": "mon", "start": "18:00", "end": "21:00"}]
    assert row.publish_ok is True and row.show_in_browse is False and row.step is None
    assert row.updated_at == START + timedelta(microseconds=123456)
    assert nobody == []


async def test_pending_changes_are_flushed_before_a_prepared_statement(db: Database) -> None:
    prepared = Prepared(_READ_FORM)
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        form = await insert_loaded(session, InterestForm, _form(alice.id, community.id, None))
        form.step = "format"  # pending in the session, not yet sent
        rows = (await prepared.run(session, {"user": "alice"})).rows
    assert [r.step for r in rows] == ["format"]


async def test_inside_no_autoflush_pending_changes_wait_for_the_commit(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `session.execute` does there: the caller keeps its changes for one UPDATE."""
    prepared = Prepared(_READ_FORM)
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        form = await insert_loaded(session, InterestForm, _form(alice.id, community.id, None))
        with sql_seen(db, monkeypatch) as seen, session.no_autoflush:
            form.step = "format"
            before = (await prepared.run(session, {"user": "alice"})).rows
            form.about = "changed twice, sent once"
        assert [r.step for r in before] == [None]  # not flushed: still the stored value
        assert not any(sql.lstrip().upper().startswith("UPDATE") for sql in seen)
    async with db.read() as session:
        stored = await session.get(InterestForm, alice.id)
        assert stored is not None
        assert (stored.step, stored.about) == ("format", "changed twice, sent once")


async def test_the_actor_lookup_gives_persistent_objects_like_the_orm(db: Database) -> None:
    ref = CommunityRef("local", "guild1")
    actor = Actor(ref, "alice", "Alice", False)
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        await insert_loaded(session, InterestForm, _form(alice.id, community.id, "topics"))
        await insert_loaded(session, Member, _member(community.id, "bob"))
    async with db.transaction() as session:
        found, member, form = await lookup.community_member_and_form(session, actor)
        assert member is not None and form is not None
        assert (found.id, found.created_at, found.weights) == (community.id, START, {})
        assert (member.external_id, form.step, form.publish_ok) == ("alice", "topics", True)
        # Known to the session as loaded rows: a get answers from it, a change is an update.
        assert await session.get(Member, member.id) is member
        assert not session.new and not session.dirty
        member.display_name = "Alice L."
        form.step = "about"
    async with db.transaction() as session:
        # Bob has no form (None, not an empty object); the session now holds Bob, so the
        # second lookup is the ORM's, and hands back the same object.
        _, bob, no_form = await lookup.community_member_and_form(
            session, Actor(ref, "bob", "Bob", False)
        )
        assert bob is not None and no_form is None
        _, bob_again = await lookup.get_own_member(session, Actor(ref, "bob", "Bob", False))
        assert bob_again is bob
        stored = await session.scalar(select(Member.display_name).where(Member.id == alice.id))
        step = await session.scalar(select(InterestForm.step))
    assert (stored, step) == ("Alice L.", "about")
    async with db.read() as session:
        with pytest.raises(NotFound):
            await lookup.community_member_and_form(
                session, Actor(CommunityRef("local", "elsewhere"), "alice", "A", False)
            )


async def test_attach_loaded_wants_every_column(db: Database) -> None:
    async with db.read() as session:
        with pytest.raises(ValueError, match="not every column"):
            attach_loaded(session, Member, {"id": 1, "external_id": "alice"})


async def test_read_rows_runs_a_crowd_through_the_readers_and_gives_them_back(
    db: Database,
) -> None:
    prepared = Prepared(_READ_FORM)
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        alice = await insert_loaded(session, Member, _member(community.id, "alice"))
        await insert_loaded(session, InterestForm, _form(alice.id, community.id, "topics"))
    # More at once than the pool has readers: each waits for its turn, none is refused.
    crowd = await asyncio.gather(*(db.read_rows(prepared, {"user": "alice"}) for _ in range(20)))
    assert all([r.step for r in rows] == ["topics"] for rows in crowd)
    assert await db.read_rows(prepared, {"user": "nobody"}) == []
    assert db.read_engine.sync_engine.pool.checkedout() == 0


async def test_a_prepared_statement_fails_as_sqlalchemy_says(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            community = await insert_loaded(session, Community, _community())
            await insert_loaded(session, Member, _member(community.id, "alice"))
            await insert_loaded(session, Member, _member(community.id, "alice"))
    async with db.read() as session:
        assert await session.scalar(select(Member.id)) is None  # rolled back, all of it


async def test_after_a_commit_the_next_statement_runs_in_the_next_transaction(
    db: Database,
) -> None:
    async with db.transaction() as session:
        community_id = (await insert_loaded(session, Community, _community())).id
        await session.commit()
        await insert_loaded(session, Member, _member(community_id, "alice"))
        await session.rollback()  # the second transaction only: alice goes, the community stays
    async with db.read() as session:
        assert await session.scalar(select(Community.id)) == community_id
        assert await session.scalar(select(Member.id)) is None


# --- write_rows: a unit of work of prepared statements, no session ----------------------------

_READ_MEMBERS = Prepared(
    select(Member.external_id, Member.display_name).order_by(Member.external_id)
)


async def _members(db: Database) -> list[tuple[str, str]]:
    return [tuple(r) for r in await db.read_rows(_READ_MEMBERS, {})]


async def test_write_rows_commits_its_rows_and_hands_back_their_keys(db: Database) -> None:
    async def work(statements: Statements) -> tuple[Community, Member, Member]:
        community = await insert_row(statements, Community, _community())
        alice = await insert_row(statements, Member, _member(community.id, "alice"))
        bob = await insert_row(statements, Member, _member(community.id, "bob"))
        return community, alice, bob

    community, alice, bob = await db.write_rows(work)
    assert None not in (community.id, alice.id, bob.id) and alice.id != bob.id
    async with db.read() as session:
        stored = await session.get(Member, bob.id)
        assert stored is not None
        assert (stored.external_id, stored.community_id) == ("bob", community.id)
    assert db.engine.sync_engine.pool.checkedout() == 0


async def test_write_rows_rolls_all_of_it_back_when_its_work_raises(db: Database) -> None:
    async def work(statements: Statements) -> None:
        community = await insert_row(statements, Community, _community())
        await insert_row(statements, Member, _member(community.id, "alice"))
        raise NotFound("changed my mind")

    with pytest.raises(NotFound):
        await db.write_rows(work)
    assert await _members(db) == []
    async with db.read() as session:
        assert await session.scalar(select(Community.id)) is None

    async def duplicate(statements: Statements) -> None:
        community = await insert_row(statements, Community, _community())
        await insert_row(statements, Member, _member(community.id, "alice"))
        await insert_row(statements, Member, _member(community.id, "alice"))

    with pytest.raises(IntegrityError):  # as SQLAlchemy raises it, on both backends
        await db.write_rows(duplicate)
    assert await _members(db) == []
    assert db.engine.sync_engine.pool.checkedout() == 0


async def test_a_crowd_of_write_rows_all_commit_one_after_another(db: Database) -> None:
    async with db.transaction() as session:
        community_id = (await insert_loaded(session, Community, _community())).id

    async def join(user: str) -> None:
        async def work(statements: Statements) -> None:
            await insert_row(statements, Member, _member(community_id, user))

        await db.write_rows(work)

    users = [f"user{i:02}" for i in range(30)]
    await asyncio.gather(*(join(u) for u in users))
    assert [u for u, _ in await _members(db)] == users


async def test_a_signup_renames_the_member_without_a_session(db: Database) -> None:
    """`create_or_refresh_row`: the name the platform shows now is stored (an UPDATE)."""
    async with db.transaction() as session:
        community = await insert_loaded(session, Community, _community())
        await insert_loaded(session, Member, _member(community.id, "alice"))
    actor = Actor(CommunityRef("local", "guild1"), "alice", "Alice Liddell", False)

    async def work(statements: Statements) -> Member:
        found_community, found, _ = await lookup.actor_rows(statements, actor)
        assert found is not None
        return await lookup.create_or_refresh_row(statements, found_community, actor, START, found)

    renamed = await db.write_rows(work)
    assert renamed.display_name == "Alice Liddell"
    assert await _members(db) == [("alice", "Alice Liddell")]
