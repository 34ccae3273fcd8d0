"""The shipped sample community: consistent, large enough, and really divided."""

from __future__ import annotations

import pytest

from bot.sample import load_sample, to_engine_document


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_sample_has_enough_members_and_topics(sample) -> None:
    assert len(sample.members) >= 60
    assert 8 <= len(sample.topics) <= 12
    assert 8 <= len(sample.claims) <= 10
    assert len({m.id for m in sample.members}) == len(sample.members)
    assert len({m.display_name for m in sample.members}) == len(sample.members)


def test_every_referenced_id_exists(sample) -> None:
    topics = {t.slug for t in sample.topics}
    claims = {c.id for c in sample.claims}
    members = {m.id for m in sample.members}
    for claim in sample.claims:
        assert claim.topics and set(claim.topics) <= topics, claim.id
    for member in sample.members:
        assert set(member.topics) <= topics, member.id
        assert set(member.stances) <= claims, member.id
        assert set(member.wants) <= members - {member.id}, member.id
        assert set(member.blocks) <= members - {member.id}, member.id
    for meeting in sample.history:
        assert set(meeting.members) <= members
        assert meeting.members[0] != meeting.members[1]
        # 0 would mean "talking right now" (bot.core.pool); the sample's meetings are past.
        assert meeting.rounds_ago >= 1


def test_members_fill_in_plausible_forms(sample) -> None:
    for member in sample.members:
        assert 2 <= len(member.topics) <= 6, member.id
        assert all(-2 <= v <= 2 for v in member.stances.values()), member.id
        assert not (member.format_sync == "no" and member.format_async == "no"), member.id
        if member.format_sync != "no":
            assert member.availability, f"{member.id} offers sync without availability"
        assert member.about, member.id


def test_sample_exercises_every_rule(sample) -> None:
    formats = {(m.format_sync, m.format_async) for m in sample.members}
    assert any(s == "no" for s, _ in formats), "an async-only member"
    assert any(a == "no" for _, a in formats), "a sync-only member"
    assert {m.appetite for m in sample.members} == {"seek", "neutral", "avoid"}
    assert len({m.timezone for m in sample.members}) >= 5
    assert len(sample.mutual_wants()) >= 2
    assert sample.blocked_pairs()
    assert sum(m.paused for m in sample.members) >= 2
    assert any(h.rounds_ago < sample.cooldown for h in sample.history)
    assert any(h.rounds_ago >= sample.cooldown for h in sample.history)


def test_claims_divide_the_pool(sample) -> None:
    # Lesson from "My Country Talks": a claim most people agree on produces agreeing pairs.
    for claim in sample.claims:
        answers = [m.stances[claim.id] for m in sample.members if claim.id in m.stances]
        assert len(answers) >= 20, claim.id
        agree = sum(v > 0 for v in answers) / len(answers)
        disagree = sum(v < 0 for v in answers) / len(answers)
        assert agree >= 0.25 and disagree >= 0.25, (claim.id, agree, disagree)


def test_engine_accepts_the_sample(sample) -> None:
    matching = pytest.importorskip("matching")
    pool_cls = getattr(matching, "Pool", None)
    if pool_cls is None:
        from matching.pool import Pool as pool_cls
    pool = pool_cls.from_dict(to_engine_document(sample))
    assert len(pool) == len(sample.members)


def test_special_members_meet_the_rules_they_show(sample) -> None:
    from matching.pool import Pool

    doc = to_engine_document(sample)
    pool = Pool.from_dict(doc)
    without_history = Pool.from_dict({**doc, "history": []})
    active = [m.id for m in sample.members if not m.paused]

    def partners(p: Pool, who: str) -> list[str]:
        return [o for o in active if o != who and p.score(who, o) is not None]

    lonely = [m for m in active if not partners(without_history, m)]
    assert lonely, "someone incompatible with everyone (no compatible partner)"
    recently = [m for m in active if not partners(pool, m) and partners(without_history, m)]
    assert recently, "someone whose only compatible partners met them recently"
    for a, b in sample.blocked_pairs():
        assert pool.score(a, b) is None
    for a, b in sample.mutual_wants():
        assert pool.score(a, b) is not None
    matchable = [m for m in active if partners(pool, m)]
    assert len(matchable) % 2 == 1, "an odd one out"


def test_solving_the_sample_shows_every_unmatched_reason(sample) -> None:
    matching = pytest.importorskip("matching")
    result = matching.solve(matching.Pool.from_dict(to_engine_document(sample)))
    assert {u.reason for u in result.unmatched} == set(matching.REASONS)
    paired = {frozenset(p.members) for p in result.pairs}
    for a, b in sample.mutual_wants():
        assert frozenset((a, b)) in paired
    for a, b in sample.blocked_pairs():
        assert frozenset((a, b)) not in paired


def test_sample_has_interviewees_and_interviewers(sample) -> None:
    interviewees = [m for m in sample.members if "interview_me" in m.looking_for]
    interviewers = [m for m in sample.members if "interview_them" in m.looking_for]
    assert len(interviewees) >= 2 and len(interviewers) >= 2
    for member in interviewees:
        assert "agenda" in member.about.lower() or "research" in member.about.lower()
    document = to_engine_document(sample)
    assert any(p["looking_for"] != ["dialogue"] for p in document["participants"])
