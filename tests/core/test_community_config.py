"""Moderator configuration: partial updates, validation per field, nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import community_config as cc
from bot.core.app import Core
from bot.core.community_config import Configure, GetConfig
from bot.core.dialogues import prompt_hours
from bot.core.errors import BadInput, Forbidden, NotFound
from bot.storage.models import Community
from tests.factories import actor, moderator, seed_community

MOD = moderator()


async def test_defaults_of_a_new_community(core: Core) -> None:
    await seed_community(core)
    view = await cc.get_config(core, GetConfig(MOD))
    assert (view.cooldown, view.odd_policy, view.cadence_timezone) == (6, "wait", "UTC")
    assert (view.cadence_weekday, view.cadence_time, view.dialogue_channel_id) == (None, None, None)
    assert view.prompt_schedule == {} and view.weights == {}


async def test_configure_everything_then_change_one_field(core: Core) -> None:
    await seed_community(core)
    view = await cc.configure(
        core,
        Configure(
            MOD,
            dialogue_channel_id="C123",
            cadence_weekday=0,
            cadence_time="15:00",
            cadence_timezone="Europe/Berlin",
            signup_window_hours=48,
            cooldown=0,
            odd_policy="trio",
            prompt_schedule={"nudge_hours": 12, "midpoint_text": "What is your crux?"},
            weights={"disagreement": -0.5, "topic": 3, "mutual_want": 0},
        ),
    )
    assert (view.dialogue_channel_id, view.cadence_weekday, view.cadence_time) == (
        "C123",
        0,
        "15:00",
    )
    assert (view.cadence_timezone, view.signup_window_hours) == ("Europe/Berlin", 48)
    assert (view.cooldown, view.odd_policy) == (0, "trio")
    assert view.prompt_schedule == {"nudge_hours": 12, "midpoint_text": "What is your crux?"}
    assert view.weights == {"disagreement": -0.5, "topic": 3, "mutual_want": 0}

    # A partial update keeps the rest; prompt and weight keys merge, None resets one key.
    again = await cc.configure(
        core,
        Configure(
            MOD,
            cooldown=52,
            prompt_schedule={"nudge_hours": None, "wrapup_hours": 200},
            weights={"topic": None},
        ),
    )
    assert again.cooldown == 52 and again.odd_policy == "trio"
    assert again.prompt_schedule == {"midpoint_text": "What is your crux?", "wrapup_hours": 200}
    assert again.weights == {"disagreement": -0.5, "mutual_want": 0}
    assert await cc.get_config(core, GetConfig(MOD)) == again


async def test_prompt_schedule_is_stored_as_the_prompt_scheduler_reads_it(core: Core) -> None:
    await seed_community(core)
    await cc.configure(
        core, Configure(MOD, prompt_schedule={"nudge_hours": 6, "checkin_hours": 30})
    )
    community_id = (await cc.get_config(core, GetConfig(MOD))).community_id
    async with core.db.read() as session:
        community = await session.get(Community, community_id)
    assert community is not None
    hours = prompt_hours(community.prompt_schedule)
    assert (hours["nudge"], hours["checkin"]) == (6, 30)


async def test_manual_cadence_clears_both(core: Core) -> None:
    await seed_community(core)
    await cc.configure(core, Configure(MOD, cadence_weekday=3, cadence_time="09:30"))
    view = await cc.configure(core, Configure(MOD, cadence_weekday=None, cadence_time=None))
    assert (view.cadence_weekday, view.cadence_time) == (None, None)


BAD: list[tuple[dict[str, Any], str]] = [
    ({"cadence_weekday": 7}, "cadence_weekday"),
    ({"cadence_weekday": True, "cadence_time": "10:00"}, "cadence_weekday"),
    ({"cadence_weekday": 1, "cadence_time": "25:00"}, "cadence_time"),
    ({"cadence_weekday": 1}, "cadence_time"),  # half a cadence
    ({"cadence_time": "10:00"}, "cadence_weekday"),
    ({"cadence_timezone": "Moon/Base"}, "cadence_timezone"),
    ({"signup_window_hours": 0}, "signup_window_hours"),
    ({"signup_window_hours": 10_000}, "signup_window_hours"),
    ({"cooldown": -1}, "cooldown"),
    ({"cooldown": 53}, "cooldown"),
    ({"cooldown": 2.5}, "cooldown"),
    ({"odd_policy": "triple"}, "odd_policy"),
    ({"prompt_schedule": {"nudge_hours": 0}}, "prompt_schedule"),
    ({"prompt_schedule": {"nudge_hours": 1.5}}, "prompt_schedule"),
    ({"prompt_schedule": {"nudge_hours": "24"}}, "prompt_schedule"),
    ({"prompt_schedule": {"snooze_hours": 4}}, "prompt_schedule"),
    ({"prompt_schedule": {"wrapup_text": "w" * 1001}}, "prompt_schedule"),
    ({"prompt_schedule": {"wrapup_text": "  "}}, "prompt_schedule"),
    ({"weights": {"topic": -1}}, "weights"),
    ({"weights": {"charisma": 1}}, "weights"),
    ({"weights": {"pair": "high"}}, "weights"),
    ({"weights": {"pair": float("nan")}}, "weights"),
    ({"weights": {"pair": True}}, "weights"),
    ({"dialogue_channel_id": "x" * 65}, "dialogue_channel_id"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
async def test_bad_configuration_is_refused_and_nothing_changes(
    core: Core, change: dict[str, Any], field: str
) -> None:
    await seed_community(core)
    before = await cc.get_config(core, GetConfig(MOD))
    with pytest.raises(BadInput) as error:
        # A valid change alongside must not be stored either.
        await cc.configure(core, Configure(MOD, **{"odd_policy": "trio", **change}))
    assert error.value.field == field
    assert await cc.get_config(core, GetConfig(MOD)) == before


async def test_limits_are_accepted(core: Core) -> None:
    await seed_community(core)
    view = await cc.configure(
        core,
        Configure(
            MOD,
            cooldown=52,
            signup_window_hours=336,
            prompt_schedule={"wrapup_text": "w" * 1000},
            # both disagreement weights are signed: a community may prefer agreement
            weights={"disagreement": -3, "disagreement_focus": -1.5},
        ),
    )
    assert view.cooldown == 52 and len(view.prompt_schedule["wrapup_text"]) == 1000
    assert view.weights == {"disagreement": -3, "disagreement_focus": -1.5}


async def test_only_moderators_configure_or_read_it(core: Core) -> None:
    await seed_community(core)
    member = actor(user="alice")
    with pytest.raises(Forbidden):
        await cc.configure(core, Configure(member, cooldown=1))
    with pytest.raises(Forbidden):
        await cc.get_config(core, GetConfig(member))
    assert (await cc.get_config(core, GetConfig(MOD))).cooldown == 6


async def test_configuration_is_per_community(core: Core) -> None:
    await seed_community(core, community="A")
    await seed_community(core, community="B")
    await cc.configure(core, Configure(moderator("A"), cooldown=2))
    assert (await cc.get_config(core, GetConfig(moderator("B")))).cooldown == 6
    with pytest.raises(NotFound):
        await cc.configure(core, Configure(moderator("nowhere"), cooldown=2))
