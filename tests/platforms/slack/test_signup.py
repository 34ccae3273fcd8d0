"""Signup through the real AsyncApp: slash command → views.open → view_submission → stored."""

from __future__ import annotations

import json
from typing import Any

from bot.core import forms
from bot.core.actor import Actor, CommunityRef
from tests.factories import row_counts, seed_community
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import TEAM, Workspace

CLAIMS = [
    (f"Claim number {i} divides us", ["ai-timelines"]) for i in range(1, 7)
]  # 6 claims: two claim pages of 5 and 1


def member(user: str) -> Actor:
    return Actor(CommunityRef("slack", TEAM), user)


def page_zero_values(**overrides: Any) -> dict[str, Any]:
    values = {
        "topics": payloads.multi_value(["ai-timelines", "forecasting"]),
        "suggested_topics": payloads.text_value(None),
        "sync": payloads.radio_value("great"),
        "async": payloads.radio_value("okay"),
        "timezone": payloads.text_value("Europe/Berlin"),
        "availability": payloads.text_value("mon 18:00-21:00, sat 10-12"),
        "looking_for": payloads.checkbox_value(["dialogue", "interview_me"]),
        "appetite": payloads.radio_value("seek"),
        "about": payloads.text_value("Evals <!channel> & theory"),
        "private_notes": payloads.text_value(None),
        "publish_ok": payloads.radio_value("yes"),
        "participation": payloads.radio_value("every"),
    }
    values.update(overrides)
    return values


async def open_signup(ws: Workspace, user: str) -> dict[str, Any]:
    """The signup form as Slack shows it: the loading modal the command opened, updated."""
    known = set(ws.fake.views)
    response = await ws.command(user, "signup")
    assert response.status == 200
    return await ws.fake.wait_for(
        lambda: next(
            (
                v
                for key, v in ws.fake.views.items()
                if key not in known and v.get("callback_id") == "signup"
            ),
            None,
        )
    )


async def stored_rows(ws: Workspace) -> dict[str, int]:
    """Rows per table, without the delivery log (it grows with every request)."""
    return {k: v for k, v in (await row_counts(ws.core)).items() if k != "slack_deliveries"}


async def submit(ws: Workspace, user: str, view: dict[str, Any], values: dict[str, Any]) -> Any:
    response = await ws.interact(payloads.view_submission(TEAM, user, view, values))
    assert response.status == 200
    return json.loads(response.body) if response.body else {}


