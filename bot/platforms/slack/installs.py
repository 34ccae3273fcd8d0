"""Which workspaces the app is installed in, and the bot token for each community.

A community is one workspace (its team id), or for an Enterprise Grid org-wide install the
whole organisation (its enterprise id): such an install has one bot token for every workspace
of the org, and channels can span them. Socket Mode serves the one workspace of its token.
"""

from __future__ import annotations

from logging import Logger
from typing import Any, Protocol

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_cacheable_installation_store import (
    AsyncCacheableInstallationStore,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import and_, desc, or_, select

from bot.platforms.base import PlatformError
from bot.storage import slack_tables
from bot.storage.database import Database

STATE_EXPIRY_SECONDS = 600


def community_of(
    team_id: str | None, enterprise_id: str | None, is_enterprise_install: bool | None
) -> str:
    """The community id of a request, from bolt's context."""
    if is_enterprise_install and enterprise_id:
        return enterprise_id
    if team_id:
        return team_id
    if enterprise_id:
        return enterprise_id
    raise PlatformError("this Slack request names no workspace")


class TokenSource(Protocol):
    async def bot_token(self, community_id: str) -> str: ...


class SingleWorkspace:
    """Socket Mode (or HTTP with one SLACK_BOT_TOKEN): one token for its one workspace."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def bot_token(self, community_id: str) -> str:
        return self.token


def _sqlalchemy_store(engine: Any, client_id: str) -> AsyncSQLAlchemyInstallationStore:
    # The tables come from our migration (bot/storage/slack_tables.py), not create_tables().
    return AsyncSQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=slack_tables.BOTS,
        installations_table_name=slack_tables.INSTALLATIONS,
    )


class _SplitStore(AsyncInstallationStore):
    """Finds on the read engine, writes on the read-write one: on SQLite the read-write
    engine is the one writer connection, which a find would otherwise queue for behind every
    write of the app."""

    def __init__(self, db: Database, client_id: str) -> None:
        self.reader = _sqlalchemy_store(db.read_engine, client_id)
        self.writer = _sqlalchemy_store(db.engine, client_id)

    @property
    def logger(self) -> Logger:
        return self.writer.logger

    async def async_save(self, installation: Installation) -> None:
        await self.writer.async_save(installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await self.writer.async_save_bot(bot)

    async def async_find_bot(self, **where: Any) -> Bot | None:
        return await self.reader.async_find_bot(**where)

    async def async_find_installation(self, **where: Any) -> Installation | None:
        return await self.reader.async_find_installation(**where)

    async def async_delete_bot(self, **where: Any) -> None:
        await self.writer.async_delete_bot(**where)

    async def async_delete_installation(self, **where: Any) -> None:
        await self.writer.async_delete_installation(**where)

    async def async_delete_all(self, **where: Any) -> None:
        await self.writer.async_delete_all(**where)


class CachedInstallations(AsyncCacheableInstallationStore):
    """slack_sdk's SQLAlchemy store behind slack_sdk's in-memory cache, which bolt's
    authorize asks on every request: once a workspace's bot is cached, a request reads no
    table before its ack.

    Every write goes through this object (the OAuth flow's save, the app_uninstalled /
    tokens_revoked listeners), and each empties the cache: a new install, an uninstall or a
    revocation takes effect at the next request. `changes` counts
    the writes, for `Installations`' own cache of the same facts. One process serves Slack's
    HTTP requests (`matchmaker run`), so no other process writes behind the cache's back.
    """

    def __init__(self, db: Database, client_id: str) -> None:
        self.split = _SplitStore(db, client_id)
        super().__init__(self.split)
        self.client_id = client_id
        self.changes = 0

    async def async_find_bot(self, **where: Any) -> Bot | None:
        as_of = self.changes
        bot = await super().async_find_bot(**where)
        if self.changes != as_of:  # a write raced this find: what it cached may be stale
            self.cached_bots.clear()
        return bot

    async def async_find_installation(self, **where: Any) -> Installation | None:
        as_of = self.changes
        installation = await super().async_find_installation(**where)
        if self.changes != as_of:
            self.cached_installations.clear()
        return installation

    def _wrote(self) -> None:
        # Everything is dropped, not only the written workspace's keys: an org-wide install's
        # events may name a workspace of the org while its cache key has none. Writes are
        # rare (installs), a find per workspace afterwards is cheap.
        self.cached_bots.clear()
        self.cached_installations.clear()
        self.changes += 1

    async def async_save(self, installation: Installation) -> None:
        try:
            await self.split.async_save(installation)
        finally:
            self._wrote()

    async def async_save_bot(self, bot: Bot) -> None:
        try:
            await self.split.async_save_bot(bot)
        finally:
            self._wrote()

    async def async_delete_bot(self, **where: Any) -> None:
        try:
            await self.split.async_delete_bot(**where)
        finally:
            self._wrote()

    async def async_delete_installation(self, **where: Any) -> None:
        try:
            await self.split.async_delete_installation(**where)
        finally:
            self._wrote()

    async def async_delete_all(self, **where: Any) -> None:
        try:
            await self.split.async_delete_all(**where)
        finally:
            self._wrote()


def installation_store(db: Database, client_id: str) -> CachedInstallations:
    return CachedInstallations(db, client_id)


def state_store(db: Database) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRY_SECONDS,
        engine=db.engine,
        table_name=slack_tables.OAUTH_STATES,
    )


class Installations:
    """Many workspaces (HTTP + OAuth): each community's latest bot token from the store,
    remembered until the store next changes (an install, uninstall or revocation)."""

    def __init__(self, store: CachedInstallations) -> None:
        self.store = store
        self._tokens: dict[str, str] = {}
        self._as_of = store.changes

    async def bot_token(self, community_id: str) -> str:
        if self._as_of != self.store.changes:
            self._tokens.clear()
            self._as_of = self.store.changes
        token = self._tokens.get(community_id)
        if token is None:
            as_of = self.store.changes
            token = await self._find(community_id)
            if self.store.changes == as_of:  # no write raced the find
                self._tokens[community_id] = token
        return token

    async def _find(self, community_id: str) -> str:
        reader = self.store.split.reader
        c = reader.bots.c
        # A workspace install matches its team id (with or without an enterprise around it);
        # an org-wide install matches its enterprise id.
        query = (
            select(c.bot_token)
            .where(
                c.client_id == reader.client_id,
                c.bot_token.is_not(None),
                or_(
                    c.team_id == community_id,
                    and_(c.enterprise_id == community_id, c.is_enterprise_install.is_(True)),
                ),
            )
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        async with reader.engine.connect() as conn:
            token = await conn.scalar(query)
        if token is None:
            raise PlatformError(f"the app is not installed in Slack workspace {community_id}")
        return str(token)
