"""Building the engine's input document from a table and a rule per column.

This is where cells are read (each mistake named by line and column header), people are
identified (the id column, else e-mail, else name, else the tool's respondent id),
repeated submissions are folded into the latest, and wants/blocks naming people by name
or e-mail are turned into ids. The document is the only thing handed on; the contacts
(name, e-mail, intro text) ride along for writing intros.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import matching
from bot.formfiles import cells
from bot.formfiles.columns import Guess, Rule
from bot.formfiles.errors import FormFileError
from bot.formfiles.table import Row, Table

__all__ = ["Contact", "FormFile", "build_document"]

# Which column gives a person's id, in order of preference.
_ID_KINDS = ("id", "email", "name", "respondent")


@dataclass(frozen=True)
class Contact:
    """What an intro shows about a participant beyond the engine's document."""

    name: str = ""
    email: str = ""
    about: str = ""


@dataclass(frozen=True)
class FormFile:
    """A form file read into the engine's document, plus what people need around it."""

    document: dict[str, Any]
    lines: dict[str, int]  # participant id -> line of its row (CSV) or its "id" (JSON)
    contacts: dict[str, Contact] = field(default_factory=dict)
    topic_names: dict[str, str] = field(default_factory=dict)  # topic id -> label as asked
    notes: tuple[str, ...] = ()  # what was decided about the rows (duplicates, unknown names)
    guess: Guess | None = None  # the column rules used (None for JSON)

    def line_of(self, participant: str) -> int | None:
        return self.lines.get(participant)


@dataclass
class _Person:
    row: Row
    id: str
    data: dict[str, Any]
    contact: Contact
    submitted: datetime | None
    wants: list[tuple[str, str]]  # (column header, name as written)
    blocks: list[tuple[str, str]]
    history: list[tuple[str, str, int]]  # (column header, id, rounds ago)


def build_document(table: Table, guess: Guess, *, topics: Sequence[str] | None = None) -> FormFile:
    """The engine's document for ``table`` read with ``guess``'s rules."""
    if not table.rows:
        raise FormFileError(
            "no participant rows after the header", line=table.header_line, unit=table.unit
        )
    return _Builder(table, guess, topics).build()


