"""Browse: who a member sees in the pool, in which order, and what each entry tells them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import matching
from bot.core import blocks, browse, curation, forms, membership, wants
from bot.core.app import Core
from bot.core.browse import PAGE_SIZE, SUGGESTIONS, Browse, BrowsePage
from bot.core.errors import BadInput, Conflict
from bot.core.pool import load_pool
from bot.storage.models import Community
from tests.factories import actor, moderator, seed_community, signed_up

ALICE = actor(user="alice")
CLAIMS = (
    ("Theory will get alignment further than empirical work", ["ai-timelines"]),
    ("Labs should share alignment insights publicly", ["interpretability"]),
    ("Paradigms in science are mostly social, not discovered", ["forecasting"]),
)


async def _seed(core: Core, community: str = "guild1") -> list[int]:
    return (await seed_community(core, claims=CLAIMS, community=community)).claims


async def _everyone(core: Core, who: str = "alice", **kwargs: object) -> list[browse.BrowseEntry]:
    """Every entry of every page, in order."""
    first = await browse.browse(core, Browse(actor(user=who), **kwargs))  # type: ignore[arg-type]
    entries = list(first.entries)
    for page in range(2, first.pages + 1):
        more = await browse.browse(core, Browse(actor(user=who), page=page, **kwargs))  # type: ignore[arg-type]
        entries += more.entries
    return entries


async def _ids(core: Core, who: str = "alice", **kwargs: object) -> list[str]:
    return [e.user_id for e in await _everyone(core, who, **kwargs)]


async def _engine_pool(core: Core, who: str) -> matching.Pool:
    """The engine's pool as browse scores it for `who`, built independently of browse."""
    async with core.db.transaction() as session:
        community = await session.scalar(select(Community).where(Community.external_id == "guild1"))
        assert community is not None
        snapshot = await load_pool(session, community, core.clock.now(), include_busy=True)
    return matching.Pool.from_dict(browse.scoring_document(snapshot.document))


async def test_browse_lists_the_pool_but_never_the_actor_hidden_blocked_or_removed(
    core: Core,
) -> None:
    await _seed(core)
    for user in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
        await signed_up(core, user, show_in_browse=user != "carol")
    await blocks.block(core, blocks.BlockMember(ALICE, "dave"))  # alice blocked dave
    await blocks.block(core, blocks.BlockMember(actor(user="erin"), "alice"))  # erin blocked her
    await membership.remove(core, membership.RemoveMember(moderator(), "frank"))
    # A draft form is not in the pool.
    await forms.save_answers(core, forms.SaveAnswers(actor(user="hal"), topics=("ai-timelines",)))

    assert sorted(await _ids(core)) == ["bob", "gina"]
    # Blocks hide in both directions: erin and dave do not see alice either.
    assert "alice" not in await _ids(core, "erin")
    assert "alice" not in await _ids(core, "dave")
    # Hidden from browse is not out of the pool: carol still browses and is still matchable.
    assert sorted(await _ids(core, "carol")) == ["alice", "bob", "dave", "erin", "gina"]
    assert (await _engine_pool(core, "alice")).score("alice", "carol") is not None


