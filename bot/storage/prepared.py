"""Hot-path statements compiled once and run on SQLite's connection directly.

A statement run through `session.execute` costs ~100-200 µs of Python on SQLite, where
SQLite itself takes a few: the session finds its connection, SQLAlchemy builds the
statement's cache key, looks up its compiled form, makes an execution context, turns the
parameters into the driver's, hops through a greenlet, and wraps the rows in a result (ORM
loading on top for entities). A crowd pressing `/dialogue signup` and `/dialogue status` at
once spends most of the bot's CPU there (bench/bench_discord.py).

`Prepared` keeps the one part that must stay SQLAlchemy's, the SQL and the type conversions
(datetimes stored as SQLite text, JSON, booleans), and drops the rest on SQLite: the
statement is compiled once for the dialect, and each run converts the parameters with the
compiled statement's own bind processors, runs the SQL on the transaction's connection (the
loop-thread `InlineConnection`: bot/storage/sqlite_connection.py), and converts the row
values with the columns' own result processors. What is stored and read back is what
`session.execute` stores and reads, byte for byte.

Elsewhere (PostgreSQL, or an SQLite connection that is not ours) it is `session.execute`,
unchanged. Only statements without expanding parameters (`in_()` of a list), without
Python-side defaults left to fill, and with no ORM entities selected: plain rows out.

`Statements` is what a unit of work made of prepared statements alone runs them through:
a session (`SessionStatements`), or the writer's connection with no session at all
(`ConnectionStatements`, from `Database.write_rows`).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Insert, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import Executable

from .sqlite_connection import InlineConnection

_Processor = Callable[[Any], Any] | None
_KEPT = "prepared.connection"  # session.info key: (root transaction, driver, dialect)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run gave: its rows (attribute and index access, like SQLAlchemy's `Row`) and,
    for an INSERT, the primary key the database generated (SQLite's rowid)."""

    rows: list[Any]
    lastrowid: int | None = None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    construct: Callable[..., dict[str, Any]]
    positions: tuple[tuple[str, _Processor], ...]
    results: tuple[_Processor, ...]
    row: Callable[..., Any] | None  # the namedtuple of the selected columns


class Prepared:
    """One Core statement (a select of columns, an insert) to run often: see the module
    docstring. Build it once (at import); `keys`: the parameters an INSERT sets."""

    __slots__ = ("_compiled", "_keys", "statement")

    def __init__(self, statement: Executable, *, keys: tuple[str, ...] | None = None) -> None:
        self.statement = statement
        self._keys = keys
        # By dialect class and server version: every Database makes its engines' dialects
        # alike, so one compilation serves the read and the write engine, and every test's.
        self._compiled: dict[tuple[type, Any], _Compiled | None] = {}

    def _compile(self, dialect: Dialect) -> _Compiled | None:
        compiled: Any = self.statement.compile(
            dialect=dialect, column_keys=list(self._keys) if self._keys is not None else None
        )
        if (
            not compiled.positional
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or compiled.insert_prefetch
            or compiled.update_prefetch
            or getattr(compiled, "returning", None)
        ):
            return None  # not a shape this runs; session.execute does it
        processors = compiled._bind_processors
        positions = tuple((key, processors.get(key)) for key in compiled.positiontup)
        columns = compiled._result_columns
        results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
        # Attribute access by the columns' labels, as SQLAlchemy's Row gives.
        row = namedtuple("Row", [c.keyname for c in columns], rename=True) if columns else None
        return _Compiled(compiled.string, compiled.construct_params, positions, results, row)

    def compiled_for(self, driver: Any, dialect: Dialect) -> _Compiled | None:
        """The statement compiled for `dialect`, when `driver` is a connection this runs on."""
        if not isinstance(driver, InlineConnection):
            return None
        which = (type(dialect), dialect.server_version_info)
        try:
            return self._compiled[which]
        except KeyError:
            compiled = self._compiled[which] = self._compile(dialect)
            return compiled

    async def run(self, session: AsyncSession, params: Mapping[str, Any]) -> Outcome:
        """Run in `session`'s transaction (begun on its connection if not yet)."""
        sync = session.sync_session
        if sync.autoflush and not sync._is_clean():
            # What session.execute's autoflush would have sent first (a row this one's
            # foreign key needs, an update it must see); not inside `session.no_autoflush`,
            # where the caller holds its changes for one UPDATE at the commit.
            await session.flush()
        transaction = sync.get_transaction()
        kept = sync.info.get(_KEPT)
        if transaction is not None and kept is not None and kept[0] is transaction:
            # This transaction's connection, found by an earlier statement: asking the
            # session again is a trip through a greenlet each time.
            _, driver, dialect = kept
        else:
            connection: AsyncConnection = await session.connection()
            driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
            dialect = connection.dialect
            # The root transaction holds its connection until it ends; a later one (after a
            # commit in the same session) is another object, so this is never stale.
            sync.info[_KEPT] = (sync.get_transaction(), driver, dialect)
        compiled = self.compiled_for(driver, dialect)
        if compiled is None:
            result = await session.execute(self.statement, dict(params))
            if isinstance(self.statement, Insert):
                key = result.inserted_primary_key
                return Outcome([], key[0] if key else None)
            if isinstance(self.statement, (Update, Delete)):
                return Outcome([])
            return Outcome(list(result.all()))
        return await run_compiled(driver, compiled, dialect, params)


