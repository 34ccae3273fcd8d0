"""Builders for matching input documents: hand-made small pools and seeded random ones."""

from __future__ import annotations

from typing import Any

import numpy as np

TOPICS = ["ai-timelines", "interpretability", "ethics", "forecasting", "mentorship"]
CLAIMS = {
    "c1": {"text": "AGI arrives before 2035", "topics": ["ai-timelines"]},
    "c2": {"text": "Theory beats empirical work", "topics": ["interpretability"]},
    "c3": {"text": "Labs should publish insights", "topics": ["ethics"]},
    "c4": {"text": "Weekly meetings beat long sessions", "topics": ["mentorship"]},
}


def person(pid: str, **fields: Any) -> dict[str, Any]:
    """A participant who fits anyone: flexible, okay with both formats, no stances."""
    base: dict[str, Any] = {
        "id": pid,
        "topics": [],
        "stances": {},
        "format": {"sync": "okay", "async": "okay"},
        "timezone": "UTC",
        "disagreement": "seek",
        "wants": [],
        "blocks": [],
        "priority": 0,
    }
    base.update(fields)
    return base


def document(
    *people: dict[str, Any],
    history: list[dict[str, Any]] | None = None,
    config: dict[str, Any] | None = None,
    topics: list[str] | None = None,
    claims: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "topics": list(TOPICS if topics is None else topics),
        "claims": dict(CLAIMS if claims is None else claims),
        "participants": list(people),
        "history": list(history or []),
        "config": dict(config or {}),
    }


ZONES = [
    ("America/Los_Angeles", "17:00", "22:00"),
    ("America/New_York", "18:00", "22:00"),
    ("Europe/London", "18:00", "21:30"),
    ("Europe/Berlin", "19:00", "22:00"),
    ("Asia/Kolkata", "19:00", "23:00"),
    ("Asia/Tokyo", "20:00", "24:00"),
    ("Australia/Sydney", "18:00", "21:00"),
    ("UTC", "12:00", "18:00"),
]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LEVELS = ["great", "okay", "no"]


def random_document(
    n: int,
    seed: int,
    *,
    n_topics: int = 60,
    n_claims: int = 20,
    communities: int = 6,
    blocks: float = 1.0,
    history: float = 4.0,
    wants: float = 0.3,
    paused: float = 0.0,
    priority: float = 0.05,
    availability: float = 0.6,
    cooldown: int = 6,
    odd: str = "wait",
    kinds: float = 0.0,
) -> dict[str, Any]:
    """A seeded random pool; the float knobs are per-person rates (or probabilities).

    `kinds`: the share of members with a random non-empty `looking_for` (the rest keep
    the default, dialogue); drawn last, so kinds=0 gives the pools of before.
    """
    rng = np.random.default_rng(seed)
    topics = [f"t{k}" for k in range(n_topics)]
    claims = {
        f"c{k}": {"text": f"claim {k}", "topics": [topics[k % n_topics]]} for k in range(n_claims)
    }
    ids = [f"p{k:06d}" for k in range(n)]
    # Topic popularity is uneven and depends on a member's community.
    base = 1.0 / (1 + np.arange(n_topics)) ** 0.8
    taste = [base * rng.gamma(0.5, 1.0, n_topics) + 1e-3 for _ in range(communities)]
    taste = [t / t.sum() for t in taste]
    community = rng.integers(0, communities, n)
    people: list[dict[str, Any]] = []
    for k, pid in enumerate(ids):
        n_picked = int(rng.integers(1, min(10, n_topics) + 1))
        picked = rng.choice(n_topics, size=n_picked, replace=False, p=taste[community[k]])
        answered = rng.random(n_claims) < 0.7
        stances = rng.integers(-2, 3, n_claims)
        fmt = {
            "sync": LEVELS[int(rng.choice(3, p=[0.4, 0.4, 0.2]))],
            "async": LEVELS[int(rng.choice(3, p=[0.3, 0.5, 0.2]))],
        }
        if fmt["sync"] == "no" and fmt["async"] == "no":
            fmt["async"] = "okay"
        zone, start, end = ZONES[int(rng.integers(0, len(ZONES)))]
        entry: dict[str, Any] = {
            "id": pid,
            "topics": [topics[t] for t in sorted(picked.tolist())],
            "stances": {f"c{c}": int(stances[c]) for c in range(n_claims) if answered[c]},
            "format": fmt,
            "timezone": zone,
            "disagreement": ["seek", "neutral", "avoid"][int(rng.choice(3, p=[0.7, 0.2, 0.1]))],
            "wants": [],
            "blocks": [],
            "priority": 1 if rng.random() < priority else 0,
        }
        if rng.random() < availability:
            days = rng.choice(7, size=int(rng.integers(1, 4)), replace=False)
            entry["availability"] = [
                {"day": DAYS[d], "start": start, "end": end} for d in sorted(days.tolist())
            ]
        if paused and rng.random() < paused:
            entry["paused"] = True
        people.append(entry)

    def others(k: int, rate: float) -> list[str]:
        count = int(rng.poisson(rate)) if n > 1 else 0
        picks = {int(x) for x in rng.integers(0, n, count)} - {k}
        return [ids[x] for x in sorted(picks)]

    for k, entry in enumerate(people):
        entry["wants"] = others(k, wants)
        entry["blocks"] = others(k, blocks)
    # Some wants are returned, making mutual wants.
    for k, entry in enumerate(people):
        for other in entry["wants"]:
            if rng.random() < 0.5:
                target = people[int(other[1:])]
                if ids[k] not in target["wants"]:
                    target["wants"].append(ids[k])
    past = []
    for k in range(n):
        for other in others(k, history / 2):
            past.append({"members": [ids[k], other], "rounds_ago": int(rng.integers(0, 12))})
    if kinds:
        for entry in people:
            if rng.random() < kinds:
                entry["looking_for"] = random_looking_for(rng)
    return {
        "topics": topics,
        "claims": claims,
        "participants": people,
        "history": past,
        "config": {"cooldown": cooldown, "odd": odd, "seed": seed},
    }


LOOKING_FOR = ("dialogue", "interview_me", "interview_them")


def random_looking_for(rng: np.random.Generator) -> list[str]:
    """A non-empty subset of the looking-for values, in a random order."""
    mask = int(rng.integers(1, 8))
    picked = [name for bit, name in enumerate(LOOKING_FOR) if mask >> bit & 1]
    return [picked[k] for k in rng.permutation(len(picked)).tolist()]


def random_ends(rng: np.random.Generator, n: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Endpoints of up to `count` random edges on n vertices, self loops dropped
    (repeats kept: the solvers must take them)."""
    u = rng.integers(0, n, count)
    v = rng.integers(0, n, count)
    keep = u != v
    return u[keep], v[keep]
