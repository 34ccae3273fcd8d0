"""Reading a form file into a table: bytes to text (encodings, byte-order marks), the
delimiter, and records that remember the line they start on.

Spreadsheet programs and form tools write CSV in several dialects: Google Forms and Tally
write UTF-8 with `,`; Excel's "CSV UTF-8" adds a byte-order mark, and in locales whose
decimal mark is a comma it separates cells with `;` (sometimes announcing it with a first
line `sep=;`); Excel's "Unicode Text" is UTF-16 with tabs. All of these are read here, so
the rest of the package only ever sees header cells and rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from bot.formfiles.errors import FormFileError

__all__ = ["Row", "Table", "decode", "is_workbook", "parse_table", "read_source", "read_workbook"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts (a quoted cell may span lines)
    cells: tuple[str, ...]  # padded to the header's width


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]  # stripped header cells, as written
    rows: tuple[Row, ...]
    header_line: int
    delimiter: str
    unit: str = "line"  # what `Row.line` counts: text lines, or a workbook's rows

    def column(self, index: int) -> list[str]:
        return [row.cells[index] for row in self.rows]


def read_source(source: str | os.PathLike[str], *, encoding: str | None = None) -> tuple[str, str]:
    """Return (text, lower-case file suffix or "").

    ``source`` is a path (``pathlib.Path`` or a one-line string naming an existing file)
    or the file's text itself.
    """
    if isinstance(source, str) and ("\n" in source or not _is_file(source)):
        return source.lstrip("\ufeff"), ""
    path = Path(source)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormFileError("no such file") from None
    except IsADirectoryError:
        raise FormFileError("a directory, not a form export") from None
    except OSError as exc:
        raise FormFileError(f"cannot read it: {exc.strerror}") from None
    return decode(raw, encoding=encoding), path.suffix.lower()


def decode(raw: bytes, *, encoding: str | None = None) -> str:
    """The text of a file: UTF-8 (with or without a byte-order mark), UTF-16 with its mark,
    or the encoding named by the person running the command.

    Legacy encodings are not guessed: cp1252, Latin-1 and Mac Roman decode almost any
    bytes without error, so a guess would turn "Beatriz Müller" into "Beatriz MÃ¼ller"
    silently. An explicit ``encoding`` (``--encoding cp1252``) is the honest way.
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            raise FormFileError(f"unknown encoding {encoding!r}") from None
        try:
            return raw.decode(codec.name).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise FormFileError(f"the file is not {encoding} text", line=line) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError:
            raise FormFileError("the file starts like UTF-16 text but is not") from None
    try:
        # utf-8-sig: Excel's "CSV UTF-8" and many others prepend a byte-order mark.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FormFileError(
            "the file is not UTF-8 text; export it again as UTF-8 (Excel: 'CSV UTF-8'), "
            "or name its encoding, e.g. --encoding cp1252",
            line=line,
        ) from None


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long for a path, NUL bytes, ...
        return False


def parse_table(text: str) -> Table:
    """Header and rows of a delimited text; blank rows dropped, short rows padded."""
    if not text.strip():
        raise FormFileError("the file is empty")
    first_line = 1
    delimiter: str | None = None
    head, _, rest = text.partition("\n")
    if head.strip().lower().startswith("sep=") and len(head.strip()) == 5:
        # Excel's own hint line, e.g. "sep=;": the delimiter, not a header.
        delimiter = head.strip()[4]
        text, first_line = rest, 2
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    records = _read_records(text, delimiter, first_line)
    if not records:
        raise FormFileError("the file is empty")
    header_line, header_cells = records[0]
    width = len(header_cells)
    rows: list[Row] = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # spreadsheets keep trailing empty rows
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise FormFileError(
                f"{len(cells)} cells but the header names {width} columns", line=line
            )
        # Spreadsheets drop trailing empty cells; a short row is blanks.
        padded = (cells + [""] * (width - len(cells)))[:width]
        rows.append(Row(line, tuple(padded)))
    header = tuple(cell.strip() for cell in header_cells)
    return Table(header, tuple(rows), header_line, delimiter)


def sniff_delimiter(text: str) -> str:
    """The delimiter of the first record: the candidate seen most often outside quotes.

    csv.Sniffer is confused by header cells that quote the other candidates (a Google
    Forms question "Topics (pick any; we will ask more later)"), so count only what is
    outside quotes, in the header, where every form tool writes one cell per question.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            if any(counts.values()):
                break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: the order of DELIMITERS
    return best if counts[best] else ","


def _read_records(text: str, delimiter: str, first_line: int) -> list[tuple[int, list[str]]]:
    """Records with the line each starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    offset = first_line - 1
    start = 1
    try:
        for cells in reader:
            if records or any(cell.strip() for cell in cells):
                records.append((start + offset, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormFileError(f"not valid CSV: {exc}", line=start + offset) from None
    return records


# --------------------------------------------------------------------------
# Excel workbooks (Microsoft Forms' "Open results in Excel" downloads one)


def is_workbook(source: str | os.PathLike[str]) -> bool:
    if isinstance(source, str) and ("\n" in source or not _is_file(source)):
        return False
    return Path(source).suffix.lower() in WORKBOOK_SUFFIXES


def read_workbook(source: str | os.PathLike[str]) -> Table:
    """The first sheet of an .xlsx as a table; ``Row.line`` is the sheet's row number."""
    from datetime import datetime
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except FileNotFoundError:
        raise FormFileError("no such file") from None
    except (BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise FormFileError(f"not an Excel workbook ({exc})") from None

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    try:
        sheet = book.worksheets[0]
        records = [
            (number, [text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        raise FormFileError("the workbook's first sheet is empty")
    header_line, header_cells = records[0]
    while header_cells and not header_cells[-1].strip():
        header_cells.pop()  # read-only sheets report trailing empty cells
    width = len(header_cells)
    rows = []
    for line, cells in records[1:]:
        if any(c.strip() for c in cells[width:]):
            raise FormFileError(
                f"{len(cells)} cells but the header names {width} columns", line=line, unit="row"
            )
        rows.append(Row(line, tuple((cells + [""] * width)[:width])))
    header = tuple(cell.strip() for cell in header_cells)
    return Table(header, tuple(rows), header_line, "", unit="row")
