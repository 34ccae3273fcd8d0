"""The column mapping file: TOML that says what each column of a form file is.

`matchmaker match` writes one when a column is ambiguous (or on ``--write-mapping``), the
organiser edits it, and ``--mapping FILE`` reads it back; its rules win over guessing.
It is read with the standard library's ``tomllib``. It is written here rather than with
tomli-w because the file is meant to be edited by a person: every column carries the
reason it was chosen and, when ambiguous, what else it could be, as comments, and tomli-w
writes no comments. The values are only strings and lists of strings, whose TOML quoting
is a few lines (`_string`); a test reads every written file back with tomllib.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.formfiles import cells
from bot.formfiles.columns import KINDS, Guess, Rule, header_key
from bot.formfiles.errors import FormFileError
from bot.formfiles.table import Table

__all__ = ["column_tables", "mapping_text", "read_mapping", "rules_from_mapping"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEYS = {"header", "kind", "claim", "text", "topics", "scale", "choice", "day"}
_CLAIM_KEYS = {"claim", "text", "topics", "scale"}


def read_mapping(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The ``[[column]]`` tables of a mapping file, checked; mistakes name the file's line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FormFileError("no such mapping file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormFileError(f"cannot read the mapping file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormFileError(f"not valid TOML: {exc}") from None
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[column]]"]
    unknown = set(data) - {"column"}
    if unknown:
        raise FormFileError(
            f"unknown setting {sorted(unknown)[0]!r}; a mapping has only [[column]] tables"
        )
    columns = data.get("column")
    if not isinstance(columns, list) or not columns:
        raise FormFileError("no [[column]] tables; each names a header and its kind")
    for number, entry in enumerate(columns):
        _check(entry, lines[number] if number < len(lines) else None)
    return columns


def _check(entry: dict[str, Any], line: int | None) -> None:
    def bad(reason: str) -> FormFileError:
        header = entry.get("header")
        where = f'column "{header}": ' if isinstance(header, str) else ""
        return FormFileError(f"{where}{reason}", line=line)

    for key in ("header", "kind"):
        if not isinstance(entry.get(key), str):
            raise bad(f'needs {key} = "..."')
    extra = set(entry) - _KEYS
    if extra:
        raise bad(f"unknown key {sorted(extra)[0]!r}; keys are {', '.join(sorted(_KEYS))}")
    kind = entry["kind"]
    if kind not in KINDS:
        raise bad(f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}")
    if kind != "claim" and set(entry) & _CLAIM_KEYS:
        raise bad(f'{sorted(set(entry) & _CLAIM_KEYS)[0]!r} applies to kind = "claim" only')
    for key in ("claim", "text", "scale", "choice", "day"):
        if key in entry and not isinstance(entry[key], str):
            raise bad(f"{key} must be a string")
    topics = entry.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise bad('topics must be a list of strings, e.g. topics = ["ai-timelines"]')
    if "scale" in entry and entry["scale"] not in cells.SCALES:
        raise bad(f"scale must be one of {', '.join(cells.SCALES)}")
    if "day" in entry and entry["day"] not in _DAYS:
        raise bad(f"day must be one of {', '.join(_DAYS)}")
    if "choice" in entry and kind not in ("topics", "format", "looking_for"):
        raise bad('choice applies to kind = "topics", "format" or "looking_for" only')


def rules_from_mapping(table: Table, columns: Iterable[dict[str, Any]]) -> dict[int, Rule]:
    """The mapping's rules by column index. Headers match as written, else ignoring case
    and spacing; a header written twice in the file is matched in order."""
    free: dict[str, list[int]] = {}
    loose: dict[str, list[int]] = {}
    for index, header in enumerate(table.header):
        free.setdefault(header, []).append(index)
        loose.setdefault(header_key(header), []).append(index)
    rules: dict[int, Rule] = {}
    for entry in columns:
        header = entry["header"]
        slots = free.get(header) or loose.get(header_key(header)) or []
        slots = [i for i in slots if i not in rules]
        if not slots:
            raise FormFileError(
                f'the mapping names column "{header}", which the file does not have '
                "(a mapping made for another export?)",
                line=table.header_line,
            )
        index = slots[0]
        kind = entry["kind"]
        rules[index] = Rule(
            index,
            table.header[index],
            kind,
            "from the mapping file",
            claim=entry.get("claim"),
            text=entry.get("text") or (table.header[index] if kind == "claim" else None),
            topics=tuple(cells.topic_id(t) for t in entry.get("topics", [])),
            scale=entry.get("scale"),
            choice=entry.get("choice"),
            day=entry.get("day"),
        )
    return rules


# --------------------------------------------------------------------------
# writing


def mapping_text(guess: Guess, *, source: str, mapping_path: str) -> str:
    """The mapping file for ``guess``, with its reasons and alternatives as comments."""
    lines = [
        f"# What each column of {source} is, for `matchmaker match`.",
        f"# Guessed from a {guess.layout} export. Edit any column, then run:",
        f"#   matchmaker match {source} --mapping {mapping_path}",
        "#",
        "# kind is one of:",
        *(f"#   {kind:<13}{what}" for kind, what in KINDS.items()),
        "# A claim also has: claim (its id), text, topics (a list of topic ids) and",
        '# scale ("-2..2", "1-5" or "0-10") for answers given as numbers.',
        "",
    ]
    return "\n".join([*lines, column_tables(guess.rules)])


def column_tables(rules: Iterable[Rule]) -> str:
    """The ``[[column]]`` tables for ``rules``, each with its reason as a comment."""
    lines: list[str] = []
    for rule in rules:
        if rule.ambiguous:
            others = ", ".join(c for c in rule.candidates if c != rule.kind)
            lines.append(f"# CHECK THIS ONE: {rule.why}.")
            if others:
                lines.append(f"# It is set to {rule.kind!r}; it could be: {others}.")
            else:
                lines.append(f"# It is set to {rule.kind!r}; give it a kind above to use it.")
        else:
            lines.append(f"# {rule.why}")
        lines.append("[[column]]")
        lines.append(f"header = {_string(rule.header)}")
        lines.append(f"kind = {_string(rule.kind)}")
        if rule.kind == "claim":
            lines.append(f"claim = {_string(rule.claim or '')}")
            lines.append(f"text = {_string(rule.text or rule.header)}")
            lines.append(f"topics = [{', '.join(_string(t) for t in rule.topics)}]")
            if rule.scale:
                lines.append(f"scale = {_string(rule.scale)}")
        if rule.choice is not None:
            lines.append(f"choice = {_string(rule.choice)}")
        if rule.day is not None:
            lines.append(f"day = {_string(rule.day)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(value: str) -> str:
    """A TOML basic string."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
