"""The models and the migrations describe the same schema, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.storage.database import Database
from bot.storage.migrate import current, head_revision
from bot.storage.models import Base


async def test_autogenerate_finds_no_difference_after_upgrade(db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_database_is_at_head_revision(db: Database) -> None:
    assert await current(db) == head_revision(db)
    assert head_revision(db) is not None
