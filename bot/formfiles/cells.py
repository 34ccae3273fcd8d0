"""Reading one cell: stances (Likert words and numeric scales), formats, timezones,
availability, appetites, lists, flags, timestamps.

Each parser takes the cell's text and returns the engine's value, or raises ``ValueError``
with what was expected; the document builder adds the line and the column. ``strict``
parsers accept only matchmaker's own spellings (the documented CSV layout, where a
typo must be an error); the others also accept the words form tools write.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "SCALES",
    "TIMESTAMP_FORMATS",
    "list_separators",
    "parse_appetite",
    "parse_availability",
    "parse_day",
    "parse_flag",
    "parse_format_answer",
    "parse_history",
    "parse_level",
    "parse_looking_for",
    "parse_priority",
    "parse_stance",
    "parse_timestamp",
    "parse_timezone",
    "split_list",
    "topic_id",
    "words",
]

# Numeric answer scales a claim column may use; "-2..2" is the engine's own.
SCALES = ("-2..2", "1-5", "0-10")

STANCE_WORDS = {
    "strongly disagree": -2,
    "disagree strongly": -2,
    "disagree": -1,
    "somewhat disagree": -1,
    "slightly disagree": -1,
    "mostly disagree": -1,
    "neutral": 0,
    "neither agree nor disagree": 0,
    "neither agree or disagree": 0,
    "neither": 0,
    "unsure": 0,
    "agree": 1,
    "somewhat agree": 1,
    "slightly agree": 1,
    "mostly agree": 1,
    "strongly agree": 2,
    "agree strongly": 2,
}
SKIP_WORDS = frozenset(
    {
        "",
        "skip",
        "skipped",
        "n/a",
        "na",
        "no opinion",
        "don't know",
        "dont know",
        "prefer not to say",
    }
)
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "—": "-"})


def words(cell: str) -> str:
    """Lower case, one space between words, straight apostrophes."""
    return " ".join(cell.strip().lower().replace("’", "'").split())


def list_separators(column: Iterable[str], layout: str = "") -> str:
    """The separators of a form's multiple-choice column: ";" alone for Microsoft Forms
    or when any cell has one, else ",".

    Google Forms and Typeform join choices with ", ", Microsoft Forms with ";" (and a
    trailing ";"): there a comma belongs to the option ("Written, in a document").
    """
    semicolons = layout == "Microsoft Forms" or any(";" in cell for cell in column)
    return ";\n" if semicolons else ",\n"


def split_list(cell: str, separators: str = ";,\n") -> list[str]:
    """Items of a multiple-choice cell; our own layout accepts ";" and "," alike."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in cell:
        # An option such as "Async (text, over a few days)" keeps its comma.
        depth += (char in "([") - (char in ")]")
        if depth <= 0 and char in separators:
            items.append("".join(current))
            current = []
            depth = 0
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def topic_id(label: str) -> str:
    """The id a topic label stands for: ``"AI  Timelines"`` -> ``"ai-timelines"``.

    Forms show labels and people type them with varying case and spacing; one normal
    form lets a topic cell, a ``--topics`` entry and a claim's topic list name the same
    topic.
    """
    # Punctuation that only separates words goes too ("War, peace (and law)" ->
    # "war-peace-and-law"); signs that tell topics apart ("C++", "C#") stay.
    return re.sub(r"[\s_,;:/()\[\]{}\"'.!?]+", "-", label.strip().lower()).strip("-")


# --------------------------------------------------------------------------
# stances


def stance_number(cell: str) -> float | None:
    """The number in a stance cell, or None when it holds something else."""
    value = words(cell).translate(_MINUS_SIGNS)
    try:
        return float(value)
    except ValueError:
        return None


def is_stance_word(cell: str) -> bool:
    value = words(cell)
    return value in STANCE_WORDS or value in SKIP_WORDS


