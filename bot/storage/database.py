"""The one engine and session factory. Built when the app starts, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver would begin transactions itself, late (at the first write); `_begin_sqlite`
    # does it instead. SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # IMMEDIATE takes SQLite's write lock when the transaction starts, so transactions that
    # read, then write (is there a dialogue for this pair? no: insert one) run one after the
    # other: what the row locks (FOR UPDATE) give on PostgreSQL. A waiting one retries for
    # busy_timeout.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class DatabaseUnavailable(Exception):
    """The URL cannot be used, or nothing answers there: a message for the person who set it."""


def shown_url(url: str) -> str:
    """The URL as it may be printed: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


class Database:
    """Owns the engine; `transaction()` is the unit of work every core service runs in."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        try:
            self.engine: AsyncEngine = create_async_engine(url, echo=echo)
        except (ArgumentError, InvalidRequestError, ImportError) as exc:
            # A malformed URL, a sync driver, or asyncpg not installed.
            raise DatabaseUnavailable(
                f"cannot use the database URL {shown_url(url)}: {exc}"
            ) from None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite_connection)
            event.listen(self.engine.sync_engine, "begin", _begin_sqlite)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session

    async def check_connection(self) -> None:
        """Connect once, so a wrong URL or a server that is down is one clear message."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            reason = exc.orig if isinstance(exc, DBAPIError) else exc
            raise DatabaseUnavailable(
                f"cannot connect to the database at {shown_url(self.url)}: {reason}"
            ) from None

    async def dispose(self) -> None:
        await self.engine.dispose()
