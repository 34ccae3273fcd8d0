"""Seeded synthetic pools in the engine's input document format, for benchmarks.

The shape follows the measured anchors (shared/research/matching-anchors.md):
100 topics with Zipf-like popularity and 5–15 per person, 20 claims answered
−2..2 with some skips, sync/async preferences, timezone regions with weekly
availability windows, about one blocked pair and eight recent partners per
person, and a few mutual wants. Random draws are vectorised with NumPy so a
100,000-person pool takes seconds; the same (n, seed) always gives the same
document.

    python bench/pools.py 1000 --seed 1 > pool-1000.json
    python bench/pools.py 1000 --seed 1 --polarised > polarised-1000.json

`polarised=True` redraws topics, claims, stances and appetites (everything else as
above) for a divided community: two camps and the undecided, topics in clusters
whose members lean to one camp, claims inside a cluster, 20 % avoiders and 20 %
neutral (`generate_pool` docstring).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

TOPICS = 100
CLAIMS = 20
MIN_TOPICS, MAX_TOPICS = 5, 15
ZIPF_EXPONENT = 1.0
SKIP_SHARE = 0.25
COOLDOWN = 6
BLOCKS_PER_PERSON = 1.0  # pairs a person is part of, on average
RECENT_PARTNERS_PER_PERSON = 8.0  # met within the cooldown, so forbidden this round
MUTUAL_WANT_SHARE = 0.01  # people in a mutual-want pair
ONE_WAY_WANT_SHARE = 0.05
FLEXIBLE_SHARE = 0.15  # people who give no availability

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FORMAT_LEVELS = ("great", "okay", "no")
# (sync, async) probabilities of great / okay / no. Many people will not write
# asynchronously, so they need a live slot in common; with the availability
# windows this leaves about 45 % of all pairs allowed, as in the anchors.
SYNC_P = (0.40, 0.35, 0.25)
ASYNC_P = (0.20, 0.20, 0.60)
REGIONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "americas": (
        0.4,
        ("America/New_York", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo"),
    ),
    "europe": (0.4, ("Europe/London", "Europe/Berlin", "Europe/Helsinki")),
    "asia-pacific": (0.2, ("Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney")),
}
# Local-time slots people pick from: evenings, mornings, lunch, weekend days.
SLOTS = ((18, 21), (19, 22), (8, 11), (12, 14), (10, 16))
WINDOWS_MAX = 3
APPETITES = ("seek", "neutral", "avoid")
APPETITE_P = (0.7, 0.2, 0.1)
# looking_for of the members who want more than a plain dialogue (`kinds` share):
# researchers to be interviewed, people who would interview them, and both kinds.
LOOKING_FOR_CHOICES = (
    ["interview_me"],
    ["interview_them"],
    ["dialogue", "interview_me"],
    ["dialogue", "interview_them"],
    ["dialogue", "interview_me", "interview_them"],
)


def generate_pool(
    n: int,
    seed: int = 0,
    *,
    cooldown: int = COOLDOWN,
    kinds: float = 0.0,
    polarised: bool = False,
) -> dict[str, Any]:
    """The input document of a seeded synthetic pool of n participants.

    `kinds`: the share of members whose `looking_for` is other than the default
    dialogue (drawn after everything else, so kinds=0 gives the same pools as before).
    `polarised`: topics, claims, stances and appetites of a divided community
    (`_polarise`), drawn from their own generator so the rest of the pool (formats,
    availability, history, wants, blocks) is the one of the same seed.
    """
    if n < 2:
        raise ValueError("a pool needs at least two participants")
    rng = np.random.default_rng(seed)
    ids = [f"p{i:06d}" for i in range(n)]
    topic_ids = [f"t{k:03d}" for k in range(TOPICS)]

    # Topics without replacement under Zipf weights: Gumbel-top-k, one argsort.
    log_p = -ZIPF_EXPONENT * np.log(np.arange(1, TOPICS + 1))
    keys = log_p[None, :] + rng.gumbel(size=(n, TOPICS))
    ranked = np.argsort(-keys, axis=1)[:, :MAX_TOPICS]
    counts = rng.integers(MIN_TOPICS, MAX_TOPICS + 1, size=n)

    # Claims lean one way or the other so some divide the pool more than others.
    lean = rng.uniform(-1.0, 1.0, size=CLAIMS)
    raw = lean[None, :] + rng.normal(0.0, 1.3, size=(n, CLAIMS))
    stances = np.clip(np.rint(raw), -2, 2).astype(np.int64)
    answered = rng.random((n, CLAIMS)) >= SKIP_SHARE
    claim_topics = rng.choice(30, size=(CLAIMS, 2))  # claims sit in the popular topics

    sync = rng.choice(3, size=n, p=SYNC_P)
    async_ = rng.choice(3, size=n, p=ASYNC_P)
    async_[(sync == 2) & (async_ == 2)] = 1  # nobody signs up refusing both formats

    region_names = list(REGIONS)
    region = rng.choice(len(REGIONS), size=n, p=[REGIONS[r][0] for r in region_names])
    zone_pick = rng.integers(0, 1 << 30, size=n)
    flexible = rng.random(n) < FLEXIBLE_SHARE
    n_windows = rng.integers(1, WINDOWS_MAX + 1, size=n)
    window_day = rng.integers(0, len(DAYS), size=(n, WINDOWS_MAX))
    window_slot = rng.integers(0, len(SLOTS), size=(n, WINDOWS_MAX))

    appetite = rng.choice(len(APPETITES), size=n, p=APPETITE_P)
    priority = (rng.random(n) < 0.05).astype(np.int64)

    wants = _wants(rng, n)
    blocks = _group(*_random_pairs(rng, n, int(n * BLOCKS_PER_PERSON / 2)), n)
    met_u, met_v = _random_pairs(rng, n, int(n * RECENT_PARTNERS_PER_PERSON / 2))
    rounds_ago = rng.integers(0, cooldown, size=len(met_u))

    if kinds:
        looking = np.where(
            rng.random(n) < kinds, rng.integers(0, len(LOOKING_FOR_CHOICES), size=n), -1
        ).tolist()
    else:
        looking = [-1] * n

    if polarised:
        ranked, counts, stances, answered, claim_topics, appetite = _polarise(n, seed)
    ranked_l, counts_l = ranked.tolist(), counts.tolist()
    stances_l, answered_l = stances.tolist(), answered.tolist()
    sync_l, async_l = sync.tolist(), async_.tolist()
    region_l, zone_l, flexible_l = region.tolist(), zone_pick.tolist(), flexible.tolist()
    n_windows_l, day_l, slot_l = n_windows.tolist(), window_day.tolist(), window_slot.tolist()
    appetite_l, priority_l = appetite.tolist(), priority.tolist()
    claim_ids = [f"c{c + 1:02d}" for c in range(CLAIMS)]

    participants: list[dict[str, Any]] = []
    for i in range(n):
        zones = REGIONS[region_names[region_l[i]]][1]
        person: dict[str, Any] = {
            "id": ids[i],
            "topics": [topic_ids[k] for k in ranked_l[i][: counts_l[i]]],
            "stances": {claim_ids[c]: stances_l[i][c] for c in range(CLAIMS) if answered_l[i][c]},
            "format": {"sync": FORMAT_LEVELS[sync_l[i]], "async": FORMAT_LEVELS[async_l[i]]},
            "timezone": zones[zone_l[i] % len(zones)],
            "disagreement": APPETITES[appetite_l[i]],
        }
        if not flexible_l[i]:
            person["availability"] = _windows(day_l[i], slot_l[i], n_windows_l[i])
        if wants.get(i):
            person["wants"] = [ids[j] for j in wants[i]]
        if blocks.get(i):
            person["blocks"] = [ids[j] for j in blocks[i]]
        if priority_l[i]:
            person["priority"] = priority_l[i]
        if looking[i] >= 0:
            person["looking_for"] = list(LOOKING_FOR_CHOICES[looking[i]])
        participants.append(person)

    return {
        "topics": topic_ids,
        "claims": {
            claim_ids[c]: {
                "text": f"Synthetic claim {c + 1}",
                "topics": sorted({topic_ids[k] for k in claim_topics[c].tolist()}),
            }
            for c in range(CLAIMS)
        },
        "participants": participants,
        "history": [
            {"members": [ids[u], ids[v]], "rounds_ago": r}
            for u, v, r in zip(met_u.tolist(), met_v.tolist(), rounds_ago.tolist(), strict=True)
        ],
        "config": {"cooldown": cooldown, "odd": "wait", "seed": seed},
    }


# Polarised pools: 10 clusters of 10 topics; people mostly pick topics of one home
# cluster; each cluster leans to camp A or B, so sharing topics makes sharing a camp
# more likely (the trade-off between agreeing topics and disagreeing stances that a
# disagreement term has to handle); two claims per cluster, on one or two of its topics.
CLUSTERS = 10
CAMP_SHARES = (0.4, 0.4, 0.2)  # camp A, camp B, undecided
CLUSTER_LEAN = 0.65  # share of a cluster's camp members in its leaning camp
HOME_BOOST = 2.5  # log-weight added to home-cluster topics
POLARISED_APPETITE_P = (0.6, 0.2, 0.2)  # seek, neutral, avoid
CAMP_STANCE, CAMP_NOISE, UNDECIDED_NOISE = 1.4, 0.8, 0.7
ANSWER_IF_CARES, ANSWER_OTHERWISE = 0.9, 0.6


def _polarise(
    n: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ranked topics, topic counts, stances, answered, claim topics, appetite) of a
    polarised pool, in the arrays `generate_pool` builds participants from."""
    rng = np.random.default_rng([seed, 0x9014])
    size = TOPICS // CLUSTERS
    cluster_of_topic = np.arange(TOPICS) // size
    # Clusters have Zipf-like popularity; a member's home cluster is drawn from it.
    cluster_p = 1.0 / np.arange(1, CLUSTERS + 1) ** 0.7
    home = rng.choice(CLUSTERS, size=n, p=cluster_p / cluster_p.sum())
    within = -ZIPF_EXPONENT * np.log(np.arange(1, size + 1))  # popularity inside a cluster
    log_p = np.tile(within, CLUSTERS) + np.log(cluster_p)[cluster_of_topic]
    keys = log_p[None, :] + HOME_BOOST * (cluster_of_topic[None, :] == home[:, None])
    keys = keys + rng.gumbel(size=(n, TOPICS))
    ranked = np.argsort(-keys, axis=1)[:, :MAX_TOPICS]
    counts = rng.integers(MIN_TOPICS, MAX_TOPICS + 1, size=n)
    picked = np.zeros((n, TOPICS), dtype=bool)
    rows = np.repeat(np.arange(n), MAX_TOPICS)
    keep = (np.arange(MAX_TOPICS)[None, :] < counts[:, None]).ravel()
    picked[rows[keep], ranked.ravel()[keep]] = True

    # Camps: a cluster leans to A (even clusters) or B (odd); undecided anywhere.
    undecided = rng.random(n) < CAMP_SHARES[2]
    leans_a = home % 2 == 0
    in_lean = rng.random(n) < CLUSTER_LEAN
    camp = np.where(leans_a == in_lean, 1, -1)  # +1 camp A, -1 camp B
    camp[undecided] = 0

    # Claims: two per cluster on one or two of its topics; a claim's polarity says
    # which side camp A takes.
    claim_cluster = np.arange(CLAIMS) % CLUSTERS
    first = claim_cluster * size + rng.integers(0, size, size=CLAIMS)
    second = claim_cluster * size + rng.integers(0, size, size=CLAIMS)
    two = rng.random(CLAIMS) < 0.5
    claim_topics = np.stack([first, np.where(two, second, first)], axis=1)
    polarity = rng.choice([-1, 1], size=CLAIMS)
    centre = CAMP_STANCE * camp[:, None] * polarity[None, :]
    noise = np.where(undecided[:, None], UNDECIDED_NOISE, CAMP_NOISE)
    raw = centre + noise * rng.normal(size=(n, CLAIMS))
    stances = np.clip(np.rint(raw), -2, 2).astype(np.int64)
    cares = picked[:, claim_topics[:, 0]] | picked[:, claim_topics[:, 1]]
    answered = rng.random((n, CLAIMS)) < np.where(cares, ANSWER_IF_CARES, ANSWER_OTHERWISE)
    appetite = rng.choice(len(APPETITES), size=n, p=POLARISED_APPETITE_P)
    return ranked, counts, stances, answered, claim_topics, appetite


