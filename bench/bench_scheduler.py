"""Scheduler benchmark: 100,000 pending jobs spread over a day, then a burst of 5,000 due at
once. Prints the dispatch lag of the burst (median, p99; from a job's `run_at` to its handler
starting) and the dispatcher's CPU while idle with the 100,000 waiting, on SQLite and on
PostgreSQL (a throwaway server from /usr/lib/postgresql/*/bin, as the tests start).

Reference in the same run: the time of 5,000 empty transactions on the same database (each a
round trip), so the burst's drain time reads as "N job per round trip" whatever the machine.

    .venv/bin/python bench/bench_scheduler.py                  # both backends
    .venv/bin/python bench/bench_scheduler.py --backends sqlite --idle 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import SystemClock  # noqa: E402
from bot.core.app import Core  # noqa: E402
from bot.platforms.base import Message  # noqa: E402
from bot.platforms.local import LocalPlatform  # noqa: E402
from bot.scheduler import signals  # noqa: E402
from bot.scheduler.dispatcher import Cancelled, Dispatcher, JobContext, Settings  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import Job  # noqa: E402

PENDING = 100_000
BURST = 5_000
LEAD_SECONDS = 3.0


async def _insert(db: Database, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), 10_000):
        async with db.transaction() as session:
            await session.execute(insert(Job), rows[start : start + 10_000])
            await signals.jobs_added(session)


def _rows(prefix: str, n: int, first: object, spread: timedelta) -> list[dict[str, object]]:
    base = first  # type: ignore[assignment]
    return [
        {
            "kind": "bench",
            "run_at": base + spread * (i / max(1, n)),  # type: ignore[operator]
            "payload": {"to": "T1"},
            "state": "pending",
            "dedupe_key": f"{prefix}:{i}",
            "attempts": 0,
            "created_at": base,
        }
        for i in range(n)
    ]


async def bench(url: str, idle_seconds: float) -> dict[str, float]:
    db = Database(url)
    await upgrade(db)
    clock = SystemClock()
    platform = LocalPlatform(clock)
    thread = await platform.open_private_thread("c", ["a", "b"], "bench")
    core = Core(db=db, clock=clock, platforms={"local": platform})

    # Reference: 5,000 empty transactions.
    t0 = time.perf_counter()
    for _ in range(BURST):
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
    reference = time.perf_counter() - t0

    now = clock.now()
    await _insert(db, _rows("day", PENDING, now + timedelta(minutes=10), timedelta(days=1)))

    lags: list[float] = []
    all_started = asyncio.Event()

    async def handler(ctx: JobContext) -> Cancelled | None:
        await platform.post(thread, Message("tick"), idempotency_key=ctx.key())
        return None

    def started(ctx: JobContext) -> None:
        lags.append((clock.now() - ctx.run_at).total_seconds())
        if len(lags) >= BURST:
            all_started.set()

    dispatcher = Dispatcher(
        core, {"bench": handler}, owner="bench", settings=Settings(batch=500), on_start=started
    )
    await dispatcher.start()
    await dispatcher.settled()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(idle_seconds)
    idle_cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)

    # Written ahead and due together a few seconds later, as a round's prompts are: the lag is
    # the dispatcher's (waking at the due time, claiming, running), not the insert's.
    burst_at = clock.now() + timedelta(seconds=LEAD_SECONDS)
    await _insert(db, _rows("burst", BURST, burst_at, timedelta(0)))
    written = clock.now()
    if written > burst_at:
        print(
            "  (writing the burst overran its due time by "
            f"{(written - burst_at).total_seconds():.2f} s)"
        )
    await asyncio.wait_for(all_started.wait(), 600)
    drained = (clock.now() - max(burst_at, written)).total_seconds()
    await dispatcher.settled()
    await dispatcher.stop()
    await db.dispose()
    ordered = sorted(lags)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[int(len(ordered) * 0.99) - 1],
        "max": ordered[-1],
        "drain": drained,
        "reference": reference,
        "idle_cpu": idle_cpu,
        "messages": float(len(platform.threads[thread].messages)),
    }


def report(name: str, r: dict[str, float]) -> None:
    print(f"{name}: burst of {BURST:,} with {PENDING:,} pending over the next day")
    print(
        f"  dispatch lag  p50 {r['p50'] * 1000:7.0f} ms   p99 {r['p99'] * 1000:7.0f} ms   "
        f"max {r['max'] * 1000:7.0f} ms   (target p99 <= 1000 ms)"
    )
    print(
        f"  burst all started {r['drain']:.2f} s after its due time; reference "
        f"{BURST:,} empty transactions {r['reference']:.2f} s; "
        f"ratio {r['drain'] / r['reference']:.2f}"
    )
    print(f"  idle CPU {r['idle_cpu'] * 100:.3f} % of one core (target < 1 %)")
    print(f"  messages posted {int(r['messages']):,} (each job once)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle to measure")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            report("SQLite", asyncio.run(bench(f"sqlite+aiosqlite:///{tmp}/bench.db", args.idle)))
    if "postgresql" in backends:
        from tests import pg_server

        if not pg_server.available():
            print("PostgreSQL: not installed here; skipped")
            return
        with pg_server.postgres_server() as url:
            report("PostgreSQL", asyncio.run(bench(url, args.idle)))


if __name__ == "__main__":
    main()
