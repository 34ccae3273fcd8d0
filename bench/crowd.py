"""A crowd at once: N members doing signup -> submit -> status in the same second.

Through `LocalChat` (the same inbound path the Discord and Slack adapters take into the core),
one process, one `Core`, on a fresh SQLite file and on PostgreSQL. Every member starts at the
same moment; each call's latency is measured from the moment the member sends it.

    .venv/bin/python bench/crowd.py                        # 200 and 1,000, SQLite and PostgreSQL
    .venv/bin/python bench/crowd.py --sizes 200 --backends sqlite
    .venv/bin/python bench/crowd.py --postgres-url postgresql+asyncpg://u:p@host/db

PostgreSQL: `--postgres-url` (a database the bench may fill), else a throwaway server from
the machine's PostgreSQL binaries (tests/pg_server.py: fsync off, as in the test suite).

Reference: the same backend with one member at a time (`serial`, 50 members), measured in the
same run, so the crowd's calls/s can be read as a ratio on a shared, noisy machine.

The bench measures what the product runs: `matchmaker run` tunes the garbage collector at
start-up (bot/runtime.py `tune_gc`), so each crowd runs with it, after the same crowd with
CPython's default collector (`crowd default gc`), and the tuned/default ratio is printed.
`--no-gc-tuning` runs only the default-collector crowds; `--gc-threshold N` tries another
generation-0 threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from bot.core import curation  # noqa: E402
from bot.core.actor import Actor, CommunityRef  # noqa: E402
from bot.core.app import Core  # noqa: E402
from bot.platforms.local import LocalChat, LocalPlatform  # noqa: E402
from bot.runtime import GEN0_THRESHOLD, tune_gc  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import InterestForm  # noqa: E402

COMMUNITY = CommunityRef("local", "crowd")
MODERATOR = "mod"
TOPICS = ("AI timelines", "Interpretability", "Forecasting", "Mentorship", "Effective altruism")
CLAIMS = (
    ("Theory will get alignment further than empirical work", ("ai-timelines",)),
    ("Labs should share alignment insights publicly", ("interpretability",)),
    ("A short weekly meeting beats long sessions for mentorship", ("mentorship",)),
)
SERIAL_MEMBERS = 50
STEPS = ("signup", "submit", "status")


class Start:
    """The moment everyone presses the button."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.at = 0.0

    def go(self) -> float:
        self.at = time.perf_counter()
        self.event.set()
        return self.at


@dataclass
class Run:
    label: str
    members: int
    wall: float = 0.0
    cpu: float = 0.0  # this process's CPU time over the run (not the PostgreSQL server's)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: list[str] = field(default_factory=list)  # exceptions and refused answers
    forms_complete: int = 0
    collections: tuple[int, ...] = (0, 0, 0)  # the collector's runs per generation, this run
    # CPU time of each step's calls (serial runs only: in a crowd, calls interleave).
    step_cpu: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STEPS})

    @property
    def calls(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def all_latencies(self) -> list[float]:
        return sorted(x for v in self.latencies.values() for x in v)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _setup(db: Database) -> tuple[Core, LocalChat, list[int]]:
    await upgrade(db)
    core = Core(db=db, platforms={"local": LocalPlatform()})
    await curation.setup_community(core, COMMUNITY, "Crowd")
    mod = Actor(COMMUNITY, MODERATOR, "Moderator", is_moderator=True)
    for name in TOPICS:
        await curation.add_topic(core, curation.AddTopic(mod, name))
    claim_ids = []
    for text, topics in CLAIMS:
        claim = await curation.add_claim(core, curation.AddClaim(mod, text, topics))
        claim_ids.append(claim.id)
    # The moderator checks the list: the bot has been running, a reader connection is open
    # (the crowd arrives at a running bot, not at its first second).
    await curation.list_topics(core, curation.ListTopics(mod))
    return core, LocalChat(core, COMMUNITY, {MODERATOR}), claim_ids


def _answers(i: int, claim_ids: list[int]) -> dict[str, object]:
    slugs = ["ai-timelines", "interpretability", "forecasting", "mentorship", "effective-altruism"]
    return {
        "topics": [slugs[i % 5], slugs[(i + 2) % 5]],
        "stances": {str(c): (i + k) % 5 - 2 for k, c in enumerate(claim_ids)},
        "sync": "okay",
        "async": "great",
        "timezone": ("Europe/Berlin", "America/New_York", "Asia/Tokyo")[i % 3],
        "about": f"Member {i} would like to talk about forecasting.",
        "submit": True,
    }


async def _member(
    chat: LocalChat, run: Run, user: str, answers: dict[str, object], start: Start
) -> None:
    await start.event.wait()
    # The first call was sent at the starting moment, however late this task gets to run;
    # each later one when the reply to the one before came back.
    began = start.at
    for step in STEPS:
        cpu = time.process_time()
        try:
            if step == "signup":
                reply = await chat.command(user, "/dialogue signup", user)
            elif step == "submit":
                reply = await chat.submit_form(user, answers, user)
            else:
                reply = await chat.command(user, "/dialogue status", user)
        except Exception as exc:  # the bench counts crashes; it does not stop at one
            run.latencies[step].append(time.perf_counter() - began)
            run.errors.append(f"{step}: {type(exc).__name__}: {exc}"[:200])
            return
        done = time.perf_counter()
        run.step_cpu[step] += time.process_time() - cpu
        run.latencies[step].append(done - began)
        began = done
        if not reply.ok:
            run.errors.append(f"{step}: refused: {reply.text}"[:200])
            return


async def _forms_complete(db: Database) -> int:
    async with db.transaction() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(InterestForm)
                .where(InterestForm.status == "complete")
            )
            or 0
        )


