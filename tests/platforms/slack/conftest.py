"""The real slack-bolt AsyncApp against a local fake Slack, on a migrated SQLite database.

`workspace` is the HTTP app for one workspace (signed requests through `async_dispatch`);
`socket_workspace` the same app in Socket Mode, connected to the fake's websocket.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.clock import FixedClock
from bot.core.app import Core
from bot.platforms.slack.app import SlackApp, SlackSettings, build
from bot.storage.database import Database
from tests.conftest import START
from tests.platforms.slack import payloads
from tests.platforms.slack.fake_slack import FakeSlack

TEAM = "T0ALPHA"
NO_WAIT = FixedValueRetryIntervalCalculator(0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "slack.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def core(sqlite_db: Database) -> Core:
    return Core(db=sqlite_db, clock=FixedClock(START))


@dataclass
class Workspace:
    """One workspace talking to the app: sends what Slack would, signed."""

    fake: FakeSlack
    slack: SlackApp
    core: Core
    team: str
    last_url: str = ""
    sent: list[BoltResponse] = field(default_factory=list)

    async def dispatch(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> BoltResponse:
        all_headers = {**payloads.signed_headers(body, content_type), **(headers or {})}
        response = await self.slack.app.async_dispatch(
            AsyncBoltRequest(body=body, headers=all_headers)
        )
        self.sent.append(response)
        return response

    async def command(
        self,
        user: str,
        text: str,
        *,
        command: str = "/dialogue",
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> BoltResponse:
        self.last_url = self.fake.response_url()
        body = body or payloads.slash(
            self.team, user, text, command=command, response_url=self.last_url
        )
        return await self.dispatch(
            payloads.form_body(body), "application/x-www-form-urlencoded", headers
        )

    async def reply(self, user: str, text: str, *, command: str = "/dialogue") -> str:
        """Run a slash command and wait for its (ephemeral) answer's text."""
        response = await self.command(user, text, command=command)
        assert response.status == 200, response.body
        url_id = self.last_url.rsplit("/", 1)[1]
        found = await self.fake.wait_for(lambda: [b for i, b in self.fake.responses if i == url_id])
        return str(found[0]["text"])

    async def interact(self, payload: dict[str, Any]) -> BoltResponse:
        return await self.dispatch(
            payloads.interaction_body(payload), "application/x-www-form-urlencoded"
        )

    async def event(self, inner: dict[str, Any], **kwargs: Any) -> BoltResponse:
        import json

        body = json.dumps(payloads.event(self.team, inner, **kwargs))
        return await self.dispatch(body, "application/json")


def http_settings(fake: FakeSlack, token: str) -> SlackSettings:
    return SlackSettings(api_url=fake.api_url, bot_token=token, signing_secret=payloads.SECRET)


@pytest.fixture
async def workspace(fake: FakeSlack, core: Core) -> AsyncIterator[Workspace]:
    team = fake.add_team(TEAM)
    fake.add_user(TEAM, "UMOD", name="mod", is_admin=True)
    for user in ("UALICE", "UBOB", "UCAROL", "UDAN"):
        fake.add_user(TEAM, user)
    slack = build(core, http_settings(fake, team.token), retry_interval=NO_WAIT)
    ws = Workspace(fake, slack, core, TEAM)
    try:
        yield ws
    finally:
        await ws.slack.close()  # a test may have restarted the app