class _Builder:
    def __init__(self, table: Table, guess: Guess, topics: Sequence[str] | None):
        self.table = table
        self.unit = table.unit
        self.time_formats = list(cells.TIMESTAMP_FORMATS)
        self.guess = guess
        self.strict = guess.layout == "matchmaker"
        self.rules = [r for r in guess.rules if r.kind != "ignore"]
        self.fixed_topics = [cells.topic_id(t) for t in topics] if topics is not None else None
        self.topics: dict[str, None] = dict.fromkeys(self.fixed_topics or [])
        self.topic_names: dict[str, str] = {}
        self.notes: list[str] = []
        # Per column: which characters join the choices of one answer.
        self.separators = {
            r.index: ";,\n"
            if r.strict
            else cells.list_separators(table.column(r.index), guess.layout)
            for r in self.rules
        }
        kinds = {r.kind for r in self.rules}
        self.id_kind = next((k for k in _ID_KINDS if k in kinds), None)
        if self.id_kind is None:
            raise FormFileError(
                "no id column, nor an e-mail or name column to tell people apart; the "
                "first row must name the columns (or map one with --mapping)",
                line=table.header_line,
                unit=self.unit,
            )

    # -- rows -------------------------------------------------------------

    def build(self) -> FormFile:
        people: dict[str, _Person] = {}
        first_line: dict[str, list[int]] = {}
        for row in self.table.rows:
            person = self._person(row)
            first_line.setdefault(person.id, []).append(row.line)
            earlier = people.get(person.id)
            if earlier is None:
                people[person.id] = person
                continue
            if self.strict:
                raise FormFileError(
                    f'id "{person.id}" is already used on line {earlier.row.line}',
                    line=row.line,
                    unit=self.unit,
                    column=self._header_of(self.id_kind or "id"),
                )
            # A person who sent the form twice meant their latest answer.
            people[person.id] = _latest(earlier, person)
        for pid, lines in first_line.items():
            if len(lines) > 1:
                kept = people[pid].row.line
                others = ", ".join(str(n) for n in lines if n != kept)
                self.notes.append(
                    f"{pid} answered {len(lines)} times ({self.unit}s "
                    f"{', '.join(map(str, lines))}); kept {self.unit} {kept}, the latest, and "
                    f"dropped {self.unit}{'s' * (len(lines) > 2)} "
                    f"{others}"
                )
        ordered = sorted(people.values(), key=lambda p: p.row.line)
        directory = _Directory(ordered)
        history: dict[tuple[str, str], int] = {}
        for person in ordered:
            for kind, refs in (("wants", person.wants), ("blocks", person.blocks)):
                ids = self._resolve(person, refs, directory)
                if ids:
                    person.data[kind] = list(dict.fromkeys(ids))
            for column, other, rounds_ago in person.history:
                [resolved] = self._resolve(person, [(column, other)], directory) or [None]
                if resolved is None:
                    continue
                key = tuple(sorted((person.id, resolved)))
                # Both members may report the same meeting; keep the most recent.
                history[key] = min(rounds_ago, history.get(key, rounds_ago))  # type: ignore[index]

        claims: dict[str, dict[str, Any]] = {}
        for rule in self.rules:
            if rule.kind != "claim" or not rule.claim:
                continue
            claims[rule.claim] = {"text": rule.text or rule.claim, "topics": list(rule.topics)}
            for topic in rule.topics:
                if self.fixed_topics is not None and topic not in self.topics:
                    raise FormFileError(
                        f'claim {rule.claim!r} names topic "{topic}", which is not in the '
                        "topic list",
                        line=self.table.header_line,
                        unit=self.unit,
                        column=f"claim:{rule.claim}" if rule.strict else rule.header,
                    )
                self.topics.setdefault(topic)

        document: dict[str, Any] = {
            "topics": list(self.topics),
            "claims": claims,
            "participants": [_ordered(p.data) for p in ordered],
        }
        if history:
            document["history"] = [
                {"members": list(members), "rounds_ago": rounds_ago}
                for members, rounds_ago in history.items()
            ]
        return FormFile(
            document=document,
            lines={p.id: p.row.line for p in ordered},
            contacts={p.id: p.contact for p in ordered},
            topic_names=dict(self.topic_names),
            notes=tuple(self.notes),
            guess=self.guess,
        )

    def _header_of(self, kind: str) -> str:
        return next((r.header for r in self.rules if r.kind == kind), kind)

    def _person(self, row: Row) -> _Person:
        data: dict[str, Any] = {}
        stances: dict[str, int] = {}
        formats: dict[str, str] = {}
        chosen_formats: set[str] = set()
        names: list[str] = []
        about: list[str] = []
        email = ""
        respondent = ""
        submitted: datetime | None = None
        wants: list[tuple[str, str]] = []
        blocks: list[tuple[str, str]] = []
        history: list[tuple[str, str, int]] = []
        windows: list[dict[str, str]] = []
        topics: list[str] = []
        looking_for: list[str] = []
        debate_column: str | None = None  # the column that said "debate"
        for rule in self.rules:
            cell = row.cells[rule.index]
            text = cell.strip()
            if not text and rule.kind not in ("claim", "id"):
                continue  # a blank optional cell leaves the engine's default
            try:
                kind = rule.kind
                if kind == "claim":
                    stance = cells.parse_stance(cell, rule.scale or "-2..2")
                    if stance is not None:
                        stances[rule.claim or ""] = stance
                elif kind == "id":
                    if not text:
                        raise ValueError("the id is blank; every participant needs one")
                    data["id"] = text
                elif kind == "email":
                    email = email or text
                elif kind == "name":
                    names.append(" ".join(text.split()))
                elif kind == "respondent":
                    respondent = respondent or text
                elif kind == "submitted":
                    submitted = cells.parse_timestamp(text, self.time_formats)
                elif kind == "about":
                    about.append(" ".join(text.split()))
                elif kind == "topics":
                    topics.extend(self._topics(rule, text, self.separators[rule.index]))
                elif kind in ("sync", "async"):
                    formats[kind] = cells.parse_level(cell, strict=rule.strict)
                elif kind == "format":
                    if rule.choice is not None:
                        if _ticked(text):
                            side = cells.format_side(rule.choice) or "both"
                            chosen_formats |= {"sync", "async"} if side == "both" else {side}
                    else:
                        formats |= cells.parse_format_answer(cell, self.separators[rule.index])
                elif kind == "timezone":
                    data["timezone"] = cells.parse_timezone(cell, strict=rule.strict)
                elif kind == "availability":
                    windows.extend(cells.parse_availability(cell, strict=rule.strict, day=rule.day))
                elif kind == "disagreement":
                    data["disagreement"] = cells.parse_appetite(cell, strict=rule.strict)
                elif kind in ("wants", "blocks"):
                    refs = wants if kind == "wants" else blocks
                    items = cells.split_list(cell, self.separators[rule.index])
                    refs.extend((rule.header, item) for item in items)
                elif kind == "priority":
                    data["priority"] = cells.parse_priority(cell)
                elif kind == "paused":
                    data["paused"] = cells.parse_flag(cell)
                elif kind == "history":
                    history.extend((rule.header, o, n) for o, n in cells.parse_history(cell))
                elif kind == "looking_for":
                    if rule.choice is not None and not _ticked(text):
                        continue
                    wanted, debate = cells.parse_looking_for(
                        rule.choice if rule.choice is not None else cell,
                        self.separators[rule.index],
                        strict=rule.strict,
                    )
                    looking_for.extend(wanted)
                    debate_column = rule.header if debate else debate_column
                else:  # pragma: no cover - KINDS and this method must agree
                    raise AssertionError(f"unhandled kind {kind}")
            except ValueError as exc:
                raise FormFileError(
                    self._explain(rule, str(exc)), line=row.line, unit=self.unit, column=rule.header
                ) from None

        pid = self._id(row, data.get("id", ""), email, " ".join(names), respondent)
        data["id"] = pid
        if topics:
            data["topics"] = list(dict.fromkeys(topics))
        data["stances"] = stances
        if chosen_formats:
            formats = {s: ("great" if s in chosen_formats else "okay") for s in ("sync", "async")}
        if formats:
            # The engine wants both formats once either is given; a blank cell means the
            # same as no format column at all: "okay".
            data["format"] = {"sync": "okay", "async": "okay"} | formats
        if windows:
            data["availability"] = windows
        if looking_for:
            data["looking_for"] = list(dict.fromkeys(looking_for))
        if debate_column is not None:
            # "debate" is a dialogue seeking disagreement: seek unless said otherwise, and
            # saying otherwise contradicts it.
            appetite = data.setdefault("disagreement", "seek")
            if appetite != "seek":
                raise FormFileError(
                    f'"debate" means disagreement seek, but this row says "{appetite}"',
                    line=row.line,
                    column=debate_column,
                    unit=self.unit,
                )
        if data.get("paused") is False:
            del data["paused"]  # "no" is the engine's default; keep documents lean
        contact = Contact(" ".join(names), email, " ".join(about))
        return _Person(row, pid, data, contact, submitted, wants, blocks, history)

    def _explain(self, rule: Rule, reason: str) -> str:
        if rule.strict:
            return reason
        return f"{reason} (this column was read as {rule.kind}: {rule.why})"

    def _id(self, row: Row, own: str, email: str, name: str, respondent: str) -> str:
        value = {"id": own, "email": email.lower(), "name": name, "respondent": respondent}[
            self.id_kind or "id"
        ]
        if not value:
            what = {"email": "e-mail address", "name": "name", "respondent": "respondent id"}
            raise FormFileError(
                f"no {what.get(self.id_kind or '', 'id')} in this row, and it is what tells "
                "people apart; fill it in or remove the row",
                line=row.line,
                unit=self.unit,
                column=self._header_of(self.id_kind or "id"),
            )
        return value

    def _topics(self, rule: Rule, text: str, separators: str) -> list[str]:
        if rule.choice is not None:
            labels = [rule.choice] if _ticked(text) else []
        else:
            labels = cells.split_list(text, separators)
        chosen: list[str] = []
        for label in labels:
            topic = cells.topic_id(label)
            if self.fixed_topics is not None and topic not in self.topics:
                raise ValueError(f'unknown topic "{label}"; the topic list is {self.fixed_topics}')
            self.topics.setdefault(topic)
            self.topic_names.setdefault(topic, label)
            chosen.append(topic)
        return chosen

    # -- wants and blocks -------------------------------------------------

    def _resolve(
        self, person: _Person, refs: Iterable[tuple[str, str]], directory: _Directory
    ) -> list[str]:
        ids: list[str] = []
        for column, written in refs:
            other = directory.find(written, exact_ids_only=self.strict)
            several = [] if self.strict else directory.shared_first.get(cells.words(written), [])
            if other is None and several:
                raise FormFileError(
                    f'"{written}" could be any of {", ".join(several)}; write the full name '
                    "or the e-mail address",
                    line=person.row.line,
                    column=column,
                    unit=self.unit,
                )
            if other is None:
                near = None if self.strict else directory.near(written)
                if self.strict or near:
                    hint = f'; did you mean "{near}"?' if near else ""
                    raise FormFileError(
                        f'unknown participant "{written}" (no row has that '
                        f"{'id' if self.strict else 'name or e-mail'}){hint}",
                        line=person.row.line,
                        unit=self.unit,
                        column=column,
                    )
                self.notes.append(
                    f'{self.unit} {person.row.line}, column "{column}": "{written}" is not '
                    "among the respondents; left out"
                )
                continue
            if other == person.id:
                if self.strict:
                    raise FormFileError(
                        f'"{written}" is this row\'s own id',
                        line=person.row.line,
                        unit=self.unit,
                        column=column,
                    )
                self.notes.append(
                    f'{self.unit} {person.row.line}, column "{column}": "{written}" is the '
                    "respondent themself; left out"
                )
                continue
            ids.append(other)
        return ids


