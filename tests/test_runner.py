"""`matchmaker run`'s process: every service runs until one stops or a signal arrives, then all
stop and the database pool closes."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from bot import runner
from bot.config import load_settings
from bot.core.app import Core

EVENTS: list[str] = []
STARTED: list[asyncio.Event] = []


async def waits_for_stop(core: Core, settings: object, stop: asyncio.Event) -> None:
    EVENTS.append("waiting started")
    for started in STARTED:
        started.set()
    await stop.wait()
    EVENTS.append("waiting stopped")


async def stops_everything(core: Core, settings: object, stop: asyncio.Event) -> None:
    EVENTS.append("stopper ran")
    stop.set()


async def fails(core: Core, settings: object, stop: asyncio.Event) -> None:
    raise RuntimeError("gateway refused the token")


def spec(function: str) -> runner.ServiceSpec:
    return runner.ServiceSpec(function, f"tests.test_runner:{function}", lambda s: True)


@pytest.fixture(autouse=True)
def fresh_events() -> None:
    EVENTS.clear()
    STARTED.clear()


@pytest.fixture
def settings(tmp_path: Path) -> object:
    return load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


@pytest.fixture(autouse=True)
def no_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests are about the process around the services, not the scheduler itself.
    monkeypatch.setattr(runner, "SCHEDULER", spec("waits_for_stop"))


async def test_sigterm_stops_every_service_cleanly(settings: object) -> None:
    started = asyncio.Event()
    STARTED[:] = [started]
    task = asyncio.create_task(runner.serve(settings, [spec("waits_for_stop")]))
    await started.wait()
    os.kill(os.getpid(), signal.SIGTERM)  # serve's handler turns it into a stop
    await task
    assert EVENTS.count("waiting stopped") == 2  # the service and the stand-in scheduler


async def test_a_service_that_ends_stops_the_others(settings: object) -> None:
    await runner.serve(settings, [spec("waits_for_stop"), spec("stops_everything")])
    assert "stopper ran" in EVENTS and EVENTS.count("waiting stopped") == 2


async def test_a_failing_service_stops_the_others_and_is_raised(settings: object) -> None:
    with pytest.raises(RuntimeError, match="refused the token"):
        await runner.serve(settings, [spec("waits_for_stop"), spec("fails")])
    assert EVENTS.count("waiting stopped") == 2


async def test_a_platform_this_version_lacks_is_named(settings: object) -> None:
    missing = runner.ServiceSpec("Carrier pigeon", "bot.platforms.pigeon.service:run", bool)
    with pytest.raises(runner.NotBuilt, match="Carrier pigeon"):
        await runner.serve(settings, [missing])
