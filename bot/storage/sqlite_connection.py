"""How the bot opens SQLite: configured once, and run on the event loop's own thread.

aiosqlite runs every call on a worker thread per connection; each call is a trip there and
back (a queue put, a thread wake-up, a callback into the event loop), and SQLAlchemy's
adapter makes four per statement (open a cursor, execute, fetch, close). Under a crowd that
is where the time went: every trip waits its turn in an event loop full of other members'
work, a writer held SQLite's one write lock through all of its trips (so every other writer
waited too), and a reader held one of the few pooled connections through its own.

`InlineConnection` keeps aiosqlite's interface (which SQLAlchemy's aiosqlite dialect wraps)
but has no worker thread: each statement runs on the event loop's thread and its rows are
fetched at once. On a WAL database in the page cache a statement takes microseconds, far
less than SQLAlchemy's own Python work around it, which runs on that thread anyway; a
transaction then runs from BEGIN to COMMIT without giving the loop away, so the write lock is
held for the transaction's own work only.

What could make the loop wait is kept off it:
* Locks held by *another process* (`matchmaker db upgrade` beside a running bot): the
  connection's busy_timeout is 0, and a statement SQLite answers "busy" (it did not run) is
  run again in a worker thread with the real busy_timeout.
* Disk: with WAL and `synchronous=NORMAL` a commit appends to the WAL without an fsync.
  Checkpoints (copying the WAL back into the database file, then an fsync) are not left to
  SQLite's automatic checkpoint, which runs on the committing connection, here the event
  loop's: `Checkpointer` runs them on a thread of its own (see there).

The bot never streams results, so fetching every row at once loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# Write transactions between two checkpoints: a signup writes ~4 pages, so ~1,000 pages, the
# interval of SQLite's own automatic checkpoint.
CHECKPOINT_EVERY = 250
_Outcome = tuple[Any, int, int | None, list[Any]]  # description, rowcount, lastrowid, rows


def open_sqlite(
    args: Sequence[Any], kwargs: dict[str, Any], *, read_only: bool = False
) -> sqlite3.Connection:
    """Open and configure one SQLite connection (blocking: run it in a thread). A `read_only`
    one refuses writes (`query_only`): a service that writes inside `Database.read()` fails
    in the tests instead of quietly taking the write lock beside the writer."""
    # Opened in a worker thread and used on the event loop's: check_same_thread=False. Calls
    # on it never overlap (each is awaited before the next).
    raw = sqlite3.connect(*args, **{**kwargs, "check_same_thread": False})
    try:
        # The driver would begin transactions itself, late (at the first write); the
        # Database's `begin` listeners do it instead. SQLite ignores foreign keys (and so ON
        # DELETE CASCADE) unless asked.
        raw.isolation_level = None
        raw.execute("PRAGMA foreign_keys=ON")
        # WAL: readers and the writer do not wait for each other. Persistent in the file;
        # an in-memory database answers 'memory' and stays so. Setting it may wait for
        # another connection, hence the busy_timeout until the connection is ready.
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        raw.execute("PRAGMA journal_mode=WAL")
        # Commits append to the WAL without an fsync; the WAL is synced at checkpoints. The
        # trade-off is documented in bot/storage/database.py.
        raw.execute("PRAGMA synchronous=NORMAL")
        # No automatic checkpoint on a commit: `Checkpointer` does it off the event loop.
        raw.execute("PRAGMA wal_autocheckpoint=0")
        if read_only:
            raw.execute("PRAGMA query_only=ON")
        # From here the connection runs on the event loop: no busy wait there (see above).
        raw.execute("PRAGMA busy_timeout=0")
    except BaseException:
        raw.close()
        raise
    return raw


async def connect(
    args: Sequence[Any], kwargs: dict[str, Any], *, read_only: bool = False
) -> InlineConnection:
    """Open the file in a worker thread (it touches the disk), then wrap it.

    Not `aiosqlite.connect`: when opening fails there (a missing directory), aiosqlite queues
    its worker thread's stop without waiting for it, and that thread later calls back into
    the event loop, which `asyncio.run` may have closed by then: "Exception in thread …
    _connection_worker_thread" after the clear error message, seen on `matchmaker db
    upgrade` under load. Here a failed open is an ordinary awaited exception, and no
    aiosqlite thread exists to outlive the loop.
    """
    raw = await asyncio.to_thread(open_sqlite, args, kwargs, read_only=read_only)
    return await InlineConnection(lambda: raw, iter_chunk_size=64)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _run(raw: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    cursor = raw.executemany(sql, parameters) if many else raw.execute(sql, parameters)
    try:
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _run_waiting(raw: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        return _run(raw, sql, parameters, many)
    finally:
        raw.execute("PRAGMA busy_timeout=0")


class BufferedCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; results are fetched with the execute."""

    arraysize = 1

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._rows = []

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> BufferedCursor:
        outcome = await self._connection.run_statement(sql, parameters or (), many=False)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> BufferedCursor:
        # Materialised: a busy retry must be able to run the same rows again.
        outcome = await self._connection.run_statement(sql, list(parameters), many=True)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


class _RunNow:
    """Stands in for aiosqlite's queue to its worker thread: runs each call at once, here."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Any]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection with no worker thread: see the module docstring."""

    def __init__(self, connector: Any, iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        # aiosqlite sends every call (connect, commit, close, SQLAlchemy's isolation-level
        # setter) through this queue; each now runs on the spot.
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Any:
        # aiosqlite would start its worker thread here; this connection has none.
        return self._connect().__await__()

    def begin_at_once(self, sql: str) -> bool:
        """Run `sql` (a BEGIN) here and now, without SQLAlchemy's statement machinery around
        it; False when it did not run (another process holds a lock it needs, or any other
        error): the caller then runs it as an ordinary statement, which waits off the event
        loop and reports errors the usual way."""
        try:
            self._conn.execute(sql)
        except sqlite3.Error:
            return False
        return True

    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        return BufferedCursor(self)

    async def run_statement(self, sql: str, parameters: Any, *, many: bool) -> _Outcome:
        raw = self._conn
        try:
            return _run(raw, sql, parameters, many)
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        # Another process holds a lock SQLite needs; the statement did not run. Wait for the
        # lock off the event loop.
        return await asyncio.to_thread(_run_waiting, raw, sql, parameters, many)


class Checkpointer:
    """Copies the WAL back into the database file (a PASSIVE checkpoint) on a thread of its
    own, every `every` write transactions (`wrote()`, called by the loop after each).

    SQLite's automatic checkpoint would run on the connection that commits, the event
    loop's, which would copy the pages and wait for the fsync while every member waits
    (~8 times in bench/bench_discord.py's 2,000 signups; the p99 gain is within that
    machine's noise, see bench/README.md).
    PASSIVE waits for nobody: the writer goes on appending meanwhile, and readers keep their
    snapshots (what they still read is checkpointed next time). The thread starts at the
    first checkpoint; a database written less than that is checkpointed when its last
    connection closes, as SQLite does anyway."""

    def __init__(
        self, args: Sequence[Any], kwargs: dict[str, Any], *, every: int = CHECKPOINT_EVERY
    ) -> None:
        self._args, self._kwargs, self.every = args, kwargs, every
        self._writes = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.passes = 0  # checkpoints run, for tests and logs
        self.passed = threading.Event()  # set after each

    def wrote(self) -> None:
        """One more write transaction ended (on the event loop: a counter, nothing more)."""
        self._writes += 1
        if self._writes < self.every or self._stopping:
            return
        self._writes = 0
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        raw = open_sqlite(self._args, self._kwargs)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                try:
                    raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    # Another checkpoint (another process's) holds the lock: next time.
                    log.info("SQLite checkpoint skipped: %s", error)
                self.passes += 1
                self.passed.set()
        finally:
            raw.close()

    async def close(self) -> None:
        """Stop the thread (after the checkpoint it may be running)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
