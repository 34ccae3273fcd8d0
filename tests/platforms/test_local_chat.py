"""The local platform's inbound side: members and moderators type commands, submit forms and
press buttons through `LocalChat`, against the real core on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.commands.grammar import tokens, user_id_of
from bot.core.actor import CommunityRef
from bot.core.app import Core
from bot.core.wants import intake_custom_id
from bot.platforms.local import LocalChat, LocalPlatform, Reply
from bot.storage.models import Block, Dialogue, InterestForm, Member, Stance, Want
from tests.factories import Seeded, row_counts, seed_community, signed_up

CLAIMS = (
    ("Theory will get alignment further than empirical work", ["ai-timelines"]),
    ("Labs should share alignment insights publicly", ["interpretability"]),
)


@pytest.fixture
async def seeded(core: Core) -> Seeded:
    return await seed_community(core, claims=CLAIMS)


@pytest.fixture
def chat(core: Core, seeded: Seeded) -> LocalChat:
    return LocalChat(core, CommunityRef("local", "guild1"), moderators={"mod"})


def local(core: Core) -> LocalPlatform:
    platform = core.platform("local")
    assert isinstance(platform, LocalPlatform)
    return platform


def ok(reply: Reply) -> str:
    assert reply.ok, reply.text
    return reply.text


FIRST_CLAIM = "first claim"  # stands in for seeded.claims[0] in parametrised answers


async def count(core: Core, model: type, **where: object) -> int:
    async with core.db.transaction() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(await session.scalar(query) or 0)


async def two_members(core: Core, seeded: Seeded) -> None:
    c = seeded.claims
    await signed_up(core, "alice", stances={c[0]: 2}, about="Agent foundations", name="Alice")
    await signed_up(core, "bob", stances={c[0]: -2}, about="Evals at a lab", name="Bob")


# --- parsing ---------------------------------------------------------------------------------


def test_tokens_group_quoted_words_and_keep_apostrophes() -> None:
    words = [t.value for t in tokens('topics add "AI  control" it\'s “curly words” key="a b"')]
    assert words == ["topics", "add", "AI  control", "it's", "curly words", "key=a b"]
    assert [t.value for t in tokens('say "unclosed quote here')] == ["say", "unclosed quote here"]


@pytest.mark.parametrize(
    ("word", "user"),
    [("@alice", "alice"), ("<@123>", "123"), ("<@!123>", "123"), ("<@U1|bob>", "U1"), ("x", "x")],
)
def test_mentions_become_user_ids(word: str, user: str) -> None:
    assert user_id_of(word) == user


# --- members ---------------------------------------------------------------------------------


async def test_member_signs_up_in_two_sittings_and_resumes(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    opened = ok(await chat.command("alice", "/dialogue signup", "Alice"))
    assert "ai-timelines: AI timelines" in opened
    assert f"#{seeded.claims[0]} Theory will get alignment" in opened

    first = await chat.submit_form(
        "alice",
        {
            "topics": ["ai-timelines", "forecasting"],
            "stances": {str(seeded.claims[0]): "2", seeded.claims[1]: None},
            "step": "format",
        },
    )
    assert "resume later at step: format" in ok(first)

    # She stops; later `/dialogue profile` shows what she saved and where to resume.
    profile = ok(await chat.command("alice", "/dialogue profile"))
    assert "draft (not submitted)" in profile
    assert "Resume at step: format" in profile
    assert "Topics: ai-timelines, forecasting" in profile
    assert "Theory will get alignment further than empirical work: +2 (strongly agree)" in profile
    resumed = ok(await chat.command("alice", "/dialogue signup"))
    assert "Welcome back" in resumed
    assert "Resume at step: format" in resumed

    second = await chat.submit_form(
        "alice",
        {
            "sync": "great",
            "async": "no",
            "timezone": "Europe/Berlin",
            "availability": [{"day": "mon", "start": "18:00", "end": "21:00"}],
            "appetite": "seek",
            "about": "Agent foundations, mostly",
            "publish_ok": "yes",
            "participation": "every",
            "step": "review",
            "submit": True,
        },
    )
    assert "in the pool" in ok(second)
    profile = ok(await chat.command("alice", "/dialogue profile"))
    assert "complete (in the pool)" in profile
    assert "Availability: mon 18:00–21:00" in profile
    assert "Willing to publish: yes" in profile
    assert "Timezone: Europe/Berlin" in profile


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"topics": [f"topic {n}" for n in range(17)]}, "topics", "at most 10 topics"),
        ({"stances": {FIRST_CLAIM: 3}}, "stances", "out of range"),
        ({"about": "x" * 501}, "about", "at most 500 characters"),
        ({"availability": [{"day": "mon", "start": "21:00"}]}, "availability", "needs a day"),
        ({"colour": "blue"}, "colour", "no question 'colour'"),
    ],
)
async def test_bad_submission_names_the_field_and_changes_nothing(
    core: Core,
    chat: LocalChat,
    seeded: Seeded,
    answers: dict[str, object],
    field: str,
    words: str,
) -> None:
    ok(await chat.submit_form("alice", {"topics": ["ai-timelines"], "timezone": "UTC"}))
    if "stances" in answers:
        answers = {"stances": {seeded.claims[0]: 3}}  # claim ids are known only now
    before = await row_counts(core)
    profile_before = ok(await chat.command("alice", "/dialogue profile"))

    # Valid answers ride along with the bad one: the whole submission must roll back.
    reply = await chat.submit_form(
        "alice", {"timezone": "Asia/Tokyo", "suggested_topics": ["Mentorship"], **answers}
    )

    assert not reply.ok
    assert reply.field == field
    assert words in reply.text
    assert reply.ephemeral
    assert await row_counts(core) == before
    assert ok(await chat.command("alice", "/dialogue profile")) == profile_before


async def test_submit_with_something_missing_keeps_the_draft_and_names_the_field(
    core: Core, chat: LocalChat
) -> None:
    reply = await chat.submit_form("alice", {"about": "Hello", "submit": True})

    assert not reply.ok
    assert reply.field == "topics"
    assert "Pick at least one topic" in reply.text
    profile = ok(await chat.command("alice", "/dialogue profile"))
    assert "draft" in profile
    assert "About (shown to your partner): Hello" in profile


async def test_mutual_want_opens_a_dialogue_after_both_intakes(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)

    first = ok(await chat.command("alice", "/dialogue want @bob"))
    assert "Noted, privately" in first
    assert local(core).direct == {}
    mutual = ok(await chat.command("bob", "/dialogue want <@alice>"))
    assert "It's mutual" in mutual

    dms = local(core).direct[("guild1", "alice")]
    (button,) = dms[-1].buttons
    assert button.startswith("mw:intake:")
    dialogue_id = int(button.rsplit(":", 1)[1])
    assert button == intake_custom_id(dialogue_id)

    form = ok(await chat.press("alice", button))
    assert "ai-timelines: AI timelines" in form
    assert "sync, async, either" in form
    bad = await chat.press(
        "alice", button, {"topics": ["ai-timelines"], "format": "carrier pigeon"}
    )
    assert not bad.ok and bad.field == "format"

    waiting = await chat.press(
        "alice", button, {"topics": ["ai-timelines"], "format": "async", "notes": "Crux hunt"}
    )
    assert "when your partner has chosen" in ok(waiting)
    status = ok(await chat.command("alice", "/dialogue status"))
    assert "waiting for Bob to choose" in status
    assert "your topic and format" in ok(await chat.command("bob", "/dialogue status"))
    assert local(core).threads == {}

    opened = await chat.press("bob", button, {"topics": "ai-timelines", "format": "either"})
    assert "dialogue is open" in ok(opened)
    (thread,) = local(core).threads.values()
    assert sorted(thread.member_ids) == ["alice", "bob"]
    assert "Crux hunt" in thread.messages[0].text
    assert "with Alice, open since" in ok(await chat.command("bob", "/dialogue status"))


async def test_unknown_buttons_get_a_polite_error(core: Core, chat: LocalChat) -> None:
    for custom_id in ("nope", "mw:intake:abc", intake_custom_id(999)):
        reply = await chat.press("alice", custom_id, {"topics": ["ai-timelines"], "format": "sync"})
        assert not reply.ok
        assert "Traceback" not in reply.text


async def test_block_refuses_a_later_want_until_unblocked(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    ok(await chat.command("alice", "/dialogue want @bob"))

    assert "Blocked @bob" in ok(await chat.command("alice", "/dialogue block @bob"))
    assert await count(core, Want) == 0  # her own tick goes with the block
    assert await count(core, Block) == 1
    refused = await chat.command("alice", "/dialogue want @bob")
    assert not refused.ok
    assert "You have blocked them" in refused.text
    assert refused.field == "target_user_id"

    assert "Unblocked @bob" in ok(await chat.command("alice", "/dialogue unblock @bob"))
    assert "Noted" in ok(await chat.command("alice", "/dialogue want @bob"))
    assert "tick for @bob is removed" in ok(await chat.command("alice", "/dialogue unwant @bob"))


async def test_pause_until_a_date_in_the_members_timezone_then_resume(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await signed_up(core, "alice", timezone="Asia/Tokyo")

    paused = ok(await chat.command("alice", "/dialogue pause 2026-02-01"))
    # Midnight in Tokyo is 15:00 UTC the day before.
    assert "Sat 31 Jan 2026, 15:00 UTC" in paused
    assert "You are paused until Sat 31 Jan 2026" in ok(
        await chat.command("alice", "/dialogue status")
    )

    past = await chat.command("alice", "/dialogue pause 2025-01-01")
    assert not past.ok and past.field == "until"
    garbled = await chat.command("alice", "/dialogue pause next-week")
    assert not garbled.ok and garbled.field == "until"

    assert "in the pool again" in ok(await chat.command("alice", "/dialogue resume"))
    assert "You are in the pool." in ok(await chat.command("alice", "/dialogue status"))
    assert "until you /dialogue resume" in ok(await chat.command("alice", "/dialogue pause"))


async def test_status_before_signup_is_a_clear_error(chat: LocalChat) -> None:
    reply = await chat.command("nobody", "/dialogue status")
    assert not reply.ok
    assert "/dialogue signup" in reply.text


async def test_leave_deletes_the_members_data_and_archives_their_thread(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    ok(await chat.command("alice", "/dialogue want @bob"))
    ok(await chat.command("mod", "/dialogue-admin pair @alice @bob"))
    (thread,) = local(core).threads.values()

    assert "deleted" in ok(await chat.command("alice", "/dialogue leave"))

    assert await count(core, Member, external_id="alice") == 0
    assert await count(core, InterestForm) == 1  # bob's
    assert await count(core, Stance) == 1
    assert await count(core, Want) == 0
    assert thread.archived
    again = await chat.command("alice", "/dialogue profile")
    assert not again.ok and "/dialogue signup" in again.text


async def test_feedback_rates_the_latest_dialogue(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    none_yet = await chat.command("alice", "/dialogue feedback 4")
    assert not none_yet.ok and "no dialogue to rate" in none_yet.text
    ok(await chat.command("mod", "/dialogue-admin pair @alice @bob"))

    rated = await chat.command("alice", '/dialogue feedback 4 We didn\'t agree, "usefully"')
    assert "rated dialogue" in ok(rated)
    out_of_range = await chat.command("alice", "/dialogue feedback 9")
    assert not out_of_range.ok and out_of_range.field == "rating"


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/dialogue dance", "/dialogue want @member"),
        ("/dialogue want", "/dialogue want @member"),
        ("/dialogue want @a @b", "/dialogue want @member"),
        ("/dialogue feedback great", "/dialogue feedback <1-5>"),
        ("/dialogue pause 2026-02-01 2026-03-01", "/dialogue pause [YYYY-MM-DD]"),
        ("/dialogue status please", "/dialogue status"),
        ("/dialogue-admin topics", "topics add <name>"),
        ("/dialogue-admin topics add", "topics add <name>"),
        ("/dialogue-admin claims add no bar here", "claims add <text>"),
        ("/dialogue-admin claims remove seven", "claims remove <id>"),
        ("/dialogue-admin round", "round preview"),
        ("/dialogue-admin pair @alice", "pair @a @b"),
        ("/dialogue-admin config cooldown", "config [key=value"),
        ("/dialogue-admin launch", "/dialogue-admin export"),
        ("/hello there", "/dialogue signup"),
        ("", "/dialogue signup"),
    ],
)
async def test_unknown_commands_and_wrong_arguments_give_usage(
    core: Core, chat: LocalChat, text: str, usage: str
) -> None:
    before = await row_counts(core)
    reply = await chat.command("mod", text)
    assert not reply.ok
    assert reply.ephemeral
    assert "Usage:" in reply.text
    assert usage in reply.text
    assert await row_counts(core) == before


async def test_help_lists_the_commands(chat: LocalChat) -> None:
    assert "/dialogue leave" in ok(await chat.command("alice", "/dialogue"))
    assert "/dialogue-admin export" in ok(await chat.command("mod", "dialogue-admin help"))


# --- moderators ------------------------------------------------------------------------------


async def test_non_moderator_cannot_run_a_round_and_nothing_changes(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    before = await row_counts(core)

    for text in ("/dialogue-admin round run", "/dialogue-admin topics list", "dialogue-admin pool"):
        reply = await chat.command("alice", text)
        assert not reply.ok
        assert reply.text.startswith("Only moderators")

    assert await row_counts(core) == before
    assert local(core).threads == {}


async def test_moderator_curates_topics_and_claims(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    added = ok(await chat.command("mod", '/dialogue-admin topics add "Agent foundations"'))
    assert "'Agent foundations' (agent-foundations) added" in added
    ok(await chat.command("mod", "/dialogue-admin topics add “Research methodology”"))
    duplicate = await chat.command("mod", "/dialogue-admin topics add agent foundations")
    assert not duplicate.ok and "already a topic" in duplicate.text

    ok(await chat.submit_form("alice", {"suggested_topics": ["Mentorship", "Infohazards"]}))
    listed = ok(await chat.command("mod", "/dialogue-admin topics list"))
    assert "mentorship: Mentorship (by alice)" in listed
    assert "approved" in ok(await chat.command("mod", "/dialogue-admin topics approve mentorship"))
    assert "rejected" in ok(await chat.command("mod", "/dialogue-admin topics reject Infohazards"))
    assert "removed" in ok(await chat.command("mod", "/dialogue-admin topics remove forecasting"))
    listed = ok(await chat.command("mod", "/dialogue-admin topics list"))
    assert "mentorship: Mentorship" in listed
    assert "forecasting" not in listed and "Infohazards" not in listed
    gone = await chat.command("mod", "/dialogue-admin topics remove forecasting")
    assert not gone.ok and gone.field == "topic"

    claim = ok(
        await chat.command(
            "mod",
            "/dialogue-admin claims add Research on intractable 'deconfused' problems | "
            "agent-foundations, Research methodology",
        )
    )
    assert "Research on intractable 'deconfused' problems" in claim
    assert "[agent-foundations, research-methodology]" in claim
    claim_id = int(claim.split("#", 1)[1].split(" ", 1)[0])
    unknown = await chat.command("mod", "/dialogue-admin claims add Something | no-such-topic")
    assert not unknown.ok and unknown.field == "topics"

    assert f"#{claim_id} Research" in ok(await chat.command("mod", "/dialogue-admin claims list"))
    assert "removed" in ok(await chat.command("mod", f"/dialogue-admin claims remove {claim_id}"))
    listed = ok(await chat.command("mod", "/dialogue-admin claims list"))
    assert "deconfused" not in listed
    assert "Theory will get alignment" in listed


async def test_moderator_configures_the_community(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await signed_up(core, "alice")
    saved = ok(
        await chat.command(
            "mod",
            "/dialogue-admin config weekday=mon time=15:00 timezone=Europe/Berlin cooldown=3 "
            'odd_policy=trio nudge_hours=12 opening_text="Be curious, be kind" weight.topic=2.5',
        )
    )
    assert "weekly, Monday 15:00 Europe/Berlin" in saved
    assert "cooldown: 3 rounds" in saved
    assert "odd one out: trio" in saved
    assert "opening_text: Be curious, be kind" in saved
    assert "weight.topic: 2.5" in saved
    # The clock stands at Monday 09:00 UTC; 15:00 in Berlin is 14:00 UTC the same day.
    assert "Next round: Mon 05 Jan 2026, 14:00 UTC" in ok(
        await chat.command("alice", "/dialogue status")
    )

    shown = ok(await chat.command("mod", "/dialogue-admin config"))
    assert "nudge_hours: 12" in shown
    reset = ok(await chat.command("mod", "/dialogue-admin config nudge_hours=none weight.topic="))
    assert "nudge_hours" not in reset and "weight.topic" not in reset

    for text, field in (
        ("config cooldown=lots", "cooldown"),
        ("config cooldown=99", "cooldown"),
        ("config colour=blue", "colour"),
        ("config weekday=someday", "cadence_weekday"),
        ("config weekday=monkey", "cadence_weekday"),
        ("config weight.charisma=2", "weights"),
        ("config time=25:00", "cadence_time"),
    ):
        before = ok(await chat.command("mod", "/dialogue-admin config"))
        reply = await chat.command("mod", f"/dialogue-admin {text}")
        assert not reply.ok, text
        assert reply.field == field, text
        assert ok(await chat.command("mod", "/dialogue-admin config")) == before


async def test_moderator_previews_then_runs_a_round(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    c = seeded.claims
    await two_members(core, seeded)
    await signed_up(core, "carol", topics=["interpretability"], stances={c[1]: 2}, name="Carol")
    await signed_up(core, "dan", topics=["interpretability"], stances={c[1]: -2}, name="Dan")
    before = await row_counts(core)

    preview = ok(await chat.command("mod", "/dialogue-admin round preview"))
    assert "Preview of round 1 (nothing is stored): 4 in the pool, 2 pair(s)" in preview
    assert "Alice & Bob" in preview or "Bob & Alice" in preview
    assert "differ on “Theory will get alignment" in preview
    assert await row_counts(core) == before
    assert local(core).threads == {}

    ran = ok(await chat.command("mod", "/dialogue-admin round run"))
    assert "Round 1 is committed: 2 dialogue(s) from a pool of 4." in ran
    threads = list(local(core).threads.values())
    assert len(threads) == 2
    assert sorted(sorted(t.member_ids) for t in threads) == [["alice", "bob"], ["carol", "dan"]]
    for thread in threads:
        assert thread.messages[0].text.startswith("**Welcome,")
    assert "open since" in ok(await chat.command("carol", "/dialogue status"))

    # Typed again, it is a new round, and the cooldown keeps last round's partners apart.
    again = ok(await chat.command("mod", "/dialogue-admin round run"))
    assert "Round 2 is committed" in again
    assert "Alice & Bob" not in again and "Bob & Alice" not in again
    assert "Carol & Dan" not in again and "Dan & Carol" not in again
    assert len(local(core).threads) == 4


async def test_moderator_pairs_and_unpairs_by_hand(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    ok(await chat.command("bob", "/dialogue block @alice"))

    refused = await chat.command("mod", '/dialogue-admin pair @alice @bob "AI timelines"')
    assert not refused.ok and "force" in refused.text
    assert local(core).threads == {}

    forced = ok(await chat.command("mod", "/dialogue-admin pair @alice @bob AI timelines --force"))
    assert "Paired @alice & @bob" in forced
    assert "Forced despite a block" in forced
    (thread,) = local(core).threads.values()
    assert "**Topic:** AI timelines" in thread.messages[0].text
    busy = await chat.command("mod", "/dialogue-admin pair @alice @bob --force")
    assert not busy.ok and "already have a dialogue" in busy.text

    ended = ok(await chat.command("mod", "/dialogue-admin unpair @alice"))
    assert "Ended @alice's dialogue" in ended and "archived" in ended
    assert thread.archived
    async with core.db.transaction() as session:
        dialogue = await session.scalar(select(Dialogue))
        assert dialogue is not None and dialogue.outcome == "ended"
    nothing = await chat.command("mod", "/dialogue-admin unpair @alice")
    assert not nothing.ok and "no dialogue in progress" in nothing.text


async def test_moderator_removes_and_reinstates_a_member(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    assert "out of the pool" in ok(await chat.command("mod", "/dialogue-admin remove @bob"))
    assert "taken you out" in ok(await chat.command("bob", "/dialogue status"))
    refused = await chat.command("bob", "/dialogue want @alice")
    assert not refused.ok
    assert "back in the pool" in ok(await chat.command("mod", "/dialogue-admin reinstate @bob"))
    unknown = await chat.command("mod", "/dialogue-admin remove @zed")
    assert not unknown.ok and unknown.field == "user_id"


async def test_moderator_sees_pool_stats_and_exports_csv(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    ok(await chat.submit_form("carol", {"topics": ["forecasting"]}))
    ok(await chat.command("mod", "/dialogue-admin round run"))

    pool = ok(await chat.command("mod", "/dialogue-admin pool"))
    assert "Members: 3 (3 active, 0 paused, 0 removed)" in pool
    assert "Forms: 2 complete, 1 draft, 0 not started" in pool
    assert "AI timelines: 2" in pool
    assert "Theory will get alignment further than empirical work: 2, 1/1, 100%" in pool
    assert "1 (" in pool and "1 pair(s), 0 unmatched" in pool

    exported = ok(await chat.command("mod", "/dialogue-admin export"))
    assert "pool.csv:" in exported and "rounds.csv:" in exported
    assert "user_id,display_name,status" in exported
    assert "alice,Alice,active" in exported
    assert "carol,,active,,draft" in exported
    assert "round,round_date,row,dialogue_id" in exported


async def test_a_community_that_is_not_set_up_answers_politely(core: Core) -> None:
    chat = LocalChat(core, CommunityRef("local", "elsewhere"), moderators={"mod"})
    for reply in (
        await chat.command("alice", "/dialogue signup"),
        await chat.submit_form("alice", {"topics": ["ai-timelines"]}),
        await chat.command("mod", "/dialogue-admin round run"),
    ):
        assert not reply.ok
        assert "not set up" in reply.text


async def test_moderator_pairs_as_an_interview_by_text(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    said = ok(await chat.command("mod", "/dialogue-admin pair @alice @bob --interviewer @bob"))
    assert "As an interview: @bob interviews @alice." in said
    (thread,) = local(core).threads.values()
    assert "**Bob interviews Alice**" in thread.messages[0].text
    async with core.db.transaction() as session:
        dialogue = await session.scalar(select(Dialogue))
        assert dialogue is not None and dialogue.conversation_kind == "interview"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("/dialogue-admin pair @alice @bob --interview --dialogue", "Usage"),
        ("/dialogue-admin pair @alice @bob --interviewer", "Usage"),
        ("/dialogue-admin pair @alice @bob --debate", "Usage"),
        ("/dialogue-admin pair @alice @bob --dialogue --interviewer @bob", "no interviewer"),
        ("/dialogue-admin pair @alice @bob --interviewer @carol", "one of the two"),
    ],
)
async def test_a_pair_with_a_bad_kind_is_refused(
    core: Core, chat: LocalChat, seeded: Seeded, text: str, reply: str
) -> None:
    await two_members(core, seeded)
    refused = await chat.command("mod", text)
    assert not refused.ok and reply in refused.text
    assert local(core).threads == {}


async def test_the_form_asks_what_a_member_is_looking_for(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    offered = ok(await chat.command("alice", "/dialogue signup"))
    assert "What are you looking for?" in offered
    assert "interview_me: To be interviewed" in offered
    refused = await chat.submit_form("alice", {"looking_for": ["gossip"]})
    assert not refused.ok and "gossip" in refused.text
    assert refused.field == "looking_for"
    ok(await chat.submit_form("alice", {"looking_for": ["be interviewed", "dialogue"]}))
    profile = ok(await chat.command("alice", "/dialogue profile"))
    assert "Looking for: a dialogue, to be interviewed" in profile


async def test_the_intake_asks_what_each_looks_for_in_this_conversation(
    core: Core, chat: LocalChat, seeded: Seeded
) -> None:
    await two_members(core, seeded)
    ok(await chat.command("alice", "/dialogue want @bob"))
    ok(await chat.command("bob", "/dialogue want @alice"))
    (button,) = local(core).direct[("guild1", "alice")][-1].buttons
    assert "What are you looking for?" in ok(await chat.press("alice", button))
    bad = await chat.press(
        "alice", button, {"topics": "ai-timelines", "format": "either", "looking_for": "a chat"}
    )
    assert not bad.ok and bad.field == "looking_for"
    ok(
        await chat.press(
            "alice",
            button,
            {"topics": "ai-timelines", "format": "either", "looking_for": "be interviewed"},
        )
    )
    # a blank answer keeps what the form says (a dialogue), which cannot interview: dialogue
    ok(
        await chat.press(
            "bob", button, {"topics": "ai-timelines", "format": "either", "looking_for": " "}
        )
    )
    (thread,) = local(core).threads.values()
    assert "paired for a dialogue" in thread.messages[0].text
    assert "Looking for: a dialogue." in ok(await chat.command("bob", "/dialogue status"))
