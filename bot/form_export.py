"""Turn a form export (CSV from a spreadsheet form, or the engine's JSON) into
the matching engine's input document.

The CSV layout is documented in ``docs/form-export.md``. This module only
reads and reshapes: it reports mistakes it can pin to a line and column
(``FormExportError``) and leaves the engine's own rules to
``matching.Pool.from_dict``, which validates the document it returns.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import json
import os
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matching

__all__ = ["FormExport", "FormExportError", "Kind", "load_document", "read_form_export", "topic_id"]

Kind = Literal["csv", "json"]


class FormExportError(ValueError):
    """A form export the engine cannot use, with where the mistake is.

    ``line`` counts from 1 like an editor; ``column`` is the header cell as
    written for CSV, or a 1-based character position for JSON.
    """

    def __init__(self, reason: str, *, line: int | None = None, column: str | int | None = None):
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where: list[str] = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if isinstance(self.column, int):
            where.append(f"column {self.column}")
        elif self.column is not None:
            where.append(f'column "{self.column}"')
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


# --------------------------------------------------------------------------
# entry point


@dataclass(frozen=True)
class FormExport:
    """An export read into the engine's document, plus where each participant is."""

    document: dict[str, Any]
    lines: dict[str, int]  # participant id -> line of its row (CSV) or its "id" (JSON)

    def line_of(self, participant: str) -> int | None:
        return self.lines.get(participant)


