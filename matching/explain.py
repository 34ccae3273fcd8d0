"""Why two (or three) people were paired: shared topics, top disagreements, format."""

from __future__ import annotations

from typing import Any

import numpy as np

from matching.model import Document, Participant
from matching.result import Pair, to_points
from matching.scoring import (
    BLOCKED,
    MET_RECENTLY,
    NO_KIND,
    SLOT_MINUTES,
    Features,
    score_pairs,
)

MAX_DISAGREEMENTS = 3
MIN_DISAGREEMENT_GAP = 2

# Why `Pool.explain` of a forbidden pair says it is forbidden.
FORBIDDEN_SELF = "same participant"
FORBIDDEN_PAUSED = "paused"
FORBIDDEN_BLOCKED = "blocked"
FORBIDDEN_MET_RECENTLY = "met recently"
FORBIDDEN_NO_KIND = "nothing both are looking for"
FORBIDDEN_NO_FORMAT = "no shared format"
INTERVIEWER = "interviewer"
INTERVIEWEE = "interviewee"


def interview_roles(people: list[Participant]) -> dict[str, str]:
    """Who interviews whom in an interview pair: the member who lists `interview_me`
    opposite one who lists `interview_them` is the interviewee. When both would take
    either role, the member whose id sorts first is interviewed (deterministic, and
    the same whichever order the pair is given in)."""
    a, b = sorted(people, key=lambda p: p.id)
    if "interview_me" in a.looking_for and "interview_them" in b.looking_for:
        return {a.id: INTERVIEWEE, b.id: INTERVIEWER}
    return {a.id: INTERVIEWER, b.id: INTERVIEWEE}


def shared_topics(f: Features, members: list[int]) -> tuple[str, ...]:
    """Topics every member picked, most valuable (rarest) first."""
    common = np.logical_and.reduce(f.topic_picked[members], axis=0)
    found = np.flatnonzero(common).tolist()
    found.sort(key=lambda k: (-int(f.topic_weight[k]), f.topic_names[k]))
    return tuple(f.topic_names[k] for k in found)


def top_disagreements(
    people: list[Participant], claim_topics: dict[str, frozenset[str]]
) -> tuple[dict[str, Any], ...]:
    """Claims the members answered with gaps >= 2, at most three: first those on topics
    more of the members picked (a disagreement on what both care about, which the
    score's `disagreement_focus` weighs more, is the better opening), then the largest
    gaps, then claim id."""
    claims = sorted(set().union(*(p.stances for p in people)))
    found = []
    for claim in claims:
        stances = {p.id: p.stances[claim] for p in people if claim in p.stances}
        if len(stances) < 2:
            continue
        gap = max(stances.values()) - min(stances.values())
        if gap >= MIN_DISAGREEMENT_GAP:
            topics = claim_topics.get(claim, frozenset())
            caring = sum(1 for p in people if topics & p.topics)
            found.append((-caring, -gap, claim, dict(sorted(stances.items()))))
    found.sort(key=lambda item: (item[0], item[1], item[2]))
    return tuple({"claim": c, "stances": s} for _, _, c, s in found[:MAX_DISAGREEMENTS])


