"""Signing up on Discord: the slash command's modal, the select pages, DM signup across a
restart, and bad answers refused next to the question with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core import forms
from tests.factories import actor, row_counts, seed_community

from .conftest import RunningBot, World
from .fake_discord import FakeDiscord
from .payloads import component, custom_ids, modal_submit, slash

GOOD_TEXT = {
    "about": "Whether theory beats empirics",
    "private_notes": "",
    "timezone": "Europe/Berlin",
    "availability": "mon 18:00-21:00; wed 09:00-12:00",
    "suggested_topics": "",
}


async def _form(bot: RunningBot, world: World, user: str) -> forms.FormView:
    who = actor(world.guild.id, user, platform="discord")
    return await forms.profile(bot.core, forms.ShowProfile(who))


async def _signup_post(fake: FakeDiscord, world: World) -> tuple[dict, dict]:
    """A moderator posts the public Sign up button: (their answer, the posted message)."""
    g = world.guild.id
    sent = await fake.interaction(slash(fake, g, world.mod, "dialogue-admin", "signup-post"))
    return await fake.callback(sent), fake.messages_in(world.guild.channels[0])[-1]


async def _dm_signup_started(fake: FakeDiscord, world: World) -> dict:
    """Alice presses the posted Sign up button; the first step of her DM signup."""
    _, post = await _signup_post(fake, world)
    g = world.guild.id
    await fake.callback(
        await fake.interaction(component(fake, g, world.alice, post, f"dmm:signup:{g}"))
    )
    return fake.dms_to(world.alice)[-1]


async def _seed(bot: RunningBot, world: World) -> None:
    await seed_community(
        bot.core,
        claims=[("Theory will get alignment further than empirical work", ["ai-timelines"])],
        community=world.guild.id,
        platform="discord",
    )


async def test_slash_signup_opens_the_modal_and_its_answers_are_stored(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    asked = await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup"))
    modal = await fake.callback(asked)
    assert modal["type"] == 9 and modal["data"]["custom_id"] == f"dmm:m:{g}"
    assert {"about", "private_notes", "timezone", "availability"} <= set(custom_ids(modal["data"]))

    sent = await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    page = await fake.callback(sent)
    assert page["type"] == 4 and page["data"]["flags"] & 64  # ephemeral
    assert f"dmm:f:{g}:0:topics:0" in custom_ids(page["data"])

    form = await _form(bot, world, world.alice)
    assert form.about == GOOD_TEXT["about"] and form.timezone == "Europe/Berlin"
    assert [(w.day, w.start, w.end) for w in form.availability] == [
        ("mon", "18:00", "21:00"),
        ("wed", "09:00", "12:00"),
    ]

    # The topics select saves at once and the page is redrawn in place.
    message = fake.answers(sent)[0]
    picked = await fake.interaction(
        component(fake, g, world.alice, message, f"dmm:f:{g}:0:topics:0", ["ai-timelines"])
    )
    redrawn = await fake.callback(picked)
    assert redrawn["type"] == 7
    assert (await _form(bot, world, world.alice)).topics == ("ai-timelines",)

    # Walk to the last page and submit: the form enters the pool.
    message = {**message, "components": redrawn["data"]["components"]}
    while f"dmm:s:{g}" not in custom_ids(message):
        nxt = next(
            i for i in custom_ids(message) if i.startswith(f"dmm:p:{g}:") and i != f"dmm:p:{g}:0"
        )
        pressed = await fake.interaction(component(fake, g, world.alice, message, nxt))
        message = {**message, "components": (await fake.callback(pressed))["data"]["components"]}
    done = await fake.interaction(component(fake, g, world.alice, message, f"dmm:s:{g}"))
    answer = await fake.callback(done)
    assert "in the pool" in answer["data"]["content"]
    assert (await _form(bot, world, world.alice)).status == "complete"


async def test_a_bad_answer_is_shown_ephemerally_and_nothing_is_stored(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    await fake.callback(await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup")))
    before = await row_counts(bot.core)
    for bad, field in (
        ({**GOOD_TEXT, "timezone": "Mars/Olympus_Mons"}, "Timezone"),
        ({**GOOD_TEXT, "availability": "mon 21:00-18:00"}, "Availability"),
    ):
        sent = await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", bad))
        answer = await fake.callback(sent)
        assert answer["type"] == 4 and answer["data"]["flags"] & 64
        assert answer["data"]["content"].startswith(f"⚠ {field}:")
        # A button reopens the questions, prefilled with what is saved.
        assert custom_ids(answer["data"]) == [f"dmm:t:{g}"]
    assert await row_counts(bot.core) == before
    assert (await _form(bot, world, world.alice)).about == ""


async def test_dm_signup_resumes_after_a_restart_by_pressing_the_old_message(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    posted, post = await _signup_post(fake, world)
    assert "Posted" in posted["data"]["content"]
    assert custom_ids(post) == [f"dmm:signup:{g}"]

    pressed = await fake.interaction(component(fake, g, world.alice, post, f"dmm:signup:{g}"))
    assert "sent you a DM" in (await fake.callback(pressed))["data"]["content"]
    first_step = fake.dms_to(world.alice)[-1]
    assert f"dmm:f:{g}:0:topics:0" in custom_ids(first_step)

    await bot.stop()
    await bot.start()

    picked = await fake.interaction(
        component(fake, None, world.alice, first_step, f"dmm:f:{g}:0:topics:0", ["forecasting"])
    )
    assert (await fake.callback(picked))["type"] == 7
    assert (await _form(bot, world, world.alice)).topics == ("forecasting",)
    # The next step arrives as a new DM message.
    nxt = await fake.interaction(component(fake, None, world.alice, first_step, f"dmm:p:{g}:1"))
    assert (await fake.callback(nxt))["type"] == 4


async def test_dm_signup_with_closed_dms_tells_the_member_what_to_do(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    fake.dm_closed.add(world.alice)
    _, post = await _signup_post(fake, world)
    pressed = await fake.interaction(component(fake, g, world.alice, post, f"dmm:signup:{g}"))
    answer = await fake.callback(pressed)
    assert "cannot DM you" in answer["data"]["content"] and answer["data"]["flags"] & 64


async def test_many_topics_and_claims_are_paged_within_five_rows_and_stances_saved(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    topics = [f"Topic {n:02d}" for n in range(30)]
    seeded = await seed_community(
        bot.core,
        topics=topics,
        claims=[(f"Claim number {n}", ["topic-00"]) for n in range(6)],
        community=world.guild.id,
        platform="discord",
    )
    g = world.guild.id
    await fake.callback(await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup")))
    sent = await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    await fake.callback(sent)
    message = {**fake.answers(sent)[0]}
    seen: list[str] = []
    while True:
        rows = message["components"]
        assert len(rows) <= 5
        seen += custom_ids(message)
        nxt = [
            i for i in custom_ids(message) if i == f"dmm:p:{g}:{len(seen) and _page(message) + 1}"
        ]
        if not nxt:
            break
        pressed = await fake.interaction(component(fake, g, world.alice, message, nxt[0]))
        message = {**message, "components": (await fake.callback(pressed))["data"]["components"]}
    assert f"dmm:f:{g}:0:topics:0" in seen and f"dmm:f:{g}:0:topics:25" in seen
    claim = seeded.claims[5]
    stance_id = next(i for i in seen if i.endswith(f":stance:{claim}"))
    assert fake.rejections == []

    page = int(stance_id.split(":")[3])
    while _page(message) != page:
        back = f"dmm:p:{g}:{_page(message) - 1}"
        pressed = await fake.interaction(component(fake, g, world.alice, message, back))
        message = {**message, "components": (await fake.callback(pressed))["data"]["components"]}
    picked = await fake.interaction(component(fake, g, world.alice, message, stance_id, ["-2"]))
    assert (await fake.callback(picked))["type"] == 7
    assert (await _form(bot, world, world.alice)).stances == {claim: -2}


def _page(message: dict) -> int:
    """The page a signup message shows, read from its selects' custom ids."""
    return int(next(i for i in custom_ids(message) if i.startswith("dmm:f:")).split(":")[3])