def load_document(
    source: str | os.PathLike[str],
    kind: Kind | None = None,
    *,
    topics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Read a form export and return the engine's input document.

    ``source`` is a path (``pathlib.Path`` or a one-line string naming an
    existing file) or the export's text itself. ``kind`` is ``"csv"`` or
    ``"json"``; by default it comes from the file suffix, else from the text
    (a document starting with ``{`` is JSON). ``topics`` fixes the topic list
    of a CSV export: topic cells naming anything else are then an error.
    JSON documents are returned as parsed, for ``matching.Pool.from_dict``
    to validate; ``topics`` does not apply to them.
    """
    return read_form_export(source, kind, topics=topics).document


def read_form_export(
    source: str | os.PathLike[str],
    kind: Kind | None = None,
    *,
    topics: Sequence[str] | None = None,
) -> FormExport:
    """Like `load_document`, also keeping each participant's line.

    The engine's own validation names participants, not lines; the lines let
    `matchmaker match` point at the row to fix.
    """
    text, suffix = _read_source(source)
    if kind is None:
        kind = _guess_kind(text, suffix)
    if kind == "json":
        return _load_json(text)
    if kind == "csv":
        return _load_csv(text, topics=topics)
    raise ValueError(f"kind must be 'csv' or 'json', not {kind!r}")


def topic_id(label: str) -> str:
    """The id a topic label stands for: ``"AI  Timelines"`` -> ``"ai-timelines"``.

    Forms show labels and people type them with varying case and spacing;
    one normal form lets a topic cell, a ``--topics`` entry and a claim's
    topic list name the same topic.
    """
    return re.sub(r"[\s_]+", "-", label.strip().lower()).strip("-")


# --------------------------------------------------------------------------
# reading


def _read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    """Return (text, lower-case file suffix or "")."""
    if isinstance(source, str) and ("\n" in source or not _is_file(source)):
        return source.lstrip("\ufeff"), ""
    path = Path(source)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormExportError("no such file") from None
    except IsADirectoryError:
        raise FormExportError("a directory, not a form export") from None
    except OSError as exc:
        raise FormExportError(f"cannot read it: {exc.strerror}") from None
    try:
        # utf-8-sig: spreadsheet programs often prepend a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FormExportError(
            "the file is not UTF-8 text; export it again as UTF-8 (e.g. 'CSV UTF-8')",
            line=line,
        ) from None
    return text, path.suffix.lower()


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long for a path, NUL bytes, ...
        return False


def _guess_kind(text: str, suffix: str) -> Kind:
    if suffix == ".json":
        return "json"
    if suffix in {".csv", ".tsv", ".txt"}:
        return "csv"
    # A CSV header never starts with a bracket; a JSON document always does.
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def _load_json(text: str) -> FormExport:
    if not text.strip():
        raise FormExportError("the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormExportError(
            f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(data, dict):
        raise FormExportError(
            f"expected a JSON object with a 'participants' list, got a {_json_type(data)}",
            line=1,
        )
    return FormExport(data, _json_id_lines(text))


def _json_id_lines(text: str) -> dict[str, int]:
    # A scan, not a parse: good enough to point at a participant, and free of a
    # position-tracking JSON parser. The first "id" of a value wins.
    lines: dict[str, int] = {}
    for match in re.finditer(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
        try:
            value = json.loads(f'"{match[1]}"')
        except json.JSONDecodeError:
            continue
        lines.setdefault(value, text.count("\n", 0, match.start()) + 1)
    return lines


def _json_type(value: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null"
    )


# --------------------------------------------------------------------------
# CSV: header

_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "member", "member id", "participant", "participant id", "user", "user id"),
    "topics": ("topics", "topic", "interests"),
    "sync": ("sync", "format sync", "sync format"),
    "async": ("async", "format async", "async format"),
    "timezone": ("timezone", "time zone", "tz"),
    "availability": ("availability", "available", "availability windows"),
    "disagreement": ("disagreement", "disagreement appetite"),
    "looking_for": (
        "looking for",
        "what are you looking for",
        "what are you looking for?",
        "conversation kind",
        "kind",
    ),
    "wants": ("wants", "want", "wants to talk with"),
    "blocks": ("blocks", "block", "blocked"),
    "priority": ("priority",),
    "paused": ("paused", "pause", "snoozed"),
    "history": ("history", "met", "previous partners"),
}
_ALIAS_TO_FIELD = {alias: field for field, names in _FIELD_ALIASES.items() for alias in names}

# Columns a spreadsheet form adds on its own or that hold free text the engine
# does not use. Any other unknown column is an error: a typo such as "sycn"
# must not silently drop everyone's answers.
_IGNORED_COLUMNS = frozenset(
    {
        "timestamp",
        "name",
        "display name",
        "email",
        "email address",
        "about",
        "talk about",
        "what i'd like to talk about",
        "notes",
        "private notes",
        "publish",
        "participation",
        "comment",
        "comments",
    }
)

_CLAIM_HEADER = re.compile(
    r"""^claim\s*:\s*(?P<id>[^\s\[\]:]+)          # claim:<id>
        \s*(?:\[(?P<topics>[^\]]*)\])?            # optional [topic; topic]
        \s*[-:–—]?\s*(?P<text>.*)$                # optional text
    """,
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def _header_key(cell: str) -> str:
    """Case- and spacing-insensitive form of a header cell."""
    return re.sub(r"[\s_-]+", " ", cell.strip().lower()).strip()


@dataclass(frozen=True)
class _Column:
    index: int
    header: str  # as written, for messages
    field: str  # a key of _FIELD_ALIASES, or "claim"
    claim: str | None = None


@dataclass
class _Header:
    columns: list[_Column]
    claims: dict[str, dict[str, Any]]
    claim_topic_refs: list[tuple[str, str, str]]  # (claim id, topic, header cell)
    line: int

    def field(self, name: str) -> _Column | None:
        return next((c for c in self.columns if c.field == name), None)


def _parse_header(cells: list[str], line: int) -> _Header:
    columns: list[_Column] = []
    claims: dict[str, dict[str, Any]] = {}
    topic_refs: list[tuple[str, str, str]] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(cells):
        header = raw.strip()
        key = _header_key(header)
        if not key:
            raise FormExportError(
                f"header cell {index + 1} is empty; every column needs a name", line=line
            )
        if key.startswith("#") or key in _IGNORED_COLUMNS:
            continue
        claim = _CLAIM_HEADER.match(header)
        if claim:
            claim_id = claim["id"]
            label = f"claim:{claim_id}"
            if claim_id in claims:
                raise FormExportError(
                    f"claim {claim_id!r} has two columns", line=line, column=label
                )
            claim_topics = _split_list(claim["topics"] or "")
            text = " ".join(claim["text"].split()) or claim_id
            claims[claim_id] = {"text": text, "topics": [topic_id(t) for t in claim_topics]}
            topic_refs.extend((claim_id, topic_id(t), label) for t in claim_topics)
            columns.append(_Column(index, label, "claim", claim_id))
            continue
        field = _ALIAS_TO_FIELD.get(key)
        if field is None:
            raise FormExportError(_unknown_column_reason(key), line=line, column=header)
        if field in seen:
            raise FormExportError(
                f'same field as column "{seen[field]}"; keep one of them', line=line, column=header
            )
        seen[field] = header
        columns.append(_Column(index, header, field))
    if "id" not in seen:
        raise FormExportError(
            "no id column; the first row must name the columns, one of them 'id'", line=line
        )
    return _Header(columns, claims, topic_refs, line)


def _unknown_column_reason(key: str) -> str:
    known = [*_ALIAS_TO_FIELD, *_IGNORED_COLUMNS]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return (
        f"unknown column; {hint}claims are 'claim:<id> <text>', and columns to keep "
        "but ignore start with '#'"
    )


# --------------------------------------------------------------------------
# CSV: cells

_FORMAT_VALUES = {"great": "great", "okay": "okay", "ok": "okay", "no": "no"}
_DISAGREEMENT_VALUES = {"seek": "seek", "neutral": "neutral", "avoid": "avoid"}
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
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0", ""}
_STANCE_WORDS = {
    "strongly disagree": -2,
    "disagree": -1,
    "somewhat disagree": -1,
    "neutral": 0,
    "neither agree nor disagree": 0,
    "neither": 0,
    "agree": 1,
    "somewhat agree": 1,
    "strongly agree": 2,
}
_SKIP_WORDS = {"", "skip", "skipped", "n/a", "na", "no opinion", "don't know", "dont know"}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_GROUPS = {
    "daily": _DAYS,
    "every day": _DAYS,
    "weekdays": _DAYS[:5],
    "weekends": _DAYS[5:],
    "weekend": _DAYS[5:],
}
_DAY_NAMES = {
    name: index
    for index, full in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
    for name in (full, full[:3])
} | {"tues": 1, "thur": 3, "thurs": 3}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
_LIST_SEPARATORS = re.compile(r"[;,\n]")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "—": "-"})


def _split_list(cell: str) -> list[str]:
    # Spreadsheet checkbox questions export "a, b"; our own layout uses "a; b".
    return [item.strip() for item in _LIST_SEPARATORS.split(cell) if item.strip()]


def _words(cell: str) -> str:
    return " ".join(cell.strip().lower().replace("’", "'").split())


def _parse_stance(cell: str) -> int | None:
    value = _words(cell).translate(_MINUS_SIGNS)
    if value in _SKIP_WORDS:
        return None
    if value in _STANCE_WORDS:
        return _STANCE_WORDS[value]
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None and number.is_integer() and -2 <= number <= 2:
        return int(number)
    raise ValueError(
        f'expected a stance from -2 to 2 (or "strongly disagree" … "strongly agree", '
        f'or blank to skip), got "{cell.strip()}"'
    )


def _parse_choice(choices: dict[str, str]) -> Callable[[str], str]:
    names = sorted(set(choices.values()), key=list(choices.values()).index)
    expected = f"{', '.join(names[:-1])} or {names[-1]}"

    def parse(cell: str) -> str:
        value = _words(cell)
        if value not in choices:
            raise ValueError(f'expected {expected}, got "{cell.strip()}"')
        return choices[value]

    return parse


def parse_looking_for(cell: str) -> tuple[list[str], bool]:
    """The engine's looking_for from a "looking for" cell ("Debate, be interviewed"),
    and whether it asked for a debate (a dialogue seeking disagreement)."""
    values: list[str] = []
    debate = False
    for item in _split_list(cell):
        word = _LOOKING_FOR_WORDS.get(_words(item))
        if word is None:
            raise ValueError(
                f'expected any of "debate", "dialogue", "be interviewed", "interview someone", '
                f'got "{item}"'
            )
        if word == DEBATE:
            debate, word = True, "dialogue"
        values.append(word)
    return _unique(values), debate


def _parse_flag(cell: str) -> bool:
    value = _words(cell)
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f'expected yes or no, got "{cell.strip()}"')


def _parse_priority(cell: str) -> int:
    try:
        value = int(cell.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f'expected a whole number 0 or more, got "{cell.strip()}"')
    return value


def _parse_timezone(cell: str) -> str:
    name = cell.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'expected an IANA timezone such as "Europe/Berlin" or "UTC", got "{name}"'
        ) from None
    return name


def _parse_time(text: str, *, is_end: bool) -> str:
    match = _TIME.match(text.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2] or 0)
        if (hours < 24 and minutes < 60) or (is_end and hours == 24 and minutes == 0):
            return f"{hours:02d}:{minutes:02d}"
    raise ValueError(f'expected a time such as 18:00, got "{text.strip()}"')


def _parse_days(text: str) -> tuple[str, ...]:
    words = _words(text)
    if words in _DAY_GROUPS:
        return _DAY_GROUPS[words]
    if "-" in words:
        first, _, last = (part.strip() for part in words.partition("-"))
        start, end = _day(first), _day(last)
        if end < start:
            raise ValueError(f'day range "{text.strip()}" runs backwards')
        return _DAYS[start : end + 1]
    return (_DAYS[_day(words)],)


def _day(word: str) -> int:
    if word not in _DAY_NAMES:
        raise ValueError(f'expected a day such as mon or monday, got "{word}"')
    return _DAY_NAMES[word]


def _parse_availability(cell: str) -> list[dict[str, str]]:
    windows: list[dict[str, str]] = []
    for entry in re.split(r"[;\n]", cell):
        entry = entry.strip().translate(_MINUS_SIGNS)
        if not entry:
            continue
        match = re.match(r"^(?P<days>[A-Za-z][A-Za-z\s-]*?)\s+(?P<span>\d.*)$", entry)
        if not match:
            raise ValueError(
                f'expected windows such as "mon 18:00-21:00; wed 09:00-12:00", got "{entry}"'
            )
        days = _parse_days(match["days"])
        # "mon 09:00-12:00, 14:00-17:00": several spans for the same days.
        for span in match["span"].split(","):
            start_text, dash, end_text = span.partition("-")
            if not dash:
                raise ValueError(f'expected a span such as 18:00-21:00, got "{span.strip()}"')
            start = _parse_time(start_text, is_end=False)
            end = _parse_time(end_text, is_end=True)
            if end <= start:
                raise ValueError(
                    f'window "{entry}" ends before it starts; split windows that cross '
                    "midnight into two days"
                )
            windows.extend({"day": day, "start": start, "end": end} for day in days)
    return windows


def _parse_history(cell: str) -> list[tuple[str, int]]:
    met: list[tuple[str, int]] = []
    for item in _split_list(cell):
        partner, _, rounds = item.rpartition(" ")
        if not partner.strip() or not rounds.isdigit():
            raise ValueError(
                f'expected "<id> <rounds ago>" entries such as "dave 2; erin 5", got "{item}"'
            )
        met.append((partner.strip(), int(rounds)))
    return met


# --------------------------------------------------------------------------
# CSV: rows


@dataclass
class _Row:
    line: int
    values: dict[str, str]  # field or claim column header -> cell


def _load_csv(text: str, *, topics: Sequence[str] | None) -> FormExport:
    if not text.strip():
        raise FormExportError("the file is empty")
    records = _read_records(text)
    header_line, header_cells = records[0]
    header = _parse_header(header_cells, header_line)

    rows: list[_Row] = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # spreadsheets keep trailing empty rows
        if len(cells) > len(header_cells) and any(c.strip() for c in cells[len(header_cells) :]):
            raise FormExportError(
                f"{len(cells)} cells but the header names {len(header_cells)} columns", line=line
            )
        # Spreadsheets drop trailing empty cells; a short row is blanks.
        padded = cells + [""] * (len(header_cells) - len(cells))
        rows.append(_Row(line, {c.header: padded[c.index] for c in header.columns}))
    if not rows:
        raise FormExportError("no participant rows after the header", line=header_line)

    builder = _Document(header, rows, topics)
    return FormExport(builder.build(), dict(builder.id_lines))


def _read_records(text: str) -> list[tuple[int, list[str]]]:
    """Records with the line each starts on (quoted cells may span lines)."""
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    # Spreadsheets in many locales export ";"-separated CSV; sniff the header only,
    # since cells may hold commas and semicolons.
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if records or any(cell.strip() for cell in cells):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormExportError(f"not valid CSV: {exc}", line=start) from None
    return records


class _Document:
    """Builds the engine document from parsed rows, collecting line numbers."""

    def __init__(self, header: _Header, rows: list[_Row], topics: Sequence[str] | None):
        self.header = header
        self.rows = rows
        self.fixed_topics = [topic_id(t) for t in topics] if topics is not None else None
        self.topics: dict[str, None] = dict.fromkeys(self.fixed_topics or [])
        self.id_lines: dict[str, int] = {}

    def build(self) -> dict[str, Any]:
        participants: list[dict[str, Any]] = []
        references: list[tuple[_Row, str, str]] = []  # row, column header, other id
        history: dict[tuple[str, str], int] = {}
        for row in self.rows:
            person = self._participant(row)
            if not person.get("paused", True):
                del person["paused"]  # "no" is the engine's default; keep exports lean
            participants.append(person)
            for field in ("wants", "blocks"):
                column = self.header.field(field)
                for other in person.get(field, []):
                    references.append((row, column.header if column else field, other))
            column = self.header.field("history")
            for other, rounds_ago in person.pop("history", []):
                references.append((row, column.header if column else "history", other))
                key = tuple(sorted((person["id"], other)))
                # Both members may report the same meeting; keep the most recent.
                history[key] = min(rounds_ago, history.get(key, rounds_ago))  # type: ignore[index]

        for row, column, other in references:
            if other not in self.id_lines:
                raise FormExportError(
                    f'unknown participant "{other}" (no row has that id)',
                    line=row.line,
                    column=column,
                )
            if other == row.values[self._id_header].strip():
                raise FormExportError(
                    f'"{other}" is this row\'s own id', line=row.line, column=column
                )

        for claim_id, topic, label in self.header.claim_topic_refs:
            if self.fixed_topics is not None and topic not in self.topics:
                raise FormExportError(
                    f'claim {claim_id!r} names topic "{topic}", which is not in the topic list',
                    line=self.header.line,
                    column=label,
                )
            self.topics.setdefault(topic)

        document: dict[str, Any] = {
            "topics": list(self.topics),
            "claims": self.header.claims,
            "participants": participants,
        }
        if history:
            document["history"] = [
                {"members": list(members), "rounds_ago": rounds_ago}
                for members, rounds_ago in history.items()
            ]
        return document

    @property
    def _id_header(self) -> str:
        column = self.header.field("id")
        assert column is not None  # _parse_header guarantees it
        return column.header

    def _participant(self, row: _Row) -> dict[str, Any]:
        person: dict[str, Any] = {}
        stances: dict[str, int] = {}
        formats: dict[str, str] = {}
        for column in self.header.columns:
            cell = row.values[column.header]
            if column.field != "claim" and column.field != "id" and not cell.strip():
                continue  # a blank optional cell leaves the engine's default
            try:
                self._apply(column, cell, row, person, stances, formats)
            except ValueError as exc:
                raise FormExportError(str(exc), line=row.line, column=column.header) from None
        person["stances"] = stances
        debate_column = person.pop(_DEBATE_KEY, None)
        if debate_column is not None:
            # "debate" is a dialogue seeking disagreement: seek unless said otherwise,
            # and saying otherwise contradicts it.
            appetite = person.setdefault("disagreement", "seek")
            if appetite != "seek":
                raise FormExportError(
                    f'"debate" means disagreement seek, but this row says "{appetite}"',
                    line=row.line,
                    column=debate_column,
                )
        if formats:
            # The engine wants both formats once either is given; a blank cell
            # means the same as no format column at all: "okay".
            person["format"] = {"sync": "okay", "async": "okay"} | formats
        return _ordered(person)

    def _apply(
        self,
        column: _Column,
        cell: str,
        row: _Row,
        person: dict[str, Any],
        stances: dict[str, int],
        formats: dict[str, str],
    ) -> None:
        field = column.field
        if field == "claim":
            stance = _parse_stance(cell)
            if stance is not None:
                stances[column.claim or ""] = stance
        elif field == "id":
            member = cell.strip()
            if not member:
                raise ValueError("the id is blank; every participant needs one")
            if member in self.id_lines:
                raise ValueError(f'id "{member}" is already used on line {self.id_lines[member]}')
            self.id_lines[member] = row.line
            person["id"] = member
        elif field == "topics":
            person["topics"] = self._topics(cell)
        elif field in ("sync", "async"):
            formats[field] = _parse_choice(_FORMAT_VALUES)(cell)
        elif field == "timezone":
            person["timezone"] = _parse_timezone(cell)
        elif field == "availability":
            person["availability"] = _parse_availability(cell)
        elif field == "disagreement":
            person["disagreement"] = _parse_choice(_DISAGREEMENT_VALUES)(cell)
        elif field == "looking_for":
            person["looking_for"], debate = parse_looking_for(cell)
            if debate:
                person[_DEBATE_KEY] = column.header
        elif field in ("wants", "blocks"):
            person[field] = _unique(_split_list(cell))
        elif field == "priority":
            person["priority"] = _parse_priority(cell)
        elif field == "paused":
            person["paused"] = _parse_flag(cell)
        elif field == "history":
            person["history"] = _parse_history(cell)
        else:  # pragma: no cover - _FIELD_ALIASES and this method must agree
            raise AssertionError(f"unhandled field {field}")

    def _topics(self, cell: str) -> list[str]:
        chosen: list[str] = []
        for label in _split_list(cell):
            topic = topic_id(label)
            if self.fixed_topics is not None and topic not in self.topics:
                raise ValueError(f'unknown topic "{label}"; the topic list is {self.fixed_topics}')
            self.topics.setdefault(topic)
            chosen.append(topic)
        return _unique(chosen)


_DEBATE_KEY = "\0debate"  # set while a row is read: the column that said "debate"


def _ordered(person: dict[str, Any]) -> dict[str, Any]:
    """Same key order as the contract's example, so exports diff cleanly."""
    rank = {key: i for i, key in enumerate(matching.PARTICIPANT_FIELDS)}
    return dict(sorted(person.items(), key=lambda item: rank.get(item[0], len(rank))))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