def explain_pairs(f: Features, doc: Document, first: np.ndarray, second: np.ndarray) -> list[Pair]:
    """Explanations of the pairs (first[k], second[k]), scored in one vectorised call."""
    block, terms = score_pairs(f, first, second, terms=True)
    assert terms is not None
    out = []
    for k, (i, j) in enumerate(
        zip(np.asarray(first).tolist(), np.asarray(second).tolist(), strict=True)
    ):
        people = [doc.participants[i], doc.participants[j]]
        members = tuple(sorted((f.ids[i], f.ids[j])))
        topics = shared_topics(f, [i, j])
        disagreements = top_disagreements(people, doc.claims)
        want = int(terms.want[k])
        overlap = int(terms.overlap_slots[k])
        overlap_minutes = None if overlap < 0 else overlap * SLOT_MINUTES
        if not bool(block.allowed[k]):
            hard = int(terms.hard[k])
            if i == j:
                reason = FORBIDDEN_SELF
            elif not (f.active[i] and f.active[j]):
                reason = FORBIDDEN_PAUSED
            elif hard & BLOCKED:
                reason = FORBIDDEN_BLOCKED
            elif hard & MET_RECENTLY:
                reason = FORBIDDEN_MET_RECENTLY
            elif int(terms.kinds[k]) == NO_KIND:
                reason = FORBIDDEN_NO_KIND
            else:
                reason = FORBIDDEN_NO_FORMAT
            out.append(
                Pair(
                    members=members,
                    score=None,
                    shared_topics=topics,
                    disagreements=disagreements,
                    format=None,
                    mutual_want=want == 3,
                    one_way_want=want in (1, 2),
                    overlap_minutes=overlap_minutes,
                    forbidden=reason,
                )
            )
            continue
        millis = int(block.millis[k])
        interview = bool(terms.interview[k])
        score_terms = {
            "pair": to_points(int(terms.pair[k])),
            "topic": to_points(int(terms.topic[k])),
            "disagreement": to_points(int(terms.disagreement[k])),
            "want": to_points(int(terms.want_millis[k])),
            "format": to_points(int(terms.format[k])),
            "availability": to_points(int(terms.availability[k])),
            "priority": to_points(int(terms.priority[k])),
        }
        out.append(
            Pair(
                members=members,
                score=to_points(millis),
                shared_topics=topics,
                disagreements=disagreements,
                format="sync" if bool(terms.sync[k]) else "async",
                mutual_want=want == 3,
                one_way_want=want in (1, 2),
                overlap_minutes=overlap_minutes,
                score_terms=score_terms,
                millis=millis,
                kind="interview" if interview else "dialogue",
                roles=interview_roles(people) if interview else None,
            )
        )
    return out


def explain_pair(f: Features, doc: Document, i: int, j: int) -> Pair:
    return explain_pairs(f, doc, np.array([i]), np.array([j]))[0]


def explain_trio(f: Features, doc: Document, trio: list[int]) -> Pair:
    """A trio: its score is the sum of its three pair scores."""
    a, b, c = trio
    inner = explain_pairs(f, doc, np.array([a, a, b]), np.array([b, c, c]))
    millis = 0
    for pair in inner:
        assert pair.millis is not None
        millis += pair.millis
    members = tuple(sorted(f.ids[k] for k in trio))
    # The format all three can use with the best summed fit (sync on ties); else the
    # format of the original pair.
    fmt = inner[0].format
    best = None
    for name in ("sync", "async"):
        points = f.sync_points if name == "sync" else f.async_points
        if all(points[k] > 0 for k in trio):
            fit = sum(int(points[k]) for k in trio)
            if name == "sync" and not all(p.format == "sync" for p in inner):
                continue
            if best is None or fit > best[0]:
                best = (fit, name)
    if best is not None:
        fmt = best[1]
    score_terms: dict[str, float] = {}
    for pair in inner:
        for key, value in pair.score_terms.items():
            score_terms[key] = round(score_terms.get(key, 0.0) + value, 3)
    overlaps = [p.overlap_minutes for p in inner if p.overlap_minutes is not None]
    kind, roles = _trio_kind(inner, members)
    return Pair(
        members=members,
        score=to_points(millis),
        shared_topics=shared_topics(f, trio),
        disagreements=top_disagreements([doc.participants[k] for k in trio], doc.claims),
        format=fmt,
        mutual_want=any(p.mutual_want for p in inner),
        one_way_want=any(p.one_way_want for p in inner),
        overlap_minutes=min(overlaps) if overlaps else None,
        score_terms=score_terms,
        millis=millis,
        kind=kind,
        roles=roles,
    )


def _trio_kind(inner: list[Pair], members: tuple[str, ...]) -> tuple[str, dict[str, str] | None]:
    """A trio is an interview when any of its pairs is: who is interviewed in one of
    those pairs is an interviewee, everyone else an interviewer (a third member who
    only has dialogues with the other two joins the questions)."""
    interviews = [p for p in inner if p.kind == "interview" and p.roles]
    if not interviews:
        return "dialogue", None
    interviewees = {m for p in interviews for m, role in p.roles.items() if role == INTERVIEWEE}
    return "interview", {m: INTERVIEWEE if m in interviewees else INTERVIEWER for m in members}
