"""Reading rows from CSV, XLSX and JSON Lines files.

Each reader yields (row_number, fields) where row_number is what a person
sees in the file (the line in CSV and JSON Lines, the sheet row in XLSX).
A row that cannot be read at all yields a list of FieldError instead of
fields. Problems with the file as a whole (unknown format, a missing column,
an unreadable workbook) raise FileFormatError before any row is produced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from casedraw.domain.errors import FieldError

SourceRow = tuple[int, dict[str, object] | list[FieldError]]


class FileFormatError(ValueError):
    """The file as a whole cannot be used; nothing in it was accepted."""


def read_rows(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> list[SourceRow]:
    """All rows of a CSV, XLSX or JSON Lines file, checked for the required columns."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    if suffix == ".csv":
        header, rows = _csv(path)
    elif suffix == ".xlsx":
        header, rows = _xlsx(path)
    elif suffix in (".jsonl", ".ndjson"):
        return list(_jsonl(path, required, optional))
    else:
        raise FileFormatError(f"{path}: unknown file type {suffix!r}; use .csv, .xlsx or .jsonl")
    _check_header(path, header, required, optional)
    return list(rows)


def _check_header(path: Path, header: Sequence[str], required: Sequence[str], optional: Sequence[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise FileFormatError(f"{path}: missing column(s) {', '.join(missing)}; the header has: {', '.join(header) or '(nothing)'}")
    known = set(required) | set(optional)
    unknown = [c for c in header if c and c not in known]
    if unknown:
        raise FileFormatError(f"{path}: unknown column(s) {', '.join(unknown)}; known columns: {', '.join(sorted(known))}")
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if duplicated:
        raise FileFormatError(f"{path}: column(s) {', '.join(duplicated)} appear more than once")


def _normalise(name: object) -> str:
    return str(name or "").strip().lower()


def _csv(path: Path) -> tuple[list[str], Iterator[SourceRow]]:
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [_normalise(c) for c in next(reader)]
    except StopIteration:
        raise FileFormatError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise FileFormatError(f"{path}: the header cannot be read: {exc}") from exc

    def rows() -> Iterator[SourceRow]:
        while True:
            line = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, [FieldError("row", f"cannot be read as CSV: {exc}")]
                return  # the parser cannot resynchronise after a broken quote
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                yield reader.line_num, [FieldError("row", f"has {len(record)} cells, the header has {len(header)}")]
                continue
            yield reader.line_num, dict(zip(header, record, strict=True))

    return header, rows()


def _xlsx(path: Path) -> tuple[list[str], Iterator[SourceRow]]:
    from openpyxl import load_workbook  # imported here: slow to import, needed only for XLSX

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = [_normalise(c) for c in next(values)]
    except StopIteration:
        raise FileFormatError(f"{path}: the first sheet is empty") from None
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[SourceRow]:
        for number, record in enumerate(values, start=2):
            cells = list(record[: len(header)])
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            yield number, {name: _cell(name, value) for name, value in zip(header, cells, strict=False)}
        workbook.close()

    return header, rows()


def _cell(column: str, value: object) -> object:
    """Undo what spreadsheets do to identifiers and amounts."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and (column.endswith("idn") or column == "iin"):
        return f"{value:012d}"  # a 12-digit number typed into Excel loses its leading zero
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    return str(value)


def _jsonl(path: Path, required: Sequence[str], optional: Sequence[str]) -> Iterator[SourceRow]:
    known = set(required) | set(optional)
    try:
        lines = path.read_text("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, [FieldError("line", f"is not valid JSON: {exc.msg} at column {exc.colno}")]
            continue
        if not isinstance(record, dict):
            yield number, [FieldError("line", f"must be a JSON object, got {type(record).__name__}")]
            continue
        errors = [FieldError(c, "is required") for c in required if c not in record]
        errors += [FieldError(c, "is not a known field") for c in record if c not in known]
        if errors:
            yield number, errors
            continue
        yield number, {k: _json_value(v) for k, v in record.items()}


def _json_value(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value
