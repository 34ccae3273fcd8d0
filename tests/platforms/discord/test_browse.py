"""/dialogue browse on Discord: the page comes back with a persistent toggle per person, and
pressing one is the same private tick as /dialogue want, so a mutual tick sends both the
intake button."""

from __future__ import annotations

from typing import Any

from bot.core import wants
from bot.core.actor import Actor, CommunityRef
from tests.factories import seed_community, signed_up

from .conftest import RunningBot, World
from .fake_discord import FakeDiscord
from .payloads import component, custom_ids, slash


async def _answer(fake: FakeDiscord, sent: dict[str, Any]) -> dict[str, Any]:
    first = await fake.callback(sent)
    if first["type"] in (5, 6):  # deferred: the answer follows as a webhook message or edit
        await fake.wait_for(lambda: len(fake.answers(sent)) > 1)
    return fake.answers(sent)[-1]


async def test_a_tick_from_browse_completes_a_mutual_want(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    g = world.guild.id
    await seed_community(bot.core, community=g, platform="discord")
    for user in (world.alice, world.bob):
        await signed_up(bot.core, user, community=g, platform="discord")
    # Bob ticked Alice earlier, privately.
    bob = Actor(CommunityRef("discord", g), world.bob)
    await wants.want(bot.core, wants.WantMember(bob, world.alice))

    sent = await fake.interaction(slash(fake, g, world.alice, "dialogue", "browse"))
    page = await _answer(fake, sent)
    assert "People you could talk with" in page["content"]
    first = await fake.callback(sent)
    assert first["data"]["flags"] & 64  # ephemeral: it shows one's own ticks
    toggle = f"dmm:c:{g}:browse:want:{world.bob}"
    assert toggle in custom_ids(page)
    assert all(len(custom_id) <= 100 for custom_id in custom_ids(page))

    pressed = await fake.interaction(component(fake, g, world.alice, page, toggle))
    answer = await _answer(fake, pressed)
    assert "It's mutual" in answer["content"]
    for user in (world.alice, world.bob):
        [intake] = custom_ids(fake.dms_to(user)[-1])
        assert intake.startswith(f"dmm:c:{g}:mw:intake:")
