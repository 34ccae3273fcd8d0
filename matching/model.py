"""The matching input model: participants, configuration and their validation.

`parse_document` turns the JSON-shaped input document (see MATCHING.md) into typed,
validated values. Every problem raises `InvalidInput` with a message naming the
participant (or history entry / config key) and the field at fault; nothing is
silently dropped or coerced.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FORMATS = ("sync", "async")
FORMAT_POINTS = {"great": 2, "okay": 1, "no": 0}
APPETITES = ("seek", "neutral", "avoid")
# What a participant wants from a conversation (MATCHING.md): a dialogue between equals,
# to be interviewed, to interview someone. Pair kinds are "dialogue" and "interview".
LOOKING_FOR = ("dialogue", "interview_me", "interview_them")
DEFAULT_LOOKING_FOR = ("dialogue",)
KINDS = ("dialogue", "interview")
ODD_POLICIES = ("wait", "trio")
STANCE_MIN, STANCE_MAX = -2, 2
DEFAULT_REFERENCE_DATE = date(2025, 1, 6)

DEFAULT_WEIGHTS: dict[str, float] = {
    "pair": 10.0,
    "topic": 6.0,
    # per gap**2 / 2 on every co-answered claim (docs/matching.md, "Score")
    "disagreement": 0.2,
    # per topic both picked times (claims they disagree on - claims they agree on)
    "disagreement_focus": 0.7,
    "mutual_want": 50.0,
    "one_way_want": 5.0,
    "format": 2.0,
    "availability": 2.0,
    "priority": 15.0,
}

_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_CONFIG_KEYS = {"cooldown", "odd", "seed", "weights", "reference_date"}
PARTICIPANT_FIELDS = (
    "id",
    "topics",
    "stances",
    "format",
    "timezone",
    "availability",
    "disagreement",
    "looking_for",
    "wants",
    "blocks",
    "priority",
    "paused",
)


class InvalidInput(ValueError):
    """The input document is malformed; the message names the participant and field."""


@dataclass(frozen=True)
class Window:
    """A weekly availability window in the member's own timezone, in minutes."""

    day: int  # 0 = Monday
    start: int  # minutes after local midnight
    end: int  # minutes after local midnight, > start, <= 1440


@dataclass(frozen=True)
class Participant:
    id: str
    topics: frozenset[str] = frozenset()
    stances: dict[str, int] = field(default_factory=dict)
    format: dict[str, str] = field(default_factory=lambda: {"sync": "okay", "async": "okay"})
    timezone: str = "UTC"
    availability: tuple[Window, ...] | None = None  # None: flexible
    disagreement: str = "seek"
    looking_for: frozenset[str] = frozenset(DEFAULT_LOOKING_FOR)
    wants: frozenset[str] = frozenset()
    blocks: frozenset[str] = frozenset()
    priority: float = 0
    paused: bool = False


@dataclass(frozen=True)
class Config:
    cooldown: int = 6
    odd: str = "wait"
    seed: int = 0
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    reference_date: date = DEFAULT_REFERENCE_DATE


@dataclass(frozen=True)
class HistoryEntry:
    members: tuple[str, str]
    rounds_ago: int


@dataclass(frozen=True)
class Document:
    topics: tuple[str, ...]
    claims: dict[str, frozenset[str]]  # claim id -> its topics
    claim_texts: dict[str, str]
    participants: tuple[Participant, ...]  # sorted by id
    history: tuple[HistoryEntry, ...]
    config: Config


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{where}: expected a list of strings")
    for item in value:
        if not isinstance(item, str):
            raise InvalidInput(f"{where}: expected a list of strings, got {item!r}")
    return list(value)


def _parse_time(text: Any, where: str, *, is_end: bool) -> int:
    if not isinstance(text, str) or not (match := _TIME.match(text)):
        raise InvalidInput(f'{where}: expected "HH:MM", got {text!r}')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if is_end and hours == 24 and minutes == 0:
        return 1440
    if hours > 23 or minutes > 59:
        raise InvalidInput(f"{where}: {text!r} is not a time of day")
    return hours * 60 + minutes


