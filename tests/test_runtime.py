"""`freeze_connected`: freezes what connecting made only in a process `tune_gc` tuned."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from bot import runtime
from bot.runtime import freeze_connected

REPO = Path(__file__).resolve().parent.parent


def test_without_tune_gc_nothing_is_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    # an earlier test in this process may have run `matchmaker run`'s start-up (tune_gc)
    monkeypatch.setattr(runtime, "_tuned", False)
    before = gc.get_freeze_count()
    kept = [[i] for i in range(1000)]  # noqa: F841  # objects a freeze would take
    freeze_connected()
    assert gc.get_freeze_count() == before


def test_after_tune_gc_what_was_made_since_is_frozen_too() -> None:
    script = (
        "import gc\n"
        "from bot.runtime import tune_gc, freeze_connected\n"
        "tune_gc()\n"
        "start = gc.get_freeze_count()\n"
        "connected = [[i] for i in range(10_000)]\n"
        "freeze_connected()\n"
        "print(gc.get_freeze_count() - start, gc.get_count()[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    frozen, young = int(out[0]), int(out[1])
    assert frozen >= 10_000 and young < 100