def parse_stance(cell: str, scale: str = "-2..2") -> int | None:
    """-2..2, or None for a skipped claim. Words in any case; numbers on ``scale``."""
    value = words(cell).translate(_MINUS_SIGNS)
    if value in SKIP_WORDS:
        return None
    if value in STANCE_WORDS:
        return STANCE_WORDS[value]
    number = stance_number(cell)
    if number is not None and number.is_integer():
        if scale == "-2..2" and -2 <= number <= 2:
            return int(number)
        if scale == "1-5" and 1 <= number <= 5:
            return int(number) - 3
        if scale == "0-10" and 0 <= number <= 10:
            # 0-1 strongly disagree, 2-3 disagree, 4-6 neutral, 7-8 agree, 9-10 strongly.
            return (-2, -2, -1, -1, 0, 0, 0, 1, 1, 2, 2)[int(number)]
    numbers = {"-2..2": "-2 to 2", "1-5": "1 to 5", "0-10": "0 to 10"}[scale]
    raise ValueError(
        f'expected a stance from {numbers} (or "strongly disagree" … "strongly agree", '
        f'or blank to skip), got "{cell.strip()}"'
    )


# --------------------------------------------------------------------------
# choices


def _expected(names: Iterable[str]) -> str:
    names = list(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


_LEVELS = {"great": "great", "okay": "okay", "ok": "okay", "no": "no"}
_LEVEL_WORDS = {
    "yes": "great",
    "love it": "great",
    "prefer": "great",
    "preferred": "great",
    "fine": "okay",
    "if needed": "okay",
    "never": "no",
    "not for me": "no",
}


def parse_level(cell: str, *, strict: bool = True) -> str:
    """How a member rates one format: great, okay or no."""
    value = words(cell)
    levels = _LEVELS if strict else _LEVELS | _LEVEL_WORDS
    if value not in levels:
        raise ValueError(f'expected great, okay or no, got "{cell.strip()}"')
    return levels[value]


_APPETITES = {"seek": "seek", "neutral": "neutral", "avoid": "avoid"}
# Checked in this order: "I'd rather not" must not read as "seek" for its "I'd".
_APPETITE_WORDS = (
    ("avoid", ("avoid", "rather not", "prefer agreement", "not really", "no thanks")),
    ("neutral", ("neutral", "don't mind", "either", "indifferent", "no preference")),
    ("seek", ("seek", "love", "enjoy", "welcome", "bring it on", "looking for", "yes")),
)


def parse_appetite(cell: str, *, strict: bool = True) -> str:
    """How much a member wants disagreement: seek, neutral or avoid."""
    value = words(cell)
    if value in _APPETITES:
        return _APPETITES[value]
    if not strict:
        for appetite, phrases in _APPETITE_WORDS:
            if any(phrase in value for phrase in phrases):
                return appetite
    raise ValueError(f'expected seek, neutral or avoid, got "{cell.strip()}"')


_SYNC_WORDS = ("sync", "live", "call", "video", "voice", "in person", "real time", "real-time")
_ASYNC_WORDS = ("async", "text", "writ", "chat", "message", "email", "letter")
_BOTH_WORDS = ("either", "both", "no preference", "any", "don't mind", "flexible")


def format_side(item: str) -> str | None:
    """Which format a choice names: "sync", "async", "both", or None."""
    value = words(item)
    if any(w in value for w in _BOTH_WORDS):
        return "both"
    # "async" contains "sync": test the asynchronous words first.
    if any(w in value for w in _ASYNC_WORDS) or "asynchron" in value:
        return "async"
    if any(w in value for w in _SYNC_WORDS) or "synchron" in value:
        return "sync"
    return None


def parse_format_answer(cell: str, separators: str = ";,\n") -> dict[str, str]:
    """A "how would you like to talk?" answer (one choice or several) as the engine's
    format: each chosen format great, the other okay, or no when a choice says "only"."""
    chosen: set[str] = set()
    only = False
    for item in split_list(cell, separators):
        side = format_side(item)
        if side is None:
            raise ValueError(
                f'expected a format such as "Live call", "Async (text)" or "Either", got "{item}"'
            )
        chosen |= {"sync", "async"} if side == "both" else {side}
        only = only or "only" in words(item)
    other = "no" if only else "okay"
    return {side: ("great" if side in chosen else other) for side in ("sync", "async")}


# "What are you looking for?" in the words people write. A debate is a dialogue with
# disagreement appetite seek (MATCHING.md), not a kind of its own.
DEBATE = "debate"
_LOOKING_FOR_WORDS = {
    "debate": DEBATE,
    "a debate": DEBATE,
    "dialogue": "dialogue",
    "a dialogue": "dialogue",
    "dialog": "dialogue",
    "be interviewed": "interview_me",
    "to be interviewed": "interview_me",
    "being interviewed": "interview_me",
    "getting interviewed": "interview_me",
    "interview me": "interview_me",
    "interviewee": "interview_me",
    "interview_me": "interview_me",
    "interview someone": "interview_them",
    "to interview someone": "interview_them",
    "interviewing someone": "interview_them",
    "interview them": "interview_them",
    "interviewer": "interview_them",
    "interview_them": "interview_them",
}
# Forms phrase their options in sentences ("I'd like to interview someone"): the phrase
# inside decides, interviewing before being interviewed ("interview someone" first).
_LOOKING_FOR_PHRASES = (
    ("interview_them", ("interview someone", "interview others", "to interview", "interviewer")),
    ("interview_me", ("be interviewed", "get interviewed", "getting interviewed", "interviewee")),
    (DEBATE, ("debate", "argue")),
    ("dialogue", ("dialogue", "dialog", "conversation", "discussion")),
)


def parse_looking_for(
    cell: str, separators: str = ";,\n", *, strict: bool = True
) -> tuple[list[str], bool]:
    """The engine's looking_for from a "looking for" cell ("Debate, be interviewed"), and
    whether it asked for a debate (a dialogue seeking disagreement)."""
    values: list[str] = []
    debate = False
    for item in split_list(cell, separators):
        value = words(item)
        word = _LOOKING_FOR_WORDS.get(value)
        if word is None and not strict:
            word = next(
                (k for k, phrases in _LOOKING_FOR_PHRASES if any(p in value for p in phrases)),
                None,
            )
        if word is None:
            raise ValueError(
                'expected any of "debate", "dialogue", "be interviewed", "interview someone", '
                f'got "{item}"'
            )
        if word == DEBATE:
            debate, word = True, "dialogue"
        values.append(word)
    return list(dict.fromkeys(values)), debate


_YES = {"yes", "y", "true", "1", "x", "checked"}
_NO = {"no", "n", "false", "0", "", "unchecked"}


def parse_flag(cell: str) -> bool:
    value = words(cell)
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f'expected yes or no, got "{cell.strip()}"')


