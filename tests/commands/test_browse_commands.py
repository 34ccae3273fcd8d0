"""`/dialogue browse` through the shared command layer: the page, its persistent toggles and
paging buttons, and presses that go through the same core want/unwant as the typed command."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.commands import MEMBER, TABLE, Commands
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.core.browse import PAGE_SIZE, BrowsePage
from bot.platforms.local import LocalChat, LocalPlatform
from bot.storage.models import Dialogue, Want
from tests.factories import Seeded, seed_community, signed_up

GUILD = CommunityRef("local", "guild1")
ALICE = Actor(GUILD, "alice", "Alice")
BOB = Actor(GUILD, "bob", "Bob")


@pytest.fixture
async def seeded(core: Core) -> Seeded:
    return await seed_community(core, claims=(("Theory beats experiments", ["ai-timelines"]),))


@pytest.fixture
def commands(core: Core, seeded: Seeded) -> Commands:
    return Commands(core, mention=lambda user: f"<@{user}>")


async def _count(core: Core, model: type) -> int:
    async with core.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _ids(reply_buttons: tuple) -> list[str]:
    return [b.custom_id for b in reply_buttons]


def test_browse_has_one_entry_in_the_table() -> None:
    entry = TABLE[MEMBER, "browse"]
    assert entry.usage.startswith("/dialogue browse [topic]")


async def test_browse_page_lists_suggestions_with_a_toggle_each_and_a_next_button(
    core: Core, commands: Commands, seeded: Seeded
) -> None:
    claim = seeded.claims[0]
    await signed_up(core, "alice", name="Alice", stances={claim: 2})
    await signed_up(core, "bob", name="Bob", stances={claim: -2}, about="I run evals")
    for n in range(PAGE_SIZE + 1):
        await signed_up(core, f"m{n}", name=f"Member {n}", stances={claim: 2})

    reply = await commands.text(ALICE, "/dialogue browse")
    assert reply.ok and reply.ephemeral  # it shows one's own ticks: for the actor's eyes only
    page = reply.view
    assert isinstance(page, BrowsePage) and page.pages == 2
    assert page.entries[0].user_id == "bob"  # furthest apart on the claim: suggested first
    text = reply.text
    assert "Suggested for you:" in text and "Everyone else, by name:" in text
    assert text.index("Suggested for you:") < text.index("Bob") < text.index("Everyone else")
    assert "I run evals" in text and "you strongly agree, they strongly disagree" in text
    shown = [e.user_id for e in page.entries]
    assert _ids(reply.buttons) == [*(f"browse:want:{u}" for u in shown), "browse:page:2"]
    assert reply.buttons[0].label == "I'd dialogue with Bob"

    second = await commands.press(ALICE, "browse:page:2")
    assert second.ok and second.view.page == 2
    assert "browse:page:1" in _ids(second.buttons) and "browse:page:3" not in _ids(second.buttons)
    listed = shown + [e.user_id for e in second.view.entries]
    assert sorted(listed) == sorted(["bob", *(f"m{n}" for n in range(PAGE_SIZE + 1))])


async def test_a_toggle_is_a_want_and_the_second_press_an_unwant(
    core: Core, commands: Commands
) -> None:
    await signed_up(core, "alice", name="Alice")
    await signed_up(core, "bob", name="Bob")
    page = await commands.text(ALICE, "/dialogue browse")
    (toggle,) = page.buttons
    assert toggle.custom_id == "browse:want:bob"

    ticked = await commands.press(ALICE, toggle.custom_id)
    assert ticked.ok and ticked.ephemeral and "Noted, privately" in ticked.text
    assert await _count(core, Want) == 1
    (untick,) = ticked.buttons
    assert (untick.custom_id, untick.label) == ("browse:unwant:bob", "Untick")
    # The page now shows the tick and offers to untick.
    again = await commands.text(ALICE, "/dialogue browse")
    assert _ids(again.buttons) == ["browse:unwant:bob"] and "You ticked them" in again.text
    # Bob's page shows no trace of Alice's tick.
    bobs = await commands.text(BOB, "/dialogue browse")
    assert "ticked" not in bobs.text.replace("Ticks are private", "")
    assert _ids(bobs.buttons) == ["browse:want:alice"]

    unticked = await commands.press(ALICE, untick.custom_id)
    assert unticked.ok and "removed" in unticked.text
    assert await _count(core, Want) == 0
    assert _ids(unticked.buttons) == ["browse:want:bob"]


async def test_a_mutual_tick_from_browse_opens_the_mutual_want_flow(
    core: Core, commands: Commands
) -> None:
    await signed_up(core, "alice", name="Alice")
    await signed_up(core, "bob", name="Bob")
    await commands.press(BOB, "browse:want:alice")
    reply = await commands.press(ALICE, "browse:want:bob")
    assert reply.ok and "It's mutual" in reply.text
    async with core.db.transaction() as session:
        (dialogue,) = list(await session.scalars(select(Dialogue)))
    assert (dialogue.kind, dialogue.state) == ("mutual_want", "pending")
    platform = core.platforms["local"]
    assert isinstance(platform, LocalPlatform)
    # Both got the intake button, exactly as after a typed want; pressing it opens the form.
    for user in ("alice", "bob"):
        (message,) = platform.direct[("guild1", user)]
        assert message.buttons == (f"mw:intake:{dialogue.id}",)
    intake = await commands.press(ALICE, f"mw:intake:{dialogue.id}")
    assert intake.ok


async def test_typed_options_and_a_topic_filter_reach_the_same_page(
    core: Core, commands: Commands
) -> None:
    await signed_up(core, "alice", name="Alice", topics=["ai-timelines", "forecasting"])
    await signed_up(core, "bob", name="Bob", topics=["forecasting"])
    await signed_up(core, "carol", name="Carol", topics=["ai-timelines"])
    typed = await commands.run(ALICE, MEMBER, "browse", topic="forecasting")
    text = await commands.text(ALICE, "/dialogue browse Forecasting 1")
    assert typed.ok and text.ok and typed.view == text.view
    assert [e.user_id for e in typed.view.entries] == ["bob"]
    assert "interested in Forecasting" in typed.text
    multi_word = await commands.text(ALICE, "/dialogue browse AI timelines")
    assert [e.user_id for e in multi_word.view.entries] == ["carol"]


async def test_paging_buttons_keep_the_topic(
    core: Core, commands: Commands, seeded: Seeded
) -> None:
    await signed_up(core, "alice", name="Alice", topics=["forecasting"])
    for n in range(PAGE_SIZE + 2):
        await signed_up(core, f"m{n}", name=f"M{n}", topics=["forecasting"])
    await signed_up(core, "zed", name="Zed", topics=["ai-timelines"])
    first = await commands.run(ALICE, MEMBER, "browse", topic="forecasting")
    topic_id = seeded.topics["forecasting"]
    # The topic's id, not its slug (up to 64 characters), so the id fits Discord's 100.
    assert _ids(first.buttons)[-1] == f"browse:page:2:{topic_id}"
    second = await commands.press(ALICE, f"browse:page:2:{topic_id}")
    assert second.view.topic == "forecasting" and second.view.page == 2
    assert "zed" not in [e.user_id for e in second.view.entries]
    assert f"browse:page:1:{topic_id}" in _ids(second.buttons)


async def test_a_paging_button_for_a_removed_or_foreign_topic_is_answered(
    core: Core, commands: Commands, seeded: Seeded
) -> None:
    await signed_up(core, "alice", name="Alice")
    other = await seed_community(core, community="guild2")
    foreign = await commands.press(ALICE, f"browse:page:1:{other.topics['forecasting']}")
    assert not foreign.ok and foreign.field == "topic"
    await commands.run(
        Actor(GUILD, "mod", "Mod", is_moderator=True),
        "dialogue-admin",
        "topics",
        action="remove",
        name="forecasting",
    )
    removed = await commands.press(ALICE, f"browse:page:1:{seeded.topics['forecasting']}")
    assert not removed.ok and "no longer offered" in removed.text


async def test_bad_browse_requests_are_answered_clearly(core: Core, commands: Commands) -> None:
    before = await commands.text(ALICE, "/dialogue browse")
    assert not before.ok and "signup" in before.text  # not signed up yet
    await signed_up(core, "alice", name="Alice")
    unknown = await commands.text(ALICE, "/dialogue browse astrology")
    assert not unknown.ok and "astrology" in unknown.text and unknown.field == "topic"
    zero = await commands.run(ALICE, MEMBER, "browse", page=0)
    assert not zero.ok and zero.field == "page"
    nobody = await commands.text(ALICE, "/dialogue browse")
    assert nobody.ok and "Nobody" in nobody.text and nobody.buttons == ()
    stale = await commands.press(ALICE, "browse:page:x")
    assert not stale.ok and "no longer does anything" in stale.text


async def test_the_local_chat_browses_and_ticks(core: Core, seeded: Seeded) -> None:
    chat = LocalChat(core, GUILD, moderators=set())
    await signed_up(core, "alice", name="Alice")
    await signed_up(core, "bob", name="Bob")
    page = await chat.command("alice", "/dialogue browse")
    assert page.ok and "Bob" in page.text
    ticked = await chat.press("alice", page.buttons[0].custom_id)
    assert ticked.ok and "@bob" in ticked.text
