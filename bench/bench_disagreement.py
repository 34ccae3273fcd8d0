"""Disagreement against shared topics on polarised pools: today's score against the
shared-topic disagreement term (`disagreement_focus`), for a sweep of weights.

Each point solves the same seeded polarised pools (`bench/pools.py --polarised`) with
`matching.solve` (certified optimal at these sizes) under one set of weights and
measures, over the pairs where both members seek disagreement, the mean share of
co-answered claims they disagree on (gap >= 2) and the mean number of topics both
picked, and the share for pairs with an avoider. The reference is today's score
(`disagreement_focus` 0, `disagreement` 1, the default before it), swept over
`disagreement`; the new term is swept over `disagreement_focus` (and a few
`disagreement` values). Writes the plot to docs/ and prints the figures.

    .venv/bin/python bench/bench_disagreement.py                     # N = 2,000, seeds 1-3
    .venv/bin/python bench/bench_disagreement.py --n 1000 --seeds 1 --png /tmp/d.png

Targets (issue 13): at the default weights, both-seek pairs disagree on >= 80 % of
co-answered claims while sharing at least as many topics as today's default score;
pairs with an avoider stay <= 40 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from pools import generate_pool  # noqa: E402

import matching  # noqa: E402
from matching.model import DEFAULT_WEIGHTS  # noqa: E402

DISAGREE_GAP = 2
TODAY = {"disagreement": 1.0, "disagreement_focus": 0.0}  # the score before this term
NEW = {k: DEFAULT_WEIGHTS[k] for k in ("disagreement", "disagreement_focus")}
# today's score: only the gap**2 weight moves
TODAY_SWEEP = [0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
# the new term: disagreement_focus at the default gap**2 weight, and two neighbours
NEW_SWEEP = [0.2, 0.4, 0.6, 0.7, 0.8, 1.2, 1.6, 2.4]
NEW_GAP_WEIGHTS = [0.0, DEFAULT_WEIGHTS["disagreement"], 0.4]


@dataclass
class Point:
    weights: dict[str, float]
    seek_share: float
    seek_topics: float
    seek_pairs: float
    avoid_share: float
    all_share: float
    all_topics: float
    solve_cpu_s: float
    solve_wall_s: float


def measure(doc: dict[str, Any], weights: dict[str, float]) -> dict[str, float]:
    """Solve one pool under `weights` and measure its pairs."""
    data = dict(doc, config=dict(doc["config"], weights=dict(weights)))
    pool = matching.Pool.from_dict(data)
    cpu, wall = time.process_time(), time.perf_counter()
    result = matching.solve(pool)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    people = {p["id"]: p for p in doc["participants"]}
    seek: list[tuple[float, int]] = []
    avoid: list[float] = []
    every: list[tuple[float, int]] = []
    for pair in result.pairs:
        assert pair.score == pool.score(*pair.members)  # the contract, on every pair
        a, b = (people[m] for m in pair.members)
        both = a["stances"].keys() & b["stances"].keys()
        if not both:
            continue
        gaps = [abs(a["stances"][c] - b["stances"][c]) for c in both]
        share = sum(g >= DISAGREE_GAP for g in gaps) / len(gaps)
        topics = len(set(a["topics"]) & set(b["topics"]))
        every.append((share, topics))
        appetites = {a["disagreement"], b["disagreement"]}
        if appetites == {"seek"}:
            seek.append((share, topics))
        if "avoid" in appetites:
            avoid.append(share)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else float("nan")

    return {
        "seek_share": mean([s for s, _ in seek]),
        "seek_topics": mean([t for _, t in seek]),
        "seek_pairs": len(seek),
        "avoid_share": mean(avoid),
        "all_share": mean([s for s, _ in every]),
        "all_topics": mean([t for _, t in every]),
        "cpu": cpu,
        "wall": wall,
    }


def sweep_point(docs: list[dict[str, Any]], weights: dict[str, float]) -> Point:
    runs = [measure(doc, weights) for doc in docs]

    def avg(key: str) -> float:
        return sum(r[key] for r in runs) / len(runs)

    return Point(
        weights=weights,
        seek_share=avg("seek_share"),
        seek_topics=avg("seek_topics"),
        seek_pairs=avg("seek_pairs"),
        avoid_share=avg("avoid_share"),
        all_share=avg("all_share"),
        all_topics=avg("all_topics"),
        solve_cpu_s=avg("cpu"),
        solve_wall_s=avg("wall"),
    )


def plot(today: list[Point], new: dict[float, list[Point]], marks: dict[str, Point], path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    ax.plot(
        [p.seek_topics for p in today],
        [100 * p.seek_share for p in today],
        "o-",
        color="tab:gray",
        label="today's score: disagreement swept (focus 0)",
    )
    for p in today:
        ax.annotate(
            f"{p.weights['disagreement']:g}",
            (p.seek_topics, 100 * p.seek_share),
            textcoords="offset points",
            xytext=(-14, 4),
            fontsize=7,
            color="tab:gray",
        )
    colours = ["tab:orange", "tab:blue", "tab:green", "tab:purple"]
    for colour, (gap_weight, points) in zip(colours, sorted(new.items()), strict=False):
        ax.plot(
            [p.seek_topics for p in points],
            [100 * p.seek_share for p in points],
            "s-",
            color=colour,
            label=f"new: disagreement_focus swept, disagreement {gap_weight:g}",
        )
        for p in points:
            ax.annotate(
                f"{p.weights['disagreement_focus']:g}",
                (p.seek_topics, 100 * p.seek_share),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
                color=colour,
            )
    for label, p in marks.items():
        ax.plot(p.seek_topics, 100 * p.seek_share, "*", markersize=16, color="black")
        ax.annotate(
            label, (p.seek_topics, 100 * p.seek_share), xytext=(8, 6), textcoords="offset points"
        )
    reference = marks["today's default"]
    ax.axhline(80, color="tab:red", linewidth=0.8, linestyle="--")
    ax.axvline(reference.seek_topics, color="tab:red", linewidth=0.8, linestyle="--")
    ax.text(
        0.99,
        0.5,
        "target: above 80 % and right of today's default",
        color="tab:red",
        fontsize=8,
        ha="right",
        transform=ax.transAxes,
    )
    ax.set_xlabel("topics both picked (mean, pairs where both seek disagreement)")
    ax.set_ylabel("co-answered claims disagreed on, gap ≥ 2 (%, same pairs)")
    ax.set_title("Polarised pools: disagreement against shared topics", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def row(p: Point) -> str:
    w = p.weights
    return (
        f"| {w['disagreement']:g} | {w['disagreement_focus']:g} | {100 * p.seek_share:.1f} % "
        f"| {p.seek_topics:.2f} | {p.seek_pairs:.0f} | {100 * p.avoid_share:.1f} % "
        f"| {100 * p.all_share:.1f} % | {p.all_topics:.2f} | {p.solve_cpu_s:.2f} s |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="pool size (default 2,000)")
    parser.add_argument("--seeds", default="1,2,3", help="pool seeds, averaged (default 1,2,3)")
    parser.add_argument(
        "--png", type=Path, default=REPO / "docs" / "disagreement-vs-topics.png", help="plot path"
    )
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    load = os.getloadavg()
    print(
        f"polarised pools N = {args.n}, seeds {seeds}; load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
        flush=True,
    )
    docs = [generate_pool(args.n, seed, polarised=True) for seed in seeds]

    def point(weights: dict[str, float]) -> Point:
        p = sweep_point(docs, weights)
        print("  " + row(p), file=sys.stderr, flush=True)
        return p

    today = [point({"disagreement": d, "disagreement_focus": 0.0}) for d in TODAY_SWEEP]
    new = {
        g: [point({"disagreement": g, "disagreement_focus": k}) for k in NEW_SWEEP]
        for g in NEW_GAP_WEIGHTS
    }
    reference = next(p for p in today if p.weights == TODAY)
    default = next(p for p in new[NEW["disagreement"]] if p.weights == NEW)
    plot(today, new, {"today's default": reference, "new default": default}, args.png)

    header = (
        "| disagreement | disagreement_focus | both seek: disagreed | both seek: topics "
        "| both-seek pairs | with an avoider: disagreed | all pairs: disagreed "
        "| all pairs: topics | solve CPU |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    print("\nToday's score (disagreement_focus 0), disagreement swept:")
    print(header)
    for p in today:
        print(row(p))
    for g, points in sorted(new.items()):
        print(f"\nNew term, disagreement {g:g}, disagreement_focus swept:")
        print(header)
        for p in points:
            print(row(p))
    print("\nAt the defaults (today: disagreement 1, focus 0; new: " + str(NEW) + "):")
    print(header)
    print(row(reference))
    print(row(default))
    share_ok = default.seek_share >= 0.80
    topics_ok = default.seek_topics >= reference.seek_topics
    avoid_ok = default.avoid_share <= 0.40
    print(
        f"\n  both seek disagree >= 80 %: {100 * default.seek_share:.1f} % "
        f"({'met' if share_ok else 'NOT met'})"
        f"\n  while sharing >= today's default topics ({reference.seek_topics:.2f}): "
        f"{default.seek_topics:.2f} ({'met' if topics_ok else 'NOT met'})"
        f"\n  pairs with an avoider <= 40 %: {100 * default.avoid_share:.1f} % "
        f"({'met' if avoid_ok else 'NOT met'}; today {100 * reference.avoid_share:.1f} %)"
    )
    for seed, doc in zip(seeds, docs, strict=True):
        r, d = measure(doc, TODAY), measure(doc, NEW)
        print(
            f"  seed {seed}: today {100 * r['seek_share']:.1f} % / {r['seek_topics']:.2f} topics, "
            f"new {100 * d['seek_share']:.1f} % / {d['seek_topics']:.2f} topics, avoider pairs "
            f"{100 * r['avoid_share']:.1f} % -> {100 * d['avoid_share']:.1f} %"
        )
    print(f"\nplot: {args.png.relative_to(REPO) if args.png.is_relative_to(REPO) else args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