async def _measure(url: str, label: str, n: int, *, serial: bool) -> Run:
    db = Database(url)
    try:
        _core, chat, claim_ids = await _setup(db)
        run = Run(label, n)
        answers = [_answers(i, claim_ids) for i in range(n)]
        collected = [g["collections"] for g in gc.get_stats()]
        cpu = time.process_time()
        began = time.perf_counter()
        if serial:
            for i in range(n):
                start = Start()
                start.go()
                await _member(chat, run, f"u{i:05d}", answers[i], start)
        else:
            start = Start()
            tasks = [
                asyncio.ensure_future(_member(chat, run, f"u{i:05d}", answers[i], start))
                for i in range(n)
            ]
            await asyncio.sleep(0)  # every member is waiting at the start line
            began = start.go()
            await asyncio.gather(*tasks)
        run.wall = time.perf_counter() - began
        run.cpu = time.process_time() - cpu
        run.collections = tuple(
            g["collections"] - c for g, c in zip(gc.get_stats(), collected, strict=True)
        )
        run.forms_complete = await _forms_complete(db)
        return run
    finally:
        await db.dispose()


@contextlib.contextmanager
def _sqlite_url(n: int, tag: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="crowd-") as directory:
        yield f"sqlite+aiosqlite:///{Path(directory) / f'{tag}-{n}.db'}"


@contextlib.contextmanager
def _postgres(admin_url: str | None) -> Iterator[str]:
    if admin_url:
        yield admin_url
        return
    from tests import pg_server

    with pg_server.postgres_server() as url:
        yield url


async def _fresh_pg_database(admin_url: str, name: str) -> str:
    import asyncpg

    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def _gc_tuned(threshold: int | None) -> Iterator[None]:
    """The product's collector settings while the block runs (None: CPython's defaults), then
    the defaults back, so that the next measurement starts from the same place."""
    before = gc.get_threshold()
    if threshold is not None:
        tune_gc(threshold)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _row(run: Run) -> str:
    lat = run.all_latencies
    worst = {s: max(v) if v else float("nan") for s, v in run.latencies.items()}
    return (
        f"{run.label:<22} {run.members:>6} {run.calls:>6} {run.calls / run.wall:>8.0f} "
        f"{_pct(lat, 0.5) * 1000:>8.0f} {_pct(lat, 0.99) * 1000:>8.0f} "
        f"{max(lat) * 1000 if lat else float('nan'):>8.0f} {len(run.errors):>6} "
        f"{run.forms_complete:>6} {run.cpu / max(run.calls, 1) * 1000:>7.1f}   "
        + " ".join(
            f"{s}:{_pct(run.latencies[s], 0.99) * 1000:.0f}/{worst[s] * 1000:.0f}" for s in STEPS
        )
    )


