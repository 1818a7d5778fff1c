"""Indicator and comparison rows as CSV and Parquet files.

The CSV is byte-stable (fixed column order, four decimals, "\\n" line ends), so the figures computed from
the database and from an export can be compared with `cmp`. Parquet carries an explicit schema, so a
column with nothing but empty cells still has its type.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

from casedraw.analytics.indicators import COMPARISON_COLUMNS, INDICATOR_COLUMNS

__all__ = ["COMPARISON_COLUMNS", "INDICATOR_COLUMNS", "column_type", "csv_text", "write_csv", "write_parquet"]

_STRING_COLUMNS = frozenset({"period", "by", "group", "indicator", "unit"})
_INTEGER_COLUMNS = frozenset({"n", "before_n", "after_n"})
_BOOLEAN_COLUMNS = frozenset({"significant"})

Rows = Iterable[Mapping[str, object]]


def column_type(column: str) -> str:
    """The Parquet type of a column: string, int64, bool or float64 (every statistic)."""
    if column in _STRING_COLUMNS:
        return "string"
    if column in _INTEGER_COLUMNS:
        return "int64"
    if column in _BOOLEAN_COLUMNS:
        return "bool"
    if column in INDICATOR_COLUMNS or column in COMPARISON_COLUMNS:
        return "float64"
    raise KeyError(f"unknown column {column!r}")


def csv_text(rows: Rows, columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    _write_csv(rows, columns, buffer)
    return buffer.getvalue()


def write_csv(rows: Rows, columns: Sequence[str], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        _write_csv(rows, columns, f)


def write_parquet(rows: Rows, columns: Sequence[str], path: str | Path) -> None:
    import pyarrow as pa  # only this command needs it
    import pyarrow.parquet as pq

    rows = list(rows)
    types = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(), "float64": pa.float64()}
    schema = pa.schema([pa.field(c, types[column_type(c)], nullable=True) for c in columns])
    arrays = [pa.array([row[c] for row in rows], type=schema.field(c).type) for c in columns]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), str(path), compression="zstd")


def _write_csv(rows: Rows, columns: Sequence[str], stream: IO[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(row[c]) for c in columns] for row in rows)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
