"""The engines and session factories. Built when the app starts, never at import.

Four ways in, all one transaction (or one statement) each:

* `transaction()`: read and write. Committed when the block ends, rolled back on any exception.
* `read()`: read only. On SQLite it does not take the write lock, so it runs beside writes (WAL);
  on PostgreSQL it is a `READ ONLY` transaction. A write inside it is an error, not a surprise.
* `write(work)`: `work(session)` in a `transaction()`, run again (a bounded number of times)
  when the database reports a transient conflict: SQLite busy, PostgreSQL serialization
  failure or deadlock. `work` must only touch the session: it may run more than once.
* `read_rows(prepared, params)`: one prepared statement's rows (bot/storage/prepared.py),
  read only; on a SQLite file without a session at all.
* `write_rows(work)`: `write` for a `work` made of prepared statements alone; on a SQLite
  file without a session at all.

What still fails after the retries, or fails inside `transaction()` / `read()` (which cannot run
their block twice), reaches the member as `Busy` ("try again in a moment"), logged, never as a
crash.

SQLite, the embedded default, under a crowd:

* WAL journal: readers never wait for the writer, nor the writer for readers. Reads run on
  their own pool of `query_only` connections (`read_engine`), the writer on one connection.
* `synchronous=NORMAL`: a commit is written to the WAL without an fsync; the WAL is synced at
  checkpoints. Trade-off: the database cannot be corrupted, and an application crash loses
  nothing, but a power loss or OS crash may lose the last transactions committed before it.
  PostgreSQL is the choice where that matters.
* One writer at a time, queued in-process (an asyncio lock, first come first served), then
  `BEGIN IMMEDIATE`: a writer waits for its turn however long the queue is, instead of
  retrying SQLite's lock until `busy_timeout` runs out. `busy_timeout` only covers another
  process (e.g. `matchmaker db upgrade` beside a running bot).
* Statements run on the event loop's thread, not on aiosqlite's worker threads: see
  `bot/storage/sqlite_connection.py` for why (and what still goes to a thread). So that one
  task cannot run many units of work in a row while others wait, each unit of work first
  steps back once in the event loop's queue.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import URL, event, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core.errors import Busy

from . import sqlite_connection
from .prepared import (
    ConnectionStatements,
    Prepared,
    SessionStatements,
    Statements,
    run_compiled,
    run_sql,
)

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Pool sizes when DATABASE_POOL_SIZE is not set. SQLite has one writer at a time; the other
# connections serve reads beside it.
# PostgreSQL: enough for one busy bot process, well under the server's default
# max_connections (100) with several processes.
DEFAULT_POOL_SIZE = {"sqlite": 5, "postgresql": 10}
# Attempts of one unit of work, and the first pause between two (doubled each time, jittered).
MAX_ATTEMPTS = 5
RETRY_DELAY = 0.02
# PostgreSQL SQLSTATEs worth running the transaction again for.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
# The pools (by id) whose admission queue the running task already passed.
_admitted: ContextVar[frozenset[int]] = ContextVar("admitted", default=frozenset())


class DatabaseUnavailable(Exception):
    """The URL cannot be used, or nothing answers there: a message for the person who set it."""


def shown_url(url: str) -> str:
    """The URL as it may be printed: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def is_transient(error: BaseException) -> bool:
    """A conflict with another transaction that running again can resolve."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
        message = str(orig).lower()
        return "database is locked" in message or "database is busy" in message
    # asyncpg errors as SQLAlchemy adapts them carry the SQLSTATE as `sqlstate`/`pgcode`.
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return sqlstate in TRANSIENT_SQLSTATES


def _begin_sql(connection: Any, sql: str) -> None:
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite_connection.InlineConnection) and driver.begin_at_once(sql):
        return  # every transaction begins: a tenth of a short one's CPU saved this way
    connection.exec_driver_sql(sql)


def _begin_write(connection: Any) -> None:
    # IMMEDIATE takes SQLite's write lock when the transaction starts, so transactions that
    # read, then write (is there a dialogue for this pair? no: insert one) run one after the
    # other: what the row locks (FOR UPDATE) give on PostgreSQL. Only one in-process writer
    # gets here at a time (Database._write_turn), so it never waits on busy_timeout for
    # another of ours.
    _begin_sql(connection, "BEGIN IMMEDIATE")


def _begin_read(connection: Any) -> None:
    # A deferred BEGIN: a WAL snapshot at the first read, which neither waits for the writer
    # nor holds it up. The connection is `query_only`, so a write in it fails loudly.
    _begin_sql(connection, "BEGIN")


def _is_memory_sqlite(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


class Database:
    """Owns the engines; `transaction()`, `read()` and `write()` are the units of work.

    `engine` is the read-write engine (migrations and `transaction()` use it). On a SQLite
    file it holds one connection, the writer; `read_engine` holds the readers
    (`DATABASE_POOL_SIZE` minus one, at least one), each `query_only`. On PostgreSQL both are
    one pool, reads being `READ ONLY` transactions. An in-memory SQLite database is a single
    connection, so there reads are ordinary transactions.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self.url = url
        self.max_attempts = max(1, max_attempts)
        self.retry_delay = retry_delay
        try:
            parsed = make_url(url)
            backend = parsed.get_backend_name()
            size = pool_size or DEFAULT_POOL_SIZE.get(backend, 5)
            if backend != "sqlite":
                self.engine: AsyncEngine = create_async_engine(
                    url, echo=echo, pool_size=size, max_overflow=0
                )
                self.read_engine = self.engine.execution_options(postgresql_readonly=True)
            elif _is_memory_sqlite(parsed):
                # One connection (StaticPool): reads share it, as transactions like any other.
                self.engine = create_async_engine(
                    url, echo=echo, async_creator=self._sqlite_creator(read_only=False)
                )
                self.read_engine = self.engine
            else:
                self.engine = create_async_engine(
                    url,
                    echo=echo,
                    async_creator=self._sqlite_creator(read_only=False),
                    pool_size=1,
                    max_overflow=0,
                )
                self.read_engine = create_async_engine(
                    url,
                    echo=echo,
                    async_creator=self._sqlite_creator(read_only=True),
                    pool_size=max(1, size - 1),
                    max_overflow=0,
                )
                event.listen(self.read_engine.sync_engine, "begin", _begin_read)
        except (ArgumentError, InvalidRequestError, ImportError) as exc:
            # A malformed URL, a sync driver, or asyncpg not installed.
            raise DatabaseUnavailable(
                f"cannot use the database URL {shown_url(url)}: {exc}"
            ) from None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "begin", _begin_write)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._separate_readers = self.read_engine is not self.engine and self.is_sqlite
        # The prepared paths' own connections (a SQLite file only): see `_OwnConnections`.
        self._readers = _OwnConnections(self._sqlite_creator(read_only=True))
        self._writer = _OwnConnections(self._sqlite_creator(read_only=False))
        # A SQLite file's checkpoints, off the event loop (sqlite_connection.Checkpointer).
        self.checkpointer: sqlite_connection.Checkpointer | None = None
        if self._separate_readers:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            self.checkpointer = sqlite_connection.Checkpointer(args, kwargs)
        self._turn: asyncio.Lock | None = None
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self._turn_owner: asyncio.Task[Any] | None = None
        self._gates: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Semaphore]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, pool_size=settings.database_pool_size)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def _sqlite_creator(self, *, read_only: bool) -> Callable[[], Awaitable[Any]]:
        async def connect() -> Any:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            return await sqlite_connection.connect(args, kwargs, read_only=read_only)

        return connect

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """On SQLite, wait for this process's one writer slot; elsewhere, nothing to wait for."""
        if not self.is_sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        if self._turn is None or self._turn_loop is not loop:
            self._turn, self._turn_loop = asyncio.Lock(), loop
        task = asyncio.current_task()
        if self._turn_owner is not None and self._turn_owner is task:
            raise RuntimeError(
                "a write transaction inside a write transaction of the same task would wait "
                "for itself; pass the session down, or use read() for the inner one"
            )
        async with self._turn:
            self._turn_owner = task
            try:
                yield
            finally:
                self._turn_owner = None
                if self.checkpointer is not None:
                    self.checkpointer.wrote()

    def _admission(self, engine: AsyncEngine) -> asyncio.Semaphore | None:
        """A first-come-first-served queue in front of `engine`'s pool, one place per
        connection. SQLAlchemy's pool lets a newcomer take a connection that was just handed
        back before the one waiting longest wakes up, so under a crowd some wait again and
        again until the pool's 30 s timeout; in this queue nobody is overtaken, and nobody
        times out. None where the write turn already queues every user of the pool."""
        pool = engine.sync_engine.pool  # PostgreSQL's reads and writes share one pool
        size = getattr(pool, "size", None)
        if not callable(size) or (engine is self.engine and self.is_sqlite):
            return None
        loop = asyncio.get_running_loop()
        found = self._gates.get(id(pool))
        if found is None or found[0] is not loop:
            found = (loop, asyncio.Semaphore(size()))
            self._gates[id(pool)] = found
        return found[1]

    @asynccontextmanager
    async def _begin(self, *, read_only: bool, turn: bool) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; `turn`: hold this process's write turn through it."""
        factory = self.read_sessions if read_only else self.sessions
        async with self._admit(self.read_engine if read_only else self.engine):
            session = factory()
            try:
                async with self._write_turn() if turn else nullcontext():
                    if self.is_sqlite:
                        # On SQLite nothing here gives the event loop away (statements run
                        # inline, an uncontended turn or place is taken at once), so without
                        # this a task running units of work back to back (a member's next
                        # command, a loop over jobs) would run them all before the tasks that
                        # were ready first got one. Going to the back of the loop's queue once
                        # per unit of work keeps it first come, first served across tasks.
                        # Holding the turn (a write) or the place (a read) meanwhile: a crowd
                        # then queues on them, not in the loop's queue, so one loop turn runs
                        # one writer and a few readers, not everyone's transaction at once,
                        # and the sockets (the answers' HTTP requests, the gateway) are served
                        # between them. Measured in bench/bench_discord.py: 400 interactions'
                        # transactions had run in two loop turns of 120-170 ms, every answer's
                        # request waiting behind them (200+ connections opened at once).
                        await asyncio.sleep(0)
                    # What `async with session.begin()` does, less two trips through a
                    # greenlet (~a tenth of a short transaction's CPU): beginning only marks
                    # the start (the connection is taken at the first statement).
                    session.sync_session.begin()
                    if read_only:
                        try:
                            yield session
                        finally:
                            # Nothing to commit: closing ends the transaction (rolled back
                            # as the connection goes back to the pool) in one step, where a
                            # commit (or rollback) and then a close took two. Inside the
                            # turn: an in-memory database's one connection is the writer's.
                            await session.close()
                    else:
                        try:
                            yield session
                        except BaseException:
                            await session.rollback()
                            raise
                        await session.commit()
            finally:
                # After the commit, which gave the connection back, and outside the write
                # turn: `async with session` would close in a task of its own (SQLAlchemy
                # shields it), a few event loop turns the next writer would wait through.
                if session.in_transaction():
                    await session.close()  # rolls back and gives the connection back
                else:
                    session.sync_session.close()  # nothing left but forgetting the objects

    @asynccontextmanager
    async def _admit(self, engine: AsyncEngine) -> AsyncIterator[None]:
        """A place in `engine`'s first-come-first-served queue (`_admission`), held through
        the block; at once where the task holds one already."""
        gate = self._admission(engine)
        pool = id(engine.sync_engine.pool)
        admitted = _admitted.get()
        if pool in admitted:
            # A unit of work opened inside another on the same pool (a read inside a write,
            # on PostgreSQL): waiting for a second place could wait for itself. The pool's
            # own timeout bounds it instead.
            gate = None
        async with gate if gate is not None else nullcontext():
            token = _admitted.set(admitted | {pool})
            try:
                yield
            finally:
                _admitted.reset(token)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One read-write transaction: committed when the block ends, rolled back on any
        exception. A transient conflict becomes `Busy` (use `write()` to have it retried)."""
        try:
            async with self._begin(read_only=False, turn=True) as session:
                yield session
        except (DBAPIError, PoolTimeout) as exc:
            if isinstance(exc, PoolTimeout) or is_transient(exc):
                self._give_up("transaction", 1, exc)
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One read-only transaction; on SQLite it runs beside the writer, never waits for it."""
        try:
            # An in-memory SQLite database has one connection: a read waits for the writer.
            turn = self.is_sqlite and not self._separate_readers
            async with self._begin(read_only=True, turn=turn) as session:
                yield session
        except (DBAPIError, PoolTimeout) as exc:
            if isinstance(exc, PoolTimeout) or is_transient(exc):
                self._give_up("read", 1, exc)
            raise

    async def read_rows(self, statement: Prepared, params: Mapping[str, Any]) -> list[Any]:
        """The rows of one prepared read: `read()` around `statement.run`, without the
        session on a SQLite file. One statement needs no transaction to see one snapshot
        (SQLite runs it in one), so it takes a reader from the pool, in its turn, runs, and
        gives it back: what a session's begin, connection and close cost is most of a
        one-statement read (bench/bench_discord.py, `/dialogue status`)."""
        if not self._separate_readers:
            async with self.read() as session:
                return (await statement.run(session, params)).rows
        dialect = self.read_engine.dialect
        try:
            async with self._admit(self.read_engine):
                # First come, first served (see `_begin`), and before taking a connection:
                # while this task waits in the loop's queue, the others reuse the idle one.
                await asyncio.sleep(0)
                async with self._readers.connection() as driver:
                    compiled = statement.compiled_for(driver, dialect)
                    if compiled is not None:
                        return (await run_compiled(driver, compiled, dialect, params)).rows
        except DBAPIError as exc:
            if is_transient(exc):
                self._give_up("read", 1, exc)
            raise
        # A statement Prepared does not run itself: the session's way.
        async with self.read() as session:
            return (await statement.run(session, params)).rows

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]], *, name: str = "") -> T:
        """`work(session)` in one read-write transaction, run again on a transient conflict.

        A `DomainError` raised by `work` rolls back and propagates at once (it is an answer,
        not a conflict). `work` must not talk to platforms or keep state between attempts.
        """

        async def attempt() -> T:
            async with self._begin(read_only=False, turn=True) as session:
                return await work(session)

        return await self._retrying(name or getattr(work, "__qualname__", "write"), attempt)

    async def write_rows(self, work: Callable[[Statements], Awaitable[T]], *, name: str = "") -> T:
        """`work`, made of prepared statements alone (bot/storage/prepared.py), as `write`
        runs a unit of work: one read-write transaction, run again on a transient conflict.

        On a SQLite file there is no session: in the write turn, BEGIN IMMEDIATE, the
        statements and COMMIT run on the writer's connection. A session's begin, connection,
        loaded objects and commit were half of a fresh `/dialogue signup`'s CPU
        (bench/bench_discord.py). Elsewhere it is `write`, the statements run in its session.
        """
        if not self._separate_readers:
            return await self.write(lambda session: work(SessionStatements(session)), name=name)

        async def attempt() -> T:
            async with self._write_turn():
                await asyncio.sleep(0)  # first come, first served: see `_begin`
                async with self._writer.connection() as driver:
                    return await _in_transaction(driver, self.engine.dialect, work)

        return await self._retrying(name or getattr(work, "__qualname__", "write_rows"), attempt)

    async def _retrying(self, label: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """`attempt()`, made again (a bounded number of times, backing off) while it fails
        on a transient conflict; `Busy` when it still does."""
        for attempts in range(1, self.max_attempts + 1):
            try:
                return await attempt()
            except PoolTimeout as exc:
                self._give_up(label, attempts, exc)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                if attempts == self.max_attempts:
                    self._give_up(label, attempts, exc)
                delay = self.retry_delay * 2 ** (attempts - 1) * random.uniform(0.5, 1.5)
                log.info(
                    "database conflict in %s (attempt %d of %d), running it again in %.0f ms: %s",
                    label,
                    attempts,
                    self.max_attempts,
                    delay * 1000,
                    _reason(exc),
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _give_up(self, label: str, attempts: int, exc: BaseException) -> None:
        log.warning(
            "database busy: %s gave up after %d attempt(s); the member is asked to try again: %s",
            label,
            attempts,
            _reason(exc),
        )
        raise Busy() from exc

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
        if self.checkpointer is not None:
            await self.checkpointer.close()
        await self._readers.close()
        await self._writer.close()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


class _OwnConnections:
    """SQLite connections that `read_rows` and `write_rows` hold themselves, beside
    SQLAlchemy's pools: taking one from a pool and giving it back (two trips through a
    greenlet, and the pool's reset) cost more than the statement it ran
    (bench/bench_discord.py). Opened when first needed, as many as are in use at once:
    statements run inline, so that is one unless another process makes SQLite busy; the
    callers' queues (the read gate, the write turn) bound it anyway."""

    def __init__(self, open_: Callable[[], Awaitable[Any]]) -> None:
        self._open = open_
        self._idle: list[sqlite_connection.InlineConnection] = []
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[sqlite_connection.InlineConnection]:
        driver = self._idle.pop() if self._idle else await self._open()
        try:
            yield driver
        finally:
            if self._closed or driver.in_transaction:
                # Disposed meanwhile, or left in a transaction a failure did not end.
                await driver.close()
            else:
                self._idle.append(driver)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for driver in idle:
            await driver.close()


async def _in_transaction(
    driver: sqlite_connection.InlineConnection,
    dialect: Dialect,
    work: Callable[[Statements], Awaitable[T]],
) -> T:
    """`work` in one IMMEDIATE transaction on the writer's `driver`: committed when it
    returns, rolled back when it raises."""
    if not driver.begin_at_once("BEGIN IMMEDIATE"):
        await run_sql(driver, "BEGIN IMMEDIATE", dialect)  # waits, or reports, off the loop
    try:
        result = await work(ConnectionStatements(driver, dialect))
        await run_sql(driver, "COMMIT", dialect)
    except BaseException:
        if driver.in_transaction:
            # A failed COMMIT leaves the transaction open; some errors end it themselves.
            await run_sql(driver, "ROLLBACK", dialect)
        raise
    return result


def _reason(exc: BaseException) -> str:
    return str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
