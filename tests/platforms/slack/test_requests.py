"""What reaches the app: signatures, retried deliveries, moderator rights, usage answers."""

from __future__ import annotations

import time

from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import func, select

from bot.storage.models import Community, Round, Want
from tests.factories import seed_community, signed_up
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import TEAM, Workspace


async def count(ws: Workspace, model: type) -> int:
    async with ws.core.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_forged_or_stale_signature_is_refused_with_no_effect(workspace: Workspace) -> None:
    url = workspace.fake.response_url()
    body = payloads.form_body(payloads.slash(TEAM, "UALICE", "status", response_url=url))
    content = "application/x-www-form-urlencoded"
    forged = payloads.signed_headers(body, content, secret="not-the-secret")
    stale = payloads.signed_headers(body, content, timestamp=int(time.time()) - 10 * 60)
    for headers in (forged, stale):
        response = await workspace.slack.app.async_dispatch(
            AsyncBoltRequest(body=body, headers=headers)
        )
        assert response.status == 401
    assert workspace.fake.calls == [] and workspace.fake.responses == []
    assert await count(workspace, Community) == 0  # not even the workspace was set up


async def test_a_retried_command_has_one_effect(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    url = workspace.fake.response_url()
    body = payloads.slash(TEAM, "UALICE", "want <@UBOB|bob>", response_url=url)
    first = await workspace.command("UALICE", "", body=body)
    retry = await workspace.command(
        "UALICE", "", body=body, headers={"x-slack-retry-num": "1", "x-slack-retry-reason": "x"}
    )
    assert first.status == retry.status == 200
    await workspace.slack.listeners.drained()  # the work after both acks is done
    answers_to_want = [b for i, b in workspace.fake.responses if url.endswith("/" + i)]
    assert len(answers_to_want) == 1
    assert "<@UBOB>" in answers_to_want[0]["text"]  # a real mention, written by the bot
    assert await count(workspace, Want) == 1


async def test_a_plain_members_admin_command_is_refused(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    text = await workspace.reply("UALICE", "round run", command="/dialogue-admin")
    assert "Only moderators" in text
    assert await count(workspace, Round) == 0
    assert workspace.fake.called("conversations.create") == []
    # The same command from a workspace admin goes through.
    text = await workspace.reply("UMOD", "round preview", command="/dialogue-admin")
    assert "Only moderators" not in text


async def test_a_mistake_answers_the_usage(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    text = await workspace.reply("UALICE", "want")
    assert "/dialogue want @member" in text
    text = await workspace.reply("UALICE", "frobnicate")
    assert "Unknown command" in text and "/dialogue signup" in text


async def test_members_of_the_configured_user_group_are_moderators(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    workspace.fake.teams[TEAM].usergroups["dialogue-mods"] = ["UCAROL"]
    assert "Only moderators" in await workspace.reply(
        "UCAROL", "topics list", command="/dialogue-admin"
    )
    saved = await workspace.reply(
        "UMOD", "config moderator_group=@dialogue-mods", command="/dialogue-admin"
    )
    assert "@dialogue-mods" in saved
    assert "Only moderators" not in await workspace.reply(
        "UCAROL", "topics list", command="/dialogue-admin"
    )
    assert "Only moderators" in await workspace.reply(
        "UDAN", "topics list", command="/dialogue-admin"
    )


async def test_a_command_is_acknowledged_before_its_work_is_done(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    slow = workspace.fake.hold("users.info")  # Slack answers this one slowly
    try:
        response = await workspace.command("UALICE", "status")
        assert response.status == 200
        # Acked, while the work behind it is still waiting for Slack's answer.
        await workspace.fake.wait_calls("users.info")
        assert workspace.fake.responses == []
    finally:
        slow.set()
    answers = await workspace.fake.wait_responses()
    assert "You have not signed up yet" in answers[0]["text"]


async def test_a_failure_at_once_after_the_ack_leaves_the_request_acknowledged(
    workspace: Workspace,
) -> None:
    # A fault injected with no I/O before it, so the listener fails before bolt's runner
    # has polled for the ack (every 10 ms): bolt then overwrote the ack with no response,
    # and Slack got a 404 for a request the app had acknowledged (seen once in CI).
    await seed_community(workspace.core, community=TEAM, platform="slack")

    async def refuse(*_args: object) -> None:
        raise RuntimeError("injected fault")

    workspace.slack.listeners.rights.actor = refuse  # type: ignore[method-assign]
    text = await workspace.reply("UALICE", "status")
    assert "something went wrong on our side" in text


async def test_a_failure_after_the_ack_is_told_to_the_person(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    # Slack drops every connection for users.info, retries included.
    workspace.fake.fail("users.info", status=0, times=100)
    text = await workspace.reply("UALICE", "status")
    assert "something went wrong on our side" in text
    # slack_sdk retried (three times; aiohttp may also resend once on a dropped connection).
    assert len(workspace.fake.called("users.info")) >= 4
