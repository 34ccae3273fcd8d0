"""Finding the community and member a command is about, scoped so nothing crosses communities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Base, Community, InterestForm, Member
from bot.storage.prepared import Prepared, Statements
from bot.storage.rows import attach_loaded, insert_loaded, insert_row, plain

from .actor import Actor, CommunityRef
from .errors import Conflict, NotFound

NOT_SIGNED_UP = "You have not signed up yet; start with /dialogue signup."
NOT_SET_UP = "This server/workspace is not set up for Dialogue Matchmaker yet."


async def find_community(session: AsyncSession, ref: CommunityRef) -> Community | None:
    return await session.scalar(
        select(Community).where(
            Community.platform == ref.platform, Community.external_id == ref.external_id
        )
    )


async def get_community(session: AsyncSession, ref: CommunityRef) -> Community:
    community = await find_community(session, ref)
    if community is None:
        raise NotFound(NOT_SET_UP)
    return community


async def ensure_community(
    session: AsyncSession, ref: CommunityRef, name: str, now: datetime
) -> Community:
    """The community for `ref`, created on first contact (the bot joined a guild/workspace)."""
    community = await find_community(session, ref)
    if community is None:
        community = Community(
            platform=ref.platform,
            external_id=ref.external_id,
            name=name,
            created_at=now,
            cooldown=6,
            odd_policy="wait",
            cadence_timezone="UTC",
            prompt_schedule={},
            weights={},
        )
        session.add(community)
        await session.flush()
    return community


async def find_member(session: AsyncSession, community: Community, user_id: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.community_id == community.id, Member.external_id == user_id)
    )


async def get_member(
    session: AsyncSession, community: Community, user_id: str, *, field: str | None = None
) -> Member:
    """A member of *this* community; another community's member is simply unknown here.
    `field` names the command field that held `user_id`, for the error."""
    member = await find_member(session, community, user_id)
    if member is None:
        raise NotFound("That person has not signed up for dialogues here.", field=field)
    return member


# Every member command starts with one of these two, so they are built once: building a
# statement and its cache key costs more than running it on a warm SQLite file.
ACTOR_COMMUNITY = (Community.platform == bindparam("platform")) & (
    Community.external_id == bindparam("community")
)
ACTOR_MEMBER = (Member.community_id == Community.id) & (Member.external_id == bindparam("user"))
_COMMUNITY_AND_MEMBER = (
    select(Community, Member).outerjoin(Member, ACTOR_MEMBER).where(ACTOR_COMMUNITY)
)
_COMMUNITY_MEMBER_AND_FORM = (
    select(Community, Member, InterestForm)
    .outerjoin(Member, ACTOR_MEMBER)
    .outerjoin(InterestForm, InterestForm.member_id == Member.id)
    .where(ACTOR_COMMUNITY)
)


def _every_column(*classes: type[Base]) -> tuple[tuple[type[Base], tuple[str, ...]], ...]:
    return tuple((cls, tuple(p.key for p in sa_inspect(cls).column_attrs)) for cls in classes)


def _as_columns(
    statement: Select[Any], shape: tuple[tuple[type[Base], tuple[str, ...]], ...]
) -> Prepared:
    """`statement` (selecting the entities of `shape`) as their plain columns, prepared."""
    columns = [sa_inspect(cls).get_property(key).columns[0] for cls, keys in shape for key in keys]
    return Prepared(statement.with_only_columns(*columns))


# The same two reads as plain columns, made mapped objects by `attach_loaded`: the ORM's
# loading of three entities cost more than the rest of a fresh `/dialogue signup` together
# (bench/bench_discord.py), and every member command starts with one of them.
_CM_SHAPE = _every_column(Community, Member)
_CMF_SHAPE = _every_column(Community, Member, InterestForm)
_CM_PREPARED = _as_columns(_COMMUNITY_AND_MEMBER, _CM_SHAPE)
_CMF_PREPARED = _as_columns(_COMMUNITY_MEMBER_AND_FORM, _CMF_SHAPE)


async def _load_actor(
    session: AsyncSession,
    actor: Actor,
    statement: Select[Any],
    prepared: Prepared,
    shape: tuple[tuple[type[Base], tuple[str, ...]], ...],
) -> tuple[Any, ...]:
    """`statement`'s one row of entities, None for an outer-joined row that is not there;
    NotFound when the community is not set up."""
    if len(session.sync_session.identity_map):
        # The session holds rows already, maybe these: the ORM reconciles them with its own.
        row = (await session.execute(statement, actor_params(actor))).first()
        if row is None:
            raise NotFound(NOT_SET_UP)
        return tuple(row)
    rows = (await prepared.run(session, actor_params(actor))).rows
    if not rows:
        raise NotFound(NOT_SET_UP)
    return _split(rows[0], shape, lambda cls, loaded: attach_loaded(session, cls, loaded))


def _split(
    row: Any,
    shape: tuple[tuple[type[Base], tuple[str, ...]], ...],
    make: Callable[[type[Base], dict[str, Any]], Any],
) -> tuple[Any, ...]:
    """A plain row of `shape`'s columns as one object per entity (`make`), None for an
    outer-joined one that is not there."""
    values = iter(row)
    found: list[Any] = []
    for cls, keys in shape:
        loaded = dict(zip(keys, values, strict=False))
        # Every primary key column is NOT NULL: a missing outer-joined row reads as all None.
        missing = all(loaded[c.key] is None for c in sa_inspect(cls).primary_key)
        found.append(None if missing else make(cls, loaded))
    return tuple(found)


async def actor_rows(
    statements: Statements, actor: Actor
) -> tuple[Community, Member | None, InterestForm | None]:
    """`community_member_and_form` in a unit of work without a session
    (`Database.write_rows`): plain objects, in no session."""
    rows = (await statements.run(_CMF_PREPARED, actor_params(actor))).rows
    if not rows:
        raise NotFound(NOT_SET_UP)
    community, member, form = _split(rows[0], _CMF_SHAPE, plain)
    return community, member, form


def actor_params(actor: Actor) -> dict[str, str]:
    """The parameters of the statements built on `ACTOR_COMMUNITY` and `ACTOR_MEMBER`."""
    return {
        "platform": actor.community.platform,
        "community": actor.community.external_id,
        "user": actor.user_id,
    }


async def _community_and_member(
    session: AsyncSession, actor: Actor
) -> tuple[Community, Member | None]:
    """The actor's community and their member row (None if they never came), in one query:
    every member command starts here."""
    community, member = await _load_actor(
        session, actor, _COMMUNITY_AND_MEMBER, _CM_PREPARED, _CM_SHAPE
    )
    return community, member


async def community_member_and_form(
    session: AsyncSession, actor: Actor
) -> tuple[Community, Member | None, InterestForm | None]:
    """`_community_and_member` and the member's interest form (None if not started), in the
    same one query: for the commands that need the form too (signup, a submission, status)."""
    community, member, form = await _load_actor(
        session, actor, _COMMUNITY_MEMBER_AND_FORM, _CMF_PREPARED, _CMF_SHAPE
    )
    return community, member, form


def with_columns(*columns: ColumnElement[Any]) -> Select[Any]:
    """`community_member_and_form`'s statement with more columns after the three entities,
    e.g. an EXISTS correlated to the member: one query where a command needs a little more.
    Build it once (at import), and read it with `actor_row`."""
    return _COMMUNITY_MEMBER_AND_FORM.add_columns(*columns)


async def actor_row(session: AsyncSession, statement: Select[Any], actor: Actor) -> Row[Any]:
    """The actor's row of a `with_columns` statement: community, member, form, then the rest."""
    row = (await session.execute(statement, actor_params(actor))).first()
    if row is None:
        raise NotFound(NOT_SET_UP)
    return row


