"""How long `matchmaker match` takes to read a form export, against the engine's own
validation of the same document (`matching.Pool.from_dict`) as the named reference.

A seeded synthetic Google Forms export (submission time, e-mail, name, a topics checkbox,
a two-row agree grid, format, timezone in three spellings, availability in words, wants
by name) is read, guessed and built into the engine's document. Prints seconds and the
ratio read / from_dict; on a shared machine compare ratios, not seconds.

    .venv/bin/python bench/bench_formfiles.py --rows 2000,20000
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import time

import matching
from bot.formfiles import read_form_file

HEADER = [
    "Timestamp",
    "Email Address",
    "Your name",
    "Which topics would you like to discuss?",
    "How much do you agree? [AGI arrives before 2035]",
    "How much do you agree? [Moral realism is true]",
    "How would you like to talk?",
    "Time zone",
    "When are you available?",
    "Who would you like to talk with?",
]
TOPICS = ["AI timelines", "Ethics", "Forecasting", "Policy", "Biology"]
LIKERT = [
    "Strongly agree",
    "Agree",
    "Neither agree nor disagree",
    "Disagree",
    "Strongly disagree",
    "",
]


def export(rows: int, seed: int) -> str:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    for i in range(rows):
        writer.writerow(
            [
                f"2024/03/04 {1 + i % 12}:{i % 60:02d}:02 PM GMT+1",
                f"p{i}@example.org",
                f"Person {i}",
                ", ".join(rng.sample(TOPICS, 2)),
                rng.choice(LIKERT),
                rng.choice(LIKERT),
                rng.choice(["Live video call", "Async (text, over a few days)", "Either"]),
                rng.choice(["Europe/Berlin", "Berlin", "UTC+1", "America/New_York"]),
                rng.choice(["Weekday evenings", "Weekends", "Saturday morning, 14-16", ""]),
                f"Person {rng.randrange(rows)}" if rng.random() < 0.1 else "",
            ]
        )
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="2000,20000", help="comma-separated row counts")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("rows      read+guess+build   Pool.from_dict   ratio")
    for rows in (int(n) for n in args.rows.split(",")):
        text = export(rows, args.seed)
        started = time.perf_counter()
        form = read_form_file(text)
        read = time.perf_counter() - started
        started = time.perf_counter()
        matching.Pool.from_dict(form.document)
        reference = time.perf_counter() - started
        print(f"{rows:<9,} {read:>10.2f} s {reference:>14.2f} s {read / reference:>9.2f}")


if __name__ == "__main__":
    main()