def parse_priority(cell: str) -> int:
    try:
        value = int(cell.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f'expected a whole number 0 or more, got "{cell.strip()}"')
    return value


# --------------------------------------------------------------------------
# time

_OFFSET = re.compile(r"^\(?(?:utc|gmt)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\)?(?:\s.*)?$")


# What people type in a free-text timezone question; the zone with the same clock,
# summer time included (zoneinfo's own "EST" is fixed at UTC-5 all year).
_ABBREVIATIONS = {
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "bst": "Europe/London",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
}


@functools.cache
def _is_zone(name: str) -> bool:
    # Cached: a failed lookup searches the tz database on disk every time.
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def _zone_by_city(name: str) -> str | None:
    """ "Berlin" or "new york" -> the one IANA zone named after that place."""
    city = "/" + "_".join(words(name).split(" "))
    found = [z for z in zoneinfo.available_timezones() if z.lower().endswith(city)]
    return found[0] if len(found) == 1 else None


def parse_timezone(cell: str, *, strict: bool = True) -> str:
    """An IANA name; form answers may also say "UTC+1", "(GMT+01:00) Berlin", "PST" or
    "Berlin"."""
    name = cell.strip()
    if not strict and words(name) in _ABBREVIATIONS:
        return _ABBREVIATIONS[words(name)]
    if _is_zone(name):
        return name
    # Letters only: "GMT-5" must not find "Etc/GMT-5", whose sign is the POSIX one.
    city = (
        None
        if strict or not re.fullmatch(r"[^\W\d_]+(?:[ .'-][^\W\d_]+)*", name)
        else _zone_by_city(name)
    )
    if city is not None:
        return city
    match = None if strict else _OFFSET.match(words(name).translate(_MINUS_SIGNS))
    if match:
        sign, hours, minutes = match[1], int(match[2] or 0), int(match[3] or 0)
        if minutes == 0 and hours <= 12:
            if hours == 0:
                return "UTC"
            # POSIX sign convention: Etc/GMT-1 is one hour *ahead* of UTC.
            return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
        raise ValueError(
            f'"{name}" is not a whole-hour offset; name the place instead, e.g. "Asia/Kolkata"'
        )
    raise ValueError(f'expected an IANA timezone such as "Europe/Berlin" or "UTC", got "{name}"')


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_GROUPS = {
    "daily": _DAYS,
    "every day": _DAYS,
    "any day": _DAYS,
    "weekdays": _DAYS[:5],
    "weekday": _DAYS[:5],
    "weekends": _DAYS[5:],
    "weekend": _DAYS[5:],
}
_DAY_NAMES = {
    name: index
    for index, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
    for name in (full, full[:3], full + "s")
} | {"tues": 1, "thur": 3, "thurs": 3}
# What "evening" means on a form without times; documented in docs/form-export.md.
SLOTS = {
    "morning": ("09:00", "12:00"),
    "mornings": ("09:00", "12:00"),
    "afternoon": ("12:00", "17:00"),
    "afternoons": ("12:00", "17:00"),
    "evening": ("17:00", "21:00"),
    "evenings": ("17:00", "21:00"),
    "night": ("21:00", "24:00"),
    "nights": ("21:00", "24:00"),
    # A day with no time ("Weekends") means its waking hours.
    "day": ("09:00", "21:00"),
}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")


