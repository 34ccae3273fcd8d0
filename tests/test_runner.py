"""`matchmaker run`'s process: every service runs until one stops or a signal arrives, then all
stop and the database pool closes."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import runner, runtime
from bot.config import ConfigError, load_settings
from bot.core.app import Core
from bot.runtime import GEN0_THRESHOLD

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
    raise RuntimeError("a bug in an adapter")


async def refused(core: Core, settings: object, stop: asyncio.Event) -> None:
    raise ConfigError("DISCORD_TOKEN: Discord refused the token (401).")


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
def default_collector() -> Iterator[None]:
    # serve() tunes the process's garbage collector; the rest of the suite keeps CPython's.
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


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


async def test_a_failing_service_stops_the_others_and_is_raised(
    settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(RuntimeError, match="a bug in an adapter"):
        await runner.serve(settings, [spec("waits_for_stop"), spec("fails")])
    assert EVENTS.count("waiting stopped") == 2
    assert "fails stopped with an error" in caplog.text  # a bug keeps its traceback


async def test_a_refused_credential_is_raised_for_the_cli_without_a_traceback(
    settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ConfigError, match="refused the token"):
        await runner.serve(settings, [spec("waits_for_stop"), spec("refused")])
    assert EVENTS.count("waiting stopped") == 2
    assert "stopped with an error" not in caplog.text


async def test_a_platform_this_version_lacks_is_named(settings: object) -> None:
    missing = runner.ServiceSpec("Carrier pigeon", "bot.platforms.pigeon.service:run", bool)
    with pytest.raises(runner.NotBuilt, match="Carrier pigeon"):
        await runner.serve(settings, [missing])


async def test_serve_tunes_the_garbage_collector_for_a_server(settings: object) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # CPython's defaults, whatever ran before
    assert gc.get_freeze_count() == 0
    await runner.serve(settings, [spec("waits_for_stop"), spec("stops_everything")])
    assert gc.get_threshold() == (GEN0_THRESHOLD, 10, 10)  # older generations kept
    assert gc.get_freeze_count() > 0  # start-up's objects are out of future collections


def test_the_bot_process_runs_on_uvloop_where_it_is_installed() -> None:
    uvloop = pytest.importorskip("uvloop", reason="uvloop has no build for this platform")

    async def loop_type() -> type:
        return type(asyncio.get_running_loop())

    assert runtime.run(loop_type()) is uvloop.Loop


def test_without_uvloop_the_bot_process_runs_on_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError

    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert runtime.run(loop_module()).startswith("asyncio")
