"""HTTP mode with OAuth: installs stored on our database, each workspace its own community."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.clock import FixedClock
from bot.core.app import Core
from bot.platforms.base import PlatformError
from bot.platforms.slack.app import SlackApp, SlackSettings, build
from bot.storage.database import Database
from tests.conftest import START
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import NO_WAIT
from tests.platforms.slack.fake_slack import FakeSlack

ALPHA, BETA = "T0ALPHA", "T0BETA"
# slack_sdk's oauth.v2.access call uses aiohttp's BasicAuth, which aiohttp now deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


def token_answer(team: str, *, org_wide: bool = False) -> dict[str, Any]:
    """oauth.v2.access for a workspace install, or (org_wide) an Enterprise Grid org's."""
    return {
        "ok": True,
        "app_id": "A0APP",
        "authed_user": {"id": f"UINSTALL{team}"},
        "scope": "commands,chat:write",
        "token_type": "bot",
        "access_token": f"xoxb-{team}",
        "bot_user_id": f"UBOT{team}",
        "team": None if org_wide else {"id": team, "name": team.title()},
        "enterprise": {"id": team, "name": "Grid"} if org_wide else None,
        "is_enterprise_install": org_wide,
    }


@pytest.fixture
def core(db: Database) -> Core:
    """Installations on SQLite and on PostgreSQL (the root conftest's `db`)."""
    return Core(db=db, clock=FixedClock(START))


@pytest.fixture
async def oauth_app(fake: FakeSlack, core: Core) -> AsyncIterator[tuple[SlackApp, TestServer]]:
    settings = SlackSettings(
        api_url=fake.api_url,
        signing_secret=payloads.SECRET,
        client_id="111.222",
        client_secret="client-secret",
    )
    slack = build(core, settings, retry_interval=NO_WAIT)
    server = TestServer(slack.web_app(), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield slack, server
    finally:
        await server.close()
        await slack.close()


async def install(
    http: ClientSession, server: TestServer, fake: FakeSlack, team: str, *, org_wide: bool = False
) -> None:
    fake.add_team(team)
    fake.add_user(team, f"UMOD{team}", is_admin=True)
    fake.oauth_codes[f"code-{team}"] = token_answer(team, org_wide=org_wide)
    page = await http.get(server.make_url("/slack/install"), allow_redirects=False)
    assert page.status in (200, 302)
    state = re.search(r"state=([^&\"']+)", await page.text() or page.headers["Location"])
    assert state is not None
    # The state cookie is `Secure`; a browser on https would send it back, so do we.
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    done = await http.get(
        server.make_url("/slack/oauth_redirect"),
        params={"code": f"code-{team}", "state": state.group(1)},
        headers={"Cookie": cookie},
        allow_redirects=False,
    )
    assert done.status == 200, await done.text()


async def command(
    http: ClientSession,
    server: TestServer,
    fake: FakeSlack,
    team: str,
    text: str,
    *,
    user: str | None = None,
    enterprise: str | None = None,
) -> str:
    url = fake.response_url()
    body = payloads.form_body(
        payloads.slash(
            team,
            user or f"UMOD{team}",
            text,
            command="/dialogue-admin",
            response_url=url,
            enterprise_id=enterprise,
        )
    )
    content = "application/x-www-form-urlencoded"
    sent = await http.post(
        server.make_url("/slack/events"),
        data=body,
        headers=payloads.signed_headers(body, content),
    )
    assert sent.status == 200
    url_id = url.rsplit("/", 1)[1]
    found = await fake.wait_for(lambda: [b for i, b in fake.responses if i == url_id])
    return str(found[0]["text"])


async def test_two_installed_workspaces_each_use_their_own_token_and_data(
    fake: FakeSlack, oauth_app: tuple[SlackApp, TestServer]
) -> None:
    slack, server = oauth_app
    async with ClientSession() as http:
        await install(http, server, fake, ALPHA)
        await install(http, server, fake, BETA)
        exchanges = fake.called("oauth.v2.access")
        assert [c.args.get("code") for c in exchanges] == [f"code-{ALPHA}", f"code-{BETA}"]

        assert "added" in (await command(http, server, fake, ALPHA, "topics add Alpha only"))
        listed = await command(http, server, fake, BETA, "topics list")
        assert "Alpha only" not in listed
        assert "Alpha only" in await command(http, server, fake, ALPHA, "topics list")

    tokens = {c.token for c in fake.called("users.info") if c.args.get("user") == f"UMOD{BETA}"}
    assert tokens == {f"xoxb-{BETA}"}
    assert await slack.platform.tokens.bot_token(ALPHA) == f"xoxb-{ALPHA}"


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": [f"UBOT{BETA}"]}}],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_uninstalling_or_revoking_removes_the_installation(
    fake: FakeSlack, oauth_app: tuple[SlackApp, TestServer], event: dict[str, Any]
) -> None:
    slack, server = oauth_app
    async with ClientSession() as http:
        await install(http, server, fake, BETA)
        assert await slack.platform.tokens.bot_token(BETA) == f"xoxb-{BETA}"
        body = json.dumps(payloads.event(BETA, event))
        sent = await http.post(
            server.make_url("/slack/events"),
            data=body,
            headers=payloads.signed_headers(body, "application/json"),
        )
        assert sent.status == 200
    await slack.listeners.drained()
    with pytest.raises(PlatformError, match="not installed"):
        await slack.platform.tokens.bot_token(BETA)