async def test_a_select_on_a_slow_core_defers_the_update_then_redraws_the_page(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    await fake.callback(await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup")))
    sent = await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    await fake.callback(sent)
    message = fake.answers(sent)[0]
    assert bot.client is not None
    bot.client.interactions.ack_budget = 0.05
    async with bot.core.db.transaction() as session:
        await session.connection()  # SQLite's write lock: the core waits
        picked = await fake.interaction(
            component(fake, g, world.alice, message, f"dmm:f:{g}:0:topics:0", ["ai-timelines"])
        )
        assert (await fake.callback(picked))["type"] == 6
    await fake.wait_for(
        lambda: any(r.method == "PATCH" and "@original" in r.path for r in fake.requests)
    )
    assert (await _form(bot, world, world.alice)).topics == ("ai-timelines",)


async def test_an_interaction_read_late_is_deferred_at_once_to_stay_within_3_s(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    """Discord's 3 s count from when it made the interaction (its id says when), not from
    when a busy bot got round to reading it."""
    await _seed(bot, world)
    g = world.guild.id
    fresh = await fake.interaction(slash(fake, g, world.bob, "dialogue", "status"))
    assert (await fake.callback(fresh))["type"] == 4  # answered, nothing to wait for
    late = slash(fake, g, world.alice, "dialogue", "status")
    late["id"] = fake.interaction_id(datetime.now(UTC) - timedelta(seconds=2))
    sent = await fake.interaction(late)
    assert (await fake.callback(sent))["type"] == 5  # "thinking…" now, not the answer at 3 s+
    await fake.wait_for(lambda: sent["id"] in fake.done_seconds)
    assert fake.answers(sent)[-1]["content"] == fake.answers(fresh)[-1]["content"]


async def test_slash_signup_in_a_dm_signs_up_for_the_bots_server(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    asked = await fake.interaction(slash(fake, None, world.alice, "dialogue", "signup"))
    modal = await fake.callback(asked)
    assert modal["type"] == 9 and modal["data"]["custom_id"] == f"dmm:m:{g}"
    sent = await fake.interaction(modal_submit(fake, None, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    assert (await fake.callback(sent))["type"] == 4
    assert (await _form(bot, world, world.alice)).timezone == "Europe/Berlin"


async def test_signup_takes_an_autocompleted_timezone_and_refuses_an_unknown_one(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    from .payloads import AUTOCOMPLETE, STRING, option

    await _seed(bot, world)
    g = world.guild.id
    typed = slash(
        fake,
        g,
        world.alice,
        "dialogue",
        "signup",
        {**option("timezone", "tokyo", STRING), "focused": True},
    )
    typed["type"] = AUTOCOMPLETE
    choices = (await fake.callback(await fake.interaction(typed)))["data"]["choices"]
    assert [c["value"] for c in choices] == ["Asia/Tokyo"]

    bad = await fake.interaction(
        slash(fake, g, world.alice, "dialogue", "signup", option("timezone", "Tokio"))
    )
    answer = await fake.callback(bad)
    assert answer["type"] == 4 and answer["data"]["content"].startswith("⚠ Timezone:")

    good = await fake.interaction(
        slash(fake, g, world.alice, "dialogue", "signup", option("timezone", "Asia/Tokyo"))
    )
    modal = await fake.callback(good)
    assert modal["type"] == 9
    timezone = next(
        c
        for row in modal["data"]["components"]
        for c in row["components"]
        if c["custom_id"] == "timezone"
    )
    assert timezone["value"] == "Asia/Tokyo"


async def test_a_dm_press_for_a_server_the_member_left_is_refused_and_stores_nothing(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    step = await _dm_signup_started(fake, world)
    del world.guild.members[world.alice]  # she left the server
    before = await row_counts(bot.core)
    picked = await fake.interaction(
        component(fake, None, world.alice, step, f"dmm:f:{g}:0:topics:0", ["forecasting"])
    )
    answer = await fake.callback(picked)
    assert "not in" in answer["data"]["content"]
    assert await row_counts(bot.core) == before


async def test_profile_shows_the_answers_with_buttons_to_edit_them(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    await fake.callback(await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup")))
    await fake.callback(
        await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    )
    shown = await fake.callback(
        await fake.interaction(slash(fake, g, world.alice, "dialogue", "profile"))
    )
    assert "Europe/Berlin" in shown["data"]["content"] and shown["data"]["flags"] & 64
    assert custom_ids(shown["data"]) == [f"dmm:p:{g}:0", f"dmm:t:{g}"]


async def _to_select(
    fake: FakeDiscord, guild: str | None, g: str, user: str, message: dict, question: str
) -> tuple[dict, str]:
    """Press Next until a page asks `question`; that page (each within Discord's limits) and
    the select's custom id."""
    while True:
        assert len(message["components"]) <= 5
        target = next((i for i in custom_ids(message) if i.endswith(f":{question}")), None)
        if target is not None:
            return message, target
        nxt = f"dmm:p:{g}:{_page(message) + 1}"
        assert nxt in custom_ids(message), f"no page asks {question}"
        pressed = await fake.interaction(component(fake, guild, user, message, nxt))
        message = {**message, "components": (await fake.callback(pressed))["data"]["components"]}


def _options(message: dict, custom_id: str) -> dict[str, bool]:
    select = next(
        c for row in message["components"] for c in row["components"] if c["custom_id"] == custom_id
    )
    return {o["value"]: bool(o.get("default")) for o in select["options"]}


async def test_slash_signup_asks_show_me_in_browse_and_stores_a_no(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    await fake.callback(await fake.interaction(slash(fake, g, world.alice, "dialogue", "signup")))
    sent = await fake.interaction(modal_submit(fake, g, world.alice, f"dmm:m:{g}", GOOD_TEXT))
    await fake.callback(sent)
    message, target = await _to_select(fake, g, g, world.alice, {**fake.answers(sent)[0]}, "browse")
    # Asked like publishing: on a page of the form, a persistent id, yes by default.
    assert target == f"dmm:f:{g}:{_page(message)}:browse"
    assert _options(message, target) == {"yes": True, "no": False}
    assert (await _form(bot, world, world.alice)).show_in_browse is True

    picked = await fake.interaction(component(fake, g, world.alice, message, target, ["no"]))
    redrawn = await fake.callback(picked)
    assert redrawn["type"] == 7
    assert _options(redrawn["data"], target) == {"yes": False, "no": True}
    form = await _form(bot, world, world.alice)
    assert form.show_in_browse is False and form.step == "browse"
    assert fake.rejections == []

    shown = await fake.callback(
        await fake.interaction(slash(fake, g, world.alice, "dialogue", "profile"))
    )
    assert "Show me in browse: no" in shown["data"]["content"]


async def test_dm_signup_asks_show_me_in_browse_and_stores_a_no_after_a_restart(
    fake: FakeDiscord, bot: RunningBot, world: World
) -> None:
    await _seed(bot, world)
    g = world.guild.id
    message, target = await _to_select(
        fake, None, g, world.alice, await _dm_signup_started(fake, world), "browse"
    )
    # The id alone answers the press: a restart in between loses nothing.
    await bot.stop()
    await bot.start()
    picked = await fake.interaction(component(fake, None, world.alice, message, target, ["no"]))
    assert (await fake.callback(picked))["type"] == 7
    form = await _form(bot, world, world.alice)
    assert form.show_in_browse is False and form.step == "browse"
    assert fake.rejections == []
