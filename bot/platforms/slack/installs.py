"""Which workspaces the app is installed in, and the bot token for each community.

A community is one workspace (its team id), or for an Enterprise Grid org-wide install the
whole organisation (its enterprise id): such an install has one bot token for every workspace
of the org, and channels can span them. Socket Mode serves the one workspace of its token.
"""

from __future__ import annotations

from typing import Protocol

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


def installation_store(db: Database, client_id: str) -> AsyncSQLAlchemyInstallationStore:
    # The tables come from our migration (bot/storage/slack_tables.py), not create_tables().
    return AsyncSQLAlchemyInstallationStore(
        client_id=client_id,
        engine=db.engine,
        bots_table_name=slack_tables.BOTS,
        installations_table_name=slack_tables.INSTALLATIONS,
    )


def state_store(db: Database) -> AsyncSQLAlchemyOAuthStateStore:
    return AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRY_SECONDS,
        engine=db.engine,
        table_name=slack_tables.OAUTH_STATES,
    )


class Installations:
    """Many workspaces (HTTP + OAuth): each community's latest bot token from the store."""

    def __init__(self, store: AsyncSQLAlchemyInstallationStore) -> None:
        self.store = store

    async def bot_token(self, community_id: str) -> str:
        c = self.store.bots.c
        # A workspace install matches its team id (with or without an enterprise around it);
        # an org-wide install matches its enterprise id.
        query = (
            select(c.bot_token)
            .where(
                c.client_id == self.store.client_id,
                c.bot_token.is_not(None),
                or_(
                    c.team_id == community_id,
                    and_(c.enterprise_id == community_id, c.is_enterprise_install.is_(True)),
                ),
            )
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        async with self.store.engine.connect() as conn:
            token = await conn.scalar(query)
        if token is None:
            raise PlatformError(f"the app is not installed in Slack workspace {community_id}")
        return str(token)
