"""The shared command layer: typed options (Discord's path) and text (local, Slack) reach the
same handlers, and hand-made requests are answered, never crash, never act."""

from __future__ import annotations

import inspect
import itertools

import pytest
from sqlalchemy import func, select

from bot.commands import ADMIN, MEMBER, TABLE, Commands
from bot.commands.dispatch import _options
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.storage.models import Block, Topic, Want
from tests.factories import Seeded, seed_community, signed_up

GUILD = CommunityRef("local", "guild1")
ALICE = Actor(GUILD, "alice", "Alice")
MOD = Actor(GUILD, "mod", "Mod", is_moderator=True)


@pytest.fixture
async def seeded(core: Core) -> Seeded:
    return await seed_community(core, claims=(("Theory beats experiments", ["ai-timelines"]),))


@pytest.fixture
def commands(core: Core, seeded: Seeded) -> Commands:
    return Commands(core, mention=lambda user: f"<@{user}>")


async def rows(core: Core, model: type) -> int:
    async with core.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_spec_sub_command_has_one_entry() -> None:
    member = {name for group, name in TABLE if group == MEMBER}
    admin = {name for group, name in TABLE if group == ADMIN}
    assert {
        "signup", "profile", "status", "pause", "resume", "want", "unwant", "block", "unblock",
        "feedback", "leave",
    } <= member  # fmt: skip
    assert {
        "topics", "claims", "config", "round", "pair", "unpair", "pool", "remove", "reinstate",
        "export",
    } <= admin  # fmt: skip


async def test_typed_options_and_text_reach_the_same_handler(
    core: Core, commands: Commands, seeded: Seeded
) -> None:
    await signed_up(core, "alice", name="Alice")
    await signed_up(core, "bob", name="Bob")
    typed = await commands.run(ALICE, MEMBER, "block", member="bob")
    assert typed.ok and "<@bob>" in typed.text
    again = await commands.text(ALICE, "/dialogue block <@bob>")
    assert again.ok and "already" in again.text.lower()
    assert await rows(core, Block) == 1


async def test_a_missing_or_unknown_option_answers_the_usage_and_changes_nothing(
    core: Core, commands: Commands
) -> None:
    await signed_up(core, "alice", name="Alice")
    missing = await commands.run(ALICE, MEMBER, "want")
    assert not missing.ok and "/dialogue want @member" in missing.text
    unknown = await commands.run(ALICE, MEMBER, "want", member="bob", everyone=True)
    assert not unknown.ok and "/dialogue want @member" in unknown.text
    assert await rows(core, Want) == 0


async def test_a_plain_members_hand_made_admin_request_is_refused(
    core: Core, commands: Commands
) -> None:
    before = await rows(core, Topic)
    typed = await commands.run(ALICE, ADMIN, "topics", action="add", name="Crypto")
    text = await commands.text(ALICE, "/dialogue-admin topics add Crypto")
    assert not typed.ok and not text.ok
    assert "Only moderators" in typed.text and "Only moderators" in text.text
    assert await rows(core, Topic) == before
    added = await commands.run(MOD, ADMIN, "topics", action="add", name="Crypto")
    assert added.ok and await rows(core, Topic) == before + 1


async def test_unknown_actions_of_a_typed_command_answer_the_usage(commands: Commands) -> None:
    reply = await commands.run(MOD, ADMIN, "topics", action="explode", name="x")
    assert not reply.ok and "topics add <name>" in reply.text
    reply = await commands.run(MOD, ADMIN, "round", action="rerun")
    assert not reply.ok and "round preview" in reply.text


async def test_signup_carries_the_form_data_for_native_forms(commands: Commands) -> None:
    reply = await commands.text(ALICE, "/dialogue signup")
    assert reply.ok
    view = reply.view
    assert view is not None
    assert [t.slug for t in view.topics] and all(t.status == "active" for t in view.topics)
    assert [c.text for c in view.claims] == ["Theory beats experiments"]
    assert view.form.status == "draft"


async def test_export_attaches_both_csv_files(core: Core, commands: Commands) -> None:
    await signed_up(core, "alice", name="Alice")
    reply = await commands.run(MOD, ADMIN, "export")
    assert reply.ok
    names = [f.name for f in reply.files]
    assert names == ["pool.csv", "rounds.csv"]
    pool_csv = reply.files[0].content.decode()
    assert pool_csv.splitlines()[0].startswith("user_id,display_name,status")
    assert "Alice" in pool_csv
    assert all(f.content_type == "text/csv" for f in reply.files)


async def test_round_run_with_the_same_key_runs_once(core: Core, commands: Commands) -> None:
    for user in ("alice", "bob", "carol", "dave"):
        await signed_up(core, user, name=user.title())
    first = await commands.run(MOD, ADMIN, "round", action="run", key="interaction-1")
    second = await commands.run(MOD, ADMIN, "round", action="run", key="interaction-1")
    assert first.ok and second.ok
    assert first.view.created_now and not second.view.created_now
    assert first.view.round_id == second.view.round_id


async def test_an_unknown_button_is_a_polite_answer(commands: Commands) -> None:
    reply = await commands.press(ALICE, "nothing:here")
    assert not reply.ok and "no longer does anything" in reply.text


def test_typed_options_are_checked_as_binding_them_to_the_handler_would() -> None:
    """`Commands.run` checks options against each handler's signature read once; for every
    entry, every subset of its options, with and without an unknown one, it decides as
    `inspect.signature(handler).bind` does."""
    for entry in TABLE.values():
        signature = inspect.signature(entry.run)
        accepted, required, takes_any = _options(entry.run)
        names = [p.name for p in list(signature.parameters.values())[2:]]
        for size in range(len(names) + 1):
            for chosen in itertools.combinations(names, size):
                for extra in ((), ("everyone",)):
                    given = dict.fromkeys((*chosen, *extra), "x")
                    try:
                        signature.bind("ctx", "actor", **given)
                        binds = True
                    except TypeError:
                        binds = False
                    ours = required <= given.keys() and (takes_any or given.keys() <= accepted)
                    assert ours == binds, (entry.group, entry.name, sorted(given))
