"""The pool chart is a real PNG of the statistics, with a movement panel once anyone moved."""

from __future__ import annotations

import io

import matplotlib.image

from bot.charts import pool_chart_png
from bot.core.stats import ClaimStats, Outcomes, PoolStats, StanceMoves


def stats(moves: tuple[StanceMoves, ...] = ()) -> PoolStats:
    return PoolStats(
        members={"active": 3, "paused": 0, "removed": 0},
        forms={"complete": 3, "draft": 0, "none": 0},
        formats={"sync": {"great": 1, "okay": 1, "no": 1}, "async": {"great": 2, "okay": 1}},
        topics=(),
        claims=(
            ClaimStats(1, "Theory beats experiments " * 4, 3, 4, 3, 0.75),
            ClaimStats(2, "Paradigms are social", 2, 0, 0, None),
        ),
        rounds=(),
        outcomes=Outcomes(0, 0, 0, 0, 0, 0, None),
        stance_moves=moves,
        members_moved=len(moves),
    )


def picture(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width, _ = matplotlib.image.imread(io.BytesIO(png)).shape
    return height, width


def test_the_chart_is_a_png_and_grows_a_panel_for_stance_moves() -> None:
    plain = picture(pool_chart_png(stats()))
    moved = picture(pool_chart_png(stats((StanceMoves(1, "Theory", 4, 2, 1, 1),))))
    assert plain[1] == moved[1] == 1100
    assert moved[0] > plain[0]
