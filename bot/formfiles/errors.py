"""The one exception of form-file reading: a mistake pinned to a line and a column."""

from __future__ import annotations

__all__ = ["FormFileError"]


class FormFileError(ValueError):
    """A form file (or its mapping) the engine cannot use, with where the mistake is.

    ``line`` counts from 1 like an editor (a row's first line when a quoted cell spans
    lines); ``column`` is the header cell as written for a table, or a 1-based character
    position for JSON and TOML.
    """

    def __init__(
        self,
        reason: str,
        *,
        line: int | None = None,
        column: str | int | None = None,
        source: str | None = None,
        unit: str = "line",
    ):
        self.reason = reason
        self.unit = unit  # "line" in a text file, "row" in a workbook
        self.source = source  # the file at fault when it is not the form file (a mapping)
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where: list[str] = []
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if isinstance(self.column, int):
            where.append(f"column {self.column}")
        elif self.column is not None:
            where.append(f'column "{self.column}"')
        return f"{', '.join(where)}: {self.reason}" if where else self.reason
