"""`matchmaker run` with Slack variables set starts the app: it connects in Socket Mode to
SLACK_API_URL's websocket and answers a slash command, then stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.cli.test_main import PLATFORM_VARIABLES
from tests.platforms.slack import payloads
from tests.platforms.slack.fake_slack import FakeSlack

TEAM = "T0RUN"


async def test_matchmaker_run_serves_slack_in_socket_mode(fake: FakeSlack, tmp_path: Path) -> None:
    team = fake.add_team(TEAM)
    fake.add_user(TEAM, "UALICE")
    fake.app_tokens.add("xapp-run")
    clean = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "matchmaker"),
        "run",
        cwd=tmp_path,
        env={
            **clean,
            "SLACK_BOT_TOKEN": team.token,
            "SLACK_APP_TOKEN": "xapp-run",
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        },
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.connected(within=120)  # a new process: imports, migrations, connection
        await fake.deliver(
            "slash_commands",
            payloads.slash(TEAM, "UALICE", "status", response_url=fake.response_url()),
        )
        answers = await fake.wait_responses()
        assert "You have not signed up yet" in answers[0]["text"]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
