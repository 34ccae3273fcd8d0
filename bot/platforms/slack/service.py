"""The Slack services `matchmaker run` starts (see bot/runner.py): Socket Mode, or the HTTP
server with the OAuth install pages. Each serves until `stop` is set, then finishes the work
already acknowledged and closes its connections. Once serving, what connecting made is
frozen out of the garbage collector's way (`bot.runtime.freeze_connected`), as on Discord."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.config import Settings
from bot.core.app import Core
from bot.runtime import freeze_connected

from .app import EVENTS_PATH, SlackApp, SlackSettings, build

log = logging.getLogger(__name__)


async def _idle(stop: asyncio.Event, why: str) -> None:
    # Returning would stop the other services (the runner treats it as an ending).
    log.info("Slack: %s", why)
    await stop.wait()


async def _verified(core: Core, slack_settings: SlackSettings) -> SlackApp:
    """The app, once its token and SLACK_API_URL answer (a ConfigError says why not)."""
    slack = build(core, slack_settings)
    try:
        await slack.verify()
    except BaseException:
        await slack.close()
        raise
    return slack


async def run_socket_mode(core: Core, settings: Settings, stop: asyncio.Event) -> None:
    slack_settings = SlackSettings.from_settings(settings)
    if slack_settings.mode != "socket":
        await _idle(stop, "the OAuth variables are set, so the HTTP app serves, not Socket Mode")
        return
    slack = await _verified(core, slack_settings)
    handler = await slack.start_socket_mode()
    log.info("Slack: connected in Socket Mode")
    freeze_connected()
    try:
        await stop.wait()
    finally:
        await handler.close_async()
        await slack.close()


async def run_http(core: Core, settings: Settings, stop: asyncio.Event) -> None:
    slack_settings = SlackSettings.from_settings(settings)
    if slack_settings.mode != "http":
        await _idle(stop, "SLACK_APP_TOKEN is set, so Socket Mode serves; no HTTP server")
        return
    slack = await _verified(core, slack_settings)
    runner = web.AppRunner(slack.web_app())
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", slack_settings.port).start()
    log.info("Slack: serving HTTP on port %s (%s)", slack_settings.port, EVENTS_PATH)
    freeze_connected()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await slack.close()
