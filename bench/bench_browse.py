"""`/dialogue browse` on a large community: time per call, and where it goes.

Builds a community of N members (default 10,000) in a fresh SQLite file from the synthetic
pool of `bench/pools.py` (topics, claims, forms, stances, wants, blocks; no dialogue
history), then times:

* browse: `bot.core.browse.browse` end to end (read the pool, score, order, explain a page),
  per call, for several different members: the first call builds `matching.Pool`, later
  ones reuse it while the community's scoring document is unchanged;
* its parts, run bare as a round runs them (the garbage collector on, which browse holds
  off): `load_pool`, building `matching.Pool` from the document, and the scoring alone
  (`Pool.score_row_millis`: one member against all N);
* the reference: the same row scored with N scalar `pool.score` calls (timed on a sample and
  scaled to N), so the vectorised figure comes with a same-run ratio.

    .venv/bin/python bench/bench_browse.py                 # N = 10,000
    .venv/bin/python bench/bench_browse.py --members 2000 --calls 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

# Run as a script, Python puts bench/ first on the path; the repository must come first so
# `bench.pools` and this checkout's `bot` and `matching` are the ones measured.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matching
from bench.pools import generate_pool
from bot.clock import FixedClock
from bot.core import browse, curation
from bot.core.actor import Actor, CommunityRef
from bot.core.app import Core
from bot.core.pool import load_pool
from bot.platforms.local import LocalPlatform
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.storage.models import (
    Block,
    Community,
    FormTopic,
    InterestForm,
    Member,
    Stance,
    Want,
)

NOW = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)
REF = CommunityRef("local", "bench")
MOD = Actor(REF, "mod", "Mod", is_moderator=True)


async def build(core: Core, n: int, seed: int) -> list[str]:
    """The synthetic pool as rows of one community; returns the member user ids."""
    doc = generate_pool(n, seed)
    await curation.setup_community(core, REF, "Bench community")
    topic_id: dict[str, int] = {}
    for slug in doc["topics"]:
        topic = await curation.add_topic(core, curation.AddTopic(MOD, slug))
        topic_id[slug] = topic.id
    claim_id: dict[str, int] = {}
    for key, claim in doc["claims"].items():
        made = await curation.add_claim(
            core, curation.AddClaim(MOD, claim["text"], tuple(claim["topics"]))
        )
        claim_id[key] = made.id
    people = doc["participants"]
    async with core.db.transaction() as session:
        community = await session.scalar(select(Community).where(Community.external_id == "bench"))
        assert community is not None
        cid = community.id
        await session.execute(
            insert(Member),
            [
                {
                    "community_id": cid,
                    "external_id": p["id"],
                    "display_name": f"Member {p['id'][1:]}",
                    "status": "active",
                    "priority": int(p.get("priority", 0)),
                    "created_at": NOW,
                }
                for p in people
            ],
        )
        member_id = dict(
            (
                await session.execute(
                    select(Member.external_id, Member.id).where(Member.community_id == cid)
                )
            ).all()
        )
        forms: list[dict[str, Any]] = []
        topics: list[dict[str, Any]] = []
        stances: list[dict[str, Any]] = []
        wants: list[dict[str, Any]] = []
        blocks: list[dict[str, Any]] = []
        for k, p in enumerate(people):
            mid = member_id[p["id"]]
            forms.append(
                {
                    "member_id": mid,
                    "community_id": cid,
                    "status": "complete",
                    "step": "review",
                    "format_sync": p["format"]["sync"],
                    "format_async": p["format"]["async"],
                    "timezone": p["timezone"],
                    "availability": p.get("availability", []),
                    "appetite": p["disagreement"],
                    "about": f"Synthetic member {k}: happy to talk about " + ", ".join(p["topics"]),
                    "private_notes": "",
                    "publish_ok": False,
                    "participation": "every",
                    "show_in_browse": k % 20 != 0,  # one in twenty hides
                    "updated_at": NOW,
                }
            )
            topics += [
                {"community_id": cid, "member_id": mid, "topic_id": topic_id[t]}
                for t in p["topics"]
            ]
            stances += [
                {"community_id": cid, "member_id": mid, "claim_id": claim_id[c], "value": v}
                for c, v in p["stances"].items()
            ]
            for kind, rows in (("wants", wants), ("blocks", blocks)):
                rows += [
                    {
                        "community_id": cid,
                        "member_id": mid,
                        "target_id": member_id[other],
                        "created_at": NOW,
                    }
                    for other in p.get(kind, ())
                ]
        for model, rows in (
            (InterestForm, forms),
            (FormTopic, topics),
            (Stance, stances),
            (Want, wants),
            (Block, blocks),
        ):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(model), rows[start : start + 5000])
    return [p["id"] for p in people]


class Timings:
    """Wall and CPU seconds (this process) of repeated calls. On a shared machine wall time
    moves with everyone else's load; CPU time is the work the call itself did."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextmanager
    def measure(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.cpu.append(time.process_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def show(self, label: str, part: slice = slice(None)) -> str:
        wall, cpu = self.wall[part], self.cpu[part]
        med = statistics.median
        return f"  {label:<46} {med(wall) * 1000:9.1f} ms wall {med(cpu) * 1000:9.1f} ms cpu"


async def run(n: int, calls: int, seed: int, sample: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(db)
        core = Core(db, FixedClock(NOW), {"local": LocalPlatform()})
        t0 = time.perf_counter()
        ids = await build(core, n, seed)
        print(
            f"community of {n:,} members built in {time.perf_counter() - t0:.1f} s", file=sys.stderr
        )

        actors = [ids[(k * 7919 + 1) % n] for k in range(calls)]
        first_page, filtered = Timings(), Timings()
        for user in actors:
            with first_page.measure():
                page = await browse.browse(core, browse.Browse(Actor(REF, user)))
        for user in actors:
            with filtered.measure():
                await browse.browse(core, browse.Browse(Actor(REF, user), topic="t000", page=3))

        loading, building, scoring, scalar_calls = Timings(), Timings(), Timings(), Timings()
        for _ in actors:
            # A transaction of its own each time, as browse has: no warm identity map.
            async with db.read() as session:
                community = await session.scalar(
                    select(Community).where(Community.external_id == "bench")
                )
                assert community is not None
                with loading.measure():
                    snapshot = await load_pool(session, community, NOW, include_busy=True)
        for _ in actors:
            with building.measure():
                pool = matching.Pool.from_dict(browse.scoring_document(snapshot.document))
        for user in actors * 5:
            with scoring.measure():
                millis, allowed = pool.score_row_millis(user)

        # The reference: the same row as scalar pool.score calls, on a sample scaled to N.
        user = actors[0]
        others = ids[:sample]
        with scalar_calls.measure():
            scalar = [pool.score_millis(user, other) for other in others]
        scale = n / len(others)
        scalar_calls.wall[0] *= scale
        scalar_calls.cpu[0] *= scale
        index = {pid: k for k, pid in enumerate(pool.ids)}
        millis, allowed = pool.score_row_millis(user)
        for other, expected in zip(others, scalar, strict=True):
            k = index[other]
            got = int(millis[k]) if allowed[k] else None
            assert got == expected, (user, other, got, expected)
        await db.dispose()

    later = slice(1, None)
    print(f"browse on a {n:,}-member community (SQLite file; the machine was shared)")
    print(first_page.show("page 1, first call (builds the pool)", slice(0, 1)))
    # Later calls reuse the built pool while the community's scoring document is unchanged.
    print(first_page.show(f"page 1, later calls (median of {calls - 1})", later))
    print(filtered.show(f"topic filter, page 3 (median of {calls})"))
    print(f"  listed on page 1: {page.total:,} people, {page.pages:,} pages")
    print("where a call goes:")
    print(loading.show("load_pool (read the community)"))
    print(building.show("matching.Pool from the document"))
    print(scoring.show(f"scoring alone: 1 x {n:,} (score_row_millis)"))
    print("reference, same run:")
    print(scalar_calls.show(f"{n:,} scalar pool.score calls (from {sample:,})"))
    ratio = scalar_calls.cpu[0] / statistics.median(scoring.cpu)
    print(f"  vectorised row / scalar calls (cpu): 1 : {ratio:,.0f}")
    print(f"  scores checked equal to pool.score on {sample:,} pairs")
    bare = statistics.median(loading.cpu) + statistics.median(building.cpu)
    later_cpu = statistics.median(first_page.cpu[1:])
    print(f"  browse later call / bare load_pool + build (cpu): {later_cpu / bare:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=5, help="browse calls timed (at least 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=1000, help="scalar pool.score calls timed")
    args = parser.parse_args(argv)
    calls = max(2, args.calls)
    asyncio.run(run(args.members, calls, args.seed, min(args.sample, args.members)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
