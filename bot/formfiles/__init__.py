"""Form files for `matchmaker match`: the exports people have (Google Forms, Microsoft
Forms, Typeform, Tally, a spreadsheet in matchmaker's own layout) or the engine's JSON,
read into the engine's input document.

One module per concern: `table` reads bytes into a header and rows, `columns` decides
what each column is (and why), `mapping` reads and writes the editable TOML mapping,
`document` builds the engine's document, `intros` writes intros.md from a result. The
document (with contacts and notes for people) is the only thing handed on.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

from bot.formfiles.cells import topic_id
from bot.formfiles.columns import AmbiguousColumns, Guess, Rule, guess_columns
from bot.formfiles.document import Contact, FormFile, build_document
from bot.formfiles.engine_json import load_json
from bot.formfiles.errors import FormFileError
from bot.formfiles.mapping import read_mapping, rules_from_mapping
from bot.formfiles.table import is_workbook, parse_table, read_source, read_workbook

__all__ = [
    "AmbiguousColumns",
    "Contact",
    "FormFile",
    "FormFileError",
    "Guess",
    "Kind",
    "Rule",
    "load_document",
    "read_form_file",
    "topic_id",
]

Kind = Literal["csv", "json"]


def read_form_file(
    source: str | os.PathLike[str],
    kind: Kind | None = None,
    *,
    topics: Sequence[str] | None = None,
    mapping: str | os.PathLike[str] | None = None,
    encoding: str | None = None,
) -> FormFile:
    """Read a form file into the engine's document, keeping each participant's line.

    ``source`` is a path (``pathlib.Path`` or a one-line string naming an existing file)
    or the file's text. ``kind`` is ``"csv"`` or ``"json"``; by default it comes from the
    suffix, else from the text (a document starting with ``{`` is JSON). ``topics`` fixes
    the topic list: cells naming others are an error. ``mapping`` is a mapping file whose
    rules win over guessing. Raises `FormFileError` for mistakes (with line and column)
    and `AmbiguousColumns` when a column cannot be placed without the person's say.
    """
    if kind is None and is_workbook(source):
        table = read_workbook(source)
    else:
        text, suffix = read_source(source, encoding=encoding)
        if kind is None:
            kind = _guess_kind(text, suffix)
        if kind == "json":
            if mapping is not None:
                raise FormFileError("a column mapping applies to tables, not to JSON documents")
            return load_json(text)
        if kind != "csv":
            raise ValueError(f"kind must be 'csv' or 'json', not {kind!r}")
        table = parse_table(text)
    fixed = None
    if mapping is not None:
        try:
            fixed = rules_from_mapping(table, read_mapping(mapping))
        except FormFileError as exc:
            raise FormFileError(
                exc.reason, line=exc.line, column=exc.column, source=os.fspath(mapping)
            ) from None
    guess = guess_columns(table, fixed=fixed)
    if guess.ambiguous:
        raise AmbiguousColumns(guess)
    return build_document(table, guess, topics=topics)


def load_document(
    source: str | os.PathLike[str],
    kind: Kind | None = None,
    *,
    topics: Sequence[str] | None = None,
    mapping: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """`read_form_file`'s engine document alone."""
    return read_form_file(source, kind, topics=topics, mapping=mapping).document


def _guess_kind(text: str, suffix: str) -> Kind:
    if suffix == ".json":
        return "json"
    if suffix in {".csv", ".tsv", ".txt"}:
        return "csv"
    # A CSV header never starts with a bracket; a JSON document always does.
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"