HEADER = (
    f"{'run':<22} {'members':>6} {'calls':>6} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'max ms':>8} {'errors':>6} {'forms':>6} {'cpu ms':>7}   per step p99/max ms"
)


async def _url_for(stack: contextlib.ExitStack, admin: str | None, tag: str, n: int) -> str:
    if admin is None:
        return stack.enter_context(_sqlite_url(n, tag))
    return await _fresh_pg_database(admin, f"crowd_{tag}_{n}")


async def _backend(backend: str, args: argparse.Namespace) -> bool:
    """Serial reference, then each crowd size; True when every crowd stored every form."""
    ok = True
    print(f"\n== {backend} ==", flush=True)
    print(HEADER, flush=True)
    with contextlib.ExitStack() as stack:
        admin = (
            stack.enter_context(_postgres(args.postgres_url)) if backend == "postgresql" else None
        )
        url = await _url_for(stack, admin, "serial", SERIAL_MEMBERS)
        with _gc_tuned(args.gc_threshold):
            serial = await _measure(url, f"{backend} serial", SERIAL_MEMBERS, serial=True)
        print(_row(serial), flush=True)
        print(
            f"{'':<22} serial cpu ms per call: "
            + " ".join(
                f"{s} {serial.step_cpu[s] / max(len(serial.latencies[s]), 1) * 1000:.2f}"
                for s in STEPS
            ),
            flush=True,
        )
        for n in args.sizes:
            runs = []
            if args.gc_threshold is not None:  # the default collector first, as the reference
                url = await _url_for(stack, admin, "crowd_default_gc", n)
                with _gc_tuned(None):
                    runs.append(await _measure(url, f"{backend} crowd default gc", n, serial=False))
                print(_row(runs[-1]), flush=True)
            url = await _url_for(stack, admin, "crowd", n)
            with _gc_tuned(args.gc_threshold):
                crowd = await _measure(url, f"{backend} crowd", n, serial=False)
            print(_row(crowd), flush=True)
            runs.append(crowd)
            ratio = (crowd.calls / crowd.wall) / (serial.calls / serial.wall)
            print(f"{'':<22} crowd calls/s / serial calls/s = {ratio:.2f}", flush=True)
            if len(runs) == 2:
                default = runs[0]
                speed = (crowd.calls / crowd.wall) / (default.calls / default.wall)
                cpu = (crowd.cpu / crowd.calls) / (default.cpu / default.calls)
                print(
                    f"{'':<22} gc tuning ({args.gc_threshold:,}): calls/s x{speed:.2f}, "
                    f"cpu per call x{cpu:.2f} (tuned / default gc); collections per "
                    f"generation {'/'.join(map(str, default.collections))} -> "
                    f"{'/'.join(map(str, crowd.collections))}",
                    flush=True,
                )
            for run in runs:
                for error in run.errors[:5]:
                    print(f"{'':<22} error ({run.label}): {error}", flush=True)
                ok = ok and not run.errors and run.forms_complete == n
    return ok


async def _bench(args: argparse.Namespace) -> int:
    ok = True
    for backend in args.backends:
        ok = await _backend(backend, args) and ok
    print(
        "\nTargets (2 cores): 0 errors and N forms at 1,000 on both; SQLite >= 300 calls/s;"
        " p99 <= 1 s at 200. Timings are noisy on a shared machine: read the ratio."
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000", help="crowd sizes (default 200,1000)")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="sqlite, postgresql or both"
    )
    parser.add_argument("--postgres-url", default=None, help="admin asyncpg URL to use")
    parser.add_argument(
        "--no-gc-tuning",
        action="store_true",
        help="only CPython's default garbage collector (no bot.runtime.tune_gc)",
    )
    parser.add_argument(
        "--gc-threshold",
        type=int,
        default=GEN0_THRESHOLD,
        help=f"generation-0 threshold for tune_gc (default {GEN0_THRESHOLD:,})",
    )
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.backends = [b for b in args.backends.split(",") if b]
    if args.no_gc_tuning:
        args.gc_threshold = None
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(_bench(args))


if __name__ == "__main__":
    sys.exit(main())
