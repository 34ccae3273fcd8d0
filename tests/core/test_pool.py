"""The engine's input document, read from the database for one community."""

from __future__ import annotations

from datetime import timedelta

import matching
from bot.core import blocks, curation, dialogues, forms, membership, wants
from bot.core.app import Core
from bot.core.pool import PoolMember, availability_overlap, claim_key
from bot.core.rounds import RunRound, run
from tests.core.conftest import MOD, run_round, snapshot
from tests.factories import Seeded, actor, seed_community, signed_up


def participant(doc: dict, user: str) -> dict:
    return next(p for p in doc["participants"] if p["id"] == user)


async def test_document_holds_active_topics_and_claims_and_complete_forms_only(
    core: Core, seeded: Seeded
) -> None:
    c = seeded.claims
    await signed_up(core, "alice", topics=["ai-timelines", "forecasting"], stances={c[0]: 2})
    await signed_up(core, "bob", topics=["ai-timelines"], stances={c[0]: -2, c[2]: 1})
    drafter = actor(user="drafter")
    await forms.start_or_resume(core, forms.StartOrResume(drafter))
    await curation.remove_topic(core, curation.RemoveTopic(MOD, "forecasting"))
    await curation.remove_claim(core, curation.RemoveClaim(MOD, c[2]))

    snap = await snapshot(core)
    doc = snap.document

    assert doc["topics"] == ["ai-timelines", "interpretability"]
    assert set(doc["claims"]) == {claim_key(c[0]), claim_key(c[1])}
    assert doc["claims"][f"c{c[0]}"]["topics"] == ["ai-timelines"]
    assert [p["id"] for p in doc["participants"]] == ["alice", "bob"]
    assert participant(doc, "alice")["topics"] == ["ai-timelines"]
    assert participant(doc, "bob")["stances"] == {f"c{c[0]}": -2}
    assert participant(doc, "alice")["format"] == {"sync": "great", "async": "okay"}
    assert doc["config"]["cooldown"] == 6 and doc["config"]["odd"] == "wait"
    assert doc["config"]["seed"] == 1  # the next round's number
    matching.Pool.from_dict(doc)  # the engine accepts it


async def test_paused_members_are_passed_paused_until_their_pause_ends(
    core: Core, seeded: Seeded, clock
) -> None:
    await signed_up(core, "alice")
    await signed_up(core, "bob")
    await signed_up(core, "carol")
    until = clock.now() + timedelta(days=2)
    await membership.pause(core, membership.Pause(actor(user="alice"), until))
    await membership.pause(core, membership.Pause(actor(user="bob")))
    await membership.remove(core, membership.RemoveMember(MOD, "carol"))

    doc = (await snapshot(core)).document
    assert participant(doc, "alice")["paused"] is True
    assert participant(doc, "bob")["paused"] is True
    assert "carol" not in {p["id"] for p in doc["participants"]}

    clock.advance(days=3)
    doc = (await snapshot(core)).document
    assert "paused" not in participant(doc, "alice")
    assert participant(doc, "bob")["paused"] is True


async def test_one_round_members_leave_the_pool_after_their_round_dialogue(
    core: Core, seeded: Seeded
) -> None:
    await signed_up(core, "alice", participation="once")
    await signed_up(core, "bob")
    assert {p["id"] for p in (await snapshot(core)).document["participants"]} == {"alice", "bob"}

    await run_round(core)

    assert [p["id"] for p in (await snapshot(core)).document["participants"]] == ["bob"]


async def test_wants_and_blocks_name_only_members_of_the_pool(core: Core, seeded: Seeded) -> None:
    for user in ("alice", "bob", "carol", "dave"):
        await signed_up(core, user)
    await wants.want(core, wants.WantMember(actor(user="alice"), "bob"))
    await wants.want(core, wants.WantMember(actor(user="alice"), "dave"))
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "alice"))
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "dave"))
    await membership.remove(core, membership.RemoveMember(MOD, "dave"))

    doc = (await snapshot(core)).document

    assert participant(doc, "alice")["wants"] == ["bob"]
    assert participant(doc, "carol")["blocks"] == ["alice"]
    assert participant(doc, "bob")["wants"] == [] and participant(doc, "bob")["blocks"] == []
    matching.Pool.from_dict(doc)