def _parse_time(text: str, *, is_end: bool) -> str:
    match = _TIME.match(text.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2] or 0)
        if (hours < 24 and minutes < 60) or (is_end and hours == 24 and minutes == 0):
            return f"{hours:02d}:{minutes:02d}"
    raise ValueError(f'expected a time such as 18:00, got "{text.strip()}"')


def parse_days(text: str) -> tuple[str, ...]:
    value = words(text)
    if value in _DAY_GROUPS:
        return _DAY_GROUPS[value]
    if "-" in value:
        first, _, last = (part.strip() for part in value.partition("-"))
        start, end = parse_day(first), parse_day(last)
        if end < start:
            raise ValueError(f'day range "{text.strip()}" runs backwards')
        return _DAYS[start : end + 1]
    return (_DAYS[parse_day(value)],)


def parse_day(word: str) -> int:
    value = words(word)
    if value not in _DAY_NAMES:
        raise ValueError(f'expected a day such as mon or monday, got "{word.strip()}"')
    return _DAY_NAMES[value]


def _is_days(text: str) -> bool:
    try:
        parse_days(text)
    except ValueError:
        return False
    return True


def _spans(text: str, entry: str, *, strict: bool) -> list[tuple[str, str]]:
    """ "18:00-21:00" or (forms) "evening" as (start, end)."""
    slot = words(text)
    if not strict and slot in SLOTS:
        return [SLOTS[slot]]
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise ValueError(f'expected a span such as 18:00-21:00, got "{text.strip()}"')
    start = _parse_time(start_text, is_end=False)
    end = _parse_time(end_text, is_end=True)
    if end <= start:
        raise ValueError(
            f'window "{entry}" ends before it starts; split windows that cross '
            "midnight into two days"
        )
    return [(start, end)]