def _random_pairs(rng: np.random.Generator, n: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` distinct unordered pairs of distinct people, as (u, v) with u < v."""
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    u = rng.integers(0, n, size=count)
    v = (u + rng.integers(1, n, size=count)) % n  # never u itself
    low, high = np.minimum(u, v), np.maximum(u, v)
    keys = np.unique(low * n + high)  # duplicates would be the same pair twice
    return keys // n, keys % n


def _group(u: np.ndarray, v: np.ndarray, n: int) -> dict[int, list[int]]:
    """u -> [v, ...]: the first member of each pair states it (blocks, wants)."""
    grouped: dict[int, list[int]] = {}
    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        grouped.setdefault(a, []).append(b)
    return grouped


def _wants(rng: np.random.Generator, n: int) -> dict[int, list[int]]:
    people = rng.permutation(n)
    mutual = int(n * MUTUAL_WANT_SHARE) // 2 * 2
    a, b = people[:mutual:2], people[1:mutual:2]
    wants = _group(np.concatenate([a, b]), np.concatenate([b, a]), n)
    one_way = int(n * ONE_WAY_WANT_SHARE)
    askers = people[mutual : mutual + one_way]
    targets = (askers + rng.integers(1, n, size=len(askers))) % n
    for asker, target in zip(askers.tolist(), targets.tolist(), strict=True):
        if target not in wants.get(asker, []):
            wants.setdefault(asker, []).append(target)
    return wants


def _windows(days: list[int], slots: list[int], count: int) -> list[dict[str, str]]:
    seen: set[tuple[int, int]] = set()
    windows = []
    for day, slot in zip(days[:count], slots[:count], strict=True):
        if (day, slot) in seen:
            continue
        seen.add((day, slot))
        start, end = SLOTS[slot]
        windows.append({"day": DAYS[day], "start": f"{start:02d}:00", "end": f"{end:02d}:00"})
    return windows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a seeded synthetic pool as JSON.")
    parser.add_argument("n", type=int, help="number of participants")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--kinds", type=float, default=0.0, help="share of members looking for interviews"
    )
    parser.add_argument(
        "--polarised", action="store_true", help="two camps, clustered topics (see above)"
    )
    args = parser.parse_args(argv)
    pool = generate_pool(args.n, args.seed, kinds=args.kinds, polarised=args.polarised)
    json.dump(pool, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
