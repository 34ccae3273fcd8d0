"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL.

Core service tests take the `core` fixture and so run against both backends. Each test gets
a fresh database copied from one migrated once per session (a file copy on SQLite, a
`CREATE DATABASE … TEMPLATE` on PostgreSQL), so tests are isolated and fast.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.core.app import Core
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from tests import pg_server

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday morning
_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _compiled_engine() -> None:
    """Compile the engine's numba code (or load it from its cache) once, before any test.

    On a fresh checkout numba compiles the blossom and the pair kernel in a minute or two
    and caches them next to the modules; without this the first test to solve a pool
    (a `matchmaker match` subprocess, a Discord `round run` waiting on its thread) would
    pay that compile under its own timeout, and fail on a fresh machine only.
    """
    import numpy as np

    import matching
    from matching.pair_kernel import Kernel

    from .matching.factories import random_document

    matching.max_weight_matching(2, [0], [1], [1])
    kernel = Kernel(matching.Pool.from_dict(random_document(40, 1)).features)
    assert kernel.fast, "the warm-up pool must take the compiled path"
    kernel.pool(4)
    kernel.short_pairs(np.zeros(kernel.n, dtype=np.int64))
    kernel.score(np.arange(kernel.n - 1), np.arange(1, kernel.n))


def _migrate(url: str) -> None:
    async def go() -> None:
        db = Database(url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(go())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if not pg_server.available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: install the postgresql package")
        pytest.skip("PostgreSQL not installed here; set TEST_POSTGRES_URL or install it")
    with pg_server.postgres_server() as url:
        yield url


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _drop(name: str) -> str:
    # FORCE: a test may leave a connection open; the database goes anyway (PostgreSQL 13+).
    return f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    name = f"mm_template_{os.getpid()}"
    asyncio.run(_admin(postgres_admin_url, _drop(name), f"CREATE DATABASE {name}"))
    try:
        _migrate(postgres_admin_url.rsplit("/", 1)[0] + f"/{name}")
        yield name
    finally:
        # On a TEST_POSTGRES_URL server nothing else would ever remove it.
        asyncio.run(_admin(postgres_admin_url, _drop(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    template = request.getfixturevalue("postgres_template")
    name = f"mm_test_{os.getpid()}_{next(_counter)}"
    asyncio.run(_admin(admin, f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(admin, _drop(name)))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def core(db: Database, clock: FixedClock) -> Core:
    from bot.platforms.local import LocalPlatform

    return Core(db=db, clock=clock, platforms={"local": LocalPlatform()})
