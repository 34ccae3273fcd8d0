"""`/dialogue status`: current dialogue, next round, pause, who a mutual want waits on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import community_config, membership, wants
from bot.core.app import Core
from bot.core.dialogues import PairMembers, pair
from bot.core.errors import NotFound
from bot.core.status import ShowStatus, next_round_at, status
from bot.storage.models import Community
from tests.core.conftest import MOD, two_disagreeing
from tests.factories import Seeded, actor


async def test_status_shows_the_open_dialogue_and_partner(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    made = await pair(core, PairMembers(MOD, "alice", "bob"))

    shown = await status(core, ShowStatus(actor(user="alice")))

    assert shown.status == "active" and shown.form_status == "complete"
    assert shown.current is not None
    assert shown.current.dialogue_id == made.dialogue_id
    assert shown.current.state == "open" and shown.current.kind == "manual"
    assert [p.name for p in shown.current.partners] == ["Bob"]
    assert shown.current.thread_id == made.opened.thread_id
    assert shown.next_round_at is None  # rounds are run by hand here


async def test_status_tells_who_a_mutual_want_is_waiting_on(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    alice, bob = actor(user="alice", name="Alice"), actor(user="bob", name="Bob")
    await wants.want(core, wants.WantMember(alice, "bob"))
    matched = await wants.want(core, wants.WantMember(bob, "alice"))
    await wants.submit_intake(
        core, wants.SubmitIntake(alice, matched.dialogue_id or 0, ("ai-timelines",), "either")
    )

    mine = await status(core, ShowStatus(alice))
    theirs = await status(core, ShowStatus(bob))

    assert mine.current is not None and mine.current.state == "pending"
    assert [p.user_id for p in mine.waiting_on] == ["bob"] and mine.you_owe_intake is False
    assert theirs.you_owe_intake is True


async def test_status_shows_the_pause_and_the_next_round(core: Core, seeded: Seeded, clock) -> None:
    await two_disagreeing(core, seeded)
    await community_config.configure(
        core,
        community_config.Configure(
            MOD, cadence_weekday=0, cadence_time="15:00", cadence_timezone="Europe/Berlin"
        ),
    )
    until = clock.now() + timedelta(days=3)
    await membership.pause(core, membership.Pause(actor(user="alice"), until))

    shown = await status(core, ShowStatus(actor(user="alice")))

    assert shown.status == "paused" and shown.paused_until == until
    assert shown.current is None
    # The clock stands at Monday 2026-01-05 09:00 UTC; 15:00 Berlin is 14:00 UTC.
    assert shown.next_round_at == datetime(2026, 1, 5, 14, 0, tzinfo=UTC)

    clock.advance(days=4)
    later = await status(core, ShowStatus(actor(user="alice")))
    assert later.status == "active" and later.paused_until is None
    assert later.next_round_at == datetime(2026, 1, 12, 14, 0, tzinfo=UTC)


async def test_status_of_someone_not_signed_up_is_not_found(core: Core, seeded: Seeded) -> None:
    with pytest.raises(NotFound, match="signup"):
        await status(core, ShowStatus(actor(user="stranger")))


def test_next_round_follows_daylight_saving_time() -> None:
    community = Community(cadence_weekday=6, cadence_time="10:30", cadence_timezone="Europe/Berlin")
    # Saturday before the spring change (Sunday 2026-03-29): CEST, UTC+2, on the day.
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert next_round_at(community, saturday) == datetime(2026, 3, 29, 8, 30, tzinfo=UTC)
    # Exactly at the slot: the next one is a week later.
    at_slot = datetime(2026, 3, 29, 8, 30, tzinfo=UTC)
    assert next_round_at(community, at_slot) == datetime(2026, 4, 5, 8, 30, tzinfo=UTC)
    assert next_round_at(Community(cadence_timezone="UTC"), saturday) is None