class _Directory:
    """Finds a respondent by id, e-mail, full name or (when unique) first name."""

    def __init__(self, people: Sequence[_Person]):
        self.ids = {p.id for p in people}
        self.by_key: dict[str, str | None] = {}
        firsts: dict[str, set[str]] = {}
        for p in people:
            for key in (p.contact.email, p.contact.name):
                if key:
                    self.by_key[cells.words(key)] = p.id
            if p.contact.name:
                firsts.setdefault(cells.words(p.contact.name).split(" ")[0], set()).add(p.id)
        self.shared_first: dict[str, list[str]] = {}
        for first, ids in firsts.items():
            if len(ids) == 1:
                self.by_key.setdefault(first, next(iter(ids)))
            else:
                self.shared_first[first] = sorted(ids)

    def find(self, written: str, *, exact_ids_only: bool) -> str | None:
        if written in self.ids:
            return written
        if exact_ids_only:
            return None
        return self.by_key.get(cells.words(written)) or (
            cells.words(written) if cells.words(written) in self.ids else None
        )

    def near(self, written: str) -> str | None:
        close = difflib.get_close_matches(cells.words(written), list(self.by_key), 1, 0.8)
        return close[0] if close else None


def _latest(earlier: _Person, later: _Person) -> _Person:
    """The later submission: by its time when both times are readable, else file order."""
    if earlier.submitted is not None and later.submitted is not None:
        return later if later.submitted >= earlier.submitted else earlier
    return later


def _ticked(text: str) -> bool:
    """An option column's cell: the option's label (Typeform) or a true/1/yes mark."""
    return cells.words(text) not in ("", "false", "0", "no", "unchecked")


def _ordered(person: dict[str, Any]) -> dict[str, Any]:
    """Same key order as the contract's example, so documents diff cleanly."""
    rank = {key: i for i, key in enumerate(matching.PARTICIPANT_FIELDS)}
    return dict(sorted(person.items(), key=lambda item: rank.get(item[0], len(rank))))