async def test_history_counts_rounds_ago_and_open_manual_pairs_as_now(
    core: Core, seeded: Seeded
) -> None:
    await signed_up(core, "alice")
    await signed_up(core, "bob")
    await signed_up(core, "carol")
    await signed_up(core, "dave")
    first = await run_round(core)
    pairs = [tuple(sorted(m.user_id for m in p.members)) for p in first.pairs]
    assert len(pairs) == 2
    second = await run_round(core)
    repairs = [tuple(sorted(m.user_id for m in p.members)) for p in second.pairs]
    assert len(repairs) == 2 and not set(repairs) & set(pairs)  # cooldown: new partners

    doc = (await snapshot(core)).document
    history = {tuple(h["members"]): h["rounds_ago"] for h in doc["history"]}
    # The next round is 3: round 1 was two rounds ago, round 2 one.
    assert history == {**{pair: 2 for pair in pairs}, **{pair: 1 for pair in repairs}}
    assert (await snapshot(core)).next_round_number == 3

    # A manual pair still open: both sit the round out, so the engine does not see them.
    a, b = pairs[0][0], pairs[1][0]
    await dialogues.pair(core, dialogues.PairMembers(MOD, a, b))
    busy = await snapshot(core)
    assert {p["id"] for p in busy.document["participants"]} == {"alice", "bob", "carol", "dave"} - {
        a,
        b,
    }
    assert busy.members[a].busy and busy.members[b].busy
    assert all(a not in h["members"] and b not in h["members"] for h in busy.document["history"])


async def test_closed_manual_pair_counts_from_the_round_current_when_it_was_made(
    core: Core, seeded: Seeded
) -> None:
    await signed_up(core, "alice")
    await signed_up(core, "bob")
    await run(core, RunRound(MOD))  # round 1: alice and bob
    await signed_up(core, "carol")
    made = await dialogues.pair(core, dialogues.PairMembers(MOD, "alice", "carol"))
    await dialogues.close(core, made.dialogue_id, "talked")

    doc = (await snapshot(core)).document
    history = {tuple(h["members"]): h["rounds_ago"] for h in doc["history"]}
    # Made while round 1 was the latest: like meeting in round 1, next round is 2.
    assert history[("alice", "carol")] == 1
    assert history[("alice", "bob")] == 1


async def test_pools_do_not_mix_communities(core: Core, seeded: Seeded) -> None:
    await seed_community(core, community="guild2")
    await signed_up(core, "alice")
    await signed_up(core, "zed", community="guild2")

    assert [p["id"] for p in (await snapshot(core)).document["participants"]] == ["alice"]
    assert [p["id"] for p in (await snapshot(core, "guild2")).document["participants"]] == ["zed"]


def person(user: str, tz: str, *windows: tuple[str, str, str]) -> PoolMember:
    return PoolMember(
        member_id=0,
        user_id=user,
        display_name=user,
        about="",
        paused=False,
        busy=False,
        timezone=tz,
        availability=tuple({"day": d, "start": s, "end": e} for d, s, e in windows),
        topics=frozenset(),
        stances={},
    )


def test_availability_overlap_is_in_utc_and_split_by_day(clock) -> None:
    berlin = person("a", "Europe/Berlin", ("mon", "18:00", "21:00"), ("tue", "00:00", "02:00"))
    london = person("b", "UTC", ("mon", "17:00", "19:00"), ("mon", "22:00", "24:00"))
    flexible = person("c", "UTC")

    # January: Berlin is UTC+1, so its Monday 18-21 is 17-20 UTC and Tuesday 00-02 is
    # Monday 23:00 to Tuesday 01:00 UTC.
    assert availability_overlap([berlin, london, flexible], clock.now()) == [
        {"day": "mon", "start": "17:00", "end": "19:00"},
        {"day": "mon", "start": "23:00", "end": "24:00"},
    ]
    assert availability_overlap([flexible], clock.now()) == []
