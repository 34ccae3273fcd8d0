"""Dialogues on Slack: mutual wants, round runs, the private conversation and its text."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.core.actor import CommunityRef
from bot.platforms.base import Message
from bot.storage.models import DialogueMember
from tests.factories import seed_community, signed_up
from tests.platforms.slack import payloads
from tests.platforms.slack.conftest import TEAM, Workspace

CLAIM = [("Theory will get alignment further than empirical work", ["ai-timelines"])]
HOSTILE = "Hi <!channel> <!here> <!subteam^S0MODS|mods> <@UMOD> & <https://evil.example|x>"


def buttons_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_mutual_want_intake_buttons_open_one_private_conversation(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    await seed_community(workspace.core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    await workspace.reply("UALICE", "want <@UBOB|bob>")
    await workspace.reply("UBOB", "want <@UALICE>")

    dms = await fake.wait_calls("chat.postMessage", 2)
    intake = [buttons_of(c.args["blocks"]) for c in dms]
    assert all(len(b) == 1 for b in intake)
    custom_id = intake[0][0]["action_id"]
    assert intake[1][0]["action_id"] == custom_id

    for n, user in enumerate(("UALICE", "UBOB"), start=1):
        await workspace.interact(
            payloads.block_action(TEAM, user, custom_id, response_url=fake.response_url())
        )
        opened = await fake.wait_calls("views.open", n)
        modal = opened[-1].args["view"]
        assert modal["callback_id"] == "intake" and modal["private_metadata"] == custom_id
        response = await workspace.interact(
            payloads.view_submission(
                TEAM,
                user,
                modal,
                {
                    "topics": payloads.multi_value(["ai-timelines"]),
                    "format": payloads.radio_value("either"),
                    "notes": payloads.text_value("Looking forward"),
                },
            )
        )
        assert json.loads(response.body) == {"response_action": "clear"}

    created = await fake.wait_calls("conversations.create")
    invited = await fake.wait_calls("conversations.invite")
    assert len(created) == 1 and created[0].args["is_private"] in (True, "true", "1")
    channel = invited[0].args["channel"]
    assert sorted(invited[0].args["users"].split(",")) == ["UALICE", "UBOB"]
    await fake.wait_for(lambda: fake.channels[channel].messages)
    assert len(fake.called("conversations.create")) == 1


async def test_round_run_opens_one_conversation_per_pair_with_the_opening_message(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    seeded = await seed_community(workspace.core, claims=CLAIM, community=TEAM, platform="slack")
    claim = seeded.claims[0]
    stances = {"UALICE": 2, "UBOB": -2, "UCAROL": 1, "UDAN": -1}
    for user, stance in stances.items():
        await signed_up(
            workspace.core,
            user,
            stances={claim: stance},
            about=HOSTILE if user == "UALICE" else "",
            community=TEAM,
            platform="slack",
        )
    text = await workspace.reply("UMOD", "round run", command="/dialogue-admin")
    assert "Only moderators" not in text
    created = await fake.wait_calls("conversations.create", 2)
    invites = await fake.wait_calls("conversations.invite", 2)
    pairs = sorted(tuple(sorted(i.args["users"].split(","))) for i in invites)
    everyone = sorted(u for pair in pairs for u in pair)
    assert len(created) == 2 and everyone == sorted(stances)
    for invite in invites:
        channel = fake.channels[invite.args["channel"]]
        await fake.wait_for(lambda channel=channel: channel.messages)
        intro = channel.messages[0]
        assert channel.is_private and set(channel.members) >= set(invite.args["users"].split(","))
        assert "Theory will get alignment" in intro["text"]

    # Hostile member text in the intro is shown, never executed.
    alice_channel = next(
        fake.channels[i.args["channel"]] for i in invites if "UALICE" in i.args["users"]
    )
    posted = json.dumps(alice_channel.messages[0])
    for control in ("<!channel>", "<!here>", "<!subteam^", "<@UMOD>", "<https://evil"):
        assert control not in posted
    assert "&lt;!channel&gt;" in alice_channel.messages[0]["text"]
    assert "&amp;" in alice_channel.messages[0]["text"]


async def test_without_channel_scopes_the_pair_gets_a_group_dm_and_moderators_learn_why(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    fake.teams[TEAM].scopes.discard("groups:write")
    await seed_community(workspace.core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    await workspace.reply("UMOD", "pair <@UALICE> <@UBOB>", command="/dialogue-admin")
    opened = await fake.wait_for(
        lambda: [c for c in fake.called("conversations.open") if "," in c.args["users"]]
    )
    assert sorted(opened[0].args["users"].split(",")) == ["UALICE", "UBOB"]
    text = await workspace.reply("UMOD", "pool", command="/dialogue-admin")
    assert "groups:write" in text
    # The scope is added: the next dialogue is a private channel and the warning goes.
    fake.teams[TEAM].scopes.add("groups:write")
    for user in ("UCAROL", "UDAN"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    await workspace.reply("UMOD", "pair <@UCAROL> <@UDAN>", command="/dialogue-admin")
    assert len(fake.called("conversations.create")) == 2  # the refused one and this one
    assert "groups:write" not in await workspace.reply("UMOD", "pool", command="/dialogue-admin")


async def test_member_messages_in_a_dialogue_are_recorded_not_their_content(
    workspace: Workspace,
) -> None:
    fake = workspace.fake
    await seed_community(workspace.core, community=TEAM, platform="slack")
    for user in ("UALICE", "UBOB"):
        await signed_up(workspace.core, user, community=TEAM, platform="slack")
    await workspace.reply("UMOD", "pair <@UALICE> <@UBOB>", command="/dialogue-admin")
    invite = (await fake.wait_calls("conversations.invite"))[0]
    channel = invite.args["channel"]
    await workspace.event(
        {
            "type": "message",
            "channel": channel,
            "user": "UALICE",
            "text": "hello",
            "ts": "1767600000.000100",
            "channel_type": "group",
        }
    )

    async def recorded() -> list[Any]:
        async with workspace.core.db.transaction() as session:
            return list(
                await session.scalars(
                    select(DialogueMember.last_message_at).where(
                        DialogueMember.last_message_at.is_not(None)
                    )
                )
            )

    await workspace.slack.listeners.drained()  # events are handled after their ack
    assert len(await recorded()) == 1


async def test_keyed_posts_are_sent_once(workspace: Workspace) -> None:
    fake = workspace.fake
    platform = workspace.slack.platform
    thread = await platform.open_private_thread(
        TEAM, ["UALICE", "UBOB"], "Alice and Bob", idempotency_key="dialogue:1"
    )
    again = await platform.open_private_thread(
        TEAM, ["UALICE", "UBOB"], "Alice and Bob", idempotency_key="dialogue:1"
    )
    assert again == thread
    first = await platform.post(thread, Message("Nudge"), idempotency_key="nudge:1")
    second = await platform.post(thread, Message("Nudge"), idempotency_key="nudge:1")
    assert first == second
    assert len(fake.called("chat.postMessage")) == 1
    messages = await platform.read_messages(thread)
    assert [m.text for m in messages] == ["Nudge"] and messages[0].is_bot
    assert CommunityRef("slack", TEAM)  # the thread id names its workspace
    assert thread.startswith(f"{TEAM}:")


async def test_a_group_dm_dialogue_is_closed_when_it_ends(workspace: Workspace) -> None:
    fake = workspace.fake
    fake.teams[TEAM].scopes.discard("groups:write")
    platform = workspace.slack.platform
    thread = await platform.open_private_thread(TEAM, ["UALICE", "UBOB"], "Alice and Bob")
    await platform.archive_thread(thread)  # a group DM cannot be archived: it is closed
    assert [c.args["channel"] for c in fake.called("conversations.close")] == [thread.split(":")[1]]
