"""`matchmaker match FILE`: offline matching of a form export.

Reads a CSV form export or the engine's JSON document (``bot.form_export``),
runs ``matching.solve`` and shows the pairs with their explanations; with
``--output`` it also writes the result as the engine's JSON output document
or as CSV. Bad input is reported on stderr with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.form_export import FormExport, FormExportError, read_form_export

__all__ = ["EXIT_BAD_INPUT", "add_parser", "build_parser", "main", "run"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

# Below this many participants a solve takes well under a second, and a bar
# flashing by is noise.
PROGRESS_THRESHOLD = 1_000
# A terminal table of fifty thousand pairs helps nobody; the file has them all.
DEFAULT_SHOWN_PAIRS = 200
OUTPUT_SUFFIXES = (".csv", ".json")
CSV_COLUMNS = (
    "member_1",
    "member_2",
    "member_3",
    "score",
    "shared_topics",
    "disagreements",
    "format",
    "kind",
    "roles",
    "mutual_want",
    "one_way_want",
    "overlap_minutes",
    "unmatched_reason",
)


class _BadInput(Exception):
    """A mistake in the command line or the file: message for a person, exit 2."""


# --------------------------------------------------------------------------
# argparse wiring


def _configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "file", metavar="FILE", help="form export: .csv, or .json in the engine's format"
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="OUT",
        help="also write the result to OUT.json (engine output document) or OUT.csv "
        "(one row per pair)",
    )
    parser.add_argument(
        "--solver",
        choices=("auto", "exact"),
        default="auto",
        help="auto (default; exact up to 2,000 people) or exact (proven maximum on all pairs)",
    )
    parser.add_argument(
        "--seed", type=int, help="seed for deterministic tie-breaking (config.seed)"
    )
    parser.add_argument(
        "--cooldown",
        type=_non_negative_int,
        help="rounds before a pair may meet again (config.cooldown)",
    )
    parser.add_argument(
        "--odd",
        choices=("wait", "trio"),
        help="odd one out waits for next round, or joins a trio (config.odd)",
    )
    parser.add_argument(
        "--topics",
        metavar="T1;T2",
        help="CSV only: the community's topic list; topic cells naming others are an error",
    )
    parser.add_argument(
        "--limit",
        type=_non_negative_int,
        default=DEFAULT_SHOWN_PAIRS,
        help=f"pairs shown on the terminal (default {DEFAULT_SHOWN_PAIRS}; 0 shows all)",
    )
    parser.set_defaults(func=run)
    return parser


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `match` on the main CLI's subparsers; sets ``func=run``."""
    parser = subparsers.add_parser(
        "match",
        help="pair people from a form export (CSV or JSON) offline",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    return _configure(parser)


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser, for `python -m bot.cli.match_command`."""
    return _configure(argparse.ArgumentParser(prog="matchmaker match"))


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 or more, got {text!r}")
    return value


# --------------------------------------------------------------------------
# the command


def run(args: argparse.Namespace) -> int:
    """Run `matchmaker match`; returns the process exit code."""
    # Piped output (logs, CI) gets a readable width instead of rich's 80 columns.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    err = Console(stderr=True, highlight=False)
    try:
        return _run(args, out, err)
    except _BadInput as exc:
        # Plain print: one unwrapped line that scripts can grep and people can copy.
        print(f"matchmaker match: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("matchmaker match: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    output = Path(args.output) if args.output else None
    if output is not None and output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise _BadInput(f"--output must end in .csv or .json, got {str(output)!r}")
    if output is not None and not output.resolve().parent.is_dir():
        # Checked before solving: a large pool should not be matched for nothing.
        raise _BadInput(f"--output: no such directory {str(output.parent)!r}")

    topics = None
    if getattr(args, "topics", None):
        topics = [t.strip() for t in args.topics.replace(",", ";").split(";") if t.strip()]
    try:
        export = read_form_export(Path(args.file), topics=topics)
    except FormExportError as exc:
        raise _BadInput(f"{args.file}: {exc}") from None
    document = export.document
    _apply_overrides(document, args)

    # Imported late so `--help` and file errors never pay for NumPy and the graph library.
    import matching

    try:
        pool = matching.Pool.from_dict(document)
    except matching.InvalidInput as exc:
        raise _BadInput(f"{args.file}: {_locate(export, str(exc))}") from None

    size = len(document.get("participants") or ())
    started = time.perf_counter()
    with _progress(err, enabled=size >= PROGRESS_THRESHOLD, size=size) as on_progress:
        result = matching.solve(pool, solver=args.solver, progress=on_progress)
    elapsed = time.perf_counter() - started

    report = result.to_dict()
    claims = document.get("claims") or {}
    _print_report(out, report, claims, size=size, elapsed=elapsed, limit=args.limit)
    if output is not None:
        try:
            _write_output(output, report)
        except OSError as exc:
            raise _BadInput(f"cannot write {output}: {exc.strerror}") from None
        out.print(Text(f"Wrote {output}"))
    return EXIT_OK


def _apply_overrides(document: dict[str, Any], args: argparse.Namespace) -> None:
    """Command-line flags win over the file's own `config`."""
    config = document.get("config")
    if config is None:
        config = document["config"] = {}
    if not isinstance(config, dict):
        return  # the engine names the mistake
    for key in ("seed", "cooldown", "odd"):
        value = getattr(args, key, None)
        if value is not None:
            config[key] = value


def _locate(export: FormExport, message: str) -> str:
    """Prefix the engine's message with the line of the participant it names."""
    named = re.match(r'participant "([^"]+)"', message)
    line = export.line_of(named[1]) if named else None
    return f"line {line}: {message}" if line is not None else message


@contextmanager
def _progress(
    console: Console, *, enabled: bool, size: int
) -> Iterator[Callable[[int, int], None] | None]:
    """A bar while solving a large pool; a spinner until the engine reports figures."""
    if not enabled:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"matching {size:,} people", total=None)

        def on_progress(done: int, total: int) -> None:
            # The engine reports rows scored and graphs solved as (done, total).
            progress.update(task, completed=done, total=total)

        yield on_progress


