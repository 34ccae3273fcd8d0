"""`matchmaker run`: one process serving every platform whose credentials are set, beside the
scheduler, over one database, until SIGTERM or SIGINT.

A service is `async def run(core, settings, stop) -> None`: it registers its platform in
`core.platforms`, serves until `stop` is set, then closes what it opened (gateway, sockets).
Each lives in its own module, named here by import path so that this file never changes when
one is added, and so that an adapter's library is imported only when it is used.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import ConfigError, Settings
from bot.core.app import Core
from bot.runtime import tune_gc
from bot.storage.database import Database

log = logging.getLogger("matchmaker")

Service = Callable[[Core, Settings, asyncio.Event], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    target: str  # "package.module:function"
    enabled: Callable[[Settings], bool]

    def load(self) -> Service | None:
        """The service's entry point, or None while its module is not part of this version."""
        module_name, _, function = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and module_name.startswith(error.name):
                return None  # the adapter itself is missing, not one of its imports
            raise
        return getattr(module, function)


PLATFORMS = (
    ServiceSpec("Discord", "bot.platforms.discord.service:run", lambda s: s.discord_enabled),
    ServiceSpec(
        "Slack (Socket Mode)",
        "bot.platforms.slack.service:run_socket_mode",
        lambda s: s.slack_socket_mode_enabled,
    ),
    ServiceSpec(
        "Slack (HTTP + OAuth)",
        "bot.platforms.slack.service:run_http",
        lambda s: s.slack_http_enabled,
    ),
)
# Runs beside the platforms whenever any runs: rounds on their cadence, prompts, wrap-ups.
SCHEDULER = ServiceSpec("scheduler", "bot.scheduler.service:run", lambda s: True)


class NotBuilt(Exception):
    """Credentials name a platform whose adapter this version does not have."""


def wanted_platforms(settings: Settings) -> list[ServiceSpec]:
    return [spec for spec in PLATFORMS if spec.enabled(settings)]


async def serve(
    settings: Settings, specs: list[ServiceSpec], stop: asyncio.Event | None = None
) -> None:
    """Run the services until `stop` is set (SIGTERM/SIGINT set it), then shut down cleanly."""
    services = []
    for spec in [*specs, SCHEDULER]:
        entry = spec.load()
        if entry is None:
            if spec is SCHEDULER:
                continue
            raise NotBuilt(spec.name)
        services.append((spec.name, entry))
    # Every service module is imported by now: what start-up made is frozen out of the
    # collector's scans for the life of the process (bot/runtime.py says why and what it costs).
    tune_gc()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    core = Core(db=Database.from_settings(settings))
    try:
        tasks = [
            asyncio.create_task(run(core, settings, stop), name=name) for name, run in services
        ]
        log.info("serving: %s", ", ".join(name for name, _ in services))
        # A service that ends by itself (it failed, or it was told to stop) stops the others.
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for (name, _), result in zip(services, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                if not isinstance(result, ConfigError):
                    # A bug: the whole traceback. A refused token or an unreachable API is a
                    # ConfigError whose message the CLI prints on its own, without one.
                    log.error("%s stopped with an error", name, exc_info=result)
                raise result
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await core.db.dispose()
        log.info("stopped")
