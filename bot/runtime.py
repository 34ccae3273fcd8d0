"""Process-level settings for the long-running bot process (`matchmaker run`)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

# CPython's default is 700. bench/crowd.py (SQLite, 2 shared cores) tried 10,000, 50,000 and
# 100,000: all three remove nearly every collection from a crowd, and their calls/s and CPU
# per call differ by less than the machine's noise; 50,000 is the middle, bounding how long
# cyclic garbage waits without giving back what the larger values gained.
GEN0_THRESHOLD = 50_000
_tuned = False


def tune_gc(gen0_threshold: int = GEN0_THRESHOLD) -> None:
    """Fit Python's cyclic garbage collector to a server: call once, after start-up imports.

    * `gc.collect()` then `gc.freeze()`: what start-up left alive (modules, classes,
      functions, SQLAlchemy's mappers, discord.py's and slack-bolt's types: ~200,000 tracked
      objects with every adapter imported) moves to a permanent generation that later
      collections never scan. A full collection of that heap takes ~50 ms, during which the
      event loop serves nobody; frozen, it takes microseconds. The collect first, so that
      start-up's garbage is freed rather than frozen. Frozen objects are never collected:
      right for what lives as long as the process, which start-up's objects do.
    * generation 0's threshold raised from 700 to `gen0_threshold`, the older generations'
      kept: a collection runs after 50,000 net new container objects instead of 700, so a
      crowd of 1,000 members runs ~2 young collections instead of ~170 (and 0 instead of 16
      of generation 1).

    Trade-off: memory held longer. Reference counting still frees almost everything at once;
    only objects in reference cycles (exceptions with their tracebacks, some asyncio and ORM
    structures) now wait up to ~50,000 allocations before they are found, instead of 700:
    at most a few MB more peak memory in a bot process. Not `gc.disable()`, which would keep
    every cycle forever.

    What it does not do: the crowd bench measured the collector as a small share of the CPU
    per call (x0.91-0.99 tuned/default, within noise), so it is not what keeps a crowd's
    first call waiting (bench/crowd.py: that wait is the signup step's).
    """
    global _tuned
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
    _tuned = True


def freeze_connected() -> None:
    """After a platform client is connected and ready, in a process `tune_gc` tuned: freeze
    what connecting made too (the gateway session, the guild and member caches, the command
    tree, the HTTP session: ~35,000 objects that live as long as the connection), which
    start-up's freeze came too early for. Otherwise the first young collection after
    connecting scans all of them, a ~30 ms pause measured in the middle of a crowd of
    interactions (bench/bench_discord.py), and they then sit in the older generations that
    every full collection scans. Elsewhere (tests, scripts) nothing: freezing a test's
    objects would keep their cycles for the rest of the run.

    Called again after a new READY (a reconnect that could not resume): one full collection
    each time, tens of milliseconds, rare."""
    if _tuned:
        gc.collect()
        before = gc.get_freeze_count()
        gc.freeze()
        log.info("froze %d objects made while connecting", gc.get_freeze_count() - before)


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on uvloop where it is installed (a pyproject dependency except on
    Windows, which uvloop does not support), on asyncio's own loop elsewhere.

    uvloop is libuv's event loop in C: its transports, timers and callback queue cost less per
    event than asyncio's pure-Python loop, which a bot answering a crowd of interactions on
    one core spends a share of its CPU in (bench/bench_discord.py). discord.py, aiohttp,
    slack-bolt and SQLAlchemy's asyncio layer all run on it unchanged.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
