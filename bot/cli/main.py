"""`matchmaker`: run the bot, the credential-free demo, offline matching, and migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import runner, runtime
from bot.config import ConfigError, Settings, load_settings
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


async def _with_db(settings: Settings, action: str) -> int:
    db = Database.from_settings(settings)
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
    return asyncio.run(_with_db(settings, args.action))


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    if not runner.wanted_platforms(settings):
        print(NO_CREDENTIALS, file=sys.stderr)
        return 2
    asyncio.run(_with_db(settings, "upgrade"))
    try:
        runtime.run(runner.serve(settings, runner.wanted_platforms(settings)))
    except runner.NotBuilt as missing:
        print(
            f"matchmaker run: credentials found for {missing}, but that platform adapter is "
            "not built yet in this version. "
            "Run `matchmaker demo` to see the product on the local platform.",
            file=sys.stderr,
        )
        return 3
    return 0


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
