"""How a dispatcher learns that a job was added: woken in-process when a transaction that
added one commits, and across processes by PostgreSQL `LISTEN/NOTIFY`.

The NOTIFY is sent inside the adding transaction, so PostgreSQL delivers it only on commit:
a listener never wakes for a job it cannot see yet.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from bot.storage.models import Job

log = logging.getLogger(__name__)

CHANNEL = "matchmaker_jobs"
_FLAG = "scheduler.jobs_added"
_NOTIFIED = "scheduler.notified"
# Callables that wake this process's dispatchers (weakly held: a stopped one just goes away).
_wakers: weakref.WeakSet[Any] = weakref.WeakSet()


_NOTIFY = text("SELECT pg_notify(:channel, '')")


async def jobs_added(session: AsyncSession) -> None:
    """Say that this transaction added (or moved earlier) a job, for code that writes jobs with
    a Core `insert`/`update` statement the ORM events cannot see."""
    info = session.sync_session.info
    info[_FLAG] = True
    if not info.get(_NOTIFIED) and session.get_bind().dialect.name == "postgresql":
        await session.execute(_NOTIFY, {"channel": CHANNEL})
        info[_NOTIFIED] = True


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    # Runs inside the ORM flush (in SQLAlchemy's greenlet), so synchronous execute is allowed.
    if any(isinstance(obj, Job) for obj in session.new):
        session.info[_FLAG] = True
        if not session.info.get(_NOTIFIED) and session.get_bind().dialect.name == "postgresql":
            session.connection().execute(_NOTIFY, {"channel": CHANNEL})
            session.info[_NOTIFIED] = True


def _after_commit(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)
    if session.info.pop(_FLAG, False):
        for dispatcher in list(_wakers):
            dispatcher.wake()


def _after_rollback(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)
    session.info.pop(_FLAG, None)


def install() -> None:
    """Listen to every session's commits (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


def register(dispatcher: Any) -> None:
    """`dispatcher.wake()` is called whenever a transaction in this process adds a job."""
    install()
    _wakers.add(dispatcher)


class PostgresListener:
    """One asyncpg connection that LISTENs for added jobs and calls `on_notify`."""

    def __init__(self, url: str, on_notify: Callable[[], None]) -> None:
        sa_url = make_url(url)
        self._dsn = sa_url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_notify = on_notify
        self._conn: Any = None

    async def start(self) -> None:
        import asyncpg

        self._conn = await asyncpg.connect(self._dsn)
        await self._conn.add_listener(CHANNEL, self._callback)
        self._conn.add_termination_listener(self._terminated)

    @property
    def alive(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def ensure(self) -> None:
        """Reconnect after the server dropped the connection (a restart, a failover)."""
        if not self.alive:
            try:
                await self.start()
            except OSError as error:
                log.warning("cannot LISTEN for new jobs (retrying later): %s", error)

    def _terminated(self, _conn: Any) -> None:
        log.warning("the LISTEN connection closed; reconnecting")
        self._on_notify()  # the dispatcher's next pass reconnects and looks for due jobs

    def _callback(self, _conn: Any, _pid: int, _channel: str, _payload: str) -> None:
        self._on_notify()

    async def stop(self) -> None:
        if self._conn is not None:
            self._conn.remove_termination_listener(self._terminated)
            try:
                await self._conn.close()
            except Exception as error:  # closing a dead connection: nothing left to do
                log.debug("closing the LISTEN connection: %s", error)
            self._conn = None