class Statements:
    """Where a unit of work made of prepared statements alone runs them (`Database.write_rows`)."""

    async def run(self, statement: Prepared, params: Mapping[str, Any]) -> Outcome:
        raise NotImplementedError


class SessionStatements(Statements):
    """In `session`'s transaction: PostgreSQL, or an SQLite connection that is not ours."""

    __slots__ = ("session",)

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def run(self, statement: Prepared, params: Mapping[str, Any]) -> Outcome:
        return await statement.run(self.session, params)


class ConnectionStatements(Statements):
    """On `driver` (the loop-thread SQLite connection), in the transaction begun on it."""

    __slots__ = ("dialect", "driver")

    def __init__(self, driver: InlineConnection, dialect: Dialect) -> None:
        self.driver, self.dialect = driver, dialect

    async def run(self, statement: Prepared, params: Mapping[str, Any]) -> Outcome:
        compiled = statement.compiled_for(self.driver, self.dialect)
        if compiled is None:
            # There is no session here to fall back on: a shape Prepared does not run (see
            # the module docstring) belongs in `Database.write`.
            raise TypeError(f"not a statement Prepared runs itself: {statement.statement}")
        return await run_compiled(self.driver, compiled, self.dialect, params)


async def run_sql(driver: InlineConnection, sql: str, dialect: Dialect) -> None:
    """One parameterless statement (BEGIN, COMMIT) on `driver`, errors as SQLAlchemy's."""
    try:
        await driver.run_statement(sql, (), many=False)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, (), error, sqlite3.Error, dialect=dialect) from error


async def run_compiled(
    driver: InlineConnection, compiled: _Compiled, dialect: Dialect, params: Mapping[str, Any]
) -> Outcome:
    """`compiled` (from `Prepared.compiled_for`) with `params`, on `driver`, at once."""
    values = compiled.construct(params, escape_names=False)
    args = [
        values[key] if convert is None else convert(values[key])
        for key, convert in compiled.positions
    ]
    try:
        _, _, lastrowid, raw_rows = await driver.run_statement(compiled.sql, args, many=False)
    except sqlite3.Error as error:
        # As SQLAlchemy raises it (IntegrityError, OperationalError… with `orig`), so
        # `Database.write` still retries a busy database and callers catch what they did.
        raise DBAPIError.instance(
            compiled.sql, args, error, sqlite3.Error, dialect=dialect
        ) from error
    if compiled.row is None:
        return Outcome([], lastrowid)
    results = compiled.results
    make = compiled.row
    return Outcome(
        [
            make(
                *(
                    value if convert is None or value is None else convert(value)
                    for value, convert in zip(raw, results, strict=True)
                )
            )
            for raw in raw_rows
        ],
        lastrowid,
    )