async def test_the_signup_trigger_is_used_at_once_and_the_form_replaces_the_loading_modal(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    await seed_community(workspace.core, claims=CLAIMS, community=TEAM, platform="slack")
    slow = fake.hold("users.info")  # the work behind the ack is stuck on Slack
    response = await workspace.command("UALICE", "signup")
    assert response.status == 200
    [opened] = await fake.wait_calls("views.open")
    assert opened.args["view"]["callback_id"] == "signup_loading"
    assert not fake.called("views.update")
    slow.set()
    [updated] = await fake.wait_calls("views.update")
    assert updated.args["view"]["callback_id"] == "signup"
    assert len(fake.called("views.open")) == 1  # the trigger was used once


async def test_slash_signup_opens_the_modal_and_each_page_is_stored(workspace: Workspace) -> None:
    seeded = await seed_community(workspace.core, claims=CLAIMS, community=TEAM, platform="slack")
    view = await open_signup(workspace, "UALICE")
    assert view["callback_id"] == "signup"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    # Timezone prefilled from users.info (the fake's users live in Europe/Berlin).
    assert blocks["timezone"]["element"]["initial_value"] == "Europe/Berlin"
    assert {o["value"] for o in blocks["topics"]["element"]["options"]} == set(seeded.topics)

    answer = await submit(workspace, "UALICE", view, page_zero_values())
    assert answer["response_action"] == "update"
    claims_page = answer["view"]
    assert claims_page["private_metadata"] == "1"
    # Page 0 is saved before the claims are asked: a closed modal loses nothing.
    saved = await forms.profile(workspace.core, forms.ShowProfile(member("UALICE")))
    assert saved.status == "draft"
    assert saved.topics == ("ai-timelines", "forecasting")
    assert [(w.day, w.start, w.end) for w in saved.availability] == [
        ("mon", "18:00", "21:00"),
        ("sat", "10:00", "12:00"),
    ]
    claim_blocks = [b["block_id"] for b in claims_page["blocks"] if b["type"] == "input"]
    assert claim_blocks == [f"claim:{c}" for c in seeded.claims[:5]]

    stances = {f"claim:{c}": payloads.select_value("2") for c in seeded.claims[:4]}
    stances[f"claim:{seeded.claims[4]}"] = payloads.select_value("skip")
    answer = await submit(workspace, "UALICE", claims_page, stances)
    assert answer["response_action"] == "update"
    last_page = answer["view"]
    assert last_page["submit"]["text"] == "Submit"

    answer = await submit(
        workspace,
        "UALICE",
        last_page,
        {f"claim:{seeded.claims[5]}": payloads.select_value("-2")},
    )
    assert answer == {"response_action": "clear"}
    done = await forms.profile(workspace.core, forms.ShowProfile(member("UALICE")))
    assert done.status == "complete"
    assert done.stances == {**dict.fromkeys(seeded.claims[:4], 2), seeded.claims[5]: -2}
    assert done.about == "Evals <!channel> & theory"  # stored as written, escaped on display
    assert done.looking_for == ("dialogue", "interview_me")
    # The member is told, in their DM with the app.
    posted = await workspace.fake.wait_calls("chat.postMessage")
    assert "in the pool" in posted[-1].args["text"]


async def test_a_closed_modal_resumes_at_the_first_unsaved_page(workspace: Workspace) -> None:
    seeded = await seed_community(workspace.core, claims=CLAIMS, community=TEAM, platform="slack")
    view = await open_signup(workspace, "UBOB")
    await submit(workspace, "UBOB", view, page_zero_values())
    # Closed here; the next /dialogue signup comes back on the claims.
    workspace.fake.calls.clear()
    again = await open_signup(workspace, "UBOB")
    assert again["private_metadata"] == "1"
    assert any(b.get("block_id") == f"claim:{seeded.claims[0]}" for b in again["blocks"])


async def test_an_invalid_submission_answers_errors_and_stores_nothing(
    workspace: Workspace,
) -> None:
    await seed_community(workspace.core, claims=CLAIMS, community=TEAM, platform="slack")
    view = await open_signup(workspace, "UCAROL")
    before = await stored_rows(workspace)
    bad_zone = page_zero_values(timezone=payloads.text_value("Mars/Olympus_Mons"))
    answer = await submit(workspace, "UCAROL", view, bad_zone)
    assert answer["response_action"] == "errors"
    assert "timezone" in answer["errors"]
    assert "Mars/Olympus_Mons" in answer["errors"]["timezone"]

    unreadable = page_zero_values(availability=payloads.text_value("whenever"))
    answer = await submit(workspace, "UCAROL", view, unreadable)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"availability"}

    # A yes/no answer that is neither is refused next to its question, not read as "no".
    forged = page_zero_values(show_in_browse=payloads.radio_value("maybe"))
    answer = await submit(workspace, "UCAROL", view, forged)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"show_in_browse"}
    assert "browse" in answer["errors"]["show_in_browse"]

    # Only the delivery log grew: no topic, stance or answer of the refused pages was kept.
    assert await stored_rows(workspace) == before
    form = await forms.profile(workspace.core, forms.ShowProfile(member("UCAROL")))
    assert form.topics == () and form.about == "" and form.show_in_browse is True


async def test_missing_topics_are_reported_on_the_first_page(workspace: Workspace) -> None:
    await seed_community(workspace.core, claims=CLAIMS, community=TEAM, platform="slack")
    view = await open_signup(workspace, "UDAN")
    answer = await submit(
        workspace, "UDAN", view, page_zero_values(topics=payloads.multi_value([]))
    )
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {"topics": "Pick at least one topic."}


async def test_a_member_can_keep_out_of_browse_and_the_modal_shows_it_next_time(
    workspace: Workspace,
) -> None:
    seeded = await seed_community(workspace.core, claims=CLAIMS, community=TEAM, platform="slack")
    view = await open_signup(workspace, "UALICE")
    browse = next(b for b in view["blocks"] if b.get("block_id") == "show_in_browse")
    assert browse["element"]["initial_option"]["value"] == "yes"  # the default: shown

    answer = await submit(
        workspace, "UALICE", view, page_zero_values(show_in_browse=payloads.radio_value("no"))
    )
    assert answer["response_action"] == "update"
    # Saved with the first page, before the claims are asked.
    saved = await forms.profile(workspace.core, forms.ShowProfile(member("UALICE")))
    assert saved.show_in_browse is False and saved.publish_ok is True
    claims = {f"claim:{c}": payloads.select_value("1") for c in seeded.claims[:5]}
    answer = await submit(workspace, "UALICE", answer["view"], claims)
    last = {f"claim:{seeded.claims[5]}": payloads.select_value("-1")}
    assert await submit(workspace, "UALICE", answer["view"], last) == {"response_action": "clear"}
    done = await forms.profile(workspace.core, forms.ShowProfile(member("UALICE")))
    assert done.status == "complete" and done.show_in_browse is False

    # Editing the answers later: the first page comes back with the saved "no" chosen.
    workspace.fake.calls.clear()
    again = await open_signup(workspace, "UALICE")
    assert again["private_metadata"] == "0"
    browse = next(b for b in again["blocks"] if b.get("block_id") == "show_in_browse")
    assert browse["element"]["initial_option"]["value"] == "no"
