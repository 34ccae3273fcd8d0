"""Round preview and run: what the engine proposes, what a run stores and opens, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import blocks, community_config, membership, wants
from bot.core.app import Core
from bot.core.errors import Conflict, Forbidden
from bot.core.rounds import (
    PreviewRound,
    RunRound,
    preview,
    resume_opening_rounds,
    run,
    scheduler_actor,
)
from bot.platforms.local import LocalPlatform
from bot.storage.models import Dialogue, Job, Round, RoundUnmatched
from tests.core.conftest import (
    MOD,
    count,
    dialogue_row,
    local,
    member_row,
    run_jobs,
    two_disagreeing,
)
from tests.factories import Seeded, actor, signed_up


async def alice_bob_and_lonely_carol(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol", name="Carol")
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "alice"))
    await blocks.block(core, blocks.BlockMember(actor(user="carol"), "bob"))


async def test_preview_shows_pairs_with_topics_disagreements_and_stores_nothing(
    core: Core, seeded: Seeded
) -> None:
    await alice_bob_and_lonely_carol(core, seeded)

    shown = await preview(core, PreviewRound(MOD))

    assert shown.round_number == 1 and shown.pool_size == 3
    [pair] = shown.pairs
    assert [m.name for m in pair.members] == ["Alice", "Bob"]
    assert pair.score is not None and pair.score > 0
    assert pair.shared_topics == ("AI timelines",)
    [top] = pair.disagreements
    assert top.claim_id == seeded.claims[0]
    assert top.text.startswith("Theory will get alignment")
    assert [(s.name, s.words) for s in top.stances] == [
        ("Alice", "strongly agree"),
        ("Bob", "disagree"),
    ]
    assert pair.format == "sync" and pair.mutual_want is False
    [left] = shown.unmatched
    assert (left.user_id, left.reason) == ("carol", "no compatible partner")
    assert "Nobody in this round's pool fit you" in left.explanation
    assert await count(core, Round) == 0 and await count(core, Dialogue) == 0


async def test_only_moderators_preview_or_run_rounds(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)
    member = actor(user="alice")

    with pytest.raises(Forbidden):
        await preview(core, PreviewRound(member))
    with pytest.raises(Forbidden):
        await run(core, RunRound(member))
    assert await count(core, Round) == 0 and await count(core, Dialogue) == 0


async def test_run_commits_the_round_and_opens_every_dialogue(core: Core, seeded: Seeded) -> None:
    await alice_bob_and_lonely_carol(core, seeded)

    done = await run(core, RunRound(MOD))

    assert (done.number, done.status, done.created_now) == (1, "committed", True)
    assert done.failed == ()
    [pair] = done.pairs
    assert pair.state == "open" and pair.dialogue_id is not None
    dialogue = await dialogue_row(core, pair.dialogue_id)
    assert (dialogue.kind, dialogue.size, dialogue.round_id) == ("round", 2, done.round_id)
    assert dialogue.opened_at == core.clock.now()
    assert dialogue.explanation["shared_topics"] == [
        {"slug": "ai-timelines", "name": "AI timelines"}
    ]
    assert dialogue.explanation["disagreements"][0]["text"].startswith("Theory will")
    thread = local(core).threads[dialogue.thread_id or ""]
    assert sorted(thread.member_ids) == ["alice", "bob"]
    assert "Alice: strongly agree · Bob: disagree" in thread.messages[0].text
    assert "Agent foundations person" in thread.messages[0].text

    async with core.db.transaction() as session:
        left = (await session.execute(select(RoundUnmatched.reason))).scalars().all()
    assert left == ["no compatible partner"]
    assert (await member_row(core, "carol")).priority == 1
    assert (await member_row(core, "alice")).priority == 0
    assert await run_jobs(core) == 0  # told by the round's own call; nothing left to run
    [dm] = local(core).direct[("guild1", "carol")]
    assert "No dialogue partner for you this round" in dm.text


async def test_matched_members_lose_their_priority(core: Core, seeded: Seeded) -> None:
    await signed_up(core, "alice")
    await run(core, RunRound(MOD))  # alone: unmatched
    assert (await member_row(core, "alice")).priority == 1
    await signed_up(core, "bob")

    await run(core, RunRound(MOD))

    assert (await member_row(core, "alice")).priority == 0


async def test_running_again_with_the_same_key_returns_the_same_round(
    core: Core, seeded: Seeded
) -> None:
    await alice_bob_and_lonely_carol(core, seeded)
    first = await run(core, RunRound(MOD, "2026-01-05T15:00"))

    await run_jobs(core)
    again = await run(core, RunRound(MOD, "2026-01-05T15:00"))
    await run_jobs(core)

    assert again.round_id == first.round_id and again.created_now is False
    assert await count(core, Round) == 1 and await count(core, Dialogue) == 1
    assert len(local(core).threads) == 1
    assert len(local(core).direct[("guild1", "carol")]) == 1  # told once


async def test_a_member_who_cannot_be_reached_leaves_only_their_dialogue_pending(
    core: Core, seeded: Seeded
) -> None:
    c = seeded.claims
    for user, stance in (("alice", 2), ("bob", -2), ("carol", 1), ("dave", -1)):
        await signed_up(core, user, stances={c[0]: stance})
    local(core).unreachable.add("dave")

    done = await run(core, RunRound(MOD, "slot-1"))

    assert done.status == "committed"
    states = sorted(p.state or "" for p in done.pairs)
    assert states == ["open", "pending"]
    [failure] = done.failed
    assert "dave" in failure.error

    # Dave comes back; running the same slot again opens what is still pending, only that.
    local(core).unreachable.clear()
    again = await run(core, RunRound(MOD, "slot-1"))
    assert [p.state for p in again.pairs] == ["open", "open"]
    assert again.failed == ()
    assert len(local(core).threads) == 2


class CrashingPlatform(LocalPlatform):
    """Dies (not a platform refusal: a bug, a lost process) on its first thread, right after
    the platform made it: the thread exists, its id was never saved."""

    def __init__(self) -> None:
        super().__init__()
        self.crashes = 1

    async def open_private_thread(
        self,
        community_id: str,
        member_ids: list[str],
        title: str,
        *,
        idempotency_key: str | None = None,
    ) -> str:
        made = await super().open_private_thread(
            community_id, member_ids, title, idempotency_key=idempotency_key
        )
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("process killed")
        return made


async def test_a_crash_while_opening_is_resumed_by_the_same_key(core: Core, seeded: Seeded) -> None:
    core.platforms["local"] = CrashingPlatform()
    await alice_bob_and_lonely_carol(core, seeded)

    with pytest.raises(RuntimeError):
        await run(core, RunRound(MOD, "slot-1"))
    async with core.db.transaction() as session:
        assert (await session.scalars(select(Round.status))).all() == ["opening"]

    with pytest.raises(Conflict, match="Round 1 is still opening"):
        await run(core, RunRound(MOD, "another-slot"))

    resumed = await run(core, RunRound(MOD, "slot-1"))
    assert (resumed.number, resumed.status, resumed.created_now) == (1, "committed", False)
    assert [p.state for p in resumed.pairs] == ["open"]
    assert await count(core, Round) == 1
    # The thread the crash left unsaved was found again and used, not left orphaned.
    [thread] = core.platform("local").threads.values()  # type: ignore[attr-defined]
    assert not thread.archived and len(thread.messages) == 1


async def test_start_up_finishes_rounds_left_opening(core: Core, seeded: Seeded) -> None:
    core.platforms["local"] = CrashingPlatform()
    await alice_bob_and_lonely_carol(core, seeded)
    with pytest.raises(RuntimeError):
        await run(core, RunRound(scheduler_actor(MOD.community), "weekly:2026-01-05"))

    [finished] = await resume_opening_rounds(core)

    assert finished.status == "committed" and [p.state for p in finished.pairs] == ["open"]
    assert await resume_opening_rounds(core) == []


async def test_paused_members_are_reported_but_get_no_priority_or_message(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol")
    await membership.pause(core, membership.Pause(actor(user="carol")))

    done = await run(core, RunRound(MOD))

    assert [(u.user_id, u.reason) for u in done.unmatched] == [("carol", "paused")]
    assert (await member_row(core, "carol")).priority == 0
    assert ("guild1", "carol") not in local(core).direct


async def test_members_in_a_mutual_want_dialogue_sit_the_round_out(
    core: Core, seeded: Seeded
) -> None:
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol", name="Carol")
    await signed_up(core, "dave", name="Dave")
    await wants.want(core, wants.WantMember(actor(user="carol"), "dave"))
    ticked = await wants.want(core, wants.WantMember(actor(user="dave"), "carol"))
    assert ticked.mutual

    done = await run(core, RunRound(MOD))

    assert [sorted(m.user_id for m in p.members) for p in done.pairs] == [["alice", "bob"]]
    assert sorted((u.user_id, u.reason) for u in done.unmatched) == [
        ("carol", "already in a dialogue"),
        ("dave", "already in a dialogue"),
    ]
    assert (await member_row(core, "carol")).priority == 0
    await run_jobs(core)
    assert all("this round" not in m.text for m in local(core).direct[("guild1", "carol")])


async def test_unmatched_member_with_closed_dms_does_not_stop_the_round(
    core: Core, seeded: Seeded
) -> None:
    await alice_bob_and_lonely_carol(core, seeded)
    local(core).unreachable.add("carol")

    done = await run(core, RunRound(MOD))

    assert done.status == "committed" and [p.state for p in done.pairs] == ["open"]


async def test_odd_policy_trio_makes_a_dialogue_of_three(core: Core, seeded: Seeded) -> None:
    await community_config.configure(core, community_config.Configure(MOD, odd_policy="trio"))
    for user in ("alice", "bob", "carol"):
        await signed_up(core, user)

    done = await run(core, RunRound(MOD))

    [pair] = done.pairs
    assert len(pair.members) == 3 and done.unmatched == ()
    dialogue = await dialogue_row(core, pair.dialogue_id or 0)
    assert dialogue.size == 3
    assert sorted(local(core).threads[dialogue.thread_id or ""].member_ids) == [
        "alice",
        "bob",
        "carol",
    ]


async def test_opened_round_dialogues_get_their_prompt_jobs(core: Core, seeded: Seeded) -> None:
    await two_disagreeing(core, seeded)

    done = await run(core, RunRound(MOD))

    dialogue_id = done.pairs[0].dialogue_id
    async with core.db.transaction() as session:
        keys = sorted((await session.scalars(select(Job.dedupe_key))).all())
    assert keys == [
        f"prompt:{dialogue_id}:{name}" for name in ("checkin", "midpoint", "nudge", "wrapup")
    ]
