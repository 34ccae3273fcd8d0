"""The moderators' pool chart, one PNG for every platform that can attach a picture.

Three panels from `PoolStats`: each claim's divisiveness (the share of round pairs that
disagreed on it), the format split, and stance movement once wrap-ups recorded any.
Rendered with matplotlib's non-interactive Agg backend: no display, safe in any thread.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.figure import Figure

from bot.core.stats import PoolStats

RATINGS = ("great", "okay", "no")
RATING_COLOURS = {"great": "#2a9d8f", "okay": "#e9c46a", "no": "#e76f51"}


def _label(text: str, width: int = 38) -> str:
    short = textwrap.shorten(text, width=width * 2, placeholder="…")
    return "\n".join(textwrap.wrap(short, width=width)) or "(no text)"


def pool_chart_png(stats: PoolStats) -> bytes:
    """The chart as PNG bytes."""
    claims = list(stats.claims)
    moves = [m for m in stats.stance_moves if m.asked]
    panels = 3 if moves else 2
    height = max(3.0, 0.55 * max(len(claims), 1) + 1.5)
    figure = Figure(figsize=(11, height + 3.2 * (panels - 1)), layout="constrained")
    axes = figure.subplots(panels, 1, height_ratios=[height, *([3.0] * (panels - 1))])

    divisive = axes[0]
    labels = [_label(c.text) for c in claims]
    values = [c.divisiveness or 0.0 for c in claims]
    positions = range(len(claims))
    divisive.barh(list(positions), values, color="#264653")
    divisive.set_yticks(list(positions), labels, fontsize=8)
    divisive.invert_yaxis()
    divisive.set_xlim(0, 1)
    divisive.set_xlabel("share of round pairs that disagreed (gap ≥ 2)")
    divisive.set_title("How divisive each claim is")
    for y, claim in zip(positions, claims, strict=True):
        note = "no pairs yet" if claim.divisiveness is None else f"{claim.divisiveness:.0%}"
        divisive.text(
            0.01,
            y,
            f" {note} · {claim.answers} answers",
            va="center",
            fontsize=7,
            color="white" if (claim.divisiveness or 0) > 0.25 else "black",
        )

    formats = axes[1]
    left = {name: 0 for name in stats.formats}
    for rating in RATINGS:
        counts = [stats.formats[name].get(rating, 0) for name in stats.formats]
        formats.barh(
            list(stats.formats),
            counts,
            left=[left[n] for n in stats.formats],
            color=RATING_COLOURS[rating],
            label=rating,
        )
        for name, count in zip(stats.formats, counts, strict=True):
            left[name] += count
    formats.set_title("Format: live (sync) and over days (async)")
    formats.set_xlabel("members")
    formats.legend(loc="lower right", fontsize=8)

    if moves:
        moved = axes[2]
        names = [_label(m.text) for m in moves]
        ys = list(range(len(moves)))
        moved.barh(ys, [m.toward_agree for m in moves], color="#2a9d8f", label="toward agree")
        moved.barh(
            ys, [-m.toward_disagree for m in moves], color="#e76f51", label="toward disagree"
        )
        moved.set_yticks(ys, names, fontsize=8)
        moved.invert_yaxis()
        moved.axvline(0, color="black", linewidth=0.8)
        moved.set_title("Who moved after their dialogue, per claim")
        moved.set_xlabel("members")
        moved.legend(loc="lower right", fontsize=8)

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()