async def test_suggestions_are_the_highest_engine_scores_and_equal_pool_score(
    core: Core,
) -> None:
    c = await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines", "forecasting"], stances={c[0]: 2})
    # Different amounts of shared topics and disagreement: distinct engine scores.
    await signed_up(core, "bob", topics=["ai-timelines"], stances={c[0]: 2}, name="Bob")
    await signed_up(core, "carol", topics=["ai-timelines", "forecasting"], stances={c[0]: -2})
    await signed_up(core, "dave", topics=["interpretability"], name="Dave")
    await signed_up(core, "erin", topics=["forecasting"], stances={c[0]: -1})
    await signed_up(core, "fay", topics=["ai-timelines"], stances={c[0]: 0}, name="Fay")
    await signed_up(core, "gus", topics=["ai-timelines", "forecasting"], stances={c[0]: 1})

    entries = await _everyone(core)
    pool = await _engine_pool(core, "alice")
    expected = {other: pool.score("alice", other) for other in pool.ids if other != "alice"}
    assert {e.user_id: e.score for e in entries} == expected
    ranked = sorted(expected, key=lambda u: (-(expected[u] or 0), u))
    assert [e.user_id for e in entries[:SUGGESTIONS]] == ranked[:SUGGESTIONS]
    assert [e.suggested for e in entries] == [True] * SUGGESTIONS + [False] * (
        len(entries) - SUGGESTIONS
    )
    assert entries[0].user_id == "carol"  # two shared topics, opposite ends of the claim
    # The rest by name.
    rest = [e.display_name.casefold() for e in entries[SUGGESTIONS:]]
    assert rest == sorted(rest)


async def test_an_entry_shows_about_shared_topics_furthest_claims_kinds_and_own_tick(
    core: Core,
) -> None:
    c = await _seed(core)
    await signed_up(
        core,
        "alice",
        topics=["ai-timelines", "forecasting"],
        stances={c[0]: 2, c[1]: 1, c[2]: -1},
    )
    await signed_up(
        core,
        "bob",
        topics=["ai-timelines", "forecasting", "interpretability"],
        stances={c[0]: -2, c[1]: 1, c[2]: 0},
        about="Evals at a lab",
        name="Bob",
    )
    await forms.save_answers(
        core,
        forms.SaveAnswers(actor(user="bob", name="Bob"), private_notes="moderators only: shy"),
    )
    await wants.want(core, wants.WantMember(ALICE, "bob"))

    (entry,) = await _everyone(core)
    assert entry.display_name == "Bob"
    assert entry.about == "Evals at a lab"
    assert entry.shared_topics == ("AI timelines", "Forecasting")
    assert [(g.claim_id, g.mine, g.theirs) for g in entry.disagreements] == [
        (c[0], 2, -2),
        (c[2], -1, 0),
    ]
    assert entry.disagreements[0].text == CLAIMS[0][0]
    assert entry.claims_in_common == 3
    assert entry.kinds == (browse.KIND_DIALOGUE,)
    assert entry.wanted is True
    assert "shy" not in repr(entry)  # private notes are never read into browse


async def test_nobody_learns_who_ticked_them(core: Core) -> None:
    await _seed(core)
    for user in ("alice", "bob", "carol", "dave", "erin"):
        await signed_up(core, user)
    before = await _everyone(core)
    await wants.want(core, wants.WantMember(actor(user="dave"), "alice"))
    after = await _everyone(core)
    # Dave's tick towards alice changes neither the order, nor the scores, nor any flag.
    assert after == before
    assert not any(e.wanted for e in after)


async def test_ticking_from_the_list_does_not_reorder_it(core: Core) -> None:
    c = await _seed(core)
    await signed_up(core, "alice", stances={c[0]: 2})
    for n, user in enumerate(("bob", "carol", "dave", "erin", "fay", "gus", "hal")):
        await signed_up(core, user, stances={c[0]: n % 5 - 2})
    before = await _ids(core)
    await wants.want(core, wants.WantMember(ALICE, before[-1]))
    assert await _ids(core) == before


async def test_topic_filter_narrows_the_list(core: Core) -> None:
    await _seed(core)
    await signed_up(core, "alice", topics=["ai-timelines"])
    await signed_up(core, "bob", topics=["ai-timelines", "forecasting"])
    await signed_up(core, "carol", topics=["forecasting"])
    await signed_up(core, "dave", topics=["interpretability"])
    assert sorted(await _ids(core)) == ["bob", "carol", "dave"]
    page = await browse.browse(core, Browse(ALICE, topic="Forecasting"))
    assert (page.topic, page.topic_name) == ("forecasting", "Forecasting")
    assert sorted(await _ids(core, topic="forecasting")) == ["bob", "carol"]
    assert await _ids(core, topic="interpretability") == ["dave"]


