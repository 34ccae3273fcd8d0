"""Every SQL statement a database runs, as SQLite or PostgreSQL is sent it.

SQLAlchemy's `before_cursor_execute` misses what does not go through its engine: on SQLite
the prepared statements (bot/storage/prepared.py) run on the connection itself. There, every
statement reaches `InlineConnection.run_statement`, so that is where they are seen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bot.storage.database import Database
from bot.storage.sqlite_connection import InlineConnection


@contextmanager
def sql_seen(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    if db.is_sqlite:
        run = InlineConnection.run_statement

        async def run_statement(
            self: InlineConnection, sql: str, parameters: Any, **kw: Any
        ) -> Any:
            seen.append(sql)
            return await run(self, sql, parameters, **kw)

        with monkeypatch.context() as patched:
            patched.setattr(InlineConnection, "run_statement", run_statement)
            yield seen
        return

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
