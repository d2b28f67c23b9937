"""A run's identified objects from a CSV table, as the portal's identified-object importer writes them.

The table is read with pandas' CSV reader; when it has a ``run_name`` column, only the run's rows are kept and the
column is dropped; the rows are written as JSON records (``to_json(orient="records", indent=4)``, as the portal).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ingest.errors import InputFileError


@dataclass(frozen=True)
class IdentifiedObjects:
    """The JSON records of one run's identified objects, with their columns and how many there are."""

    data: bytes
    columns: tuple[str, ...]
    count: int


def identified_objects_for_run(table: bytes, run_name: str, *, where: str) -> IdentifiedObjects:
    """The rows of the CSV ``table`` that belong to ``run_name`` (see the module docstring); a table that cannot be
    read as CSV is an :class:`InputFileError` naming ``where``."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(table))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputFileError("not a readable CSV table", where=where, expected="a CSV file", found=first) from None
    if "run_name" in frame.columns:
        frame = frame[frame["run_name"].astype(str) == run_name].drop(columns=["run_name"])
    text = frame.to_json(orient="records", indent=4)
    return IdentifiedObjects((text or "[]").encode(), tuple(str(column) for column in frame.columns), len(frame))
