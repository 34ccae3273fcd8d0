"""Reading a file that already is the engine's JSON input document (MATCHING.md)."""

from __future__ import annotations

import json
import re

from bot.formfiles.document import FormFile
from bot.formfiles.errors import FormFileError

__all__ = ["load_json"]


def load_json(text: str) -> FormFile:
    """The document as parsed, for ``matching.Pool.from_dict`` to validate, with the line
    of each participant's ``"id"`` so the engine's messages can point at it."""
    if not text.strip():
        raise FormFileError("the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormFileError(
            f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(data, dict):
        raise FormFileError(
            f"expected a JSON object with a 'participants' list, got a {_json_type(data)}",
            line=1,
        )
    return FormFile(data, _id_lines(text))


def _id_lines(text: str) -> dict[str, int]:
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