async def test_an_org_wide_grid_install_is_one_community_across_its_workspaces(
    fake: FakeSlack, oauth_app: tuple[SlackApp, TestServer]
) -> None:
    slack, server = oauth_app
    grid = "E0GRID"
    async with ClientSession() as http:
        await install(http, server, fake, grid, org_wide=True)
        moderator = f"UMOD{grid}"
        # Workspaces T1 and T2 of the org: the same install, token and community.
        added = await command(
            http, server, fake, "T0ONE", "topics add Grid wide", user=moderator, enterprise=grid
        )
        assert "added" in added
        listed = await command(
            http, server, fake, "T0TWO", "topics list", user=moderator, enterprise=grid
        )
        assert "Grid wide" in listed
    assert {c.token for c in fake.called("users.info")} == {f"xoxb-{grid}"}
    assert await slack.platform.tokens.bot_token(grid) == f"xoxb-{grid}"


async def test_requests_are_authorized_from_the_cache_not_with_auth_test_each_time(
    fake: FakeSlack, oauth_app: tuple[SlackApp, TestServer]
) -> None:
    _, server = oauth_app
    async with ClientSession() as http:
        await install(http, server, fake, ALPHA)
        before = len(fake.called("auth.test"))
        for text in ("topics list", "topics add Cached", "topics list"):
            await command(http, server, fake, ALPHA, text)
    # One auth.test for the installed token, at its first request; none after.
    assert len(fake.called("auth.test")) - before <= 1


async def test_an_uninstalled_workspace_is_refused_at_once_and_served_again_once_reinstalled(
    fake: FakeSlack, oauth_app: tuple[SlackApp, TestServer]
) -> None:
    slack, server = oauth_app
    async with ClientSession() as http:
        await install(http, server, fake, BETA)
        assert "added" in await command(http, server, fake, BETA, "topics add Before")
        body = json.dumps(payloads.event(BETA, {"type": "app_uninstalled"}))
        sent = await http.post(
            server.make_url("/slack/events"),
            data=body,
            headers=payloads.signed_headers(body, "application/json"),
        )
        assert sent.status == 200
        await slack.listeners.drained()

        # The cached authorization went with the installation: bolt refuses the request.
        refused = await command(http, server, fake, BETA, "topics add After")
        assert "install" in refused.lower()
        assert "added" not in refused

        await install(http, server, fake, BETA)
        listed = await command(http, server, fake, BETA, "topics list")
    assert "Before" in listed and "After" not in listed
