"""The DM signup: one question per message, answered by buttons, menus and replies, with the
place saved in the database so a restarted app resumes at the same question."""

from __future__ import annotations

from typing import Any

from bot.core import forms
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.platforms.slack.app import build
from tests.factories import seed_community
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import NO_WAIT, TEAM, Workspace, http_settings
from tests.platforms.slack.fake_slack import FakeChannel

CLAIMS = [("Theory will get alignment further than empirical work", ["ai-timelines"])]
DM = "D0ALICE"


def im(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": "UALICE",
        "text": text,
        "ts": "1767600000.000200",
    }


def last_question(ws: Workspace) -> str:
    return str(ws.fake.called("chat.postMessage")[-1].args["text"])


async def say(ws: Workspace, text: str) -> str:
    await ws.event(im(text))
    await ws.slack.listeners.drained()
    return last_question(ws)


async def press(ws: Workspace, action: dict[str, Any]) -> str:
    payload = payloads.block_action(TEAM, "UALICE", action["action_id"])
    payload["actions"] = [{"type": "button", "block_id": "b1", **action}]
    payload["channel"] = {"id": DM}
    await ws.interact(payload)
    await ws.slack.listeners.drained()
    return last_question(ws)


async def test_dm_signup_asks_step_by_step_and_resumes_after_a_restart(
    workspace: Workspace, core: Core
) -> None:
    seeded = await seed_community(core, claims=CLAIMS, community=TEAM, platform="slack")
    workspace.fake.channels[DM] = FakeChannel(
        DM, TEAM, "", True, True, members=["UBOTT0ALPHA", "UALICE"]
    )
    assert "Which topics" in await say(workspace, "signup")
    await press(
        workspace,
        {
            "action_id": "dm:topics",
            "type": "multi_static_select",
            "selected_options": [{"value": "ai-timelines"}],
        },
    )
    assert "How much do you agree" in await press(workspace, {"action_id": "dm:next:topics"})
    await press(
        workspace,
        {
            "action_id": f"dm:stance:{seeded.claims[0]}",
            "type": "static_select",
            "selected_option": {"value": "-2"},
        },
    )
    assert "Live" in await press(workspace, {"action_id": "dm:next:stances"})
    await press(workspace, {"action_id": "dm:set:sync:great"})
    assert "free each week" in await press(workspace, {"action_id": "dm:next:format"})

    # The app restarts here: a new app on the same database picks up at the same question.
    await workspace.slack.close()
    settings = http_settings(workspace.fake, f"xoxb-{TEAM}")
    workspace.slack = build(core, settings, retry_interval=NO_WAIT)
    assert "free each week" in await say(workspace, "hello")
    assert "I could not read" in await say(workspace, "whenever")
    assert "looking for" in await say(workspace, "mon 18:00-21:00")
    await press(
        workspace,
        {
            "action_id": "dm:looking",
            "type": "checkboxes",
            "selected_options": [{"value": "interview_them"}],
        },
    )
    assert "disagreement" in await press(workspace, {"action_id": "dm:next:looking_for"})
    assert "talk about" in await press(workspace, {"action_id": "dm:choose:appetite:seek"})
    assert "publish" in await say(workspace, "Agent foundations & evals")
    assert "/dialogue browse" in await press(workspace, {"action_id": "dm:choose:publish:yes"})
    assert "every round" in await press(workspace, {"action_id": "dm:choose:browse:no"})
    assert "Submit it" in await press(workspace, {"action_id": "dm:choose:participation:every"})
    assert "in the pool" in await press(workspace, {"action_id": "dm:submit"})

    alice = Actor(CommunityRef("slack", TEAM), "UALICE")
    form = await forms.profile(core, forms.ShowProfile(alice))
    assert form.status == "complete"
    assert form.topics == ("ai-timelines",) and form.stances == {seeded.claims[0]: -2}
    assert form.format_sync == "great" and form.about == "Agent foundations & evals"
    assert [(w.day, w.start, w.end) for w in form.availability] == [("mon", "18:00", "21:00")]
    assert form.publish_ok is True and form.looking_for == ("interview_them",)
    assert form.show_in_browse is False


async def test_dm_browse_question_resumes_from_the_database_and_refuses_a_forged_answer(
    workspace: Workspace, core: Core
) -> None:
    await seed_community(core, claims=CLAIMS, community=TEAM, platform="slack")
    workspace.fake.channels[DM] = FakeChannel(
        DM, TEAM, "", True, True, members=["UBOTT0ALPHA", "UALICE"]
    )
    assert "Which topics" in await say(workspace, "signup")
    # Straight to the publish question's button (an old message's button still answers it).
    assert "/dialogue browse" in await press(workspace, {"action_id": "dm:choose:publish:no"})
    alice = Actor(CommunityRef("slack", TEAM), "UALICE")
    saved = await forms.profile(core, forms.ShowProfile(alice))
    assert saved.step == "browse" and saved.show_in_browse is True

    # A restart: the new app asks the browse question again, read from the saved step.
    await workspace.slack.close()
    settings = http_settings(workspace.fake, f"xoxb-{TEAM}")
    workspace.slack = build(core, settings, retry_interval=NO_WAIT)
    assert "/dialogue browse" in await say(workspace, "hello")

    # A forged value is answered and stores nothing; the place stays at the question.
    refused = await press(workspace, {"action_id": "dm:choose:browse:maybe"})
    assert "yes or no" in refused and "browse" in refused
    saved = await forms.profile(core, forms.ShowProfile(alice))
    assert saved.step == "browse" and saved.show_in_browse is True

    assert "every round" in await press(workspace, {"action_id": "dm:choose:browse:no"})
    saved = await forms.profile(core, forms.ShowProfile(alice))
    assert saved.step == "participation" and saved.show_in_browse is False