async def test_unknown_or_removed_topic_is_a_clear_error(core: Core) -> None:
    await _seed(core)
    await signed_up(core, "alice")
    with pytest.raises(BadInput) as caught:
        await browse.browse(core, Browse(ALICE, topic="astrology"))
    assert caught.value.field == "topic" and "astrology" in caught.value.message
    await curation.remove_topic(core, curation.RemoveTopic(moderator(), "forecasting"))
    with pytest.raises(BadInput):
        await browse.browse(core, Browse(ALICE, topic="forecasting"))


async def test_paging_is_stable_and_covers_everyone_once(core: Core) -> None:
    c = await _seed(core)
    await signed_up(core, "alice", stances={c[0]: 2})
    others = [f"m{n:02d}" for n in range(2 * PAGE_SIZE + 2)]
    for n, user in enumerate(others):
        await signed_up(core, user, stances={c[0]: n % 5 - 2}, name=f"Member {25 - n}")
    first = await browse.browse(core, Browse(ALICE))
    assert (first.pages, first.total, first.has_previous, first.has_next) == (3, 12, False, True)
    assert len(first.entries) == PAGE_SIZE
    pages: list[BrowsePage] = [first]
    for number in (2, 3):
        pages.append(await browse.browse(core, Browse(ALICE, page=number)))
    listed = [e.user_id for p in pages for e in p.entries]
    assert sorted(listed) == sorted(others)  # no one twice, no one left out
    again = [await browse.browse(core, Browse(ALICE, page=n)) for n in (3, 1, 2)]
    assert [again[1], again[2], again[0]] == pages  # the same page twice is the same page
    assert pages[-1].has_next is False and len(pages[-1].entries) == 2
    # A page past the end (a stale "next" button after people left) shows the last page.
    assert await browse.browse(core, Browse(ALICE, page=9)) == pages[-1]
    with pytest.raises(BadInput):
        await browse.browse(core, Browse(ALICE, page=0))


async def test_paused_and_busy_members_are_listed_and_scored(core: Core) -> None:
    await _seed(core)
    for user in ("alice", "bob", "carol", "dave"):
        await signed_up(core, user)
    await membership.pause(core, membership.Pause(actor(user="bob")))
    await wants.want(core, wants.WantMember(actor(user="carol"), "dave"))
    await wants.want(core, wants.WantMember(actor(user="dave"), "carol"))  # busy now
    entries = await _everyone(core)
    assert sorted(e.user_id for e in entries) == ["bob", "carol", "dave"]
    assert all(e.score is not None for e in entries)
    # A paused actor still gets suggestions: ticks outlast a pause.
    paused = await _everyone(core, "bob")
    assert sum(e.suggested for e in paused) == SUGGESTIONS


async def test_met_recently_is_listed_but_not_suggested(core: Core) -> None:
    await _seed(core)
    for user in ("alice", "bob", "carol"):
        await signed_up(core, user)
    from bot.core import dialogues

    await dialogues.pair(core, dialogues.PairMembers(moderator(), "alice", "bob"))
    entries = {e.user_id: e for e in await _everyone(core)}
    assert entries["bob"].score is None and not entries["bob"].suggested
    assert entries["carol"].suggested


async def test_one_community_never_sees_another(core: Core) -> None:
    await _seed(core, "guild1")
    await _seed(core, "guild2")
    await signed_up(core, "alice", community="guild1")
    await signed_up(core, "bob", community="guild1")
    await signed_up(core, "zed", community="guild2")
    await signed_up(core, "alice", community="guild2")
    assert await _ids(core) == ["bob"]
    other = await browse.browse(core, Browse(actor("guild2", "alice")))
    assert [e.user_id for e in other.entries] == ["zed"]


