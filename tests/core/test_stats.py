"""`/dialogue-admin pool`: pool size, coverage, divisiveness, rounds, outcomes, stance moves."""

from __future__ import annotations

import pytest

from bot.core import forms, membership
from bot.core.app import Core
from bot.core.dialogues import (
    PairMembers,
    RecordStanceChange,
    Unpair,
    close,
    pair,
    record_stance_change,
    unpair,
)
from bot.core.errors import Forbidden
from bot.core.stats import ShowPoolStats, pool_stats
from tests.core.conftest import MOD, run_round, two_disagreeing
from tests.factories import Seeded, actor, signed_up


async def community_with_history(core: Core, seeded: Seeded) -> int:
    """alice and bob met in round 1 (they disagree on claim 0, agree on claim 1); carol is
    paused, dave removed, and someone left their form as a draft."""
    c = seeded.claims
    await two_disagreeing(core, seeded)
    await signed_up(core, "carol", stances={c[0]: 0}, sync="okay", async_="great")
    await signed_up(core, "dave", topics=["interpretability"], stances={c[0]: 2})
    await forms.start_or_resume(core, forms.StartOrResume(actor(user="drafter")))
    await membership.pause(core, membership.Pause(actor(user="carol")))
    await membership.remove(core, membership.RemoveMember(MOD, "dave"))
    done = await run_round(core)
    return done.pairs[0].dialogue_id or 0


async def test_pool_counts_members_forms_formats_and_topics(core: Core, seeded: Seeded) -> None:
    await community_with_history(core, seeded)

    stats = await pool_stats(core, ShowPoolStats(MOD))

    assert stats.members == {"active": 3, "paused": 1, "removed": 1}
    assert stats.forms == {"complete": 4, "draft": 1, "none": 0}
    assert stats.formats == {
        "sync": {"great": 2, "okay": 1, "no": 0},
        "async": {"great": 1, "okay": 2, "no": 0},
    }
    coverage = {t.slug: t.members for t in stats.topics}
    assert coverage == {"ai-timelines": 3, "interpretability": 0, "forecasting": 0}


async def test_divisiveness_is_the_share_of_round_pairs_who_disagree(
    core: Core, seeded: Seeded
) -> None:
    await community_with_history(core, seeded)

    claims = (await pool_stats(core, ShowPoolStats(MOD))).claims

    first, second, third = claims
    assert (first.answers, first.pairs_answered, first.pairs_disagreeing) == (3, 1, 1)
    assert first.divisiveness == 1.0
    assert (second.answers, second.pairs_answered, second.divisiveness) == (2, 1, 0.0)
    assert (third.answers, third.divisiveness) == (0, None)


async def test_rounds_outcomes_and_stance_moves(core: Core, seeded: Seeded) -> None:
    dialogue_id = await community_with_history(core, seeded)
    c = seeded.claims
    alice, bob = actor(user="alice"), actor(user="bob")
    await record_stance_change(core, RecordStanceChange(alice, dialogue_id, c[0], 0))
    await record_stance_change(core, RecordStanceChange(bob, dialogue_id, c[0], 1))
    await close(core, dialogue_id, "talked")
    await pair(core, PairMembers(MOD, "alice", "bob"))
    await unpair(core, Unpair(MOD, "alice"))

    stats = await pool_stats(core, ShowPoolStats(MOD))

    [round_one] = stats.rounds
    assert (round_one.number, round_one.status, round_one.pairs, round_one.unmatched) == (
        1,
        "committed",
        1,
        1,
    )
    assert round_one.created_at == core.clock.now()
    assert stats.outcomes.talked == 1 and stats.outcomes.ended == 1
    assert stats.outcomes.open == 0 and stats.outcomes.completion_rate == 1.0
    moves = {m.claim_id: m for m in stats.stance_moves}
    assert (moves[c[0]].asked, moves[c[0]].moved) == (2, 2)
    assert (moves[c[0]].toward_agree, moves[c[0]].toward_disagree) == (1, 1)
    assert c[1] not in moves  # they agreed on it: the wrap-up does not re-ask it
    assert stats.members_moved == 2
    # Divisiveness reads today's stances: after the dialogue they are only one step apart.
    assert stats.claims[0].divisiveness == 0.0


async def test_only_moderators_see_pool_stats(core: Core, seeded: Seeded) -> None:
    await signed_up(core, "alice")
    with pytest.raises(Forbidden):
        await pool_stats(core, ShowPoolStats(actor(user="alice")))