# --------------------------------------------------------------------------
# terminal report


def _print_report(
    console: Console,
    report: dict[str, Any],
    claims: dict[str, Any],
    *,
    size: int,
    elapsed: float,
    limit: int,
) -> None:
    pairs = report.get("pairs", [])
    unmatched = report.get("unmatched", [])
    shown = pairs if limit == 0 else pairs[:limit]

    table = Table(title=f"Pairs ({len(pairs):,})", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("members")
    table.add_column("score", justify="right")
    table.add_column("shared topics")
    table.add_column("top disagreements")
    table.add_column("format")
    table.add_column("kind")
    table.add_column("mutual want", justify="center")
    for number, pair in enumerate(shown, start=1):
        # Text(), not markup strings: ids and claim texts come from the form and
        # may contain "[...]" that rich would otherwise read as styling.
        table.add_row(
            Text(str(number)),
            Text(" + ".join(pair["members"])),
            Text(f"{pair['score']:.2f}"),
            Text(", ".join(pair.get("shared_topics", [])) or "–"),
            Text(_disagreements_text(pair, claims) or "–"),
            Text(str(pair.get("format") or "–")),
            Text(_kind_text(pair)),
            Text("yes" if pair.get("mutual_want") else ""),
        )
    console.print(table)
    if len(shown) < len(pairs):
        console.print(
            Text(f"… {len(pairs) - len(shown):,} more pairs not shown (--limit 0 shows all)")
        )

    if unmatched:
        waiting = Table(title=f"Unmatched ({len(unmatched):,})")
        waiting.add_column("member")
        waiting.add_column("reason")
        for entry in unmatched if limit == 0 else unmatched[:limit]:
            waiting.add_row(Text(str(entry["id"])), Text(str(entry.get("reason", ""))))
        console.print(waiting)
        if limit and len(unmatched) > limit:
            console.print(Text(f"… {len(unmatched) - limit:,} more unmatched not shown"))

    matched = sum(len(pair["members"]) for pair in pairs)
    console.print(
        Text(
            f"{_count(size, 'participant')}: {_count(len(pairs), 'pair')}, {matched:,} matched, "
            f"{len(unmatched):,} unmatched; total score {report.get('total_score', 0):.2f} "
            f"(solver {report.get('solver', '?')}, {elapsed:.2f} s)"
        )
    )
    bound = report.get("upper_bound")
    if bound is not None:
        gap = report.get("gap") or 0.0
        proof = "proven optimal" if gap == 0 else f"at most {gap:.3%} below the optimum"
        console.print(Text(f"upper bound {bound:.2f} over all allowed pairs: {proof}"))


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _kind_text(pair: dict[str, Any]) -> str:
    """ "dialogue", or "interview: bob interviews alice"."""
    kind = str(pair.get("kind") or "dialogue")
    roles = pair.get("roles") or {}
    interviewers = [m for m, role in roles.items() if role == "interviewer"]
    interviewees = [m for m, role in roles.items() if role == "interviewee"]
    if kind != "interview" or not interviewers or not interviewees:
        return kind
    verb = "interviews" if len(interviewers) == 1 else "interview"
    return f"interview: {' + '.join(interviewers)} {verb} {' + '.join(interviewees)}"


def _roles_cell(pair: dict[str, Any]) -> str:
    return "; ".join(f"{m} {role}" for m, role in (pair.get("roles") or {}).items())


def _disagreements_text(pair: dict[str, Any], claims: dict[str, Any], top: int = 3) -> str:
    lines = []
    for item in pair.get("disagreements", [])[:top]:
        claim = item.get("claim")
        text = (claims.get(claim) or {}).get("text") if isinstance(claims, dict) else None
        stances = ", ".join(f"{m} {_signed(v)}" for m, v in item.get("stances", {}).items())
        label = f"{claim} {_shorten(text)}" if text and text != claim else str(claim)
        lines.append(f"{label}: {stances}")
    return "\n".join(lines)


def _signed(value: Any) -> str:
    return f"{value:+d}" if isinstance(value, int) and value else str(value)


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------
# output files


def _write_output(path: Path, report: dict[str, Any]) -> None:
    if path.suffix.lower() == ".json":
        content = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        content = _csv_text(report)
    _write_atomically(path, content)


def _csv_text(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for pair in report.get("pairs", []):
        members = list(pair["members"]) + [""] * (3 - len(pair["members"]))
        writer.writerow(
            {
                "member_1": members[0],
                "member_2": members[1],
                "member_3": members[2],
                "score": pair["score"],
                "shared_topics": "; ".join(pair.get("shared_topics", [])),
                "disagreements": "; ".join(
                    f"{item['claim']}: "
                    + ", ".join(f"{m} {v}" for m, v in item.get("stances", {}).items())
                    for item in pair.get("disagreements", [])
                ),
                "format": pair.get("format") or "",
                "kind": pair.get("kind") or "dialogue",
                "roles": _roles_cell(pair),
                "mutual_want": "yes" if pair.get("mutual_want") else "no",
                "one_way_want": "yes" if pair.get("one_way_want") else "no",
                # None: a member gave no availability, so any time works.
                "overlap_minutes": pair.get("overlap_minutes", ""),
                "unmatched_reason": "",
            }
        )
    # Unmatched people get a row too, so the sheet accounts for everyone.
    for entry in report.get("unmatched", []):
        writer.writerow({"member_1": entry["id"], "unmatched_reason": entry.get("reason", "")})
    return buffer.getvalue()


def _write_atomically(path: Path, content: str) -> None:
    """Never leave a half-written result where a previous good one stood."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(content)
        # mkstemp makes the file private (0600); a result file gets the usual umask mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
