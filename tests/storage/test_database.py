"""The unit of work under a crowd: one writer at a time on SQLite, reads beside it, transient
conflicts retried, what still fails answered as "busy", and SQLite's connections shut down
cleanly. Against the real SQLite and PostgreSQL (no timing: a test waits on events only)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from bot.commands import Reply
from bot.core.actor import CommunityRef
from bot.core.app import Core
from bot.core.errors import BUSY_MESSAGE
from bot.platforms.local import LocalChat
from bot.storage import sqlite_connection
from bot.storage.database import Database, DatabaseUnavailable, is_transient
from bot.storage.models import Community, FormTopic, InterestForm, Member, Stance
from bot.storage.rows import insert_loaded
from tests.factories import Seeded, seed_community
from tests.storage.test_rows import _community, _member

CLAIMS = (
    ("Theory will get alignment further than empirical work", ["ai-timelines"]),
    ("Labs should share alignment insights publicly", ["interpretability"]),
)
# A guard against a hang, never a measurement: every wait below ends on an event.
HANG = 30


@pytest.fixture
async def seeded(core: Core) -> Seeded:
    return await seed_community(core, claims=CLAIMS)


@pytest.fixture
def chat(core: Core, seeded: Seeded) -> LocalChat:
    return LocalChat(core, CommunityRef("local", "guild1"), moderators={"mod"})


def answers(seeded: Seeded, i: int = 0) -> dict[str, Any]:
    return {
        "topics": ["ai-timelines", "interpretability"],
        "stances": {str(c): (i + k) % 5 - 2 for k, c in enumerate(seeded.claims)},
        "sync": "okay",
        "async": "great",
        "timezone": "Europe/Berlin",
        "about": f"Member {i}",
        "submit": True,
    }


async def count(db: Database, model: type, *where: Any) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


# --- a crowd ---------------------------------------------------------------------------------


async def test_two_hundred_members_at_once_lose_nothing_and_store_each_form_once(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    start = asyncio.Event()
    replies: dict[str, list[Any]] = {}

    async def member(i: int) -> None:
        user = f"u{i:03d}"
        await start.wait()
        replies[user] = [
            await chat.command(user, "/dialogue signup", user),
            await chat.submit_form(user, answers(seeded, i), user),
            await chat.command(user, "/dialogue status", user),
        ]

    tasks = [asyncio.create_task(member(i)) for i in range(200)]
    start.set()
    await asyncio.gather(*tasks)

    failed = {u: r.text for u, rs in replies.items() for r in rs if not r.ok}
    assert failed == {}
    assert len(replies) == 200
    assert await count(core.db, Member, Member.community_id == seeded.community_id) == 200
    assert await count(core.db, InterestForm, InterestForm.status == "complete") == 200
    assert await count(core.db, InterestForm) == 200
    assert await count(core.db, Stance) == 200 * len(CLAIMS)
    assert await count(core.db, FormTopic) == 200 * 2


# --- reads beside the writer -----------------------------------------------------------------


async def test_a_read_during_a_long_write_completes_without_waiting_for_it(
    core: Core, seeded: Seeded
) -> None:
    writing, read_done = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def reader() -> None:
        await writing.wait()
        async with core.db.read() as session:
            seen.append(await session.scalar(select(Community.name)) or "")
        read_done.set()

    task = asyncio.create_task(reader())
    async with core.db.transaction() as session:
        await session.execute(update(Community).values(name="Renamed, not committed yet"))
        await session.flush()
        writing.set()
        # The write stays open until the read is over: a read that waited for the writer
        # (SQLite's write lock, this process's writer turn) would never finish.
        await asyncio.wait_for(read_done.wait(), HANG)
    await task
    assert seen == ["Test community"], "the read saw the last committed state"
    async with core.db.read() as session:
        assert await session.scalar(select(Community.name)) == "Renamed, not committed yet"


async def test_a_write_inside_a_read_fails_loudly(core: Core, seeded: Seeded) -> None:
    with pytest.raises(DBAPIError) as raised:
        async with core.db.read() as session:
            await session.execute(update(Community).values(name="sneaky"))
    assert not is_transient(raised.value), "a bug, not a conflict to retry"
    async with core.db.read() as session:
        assert await session.scalar(select(Community.name)) == "Test community"


async def test_a_write_inside_a_write_of_the_same_task_is_an_error_not_a_hang(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.transaction():
        with pytest.raises(RuntimeError, match="would wait for itself"):
            async with sqlite_db.transaction():
                pass


# --- transient conflicts ---------------------------------------------------------------------


class Conflict:
    """Makes the database itself answer the next write transactions with a transient error.

    SQLite: another connection (as another process would) holds the write lock, with a short
    busy_timeout, so SQLite answers "database is locked"; the lock is given back when the
    unit of work logs its retry. PostgreSQL: the transaction's first statement is a real
    `serialization_failure` raised by the server.
    """

    def __init__(self, core: Core, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = core.db
        self.times = 0
        self.raised = 0
        self._holder: sqlite3.Connection | None = None
        if core.db.is_sqlite:
            monkeypatch.setattr(sqlite_connection, "BUSY_TIMEOUT_MS", 20)
            self._path = database_url.split("///", 1)[1]
        else:
            event.listen(core.db.engine.sync_engine, "begin", self._serialization_failure)

    def arm(self, times: int) -> None:
        self.times = times
        if self.db.is_sqlite:
            self._holder = sqlite3.connect(self._path, isolation_level=None)
            self._holder.execute("BEGIN IMMEDIATE")

    def retried(self) -> None:
        """The unit of work said it will run again: let that attempt through (or not)."""
        self.raised += 1
        if self.raised >= self.times and self._holder is not None:
            self._holder.execute("COMMIT")
            self._holder.close()
            self._holder = None

    def _serialization_failure(self, connection: Any) -> None:
        if self.raised < self.times:
            self.raised += 1
            connection.exec_driver_sql(
                "DO $$ BEGIN RAISE EXCEPTION 'injected conflict' "
                "USING ERRCODE = 'serialization_failure'; END $$"
            )

    def close(self) -> None:
        self.times = 0
        if self._holder is not None:
            self._holder.close()
            self._holder = None


@pytest.fixture
def conflict(core: Core, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Conflict]:
    made = Conflict(core, database_url, monkeypatch)
    handler = _OnRecord("running it again", made.retried if core.db.is_sqlite else None)
    logger = logging.getLogger("bot.storage.database")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield made
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        made.close()


class _OnRecord(logging.Handler):
    def __init__(self, words: str, action: Callable[[], None] | None) -> None:
        super().__init__()
        self.words, self.action = words, action

    def emit(self, record: logging.LogRecord) -> None:
        if self.action is not None and self.words in record.getMessage():
            self.action()


async def _conflicted(
    conflict: Conflict,
    caplog: pytest.LogCaptureFixture,
    times: int,
    action: Callable[[], Awaitable[Reply]],
) -> Reply:
    """`action`'s reply, its transactions met by `times` transient conflicts in a row."""
    conflict.arm(times=times)
    with caplog.at_level(logging.INFO, logger="bot.storage.database"):
        return await action()


