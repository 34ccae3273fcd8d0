"""How answers reach people: files, the App Home tab, retried Web API calls, Slack's errors."""

from __future__ import annotations

import pytest

from bot.platforms.base import Message, PlatformError
from bot.platforms.slack.text import escape, mention, render
from tests.factories import seed_community, signed_up
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import TEAM, Workspace


async def test_pool_posts_the_statistics_and_a_png_chart(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    await signed_up(workspace.core, "UALICE", community=TEAM, platform="slack")
    text = await workspace.reply("UMOD", "pool", command="/dialogue-admin")
    assert "Members: 1 (1 active" in text
    fake = workspace.fake
    done = await fake.wait_calls("files.completeUploadExternal")
    uploaded = [fake.uploads[f["id"]] for f in done[0].args["files"]]
    assert [u["name"] for u in uploaded] == ["pool.png"]
    assert uploaded[0]["content"].startswith(b"\x89PNG")


async def test_export_uploads_the_csv_files(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    await signed_up(workspace.core, "UALICE", community=TEAM, platform="slack")
    await workspace.reply("UMOD", "export", command="/dialogue-admin")
    fake = workspace.fake
    done = await fake.wait_calls("files.completeUploadExternal")
    names = sorted(fake.uploads[f["id"]]["name"] for f in done[0].args["files"])
    assert names == ["pool.csv", "rounds.csv"]
    pool_csv = next(u for u in fake.uploads.values() if u["name"] == "pool.csv")
    assert b"UALICE" in pool_csv["content"]


async def test_a_missing_files_scope_is_named_to_the_moderator(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    workspace.fake.fail("files.getUploadURLExternal", "missing_scope", needed="files:write")
    await workspace.reply("UMOD", "export", command="/dialogue-admin")
    answers = await workspace.fake.wait_responses(2)
    assert "files:write" in answers[1]["text"]


async def test_app_home_shows_status_and_its_buttons_run_the_commands(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    await seed_community(workspace.core, community=TEAM, platform="slack")
    await signed_up(workspace.core, "UALICE", community=TEAM, platform="slack")
    await workspace.event({"type": "app_home_opened", "user": "UALICE", "tab": "home"})
    published = await fake.wait_for(lambda: fake.home.get((TEAM, "UALICE")))
    actions = [
        e["action_id"] for b in published["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == ["home:signup", "home:dm", "home:pause", "home:leave"]
    assert "You are in the pool." in str(published)

    await workspace.interact(
        payloads.block_action(TEAM, "UALICE", "home:pause", container={"type": "view"})
    )
    await fake.wait_for(lambda: "home:resume" in str(fake.home[(TEAM, "UALICE")]))
    await workspace.interact(
        payloads.block_action(TEAM, "UALICE", "home:signup", container={"type": "view"})
    )
    opened = await fake.wait_calls("views.open")
    assert opened[0].args["view"]["callback_id"] == "signup"


async def test_rate_limits_and_server_errors_are_retried(workspace: Workspace) -> None:
    fake = workspace.fake
    platform = workspace.slack.platform
    opened = await platform.open_private_thread(TEAM, ["UALICE", "UBOB"], "Alice and Bob")
    fake.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "0"})
    fake.fail("chat.postMessage", "internal_error", status=500)
    fake.fail("chat.postMessage", "service_unavailable", status=503)
    await platform.post(opened, Message("Hello"))
    assert len(fake.called("chat.postMessage")) == 4
    assert len(fake.channels[opened.split(":")[1]].messages) == 1


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ("channel_not_found", "no longer exists"),
        ("is_archived", "archived"),
        ("not_in_channel", "not a member"),
    ],
)
async def test_expected_slack_errors_become_platform_errors(
    workspace: Workspace, error: str, said: str
) -> None:
    platform = workspace.slack.platform
    opened = await platform.open_private_thread(TEAM, ["UALICE"], "Alice")
    workspace.fake.fail("chat.postMessage", error)
    with pytest.raises(PlatformError, match=said):
        await platform.post(opened, Message("Hello"))


async def test_a_member_who_left_is_a_platform_error(workspace: Workspace) -> None:
    with pytest.raises(PlatformError, match="no longer in the workspace"):
        await workspace.slack.platform.open_private_thread(TEAM, ["UGONE"], "Gone")


def test_member_text_cannot_ping_or_format() -> None:
    hostile = "<!channel> <!here> <!subteam^S1|x> <@U1> & <https://a|b> &amp;"
    shown = render(hostile)
    assert "<" not in shown and ">" not in shown
    assert shown.count("&amp;") == 2
    # The bot's own mentions survive; a member typing the placeholder shape does not.
    assert render(f"hi {mention('U123')}") == "hi <@U123>"
    assert render("hi \x00@U123\x00") == escape("hi \x00@U123\x00")


async def test_a_mutual_want_is_kept_when_slack_refuses_the_dm(workspace: Workspace) -> None:
    await seed_community(workspace.core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    # Mutual want: the app DMs both; Slack refuses the DM (the member closed DMs, say).
    await workspace.reply("UALICE", "want <@UBOB>")
    workspace.fake.fail("chat.postMessage", "cannot_dm_bot", times=2)
    text = await workspace.reply("UBOB", "want <@UALICE>")
    assert "mutual" in text.lower()
    status = await workspace.reply("UBOB", "status")
    assert "waiting for" in status.lower() or "topic and format" in status.lower()
