"""The wrap-up and stance buttons through the shared command layer (`Commands.press`), as
every adapter routes a press."""

from __future__ import annotations

from bot.clock import FixedClock
from bot.commands import Commands
from bot.core.app import Core
from bot.scheduler.dispatcher import Dispatcher
from bot.storage.models import DialogueMember, StanceChange
from tests.factories import Seeded, actor

from .conftest import local, open_pair


async def test_wrap_up_and_stance_buttons_route_through_the_registry(
    core: Core, seeded: Seeded, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    made = await open_pair(core, seeded)
    commands = Commands(core)
    early = await commands.press(actor(user="alice"), f"dm:wrapup:talked:{made.dialogue_id}")
    assert early.ok  # the check-in asks this before the wrap-up; an open dialogue takes it

    clock.advance(days=7)
    await dispatcher.settled()
    [reask] = local(core).direct[("guild1", "bob")]
    minus_two = reask.buttons[0]
    assert minus_two == f"dm:stance:{made.dialogue_id}:{seeded.claims[0]}:-2"

    moved = await commands.press(actor(user="bob"), minus_two)
    assert moved.ok and "Before the dialogue: disagree; now: strongly disagree" in moved.text
    stranger = await commands.press(actor(user="carol"), minus_two)
    assert not stranger.ok
    agreed_claim = f"dm:stance:{made.dialogue_id}:{seeded.claims[1]}:2"
    refused = await commands.press(actor(user="bob"), agreed_claim)
    assert not refused.ok and "not one this dialogue disagreed on" in refused.text
    forged = await commands.press(actor(user="bob"), "dm:stance:x:y:z")
    assert not forged.ok and "no longer does anything" in forged.text
    rated = await commands.press(actor(user="bob"), f"dm:wrapup:rate4:{made.dialogue_id}")
    assert rated.ok and "4/5" in rated.text

    async with core.db.transaction() as session:
        changes = (await session.execute(StanceChange.__table__.select())).all()
        seat = await session.get_one(DialogueMember, (made.dialogue_id, 1))
    assert len(changes) == 1 and seat.wrapup_answer == "talked"
