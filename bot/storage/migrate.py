"""Alembic glue for `matchmaker db upgrade|current` and start-up upgrades."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import migrations

from .database import Database


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Apply pending migrations inside one connection (SQLite and PostgreSQL alike)."""
    config = alembic_config(db.url)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def current(db: Database) -> str | None:
    """The database's revision, or None for a database that was never migrated."""

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
