"""`matchmaker`: run the bot, the credential-free demo, offline matching, and migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot.config import ConfigError, Settings, load_settings
from bot.core.app import Core
from bot.storage import migrate
from bot.storage.database import Database, DatabaseUnavailable

log = logging.getLogger("matchmaker")

NO_CREDENTIALS = """\
matchmaker run: no platform credentials are set, so there is nothing to connect to.
Set one of these (in the environment or in .env; see .env.example):
  DISCORD_TOKEN                          to run on Discord
  SLACK_BOT_TOKEN and SLACK_APP_TOKEN    to run on one Slack workspace (Socket Mode)
  SLACK_SIGNING_SECRET with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
                                         to run on many Slack workspaces (HTTP + OAuth)
To see the whole product without credentials, run:  matchmaker demo"""


def _settings() -> Settings:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return settings


async def _with_db(url: str, action: str) -> int:
    db = Database(url)
    try:
        await db.check_connection()
        if action == "upgrade":
            await migrate.upgrade(db)
            print(f"database at revision {await migrate.current(db)} (head)")
        else:
            revision = await migrate.current(db)
            head = migrate.head_revision(db)
            state = "up to date" if revision == head else f"behind head {head}"
            print(f"{revision or 'empty (never migrated)'} — {state}")
        return 0
    finally:
        await db.dispose()


def cmd_db(args: argparse.Namespace) -> int:
    settings = _settings()
    return asyncio.run(_with_db(settings.database_url, args.action))


# A platform's part of `matchmaker run`: runs on the shared core until `stop` is set.
PlatformRunner = Callable[[Core, asyncio.Event], Awaitable[None]]


def discord_runner(settings: Settings) -> PlatformRunner | None:
    if not settings.discord_enabled:
        return None
    from bot.platforms.discord import run_discord

    return lambda core, stop: run_discord(core, settings, stop)


async def _run_platforms(settings: Settings, runners: dict[str, PlatformRunner]) -> int:
    """Every platform on one core until SIGTERM/SIGINT; then close them and the database."""
    db = Database(settings.database_url)
    core = Core(db=db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.gather(*(runner(core, stop) for runner in runners.values()))
    finally:
        stop.set()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await db.dispose()
    log.info("stopped cleanly")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    wanted = {
        "Discord": settings.discord_enabled,
        "Slack (Socket Mode)": settings.slack_socket_mode_enabled,
        "Slack (HTTP + OAuth)": settings.slack_http_enabled,
    }
    if not any(wanted.values()):
        print(NO_CREDENTIALS, file=sys.stderr)
        return 2
    asyncio.run(_with_db(settings.database_url, "upgrade"))
    runners = {name: runner for name, runner in (("Discord", discord_runner(settings)),) if runner}
    # Adapters not in this version yet: say so plainly rather than pretend to run them.
    missing = [name for name, enabled in wanted.items() if enabled and name not in runners]
    if missing:
        print(
            "matchmaker run: credentials found for "
            + ", ".join(missing)
            + ", but these platform adapters are not built yet in this version. "
            "Run `matchmaker demo` to see the product on the local platform.",
            file=sys.stderr,
        )
    if not runners:
        return 3
    return asyncio.run(_run_platforms(settings, runners))


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(args.database_url, sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matchmaker",
        description="Dialogue Matchmaker: pairs community members who share topics and disagree.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start every platform whose credentials are set")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="the whole product on a local platform, no credentials")
    demo.add_argument(
        "--database-url",
        default=None,
        help="async SQLAlchemy URL for the demo database (default: a fresh local SQLite file)",
    )
    demo.set_defaults(func=cmd_demo)

    from bot.cli import match_command

    match_command.add_parser(sub)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"matchmaker: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"matchmaker: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
