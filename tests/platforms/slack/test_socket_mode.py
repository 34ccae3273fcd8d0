"""Socket Mode: the app opens its connection through SLACK_API_URL and acks every envelope."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import ConfigError
from bot.core.app import Core
from bot.platforms.slack.app import SlackApp, SlackSettings, build
from tests.factories import seed_community, signed_up
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import NO_WAIT, TEAM
from tests.platforms.slack.fake_slack import FakeSlack

APP_TOKEN = "xapp-1-test"


@pytest.fixture
async def socket_app(fake: FakeSlack, core: Core) -> AsyncIterator[SlackApp]:
    team = fake.add_team(TEAM)
    fake.app_tokens.add(APP_TOKEN)
    for user in ("UALICE", "UBOB"):
        fake.add_user(TEAM, user)
    settings = SlackSettings(api_url=fake.api_url, bot_token=team.token, app_token=APP_TOKEN)
    slack = build(core, settings, retry_interval=NO_WAIT)
    handler = await slack.start_socket_mode()
    try:
        yield slack
    finally:
        await handler.close_async()
        await slack.close()


async def test_socket_mode_connects_through_the_api_url_and_acks_commands(
    fake: FakeSlack, socket_app: SlackApp, core: Core
) -> None:
    await fake.connected()
    opened = fake.called("apps.connections.open")
    assert len(opened) == 1 and opened[0].token == APP_TOKEN
    await seed_community(core, community=TEAM, platform="slack")
    await signed_up(core, "UALICE", community=TEAM, platform="slack")

    url = fake.response_url()
    ack = await fake.deliver(
        "slash_commands", payloads.slash(TEAM, "UALICE", "status", response_url=url)
    )
    assert ack["envelope_id"]
    answers = await fake.wait_responses()
    assert "You are in the pool." in answers[0]["text"]
    assert answers[0]["response_type"] == "ephemeral"


async def test_a_duplicate_envelope_has_one_effect(
    fake: FakeSlack, socket_app: SlackApp, core: Core
) -> None:
    await seed_community(core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(core, user, community=TEAM, platform="slack")
    url = fake.response_url()
    body = payloads.slash(TEAM, "UALICE", "block <@UBOB>", response_url=url)
    first = await fake.deliver("slash_commands", body)
    again = await fake.deliver("slash_commands", body, retry_attempt=1)
    assert first["envelope_id"] != again["envelope_id"]  # both acknowledged
    await socket_app.listeners.drained()
    await fake.wait_responses()
    assert len(fake.responses) == 1


async def test_a_duplicate_signup_envelope_opens_one_form(
    fake: FakeSlack, socket_app: SlackApp, core: Core
) -> None:
    await seed_community(core, community=TEAM, platform="slack")
    body = payloads.slash(TEAM, "UALICE", "signup", response_url=fake.response_url())
    await fake.deliver("slash_commands", body)
    await fake.deliver("slash_commands", body, retry_attempt=1)
    await socket_app.listeners.drained()
    forms = [v for v in fake.views.values() if v.get("callback_id") == "signup"]
    loading = [v for v in fake.views.values() if v.get("callback_id") == "signup_loading"]
    assert len(forms) == 1 and loading == []  # no second modal, none left "Loading"


async def test_a_refused_app_token_is_a_clear_message_not_endless_retries(
    fake: FakeSlack, core: Core
) -> None:
    team = fake.add_team(TEAM)
    settings = SlackSettings(api_url=fake.api_url, bot_token=team.token, app_token="xapp-wrong")
    slack = build(core, settings, retry_interval=NO_WAIT)
    try:
        with pytest.raises(ConfigError, match="Slack refused SLACK_APP_TOKEN: invalid_auth"):
            await slack.verify()
    finally:
        await slack.close()
