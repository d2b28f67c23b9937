"""Plain point tables: ``csv`` (no header), ``csv_with_header``, ``tsv`` and TARDIS instance CSVs (``tardis``).

Positions are pixel coordinates divided by ``binning``. ``delimiter`` overrides the format's default (``,`` for
csv, tab for tsv); ``columns`` says whether the three coordinate columns are ``xyz`` (default) or ``zyx``.
With a header, columns named x, y, z (any case) are used when present, else the first three columns.
TARDIS files (``IDs,X [A],Y [A],Z [A]``) give instance ids from their first column.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader
from ingest.converters.picks.tables import check_table_lines, integer_column, numeric_columns, reject_filter_value
from ingest.errors import InputFileError, UsageError


class FirstRow(Enum):
    """What the first line of a text table holds."""

    DATA = "data"
    COLUMN_NAMES = "column names"


def read_text_table(path: Path, *, delimiter: str, first_row: FirstRow) -> pd.DataFrame:
    """Every cell of a delimited text file as a string (empty cells ``""``); column labels are strings."""
    check_table_lines(path, delimiter=delimiter)
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            header=0 if first_row is FirstRow.COLUMN_NAMES else None,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputFileError(
            "malformed table", where=str(path), expected=f"rows of {delimiter!r}-separated values", found=str(error)
        ) from None
    frame.columns = [str(label).strip() for label in frame.columns]
    return frame.fillna("")


def _coordinate_columns(frame: pd.DataFrame, *, first_row: FirstRow, source: str) -> list[str]:
    if first_row is FirstRow.COLUMN_NAMES:
        by_name = {str(label).lower(): str(label) for label in frame.columns}
        if all(axis in by_name for axis in "xyz"):
            return [by_name["x"], by_name["y"], by_name["z"]]
    if len(frame.columns) < 3 and len(frame):
        raise InputFileError(
            "too few columns",
            where=f"{source}: row 1",
            expected="3 coordinate columns",
            found=f"{len(frame.columns)} column(s): {', '.join(frame.iloc[0].astype(str))}",
        )
    return [str(label) for label in frame.columns[:3]]


def _column_order(columns: str | None, *, source: str) -> str:
    order = columns or "xyz"
    if order not in ("xyz", "zyx"):
        raise UsageError("unknown columns order", where=source, expected="xyz or zyx", found=repr(columns))
    return order


def _read_point_table(path: Path, options: ReadOptions, *, file_format: str, default_delimiter: str) -> Picks:
    source = str(path)
    reject_filter_value(options.filter_value, file_format=file_format, source=source)
    first_row = FirstRow.COLUMN_NAMES if file_format == "csv_with_header" else FirstRow.DATA
    order = _column_order(options.columns, source=source)
    frame = read_text_table(path, delimiter=options.delimiter or default_delimiter, first_row=first_row)
    if frame.empty:
        return finish_picks(np.zeros((0, 3)), options, source=source)
    positions = numeric_columns(frame, _coordinate_columns(frame, first_row=first_row, source=source), source=source)
    if order == "zyx":
        positions = positions[:, ::-1]
    return finish_picks(positions / options.binning, options, source=source)


@register_reader("csv")
def read_csv_points(path: Path, options: ReadOptions) -> Picks:
    """A headerless comma-separated point list (x, y, z or z, y, x per row)."""
    return _read_point_table(path, options, file_format="csv", default_delimiter=",")


@register_reader("csv_with_header")
def read_csv_with_header_points(path: Path, options: ReadOptions) -> Picks:
    """A comma-separated point list whose first line names the columns."""
    return _read_point_table(path, options, file_format="csv_with_header", default_delimiter=",")


@register_reader("tsv")
def read_tsv_points(path: Path, options: ReadOptions) -> Picks:
    """A headerless tab-separated point list."""
    return _read_point_table(path, options, file_format="tsv", default_delimiter="\t")


def _tardis_columns(frame: pd.DataFrame, *, source: str) -> list[str]:
    labels = [str(label) for label in frame.columns]
    if len(labels) < 4:
        raise InputFileError(
            "too few columns", where=source, expected="columns IDs, X, Y, Z", found="columns " + ", ".join(labels)
        )
    named = {label.split("[")[0].strip().lower(): label for label in labels}
    if all(key in named for key in ("ids", "x", "y", "z")):
        return [named["ids"], named["x"], named["y"], named["z"]]
    return labels[:4]


@register_reader("tardis")
def read_tardis_instances(path: Path, options: ReadOptions) -> Picks:
    """A TARDIS point-cloud CSV: instance id, then x, y, z in pixels (divided by ``binning``)."""
    source = str(path)
    reject_filter_value(options.filter_value, file_format="tardis", source=source)
    frame = read_text_table(path, delimiter=options.delimiter or ",", first_row=FirstRow.COLUMN_NAMES)
    if frame.empty:
        return finish_picks(np.zeros((0, 3)), options, source=source, instance_ids=np.zeros(0, dtype=np.int64))
    ids, x, y, z = _tardis_columns(frame, source=source)
    positions = numeric_columns(frame, [x, y, z], source=source)
    instance_ids = integer_column(frame, ids, source=source)
    return finish_picks(positions / options.binning, options, source=source, instance_ids=instance_ids)