_ENTRY = re.compile(r"^(?P<days>[A-Za-z][A-Za-z\s-]*?)\s+(?P<span>\d.*)$")


def parse_availability(
    cell: str, *, strict: bool = True, day: str | None = None
) -> list[dict[str, str]]:
    """Weekly windows: "mon 18:00-21:00; wed 09:00-12:00", "weekdays 9-12, 14-17";
    forms also "Weekday evenings, Saturday morning". With ``day`` (a grid row such as
    "When are you free? [Monday]") the cell holds only the spans of that day."""
    windows: list[dict[str, str]] = []
    days: tuple[str, ...] | None = (day,) if day else None
    pieces = [p for p in re.split(r"[;\n]" if strict else r"[;\n,]", cell) if p.strip()]
    for piece in pieces:
        entry = piece.strip().translate(_MINUS_SIGNS)
        for part in entry.split(",") if strict else [entry]:
            part = part.strip()
            if not part:
                continue
            span_text = part
            if day is None:
                match = _ENTRY.match(part)
                slot_match = None if strict else re.match(r"^(?P<days>.+?)\s+(?P<slot>\w+)$", part)
                if match:
                    days, span_text = parse_days(match["days"]), match["span"]
                elif slot_match and words(slot_match["slot"]) in SLOTS:
                    days, span_text = parse_days(slot_match["days"]), slot_match["slot"]
                elif not strict and _is_days(part):
                    days, span_text = parse_days(part), "day"
                elif days is None or not part[:1].isdigit():
                    raise ValueError(
                        f'expected windows such as "mon 18:00-21:00; wed 09:00-12:00", got "{part}"'
                    )
            assert days is not None
            for start, end in _spans(span_text, entry, strict=strict):
                windows.extend({"day": d, "start": start, "end": end} for d in days)
        if day is None and strict:
            days = None  # in our layout each ";" entry names its days again
    return windows


def parse_history(cell: str) -> list[tuple[str, int]]:
    met: list[tuple[str, int]] = []
    for item in split_list(cell):
        partner, _, rounds = item.rpartition(" ")
        if not partner.strip() or not rounds.isdigit():
            raise ValueError(
                f'expected "<id> <rounds ago>" entries such as "dave 2; erin 5", got "{item}"'
            )
        met.append((partner.strip(), int(rounds)))
    return met


# Google Forms (file download and Sheets), Microsoft Forms, Typeform, Tally, ISO.
TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
)
_ZONE_SUFFIX = re.compile(r"\s*(?:(?:gmt|utc)\s*([+-]\d{1,2})(?::?(\d{2}))?|z|gmt|utc)$", re.I)


def parse_timestamp(cell: str, formats: list[str] | None = None) -> datetime | None:
    """When a response was submitted, as an aware UTC datetime, or None if unreadable.

    Only used to keep a person's latest submission; unreadable times fall back to the
    order of the file, which every tool writes oldest first. ``formats`` (a copy of
    TIMESTAMP_FORMATS kept per file) is reordered so the format that worked is tried first.
    """
    formats = formats if formats is not None else list(TIMESTAMP_FORMATS)
    text = cell.strip()
    if not text:
        return None
    offset = timedelta(0)
    zone = _ZONE_SUFFIX.search(text)
    if zone:
        if zone[1]:
            sign = -1 if zone[1].startswith("-") else 1
            offset = sign * timedelta(hours=abs(int(zone[1])), minutes=int(zone[2] or 0))
        text = text[: zone.start()].strip()
    text = re.sub(r"([+-]\d{2}:?\d{2})$", "", text) if "T" in text else text
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt is not formats[0]:
            # One export writes one format: try the one that worked first next time.
            formats.remove(fmt)
            formats.insert(0, fmt)
        return parsed.replace(tzinfo=timezone(offset)).astimezone(UTC)
    return None
