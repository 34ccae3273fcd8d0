"""The one engine and session factory. Built when the app starts, never at import.

Three ways in, all one transaction each:

* `transaction()`: read and write. Committed when the block ends, rolled back on any exception.
* `read()`: read only. On SQLite it does not take the write lock, so it runs beside writes (WAL);
  on PostgreSQL it is a `READ ONLY` transaction. A write inside it is an error, not a surprise.
* `write(work)`: `work(session)` in a `transaction()`, run again (a bounded number of times)
  when the database reports a transient conflict: SQLite busy, PostgreSQL serialization
  failure or deadlock. `work` must only touch the session: it may run more than once.

What still fails after the retries, or fails inside `transaction()` / `read()` (which cannot run
their block twice), reaches the member as `Busy` ("try again in a moment"), logged, never as a
crash.

SQLite, the embedded default, under a crowd:

* WAL journal: readers never wait for the writer, nor the writer for readers.
* `synchronous=NORMAL`: a commit is written to the WAL without an fsync; the WAL is synced at
  checkpoints. Trade-off: the database cannot be corrupted, and an application crash loses
  nothing, but a power loss or OS crash may lose the last transactions committed before it.
  PostgreSQL is the choice where that matters.
* One writer at a time, queued in-process (an asyncio lock, first come first served), then
  `BEGIN IMMEDIATE`: a writer waits for its turn however long the queue is, instead of
  retrying SQLite's lock until `busy_timeout` runs out. `busy_timeout` only covers another
  process (e.g. `matchmaker db upgrade` beside a running bot).
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core.errors import Busy

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Pool sizes when DATABASE_POOL_SIZE is not set. SQLite has one writer at a time; the other
# connections serve reads beside it (more would only add threads fighting for the GIL).
# PostgreSQL: enough for one busy bot process, well under the server's default
# max_connections (100) with several processes.
DEFAULT_POOL_SIZE = {"sqlite": 5, "postgresql": 10}
SQLITE_BUSY_TIMEOUT_MS = 5000
# Attempts of one unit of work, and the first pause between two (doubled each time, jittered).
MAX_ATTEMPTS = 5
RETRY_DELAY = 0.02
# PostgreSQL SQLSTATEs worth running the transaction again for.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_READ_ONLY = "matchmaker_read_only"


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


def _open_sqlite(args: list[Any], kwargs: dict[str, Any]) -> sqlite3.Connection:
    """Open and configure one SQLite connection (in a worker thread, it touches the disk)."""
    # Opened here and handed to aiosqlite's thread, hence check_same_thread=False; aiosqlite
    # runs every later call on that one thread.
    raw = sqlite3.connect(*args, **{**kwargs, "check_same_thread": False})
    try:
        # The driver would begin transactions itself, late (at the first write);
        # `_begin_sqlite` does it instead. SQLite ignores foreign keys (and so ON DELETE
        # CASCADE) unless asked.
        raw.isolation_level = None
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("PRAGMA journal_mode=WAL")  # persistent in the file; ':memory:' says 'memory'
        raw.execute("PRAGMA synchronous=NORMAL")  # see the module docstring for the trade-off
    except BaseException:
        raw.close()
        raise
    return raw


def _begin_sqlite(connection: Any) -> None:
    # Writers: IMMEDIATE takes SQLite's write lock when the transaction starts, so transactions
    # that read, then write (is there a dialogue for this pair? no: insert one) run one after
    # the other: what the row locks (FOR UPDATE) give on PostgreSQL. Only one in-process writer
    # gets here at a time (Database._write_turn). Readers: a deferred BEGIN, a WAL snapshot
    # that neither waits for the writer nor holds it up; `query_only` makes a write in it fail.
    read_only = bool(connection.get_execution_options().get(_READ_ONLY))
    info = connection.connection.info  # lives as long as the DBAPI connection
    if info.get(_READ_ONLY) != read_only:
        connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        info[_READ_ONLY] = read_only
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _is_memory_sqlite(url: Any) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


class Database:
    """Owns the engine; `transaction()`, `read()` and `write()` are the units of work."""

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
            options: dict[str, Any] = {"echo": echo}
            if backend == "sqlite":
                options["async_creator"] = self._connect_sqlite
            if not (backend == "sqlite" and _is_memory_sqlite(parsed)):
                # An in-memory SQLite database is one connection (StaticPool): no size to set.
                options["pool_size"] = pool_size or DEFAULT_POOL_SIZE.get(backend, 5)
                options["max_overflow"] = 0
            self.engine: AsyncEngine = create_async_engine(url, **options)
        except (ArgumentError, InvalidRequestError, ImportError) as exc:
            # A malformed URL, a sync driver, or asyncpg not installed.
            raise DatabaseUnavailable(
                f"cannot use the database URL {shown_url(url)}: {exc}"
            ) from None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "begin", _begin_sqlite)
            read_options = {_READ_ONLY: True}
        else:
            read_options = {"postgresql_readonly": True}
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False
        )
        self._turn: asyncio.Lock | None = None
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self._turn_owner: asyncio.Task[Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, pool_size=settings.database_pool_size)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def pool_size(self) -> int | None:
        size = getattr(self.engine.pool, "size", None)
        return size() if callable(size) else None

    async def _connect_sqlite(self) -> Any:
        # aiosqlite opens the file on its worker thread; when that fails it queues the thread's
        # stop without waiting for it, and the thread later calls back into the event loop,
        # which `asyncio.run` may have closed meanwhile ("Exception in thread …
        # _connection_worker_thread", seen on `matchmaker db` with a missing directory). So
        # the file is opened here, awaited like any thread, and aiosqlite's thread only starts
        # for a connection that exists: its connector cannot fail.
        import aiosqlite

        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        raw = await asyncio.to_thread(_open_sqlite, args, kwargs)
        connection = aiosqlite.Connection(lambda: raw, iter_chunk_size=64)
        # As SQLAlchemy's own aiosqlite connect does: a connection nobody closed must not keep
        # the interpreter from exiting.
        connection._thread.daemon = True
        return await connection

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

    @asynccontextmanager
    async def _begin(self, read_only: bool) -> AsyncIterator[AsyncSession]:
        factory = self.read_sessions if read_only else self.sessions
        async with factory() as session, session.begin():
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One read-write transaction: committed when the block ends, rolled back on any
        exception. A transient conflict becomes `Busy` (use `write()` to have it retried)."""
        try:
            async with self._write_turn(), self._begin(read_only=False) as session:
                yield session
        except (DBAPIError, PoolTimeout) as exc:
            if isinstance(exc, PoolTimeout) or is_transient(exc):
                self._give_up("transaction", 1, exc)
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One read-only transaction; on SQLite it runs beside the writer, never waits for it."""
        try:
            async with self._begin(read_only=True) as session:
                yield session
        except (DBAPIError, PoolTimeout) as exc:
            if isinstance(exc, PoolTimeout) or is_transient(exc):
                self._give_up("read", 1, exc)
            raise

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]], *, name: str = "") -> T:
        """`work(session)` in one read-write transaction, run again on a transient conflict.

        A `DomainError` raised by `work` rolls back and propagates at once (it is an answer,
        not a conflict). `work` must not talk to platforms or keep state between attempts.
        """
        label = name or getattr(work, "__qualname__", "write")
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._write_turn(), self._begin(read_only=False) as session:
                    return await work(session)
            except PoolTimeout as exc:
                self._give_up(label, attempt, exc)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                if attempt == self.max_attempts:
                    self._give_up(label, attempt, exc)
                delay = self.retry_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
                log.info(
                    "database conflict in %s (attempt %d of %d), running it again in %.0f ms: %s",
                    label,
                    attempt,
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
        await self.engine.dispose()


def _reason(exc: BaseException) -> str:
    return str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