async def test_browse_needs_a_complete_form_and_no_removal(core: Core) -> None:
    await _seed(core)
    with pytest.raises(Conflict):
        await browse.browse(core, Browse(ALICE))
    await signed_up(core, "alice")
    await membership.remove(core, membership.RemoveMember(moderator(), "alice"))
    with pytest.raises(Conflict):
        await browse.browse(core, Browse(ALICE))


async def test_scores_follow_a_changed_form_at_once(core: Core) -> None:
    c = await _seed(core)
    await signed_up(core, "alice", stances={c[0]: 2})
    await signed_up(core, "bob", stances={c[0]: 2})
    await signed_up(core, "carol", stances={c[0]: 1})
    first = {e.user_id: e.score for e in await _everyone(core)}
    again = {e.user_id: e.score for e in await _everyone(core)}
    assert again == first  # the same pool, built once
    # Bob moves to the other end of the claim: browse scores the new form straight away.
    await forms.save_answers(core, forms.SaveAnswers(actor(user="bob"), stances={c[0]: -2}))
    after = {e.user_id: e.score for e in await _everyone(core)}
    pool = await _engine_pool(core, "alice")
    assert after == {u: pool.score("alice", u) for u in ("bob", "carol")}
    assert (after["bob"] or 0) > (first["bob"] or 0)


def test_kinds_both_accept_follow_the_engines_looking_for() -> None:
    both = browse.kinds_both_accept
    assert both(["dialogue"], ["dialogue"]) == (browse.KIND_DIALOGUE,)
    assert both(["interview_them"], ["interview_me", "dialogue"]) == (browse.KIND_YOU_INTERVIEW,)
    assert both(["interview_me", "dialogue"], ["interview_them"]) == (browse.KIND_THEY_INTERVIEW,)
    assert both(["interview_me"], ["interview_me"]) == ()


async def test_the_garbage_collector_is_back_after_browse_even_when_it_fails(core: Core) -> None:
    import gc

    await _seed(core)
    await signed_up(core, "alice")
    await signed_up(core, "bob")
    assert gc.isenabled()
    await browse.browse(core, Browse(ALICE))
    assert gc.isenabled()
    with pytest.raises(BadInput):
        await browse.browse(core, Browse(ALICE, topic="astrology"))
    assert gc.isenabled()
    gc.disable()  # someone else's choice is left alone
    try:
        await browse.browse(core, Browse(ALICE))
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_overlapping_browses_turn_the_collector_back_on_once_both_are_done(
    core: Core,
) -> None:
    import asyncio
    import gc

    await _seed(core)
    for user in ("alice", "bob", "carol"):
        await signed_up(core, user)
    pages = await asyncio.gather(
        browse.browse(core, Browse(ALICE)), browse.browse(core, Browse(actor(user="bob")))
    )
    assert [p.total for p in pages] == [2, 2]
    assert gc.isenabled()


async def test_entries_show_the_kinds_both_accept_and_no_kind_is_never_suggested(
    core: Core,
) -> None:
    await _seed(core)
    await signed_up(core, "alice", looking_for=["interview_them"])
    await signed_up(core, "bob", looking_for=["interview_me", "dialogue"])
    await signed_up(core, "carol", looking_for=["dialogue"])
    entries = {e.user_id: e for e in await _everyone(core)}
    assert entries["bob"].kinds == (browse.KIND_YOU_INTERVIEW,)
    assert entries["bob"].suggested and entries["bob"].score is not None
    # Nothing both are looking for: listed (a tick is still theirs to give), never suggested.
    assert entries["carol"].kinds == () and entries["carol"].score is None
    assert not entries["carol"].suggested
    bobs = {e.user_id: e for e in await _everyone(core, "bob")}
    assert bobs["alice"].kinds == (browse.KIND_THEY_INTERVIEW,)
    assert bobs["carol"].kinds == (browse.KIND_DIALOGUE,)