async def get_own_member(session: AsyncSession, actor: Actor) -> tuple[Community, Member]:
    """The acting member and their community, or NotFound telling them how to sign up."""
    community, member = await _community_and_member(session, actor)
    if member is None:
        raise NotFound(NOT_SIGNED_UP)
    return community, member


async def ensure_own_member(
    session: AsyncSession, actor: Actor, now: datetime
) -> tuple[Community, Member]:
    """The acting member and their community; the member is created on first contact."""
    community, member = await _community_and_member(session, actor)
    return community, await create_or_refresh(session, community, actor, now, member)


async def lock_pair(session: AsyncSession, a: int, b: int) -> None:
    """Lock two member rows in id order, so two commands about the same pair run one after
    the other. On PostgreSQL this is the lock; on SQLite write transactions already run one
    at a time (bot.storage.database), which serialises them. Only in a write transaction:
    PostgreSQL refuses FOR UPDATE inside `db.read()`."""
    await session.execute(
        select(Member.id).where(Member.id.in_(sorted((a, b)))).order_by(Member.id).with_for_update()
    )


async def ensure_member(
    session: AsyncSession, community: Community, actor: Actor, now: datetime
) -> Member:
    found = await find_member(session, community, actor.user_id)
    return await create_or_refresh(session, community, actor, now, found)


async def create_or_refresh(
    session: AsyncSession, community: Community, actor: Actor, now: datetime, found: Member | None
) -> Member:
    """`found`, its display name brought up to date; or, when None, the actor's new member."""
    if found is None:
        return await insert_loaded(session, Member, _new_member(community, actor, now))
    if actor.display_name and found.display_name != actor.display_name:
        found.display_name = actor.display_name
    return found


_RENAME = Prepared(
    update(Member).where(Member.id == bindparam("member_id")).values(display_name=bindparam("name"))
)


async def create_or_refresh_row(
    statements: Statements, community: Community, actor: Actor, now: datetime, found: Member | None
) -> Member:
    """`create_or_refresh` in a unit of work without a session (`Database.write_rows`)."""
    if found is None:
        return await insert_row(statements, Member, _new_member(community, actor, now))
    if actor.display_name and found.display_name != actor.display_name:
        await statements.run(_RENAME, {"member_id": found.id, "name": actor.display_name})
        found.display_name = actor.display_name  # a plain object: no session to flush it
    return found


def _new_member(community: Community, actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "community_id": community.id,
        "external_id": actor.user_id,
        "display_name": actor.display_name,
        "status": "active",
        "paused_until": None,
        "priority": 0,
        "created_at": now,
    }


async def get_pool_member(
    session: AsyncSession, community: Community, actor: Actor, *, before: str, off: str
) -> Member:
    """The actor as a member of the pool: a complete form and not removed. Otherwise a
    Conflict saying what to do `before` doing this, or why it is `off` for them."""
    me = await find_member(session, community, actor.user_id)
    form = None if me is None else await session.get(InterestForm, me.id)
    if me is None or form is None or form.status != "complete":
        raise Conflict(f"Finish signing up (/dialogue signup) before {before}.")
    if me.status == "removed":
        raise Conflict(f"A moderator has taken you out of the pool, so {off}.")
    return me