def _signup(chat: LocalChat) -> Callable[[], Awaitable[Reply]]:
    return lambda: chat.command("alice", "/dialogue signup", "Alice")


async def test_an_injected_transient_conflict_is_retried_and_the_answer_stored_once(
    core: Core,
    chat: LocalChat,
    seeded: Seeded,
    conflict: Conflict,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert (await chat.command("alice", "/dialogue signup", "Alice")).ok
    reply = await _conflicted(
        conflict, caplog, 1, lambda: chat.submit_form("alice", answers(seeded), "Alice")
    )

    assert reply.ok, reply.text
    assert any("running it again" in r.getMessage() for r in caplog.records)
    assert await count(core.db, InterestForm, InterestForm.status == "complete") == 1
    assert await count(core.db, Stance) == len(CLAIMS)
    assert await count(core.db, FormTopic) == 2


async def test_a_conflict_that_outlasts_the_retries_is_a_busy_answer_and_a_log_line(
    core: Core,
    chat: LocalChat,
    seeded: Seeded,
    conflict: Conflict,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert (await chat.command("alice", "/dialogue signup", "Alice")).ok
    core.db.max_attempts, core.db.retry_delay = 2, 0.0
    reply = await _conflicted(  # more conflicts than the two attempts
        conflict, caplog, 3, lambda: chat.submit_form("alice", answers(seeded), "Alice")
    )

    assert not reply.ok
    assert reply.text == BUSY_MESSAGE
    assert "Traceback" not in reply.text
    gave_up = [r for r in caplog.records if "gave up after 2 attempt" in r.getMessage()]
    assert gave_up and gave_up[0].levelno == logging.WARNING
    assert "submit_answers" in gave_up[0].getMessage()
    conflict.close()
    # Nothing of that submission was stored: the draft is as signup left it.
    assert await count(core.db, InterestForm, InterestForm.status == "draft") == 1
    assert await count(core.db, Stance) == 0


async def test_a_transient_conflict_during_signup_is_retried_and_the_draft_stored_once(
    core: Core,
    chat: LocalChat,
    seeded: Seeded,
    conflict: Conflict,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`/dialogue signup` runs without a session (`write_rows`): retried all the same."""
    reply = await _conflicted(conflict, caplog, 1, _signup(chat))

    assert reply.ok, reply.text
    assert any("running it again" in r.getMessage() for r in caplog.records)
    assert await count(core.db, Member, Member.external_id == "alice") == 1
    assert await count(core.db, InterestForm, InterestForm.status == "draft") == 1


async def test_a_conflict_that_outlasts_the_retries_of_a_signup_stores_nothing(
    core: Core,
    chat: LocalChat,
    seeded: Seeded,
    conflict: Conflict,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core.db.max_attempts, core.db.retry_delay = 2, 0.0
    reply = await _conflicted(conflict, caplog, 3, _signup(chat))

    assert (reply.ok, reply.text) == (False, BUSY_MESSAGE)
    assert any("open_signup gave up after 2" in r.getMessage() for r in caplog.records)
    conflict.close()
    assert await count(core.db, Member, Member.external_id == "alice") == 0
    assert await count(core.db, InterestForm) == 0
    # The writer's connection was given back: the next signup goes through.
    assert (await _signup(chat)()).ok
    assert await count(core.db, InterestForm, InterestForm.status == "draft") == 1


# --- pool sizes ------------------------------------------------------------------------------


def _pool_size(engine: Any) -> int:
    return int(engine.sync_engine.pool.size())


async def test_pool_size_setting_and_defaults(database_url: str) -> None:
    default, sized = Database(database_url), Database(database_url, pool_size=3)
    try:
        if default.is_sqlite:
            # One writer; the rest of the pool reads beside it.
            assert (_pool_size(default.engine), _pool_size(default.read_engine)) == (1, 4)
            assert (_pool_size(sized.engine), _pool_size(sized.read_engine)) == (1, 2)
        else:
            assert _pool_size(default.engine) == 10
            assert _pool_size(sized.engine) == 3
    finally:
        await default.dispose()
        await sized.dispose()


# --- SQLite connections and the event loop ---------------------------------------------------


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "test.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    db = Database(sqlite_url)
    try:
        yield db
    finally:
        await db.dispose()


async def test_sqlite_is_wal_with_normal_sync_and_readers_are_query_only(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.transaction() as session:
        conn = await session.connection()
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == 1  # NORMAL
    async with sqlite_db.read() as session:
        conn = await session.connection()
        assert (await conn.exec_driver_sql("PRAGMA query_only")).scalar() == 1
        with pytest.raises(DBAPIError, match="readonly"):
            await session.execute(insert(Community).values(platform="x", external_id="y"))


async def test_checkpoints_run_on_their_own_thread_every_so_many_writes(
    sqlite_db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    """The event loop's connections never checkpoint (it would stall the loop); after every
    `every` write transactions the Checkpointer's thread copies the WAL into the file."""
    checkpointer = sqlite_db.checkpointer
    assert checkpointer is not None
    checkpointer.every = 4
    async with sqlite_db.transaction() as session:
        conn = await session.connection()
        assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
        community_id = (await insert_loaded(session, Community, _community())).id
    for user in ("alice", "bob", "carol"):  # the fourth write transaction is carol's
        async with sqlite_db.transaction() as session:
            await insert_loaded(session, Member, _member(community_id, user))
    assert await asyncio.to_thread(checkpointer.passed.wait, HANG)
    assert checkpointer.passes == 1
    # The database file alone, without its WAL, holds all four writes: they were copied.
    alone = tmp_path / "alone.db"
    shutil.copyfile(sqlite_url.split("///", 1)[1], alone)
    raw = sqlite3.connect(alone)
    try:
        assert raw.execute("SELECT count(*) FROM members").fetchone() == (3,)
    finally:
        raw.close()
    thread = checkpointer._thread
    assert thread is not None and thread.is_alive()
    await sqlite_db.dispose()
    assert not thread.is_alive()  # stopped with the database


async def test_units_of_work_run_first_come_first_served_across_tasks(
    sqlite_db: Database,
) -> None:
    """One task running units of work back to back does not run them all before tasks that
    were ready first (SQLite's statements never give the event loop away on their own)."""
    order: list[str] = []

    def step(name: str) -> Callable[[Any], Any]:
        async def work(session: Any) -> None:
            await session.execute(select(1))
            order.append(name)

        return work

    async def busy() -> None:
        for i in range(3):
            await sqlite_db.write(step(f"busy {i}"))

    async def reader(name: str) -> None:
        async with sqlite_db.read() as session:
            await session.execute(select(1))
            order.append(name)

    # Connections open in a worker thread: open them first, so only the order is tested.
    await sqlite_db.write(step("warm"))
    await reader("warm")
    order.clear()
    # The three were ready at the same moment: busy's second and third units of work were
    # asked for after the others' first. (The reader does not wait for the write turn busy
    # holds, so it may run before the writer: they ask for different things.)
    await asyncio.gather(busy(), sqlite_db.write(step("writer")), reader("reader"))
    assert order[0] == "busy 0"
    assert sorted(order[1:3]) == ["reader", "writer"]
    assert order[3:] == ["busy 1", "busy 2"]


async def test_a_crowd_of_writers_lets_the_rest_of_the_loop_run_between_transactions(
    sqlite_db: Database,
) -> None:
    """Twenty writers at once do not all commit in one turn of the event loop (they would:
    SQLite's statements run inline and an uncontended turn is taken at once): a task that
    runs once a loop turn, like a socket's callback, sees at most one commit between two
    of its runs, so answers' requests and the gateway are served during a crowd."""
    committed = 0

    async def work(session: Any) -> None:
        nonlocal committed
        await session.execute(select(1))
        committed += 1

    seen: list[int] = []

    async def every_loop_turn() -> None:
        seen.append(committed)
        while committed < 20:
            await asyncio.sleep(0)
            seen.append(committed)

    await sqlite_db.write(work)  # the connection opens in a worker thread: open it first
    committed = 0
    await asyncio.gather(every_loop_turn(), *(sqlite_db.write(work) for _ in range(20)))
    assert seen[-1] == 20
    assert max(b - a for a, b in itertools.pairwise(seen)) <= 1


def test_a_failed_sqlite_connect_leaves_no_thread_calling_back_into_a_closed_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiosqlite's worker thread, when opening the file failed, stopped itself later and
    then called back into the event loop; if `asyncio.run` had closed the loop meanwhile,
    "Exception in thread … _connection_worker_thread" followed the clear error (seen under
    load on `matchmaker db upgrade` with a missing directory). Here any such thread is held
    until the loop is closed, which is exactly the losing side of that race, every time."""
    thread_errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", thread_errors.append)
    loop_closed = threading.Event()

    class HoldTheWorker(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            in_worker = threading.current_thread() is not threading.main_thread()
            if in_worker and "close_and_stop" in record.getMessage():
                loop_closed.wait(HANG)

    aiosqlite_log = logging.getLogger("aiosqlite")
    hold = HoldTheWorker()
    aiosqlite_log.addHandler(hold)
    monkeypatch.setattr(aiosqlite_log, "level", logging.DEBUG)
    before = set(threading.enumerate())

    async def check() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'bot.db'}")
        try:
            await db.check_connection()
        finally:
            await db.dispose()

    try:
        with pytest.raises(DatabaseUnavailable, match="cannot connect to the database"):
            asyncio.run(check())
    finally:
        loop_closed.set()
        aiosqlite_log.removeHandler(hold)
    for thread in set(threading.enumerate()) - before:
        thread.join(HANG)
    assert thread_errors == []
