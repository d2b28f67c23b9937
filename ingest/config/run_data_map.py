"""The one reader of a run data map (``standardization_config.run_data_map_file``), used by validation and planning,
and the older two-column run maps (:class:`RunNameMap`).

The portal reads the map with a header row, keyed by its ``run_name`` column: tab-separated when the file name ends
in ``tsv``, comma-separated otherwise. Where the portal's reading succeeds, this one gives the same columns and
rows. Two extensions accept maps the portal would stop on (a ``KeyError`` on ``run_name`` or on a column name with
a space): when the header split by the suffix's delimiter names no ``run_name`` column, the delimiter is taken from
the header (tab, semicolon or comma, the first that yields ``run_name``); header names and cells are stripped of
surrounding spaces (``run_name, tilt``). A repeated run name is an error naming both lines (the portal lets the
later row win silently).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ingest.errors import InputFileError

_KEY_COLUMN = "run_name"
_FALLBACK_DELIMITERS = ("\t", ";", ",")


@dataclass(frozen=True)
class RunDataMap:
    """Per-run template values: one row per run, keyed by the ``run_name`` column; values are text."""

    columns: tuple[str, ...] = ()
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""

    def values_for(self, run_name: str) -> Mapping[str, str]:
        """The columns of ``run_name``'s row (empty when the run has no row)."""
        return self.rows.get(run_name, {})


def map_delimiter(header: str, source: str) -> str:
    """The delimiter of a map whose first line is ``header``: the portal's (tab for a name ending in ``tsv``, else
    comma), or, when that yields no ``run_name`` column, the first of tab, semicolon, comma that does."""
    portal = "\t" if source.endswith("tsv") else ","
    for delimiter in (portal, *_FALLBACK_DELIMITERS):
        if _KEY_COLUMN in _split_header(header, delimiter):
            return delimiter
    return portal


def _split_header(header: str, delimiter: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in next(csv.reader([header], delimiter=delimiter), []))


def parse_run_data_map(text: str, *, source: str) -> RunDataMap:
    """Parse the text of a run data map read from ``source`` (a file name or URL, also used in errors)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines:
        raise InputFileError("the run data map is empty", where=source, expected="a header with a run_name column")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=map_delimiter(lines[0], source))
    try:
        return _parse_rows(reader, source)
    except csv.Error as error:
        raise InputFileError(
            "malformed run data map", where=f"{source}:{reader.line_num}", expected="CSV or TSV rows", found=str(error)
        ) from None


def _parse_rows(reader: Iterator[list[str]], source: str) -> RunDataMap:
    columns = tuple(name.strip() for name in next(reader))
    if _KEY_COLUMN not in columns:
        raise InputFileError(
            "the run data map has no run_name column",
            where=f"{source}:1",
            expected="a header row naming a run_name column (comma-, tab- or semicolon-separated)",
            found=f"{len(columns)} column(s), none named run_name",
        )
    key = columns.index(_KEY_COLUMN)
    rows: dict[str, dict[str, str]] = {}
    first_line: dict[str, int] = {}
    for line_number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(columns)}
        run_name = values[columns[key]]
        if run_name in rows:
            raise InputFileError(
                "a run appears twice in the run data map",
                where=f"{source}:{line_number}",
                expected="one row per run",
                found=f"the same run_name as line {first_line[run_name]}",
            )
        rows[run_name] = values
        first_line[run_name] = line_number
    return RunDataMap(columns, rows, source)


@dataclass(frozen=True)
class RunNameMap:
    """An older two-column run map (``run_to_tomo_map_csv`` and the like): run name to a name, no header; the
    first column is the run, the second the value (the portal's reading; a later row for a run wins)."""

    source: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunMaps:
    """The older run maps of ``standardization_config``, keyed by the template variable each provides."""

    maps: dict[str, RunNameMap] = field(default_factory=dict)

    def values_for(self, run_name: str) -> dict[str, str]:
        """The run-map variables of ``run_name`` (``mapped_tomo_name`` ...); a run without a row has none."""
        return {name: m.values[run_name] for name, m in self.maps.items() if run_name in m.values}


def parse_run_name_map(text: str, *, source: str) -> RunNameMap:
    """Parse a two-column run map (CSV, no header); a row with fewer than two columns is an error naming its line
    (and never echoing its content)."""
    values: dict[str, str] = {}
    for line_number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise InputFileError(
                "a row of the run map has fewer than two columns",
                where=f"{source}:{line_number}",
                expected="run_name,value",
                found=f"{len(row)} column(s)",
            )
        values[row[0]] = row[1]
    return RunNameMap(source, values)
