"""`/dialogue browse` on Slack: the shared command layer's page arrives as an ephemeral message
whose Block Kit buttons are the persistent toggles, and a press is the same private tick as
`/dialogue want` (a mutual one starts the intake flow)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.storage.models import Want
from tests.factories import seed_community, signed_up
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import TEAM, Workspace

CLAIM = [("Theory will get alignment further than empirical work", ["ai-timelines"])]


def buttons_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def wants(workspace: Workspace) -> int:
    async with workspace.core.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Want)) or 0)


async def test_a_browse_toggle_pressed_on_slack_completes_a_mutual_want(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    seeded = await seed_community(workspace.core, claims=CLAIM, community=TEAM, platform="slack")
    claim = seeded.claims[0]
    await signed_up(
        workspace.core, "UALICE", stances={claim: 2}, community=TEAM, platform="slack", name="Alice"
    )
    await signed_up(
        workspace.core, "UBOB", stances={claim: -2}, community=TEAM, platform="slack", name="Bob"
    )
    await workspace.reply("UBOB", "want <@UALICE>")  # Bob already ticked Alice

    response = await workspace.command("UALICE", "browse")
    assert response.status == 200
    url_id = workspace.last_url.rsplit("/", 1)[1]
    found = await fake.wait_for(lambda: [b for i, b in fake.responses if i == url_id])
    page = found[0]
    assert page.get("response_type", "ephemeral") == "ephemeral"
    assert "Bob" in page["text"]
    toggles = [b for b in buttons_of(page["blocks"]) if b["action_id"] == "browse:want:UBOB"]
    assert len(toggles) == 1, buttons_of(page["blocks"])

    before = len(fake.called("chat.postMessage"))
    await workspace.interact(
        payloads.block_action(TEAM, "UALICE", "browse:want:UBOB", response_url=fake.response_url())
    )
    assert await fake.wait_for(lambda: len(fake.called("chat.postMessage")) >= before + 2)
    assert await wants(workspace) == 2
    # The mutual tick DMs both sides the intake button, exactly as the typed command does.
    intake = [
        c.args["channel"]
        for c in fake.called("chat.postMessage")[before:]
        if any(b["action_id"].startswith("mw:intake:") for b in buttons_of(c.args["blocks"]))
    ]
    assert len(intake) == 2
