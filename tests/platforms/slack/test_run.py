"""`matchmaker run` with Slack variables set starts the app: in Socket Mode it connects to
SLACK_API_URL's websocket, with the OAuth variables it serves HTTP and the install pages; it
answers a slash command, then stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

from aiohttp import ClientSession

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
            "LOG_LEVEL": "INFO",
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
    # tune_gc ran at start-up; what connecting made was frozen once connected.
    assert re.search(r"froze [1-9]\d* objects made while connecting", stderr.decode())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_matchmaker_run_serves_http_with_the_oauth_install_pages(
    fake: FakeSlack, tmp_path: Path
) -> None:
    """The OAuth variables: `matchmaker run` serves on SLACK_PORT; a workspace installs the app
    through its pages (the tables from the migrations) and its command is answered."""
    fake.add_team(TEAM)
    fake.add_user(TEAM, "UALICE")
    fake.oauth_codes["code-run"] = {
        "ok": True,
        "app_id": "A0APP",
        "authed_user": {"id": "UALICE"},
        "scope": "commands,chat:write",
        "token_type": "bot",
        "access_token": f"xoxb-{TEAM}",
        "bot_user_id": f"UBOT{TEAM}",
        "team": {"id": TEAM, "name": "Run"},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "matchmaker"),
        "run",
        cwd=tmp_path,
        env={
            **clean,
            "SLACK_SIGNING_SECRET": payloads.SECRET,
            "SLACK_CLIENT_ID": "111.222",
            "SLACK_CLIENT_SECRET": "client-secret",
            "SLACK_PORT": str(port),
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
            "LOG_LEVEL": "INFO",
        },
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await until_served(process)
        async with ClientSession() as http:
            page = await http.get(f"{base}/slack/install", allow_redirects=False)
            state = re.search(r"state=([^&\"']+)", await page.text() or page.headers["Location"])
            assert state is not None
            cookie = page.headers["Set-Cookie"].split(";", 1)[0]
            done = await http.get(
                f"{base}/slack/oauth_redirect",
                params={"code": "code-run", "state": state.group(1)},
                headers={"Cookie": cookie},
                allow_redirects=False,
            )
            assert done.status == 200, await done.text()
            body = payloads.form_body(
                payloads.slash(TEAM, "UALICE", "status", response_url=fake.response_url())
            )
            content = "application/x-www-form-urlencoded"
            sent = await http.post(
                f"{base}/slack/events", data=body, headers=payloads.signed_headers(body, content)
            )
            assert sent.status == 200
        answers = await fake.wait_responses()
        assert "You have not signed up yet" in answers[0]["text"]
        assert {c.token for c in fake.called("users.info")} == {f"xoxb-{TEAM}"}
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert re.search(r"froze [1-9]\d* objects made while connecting", stderr.decode())


async def until_served(process: asyncio.subprocess.Process) -> None:
    """Wait for the app's own log line saying it listens (imports and migrations first)."""
    assert process.stderr is not None
    async with asyncio.timeout(120):
        while line := await process.stderr.readline():
            if b"serving HTTP on port" in line:
                return
    raise AssertionError("matchmaker run ended before it served HTTP")