def _parse_availability(value: Any, where: str) -> tuple[Window, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{where}: expected a list of windows")
    windows = []
    for n, raw in enumerate(value):
        here = f"{where}[{n}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f'{here}: expected {{"day", "start", "end"}}')
        extra = set(raw) - {"day", "start", "end"}
        if extra:
            raise InvalidInput(f"{here}: unknown field {sorted(extra)[0]!r}")
        day = raw.get("day")
        if day not in DAYS:
            raise InvalidInput(f"{here}.day: expected one of {', '.join(DAYS)}, got {day!r}")
        start = _parse_time(raw.get("start"), f"{here}.start", is_end=False)
        end = _parse_time(raw.get("end"), f"{here}.end", is_end=True)
        if end <= start:
            raise InvalidInput(f"{here}: end must be after start")
        windows.append(Window(DAYS.index(day), start, end))
    return tuple(windows)


def _parse_participant(
    raw: Any, n: int, topics: set[str], claims: dict[str, frozenset[str]]
) -> Participant:
    if not isinstance(raw, dict):
        raise InvalidInput(f"participants[{n}]: expected an object")
    pid = raw.get("id")
    if not isinstance(pid, str) or not pid:
        raise InvalidInput(f"participants[{n}].id: expected a non-empty string")
    where = f'participant "{pid}"'
    for key in raw:
        # Other fields (a name, an email) are carried along and ignored, but a near miss of
        # a real one ("block" for "blocks") would silently drop a constraint: refuse it.
        if key not in PARTICIPANT_FIELDS:
            near = difflib.get_close_matches(str(key), PARTICIPANT_FIELDS, n=1, cutoff=0.8)
            if near:
                raise InvalidInput(f"{where}: {key}: unknown field; did you mean {near[0]!r}?")

    picked = _str_list(raw.get("topics", []), f"{where}: topics")
    for topic in picked:
        if topic not in topics:
            raise InvalidInput(f"{where}: topics: unknown topic {topic!r}")

    stances_raw = raw.get("stances", {})
    if not isinstance(stances_raw, dict):
        raise InvalidInput(f"{where}: stances: expected an object of claim -> -2..2")
    stances: dict[str, int] = {}
    for claim, stance in stances_raw.items():
        if claim not in claims:
            raise InvalidInput(f"{where}: stances.{claim}: unknown claim")
        if not _is_int(stance) or not STANCE_MIN <= stance <= STANCE_MAX:
            raise InvalidInput(
                f"{where}: stances.{claim}: expected an integer from -2 to 2, got {stance!r}"
            )
        stances[claim] = stance

    fmt_raw = raw.get("format", {"sync": "okay", "async": "okay"})
    if not isinstance(fmt_raw, dict):
        raise InvalidInput(f'{where}: format: expected {{"sync": ..., "async": ...}}')
    for key in fmt_raw:
        if key not in FORMATS:
            raise InvalidInput(f"{where}: format.{key}: unknown format (sync, async)")
    fmt: dict[str, str] = {}
    for key in FORMATS:
        if key not in fmt_raw:
            raise InvalidInput(f"{where}: format.{key}: missing (great, okay or no)")
        if fmt_raw[key] not in FORMAT_POINTS:
            raise InvalidInput(
                f"{where}: format.{key}: expected great, okay or no, got {fmt_raw[key]!r}"
            )
        fmt[key] = fmt_raw[key]

    timezone = raw.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise InvalidInput(f"{where}: timezone: expected an IANA name, got {timezone!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"{where}: timezone: unknown timezone {timezone!r}") from exc

    availability = _parse_availability(raw.get("availability"), f"{where}: availability")

    appetite = raw.get("disagreement", "seek")
    if appetite not in APPETITES:
        raise InvalidInput(
            f"{where}: disagreement: expected seek, neutral or avoid, got {appetite!r}"
        )

    looking_for = parse_looking_for(raw.get("looking_for", list(DEFAULT_LOOKING_FOR)), where)

    wants = _str_list(raw.get("wants", []), f"{where}: wants")
    blocks = _str_list(raw.get("blocks", []), f"{where}: blocks")
    if pid in wants:
        raise InvalidInput(f"{where}: wants: cannot want oneself")
    if pid in blocks:
        raise InvalidInput(f"{where}: blocks: cannot block oneself")

    priority = raw.get("priority", 0)
    if not _is_number(priority) or priority < 0:
        raise InvalidInput(f"{where}: priority: expected a number >= 0, got {priority!r}")

    paused = raw.get("paused", False)
    if not isinstance(paused, bool):
        raise InvalidInput(f"{where}: paused: expected true or false, got {paused!r}")

    return Participant(
        id=pid,
        topics=frozenset(picked),
        stances=stances,
        format=fmt,
        timezone=timezone,
        availability=availability,
        disagreement=appetite,
        looking_for=looking_for,
        wants=frozenset(wants),
        blocks=frozenset(blocks),
        priority=priority,
        paused=paused,
    )


def parse_looking_for(value: Any, where: str) -> frozenset[str]:
    """A participant's `looking_for`: a non-empty list of LOOKING_FOR values (duplicates
    are harmless); anything else is InvalidInput naming `where` and the field."""
    values = _str_list(value, f"{where}: looking_for")
    if not values:
        raise InvalidInput(
            f"{where}: looking_for: must not be empty (any of {', '.join(LOOKING_FOR)})"
        )
    for item in values:
        if item not in LOOKING_FOR:
            raise InvalidInput(
                f"{where}: looking_for: unknown value {item!r} "
                f"(expected any of {', '.join(LOOKING_FOR)})"
            )
    return frozenset(values)


def _parse_config(raw: Any) -> Config:
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise InvalidInput("config: expected an object")
    for key in raw:
        if key not in _CONFIG_KEYS:
            raise InvalidInput(f"config.{key}: unknown setting")
    cooldown = raw.get("cooldown", 6)
    if not _is_int(cooldown) or cooldown < 0:
        raise InvalidInput(f"config.cooldown: expected an integer >= 0, got {cooldown!r}")
    odd = raw.get("odd", "wait")
    if odd not in ODD_POLICIES:
        raise InvalidInput(f"config.odd: expected wait or trio, got {odd!r}")
    seed = raw.get("seed", 0)
    if not _is_int(seed):
        raise InvalidInput(f"config.seed: expected an integer, got {seed!r}")
    weights = dict(DEFAULT_WEIGHTS)
    weights_raw = raw.get("weights", {})
    if not isinstance(weights_raw, dict):
        raise InvalidInput("config.weights: expected an object of name -> number")
    for key, value in weights_raw.items():
        if key not in DEFAULT_WEIGHTS:
            raise InvalidInput(
                f"config.weights.{key}: unknown weight (known: {', '.join(DEFAULT_WEIGHTS)})"
            )
        if not _is_number(value):
            raise InvalidInput(f"config.weights.{key}: expected a number, got {value!r}")
        weights[key] = float(value)
    ref_raw = raw.get("reference_date")
    reference = DEFAULT_REFERENCE_DATE
    if ref_raw is not None:
        if not isinstance(ref_raw, str):
            raise InvalidInput(f"config.reference_date: expected an ISO date, got {ref_raw!r}")
        try:
            reference = date.fromisoformat(ref_raw)
        except ValueError as exc:
            raise InvalidInput(
                f"config.reference_date: expected an ISO date, got {ref_raw!r}"
            ) from exc
    return Config(cooldown=cooldown, odd=odd, seed=seed, weights=weights, reference_date=reference)


def parse_document(data: Any) -> Document:
    """Validate the input document and return it typed; raises InvalidInput."""
    if not isinstance(data, dict):
        raise InvalidInput("input: expected an object with topics, claims and participants")
    topics = _str_list(data.get("topics", []), "topics")
    if len(set(topics)) != len(topics):
        dup = next(t for t in topics if topics.count(t) > 1)
        raise InvalidInput(f"topics: duplicate topic {dup!r}")
    topic_set = set(topics)

    claims_raw = data.get("claims", {})
    if not isinstance(claims_raw, dict):
        raise InvalidInput("claims: expected an object of claim id -> {text, topics}")
    claims: dict[str, frozenset[str]] = {}
    texts: dict[str, str] = {}
    for cid, claim in claims_raw.items():
        if not isinstance(claim, dict):
            raise InvalidInput(f'claim "{cid}": expected {{"text", "topics"}}')
        text = claim.get("text", "")
        if not isinstance(text, str):
            raise InvalidInput(f'claim "{cid}": text: expected a string')
        claim_topics = _str_list(claim.get("topics", []), f'claim "{cid}": topics')
        for topic in claim_topics:
            if topic not in topic_set:
                raise InvalidInput(f'claim "{cid}": topics: unknown topic {topic!r}')
        claims[cid] = frozenset(claim_topics)
        texts[cid] = text

    people_raw = data.get("participants")
    if not isinstance(people_raw, list):
        raise InvalidInput("participants: expected a list")
    people = [_parse_participant(raw, n, topic_set, claims) for n, raw in enumerate(people_raw)]
    ids: set[str] = set()
    for person in people:
        if person.id in ids:
            raise InvalidInput(f'participant "{person.id}": id: duplicate participant id')
        ids.add(person.id)
    for person in people:
        for kind in ("wants", "blocks"):
            for other in sorted(getattr(person, kind)):
                if other not in ids:
                    raise InvalidInput(
                        f'participant "{person.id}": {kind}: unknown participant "{other}"'
                    )

    history_raw = data.get("history", [])
    if not isinstance(history_raw, list):
        raise InvalidInput("history: expected a list")
    history = []
    for n, entry in enumerate(history_raw):
        where = f"history[{n}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f'{where}: expected {{"members", "rounds_ago"}}')
        members = entry.get("members")
        if (
            not isinstance(members, list | tuple)
            or len(members) != 2
            or not all(isinstance(m, str) for m in members)
        ):
            raise InvalidInput(f"{where}.members: expected two participant ids")
        for member in members:
            if member not in ids:
                raise InvalidInput(f'{where}.members: unknown participant "{member}"')
        if members[0] == members[1]:
            raise InvalidInput(f"{where}.members: a participant cannot meet themself")
        rounds_ago = entry.get("rounds_ago")
        if not _is_int(rounds_ago) or rounds_ago < 0:
            raise InvalidInput(f"{where}.rounds_ago: expected an integer >= 0, got {rounds_ago!r}")
        a, b = sorted(members)
        history.append(HistoryEntry((a, b), rounds_ago))

    config = _parse_config(data.get("config"))
    return Document(
        topics=tuple(topics),
        claims=claims,
        claim_texts=texts,
        participants=tuple(sorted(people, key=lambda p: p.id)),
        history=tuple(history),
        config=config,
    )
