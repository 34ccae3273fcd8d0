"""Real processes: one SIGKILLed mid-job (after the platform call, before the commit) and its
job finished by another; two dispatcher processes on one PostgreSQL with 2,000 due jobs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.core.app import Core
from bot.storage.models import Job

from .file_platform import FilePlatform

ROOT = Path(__file__).resolve().parents[2]


async def worker(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler.worker",
        *args,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def due_probes(core: Core, n: int) -> None:
    now = core.clock.now()
    async with core.db.transaction() as session:
        await session.execute(
            insert(Job),
            [
                {
                    "kind": "probe",
                    "run_at": now,
                    "payload": {"to": f"thread{i % 7}"},
                    "state": "pending",
                    "dedupe_key": f"probe:{i}",
                    "attempts": 0,
                    "created_at": now,
                }
                for i in range(n)
            ],
        )


async def line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()


async def test_a_job_whose_process_is_killed_mid_job_is_finished_by_another(
    core: Core, database_url: str, tmp_path: Path
) -> None:
    platform = FilePlatform(tmp_path / "platform.db")
    await due_probes(core, 1)
    [job_id] = [j for j in await _ids(core)]

    first = await worker(database_url, str(platform.path), "first", "hang")
    assert await line(first) == f"POSTED {job_id}"
    first.send_signal(signal.SIGKILL)
    assert await first.wait() == -signal.SIGKILL
    async with core.db.transaction() as session:
        job = await session.get_one(Job, job_id)
        assert (job.state, job.claimed_by) == ("running", "first")

    # Another process, two minutes later: the dead one's lease (60 s) has run out.
    second = await worker(database_url, str(platform.path), "second", "run", "120")
    assert await line(second) == "READY"
    assert second.stdin is not None
    second.stdin.write(b"go\n")
    await second.stdin.drain()
    assert await asyncio.wait_for(second.wait(), 60) == 0

    async with core.db.transaction() as session:
        job = await session.get_one(Job, job_id, populate_existing=True)
    assert (job.state, job.claimed_by, job.attempts) == ("done", "second", 2)
    assert [key for key, _ in platform.calls()] == [f"j{job_id}", f"j{job_id}"]  # asked twice
    assert [key for key, _, _ in platform.messages()] == [f"j{job_id}"]  # sent once


async def _ids(core: Core) -> list[int]:
    async with core.db.transaction() as session:
        return list(await session.scalars(select(Job.id).order_by(Job.id)))


# Several processes share one database on PostgreSQL; SQLite is for one process.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_dispatcher_processes_run_2000_jobs_exactly_once(
    core: Core, database_url: str, tmp_path: Path
) -> None:
    platform = FilePlatform(tmp_path / "platform.db")
    await due_probes(core, 2000)
    workers = [
        await worker(database_url, str(platform.path), name, "run") for name in ("one", "two")
    ]
    for process in workers:
        assert await line(process) == "READY"
    for process in workers:  # both start at once, so they compete for the same rows
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in workers)), 300)
    assert codes == [0, 0]

    messages = platform.messages()
    assert len(messages) == 2000
    assert len({key for key, _, _ in messages}) == 2000
    assert len(platform.calls()) == 2000  # no job was even attempted twice
    async with core.db.transaction() as session:
        states = dict(
            (await session.execute(select(Job.state, func.count()).group_by(Job.state))).all()
        )
        owners = dict(
            (
                await session.execute(select(Job.claimed_by, func.count()).group_by(Job.claimed_by))
            ).all()
        )
    assert states == {"done": 2000}
    assert set(owners) <= {"one", "two"} and sum(owners.values()) == 2000
    print("jobs per process:", owners)
