"""Turning text tables (pandas frames read as strings or by a format library) into checked float arrays.

Every pick reader that starts from a table goes through :func:`numeric_columns`, so that a missing column, an
empty or non-numeric cell and a NaN/infinity are reported the same way: file, row and the value found.
Rows are numbered from 1 over the data rows of the file (a header line is not counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ingest.errors import InputFileError, UsageError


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, source: str) -> None:
    """Raise an error naming the columns of ``columns`` that ``frame`` lacks and the ones it has."""
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise InputFileError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            where=source,
            expected="columns " + ", ".join(columns),
            found="columns " + ", ".join(str(c) for c in frame.columns),
        )


def numeric_columns(frame: pd.DataFrame, columns: Sequence[str], *, source: str) -> NDArray[np.float64]:
    """The ``columns`` of ``frame`` as a float64 (n, len(columns)) array, every cell checked.

    Cells may be numbers or numeric text; an empty cell, text that is not a number, NaN and infinity are errors
    naming the file, the 1-based data row, the column and the value found.
    """
    require_columns(frame, columns, source=source)
    result = np.empty((len(frame), len(columns)), dtype=np.float64)
    for index, name in enumerate(columns):
        raw = frame[name]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            row = int(bad[0])
            _raise_bad_cell(raw.iloc[row], row=row, column=name, source=source)
        result[:, index] = values
    return result


def integer_column(frame: pd.DataFrame, column: str, *, source: str) -> NDArray[np.int64]:
    """``column`` as int64; whole numbers written as floats (``3.0``) are accepted, fractions are errors."""
    values = numeric_columns(frame, [column], source=source)[:, 0]
    fractional = np.flatnonzero(values != np.round(values))
    if len(fractional):
        row = int(fractional[0])
        raise InputFileError(
            f"{column} is not a whole number",
            where=f"{source}: row {row + 1}",
            expected="an integer",
            found=repr(frame[column].iloc[row]),
        )
    return values.astype(np.int64)


def _raise_bad_cell(cell: object, *, row: int, column: str, source: str) -> None:
    where = f"{source}: row {row + 1}, column {column}"
    text = str(cell)
    if text.strip() == "":
        raise InputFileError("empty cell", where=where, expected="a number", found="nothing")
    try:
        float(text)
    except ValueError:
        raise InputFileError("not a number", where=where, expected="a number", found=repr(text)) from None
    raise InputFileError("not a finite number", where=where, expected="a finite number", found=text)


def reject_filter_value(filter_value: str | None, *, file_format: str, source: str) -> None:
    """Formats without a run column cannot select rows: a ``filter_value`` for them is a configuration error."""
    if filter_value is not None:
        raise UsageError(
            f"format {file_format} has no run column to filter on",
            where=source,
            expected="no filter_value (one file per run)",
            found=repr(filter_value),
        )


MAX_LINE_BYTES = 64 << 10
"""The longest line a pick table may have (real ones are under 1 KiB: some 40 columns of numbers)."""
MAX_COLUMNS = 1024
"""The most columns a pick table line may have (RELION, Dynamo and STOPGAP tables have about 40)."""


def check_table_lines(path: Path, *, delimiter: str | None) -> None:
    """Refuse a line longer than :data:`MAX_LINE_BYTES` or with more than :data:`MAX_COLUMNS` columns, reading
    at most one bounded line at a time, before a table parser sees the file.

    (pandas took 610 s and 2.9 GB for one 2 MB line of a million columns.) ``delimiter`` None means columns are
    separated by runs of whitespace; a delimiter longer than one character (a regular expression) is only checked
    for line length.
    """
    separator = delimiter.encode() if delimiter is not None and len(delimiter) == 1 else None
    with path.open("rb") as stream:
        number = 0
        while line := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                raise InputFileError(
                    "line too long for a pick table",
                    where=f"{path}:{number}",
                    expected=f"lines of at most {MAX_LINE_BYTES} bytes",
                    found=f"a line of more than {MAX_LINE_BYTES} bytes",
                )
            if separator is not None:
                columns = line.count(separator) + 1
            elif delimiter is None:
                columns = len(line.split())
            else:
                continue
            if columns > MAX_COLUMNS:
                raise InputFileError(
                    "too many columns for a pick table",
                    where=f"{path}:{number}",
                    expected=f"at most {MAX_COLUMNS} columns",
                    found=f"{columns} columns",
                )
