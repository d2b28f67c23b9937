"""STAR tables for the pick readers: read a file with ``starfile``, find its particle table, pull numeric columns.

Every failure names the file and, for cells, the 1-based data row of the table (``particle row N``), since
``starfile`` does not keep line numbers. Tomogram and micrograph names are read as text, so that names that look
numeric (``001``) keep their spelling.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import starfile
from numpy.typing import NDArray

from ingest.converters.picks.registry import ReadOptions, select_rows
from ingest.converters.picks.tables import check_table_lines
from ingest.errors import InputFileError

# Blocks that hold settings, never particles: skipped when a file's particle table is found by elimination.
_SETTINGS_BLOCKS = frozenset({"optics", "general", "global"})


def read_star_blocks(path: Path, *, text_columns: Sequence[str] = ()) -> dict[str, Any]:
    """Every data block of a STAR file by name: loops as DataFrames, key-value blocks as dicts.

    ``text_columns`` are kept as strings. An unreadable or empty file is an :class:`InputFileError`.
    """
    if path.exists():
        check_table_lines(path, delimiter=None)
    try:
        blocks = starfile.read(path, always_dict=True, parse_as_string=list(text_columns))
    except FileNotFoundError:
        raise InputFileError("file not found", where=str(path)) from None
    except Exception as error:  # starfile and pandas raise many kinds of errors for malformed text
        raise InputFileError(
            "not a readable STAR file",
            where=str(path),
            expected="STAR data blocks (data_ ... loop_ ...)",
            found=f"{type(error).__name__}: {error}",
        ) from None
    if not blocks:
        raise InputFileError(
            "the file has no STAR data blocks", where=str(path), expected="a data_ block with a loop_", found="none"
        )
    return dict(blocks)


def find_loop_block(blocks: dict[str, Any], names: Sequence[str], *, source: str, what: str) -> pd.DataFrame:
    """The first loop block called one of ``names``, else the only loop block that is not a settings block."""
    for name in names:
        block = blocks.get(name)
        if isinstance(block, pd.DataFrame):
            return block
    loops = [name for name, block in blocks.items() if isinstance(block, pd.DataFrame)]
    candidates = [name for name in loops if name not in _SETTINGS_BLOCKS]
    if len(candidates) == 1:
        only: pd.DataFrame = blocks[candidates[0]]
        return only
    shown = ", ".join(f"data_{name}" for name in blocks) or "none"
    raise InputFileError(
        f"no {what} table",
        where=source,
        expected="a loop block named " + " or ".join(f"data_{name}" for name in names),
        found=f"blocks {shown}",
    )


def require_columns(table: pd.DataFrame, columns: Sequence[str], *, source: str, what: str) -> None:
    """Raise an error naming the missing columns and the columns present."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise InputFileError(
            f"the {what} table has no column {', '.join(missing)}",
            where=source,
            expected="columns " + ", ".join(columns),
            found="columns " + (", ".join(map(str, table.columns)) or "(none)"),
        )


def has_column_group(table: pd.DataFrame, columns: Sequence[str], *, source: str, what: str) -> bool:
    """Whether all of ``columns`` are present; none present is False, some but not all is an error."""
    present = [column in table.columns for column in columns]
    if all(present):
        return True
    if any(present):
        require_columns(table, columns, source=source, what=what)
    return False


def require_orientation_columns(
    table: pd.DataFrame, columns: Sequence[str], options: ReadOptions, *, source: str, what: str
) -> None:
    """For an oriented-point read (``extra`` option ``shape`` = ``orientedPoint``), missing angles name the columns.

    Otherwise a table without angle columns is read as point-only picks.
    """
    if dict(options.extra).get("shape") == "orientedPoint":
        require_columns(table, columns, source=source, what=what)


def numeric_columns(
    table: pd.DataFrame, columns: Sequence[str], rows: NDArray[np.intp], *, source: str, row_label: str
) -> NDArray[np.float64]:
    """The cells of ``columns`` at ``rows`` as float64 (len(rows), len(columns)).

    A non-numeric, missing, NaN or infinite cell is an error naming the file, ``row_label`` with the 1-based row of
    the table, the column and the cell; the first bad row in file order is reported. Booleans are not numbers.
    """
    values = np.empty((len(rows), len(columns)), dtype=np.float64)
    first_bad: tuple[int, str, str, object] | None = None
    for index, column in enumerate(columns):
        cells = table[column].to_numpy()[rows]
        if cells.dtype.kind in "fiu":
            numbers = cells.astype(np.float64)
        elif cells.dtype.kind == "b":  # pandas reads a column of True/False as booleans: not coordinates
            numbers = np.full(len(cells), np.nan)
        else:
            numbers = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(dtype=np.float64)
        values[:, index] = numbers
        bad = np.flatnonzero(~np.isfinite(numbers))
        if len(bad) and (first_bad is None or rows[bad[0]] < first_bad[0]):
            cell = cells[bad[0]]
            first_bad = (int(rows[bad[0]]), column, _problem(cell), cell)
    if first_bad is not None:
        row, column, problem, cell = first_bad
        raise InputFileError(
            f"{column} {problem}",
            where=f"{source}: {row_label} {row + 1}",
            expected="a finite number",
            found=repr(cell) if isinstance(cell, str) else str(cell),
        )
    return values


def _problem(cell: object) -> str:
    if isinstance(cell, bool | np.bool_) or not isinstance(cell, int | float | np.integer | np.floating):
        return "is not a number"
    # A short row and a literal nan both read as NaN.
    return "is missing or NaN" if np.isnan(cell) else "is not a finite number"


def select_by_name(
    table: pd.DataFrame, column: str | None, filter_value: str | None, *, source: str
) -> NDArray[np.intp]:
    """The rows whose ``column`` equals ``filter_value`` (all rows when it is None), in file order.

    Compares each distinct value once, so that a million rows cost a factorisation, not a Python loop; an empty
    selection is the :func:`select_rows` error naming the values that do exist.
    """
    if filter_value is None:
        return np.arange(len(table), dtype=np.intp)
    if column is None:
        raise InputFileError(
            f"cannot select rows by {filter_value!r}: the table has no name column",
            where=source,
            found="columns " + ", ".join(map(str, table.columns)),
        )
    codes, uniques = pd.factorize(table[column], use_na_sentinel=False)
    chosen = select_rows(list(uniques), filter_value, source=source, column=column)
    return np.flatnonzero(chosen[codes]).astype(np.intp)
