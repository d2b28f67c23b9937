"""The edge where planning meets the input: list a folder once, read the run data map and MRC headers.

Everything here does IO; everything it returns is a frozen value the pure planner consumes.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import mrcfile

from ingest.errors import InputFileError, PlanError
from ingest.sources import Listing

# Folders a local listing never descends into: our own bookkeeping beside an output tree.
_SKIPPED_FOLDERS = frozenset({".ingest"})


@dataclass(frozen=True)
class RunDataMap:
    """Per-run template values: one row per run, keyed by the ``run_name`` column; values are text."""

    columns: tuple[str, ...] = ()
    rows: dict[str, dict[str, str]] = field(default_factory=dict)

    def values_for(self, run_name: str) -> Mapping[str, str]:
        """The columns of ``run_name``'s row (empty when the run has no row)."""
        return self.rows.get(run_name, {})


def parse_run_data_map(text: str, *, source: str) -> RunDataMap:
    """Parse a CSV or TSV run data map (the delimiter is sniffed from the header: tab, comma or semicolon).

    The first column named ``run_name`` keys the rows; a repeated run name is an error naming both lines.
    """
    lines = text.splitlines()
    if not lines:
        raise InputFileError("the run data map is empty", where=source, expected="a header with a run_name column")
    header = lines[0]
    delimiter = "\t" if "\t" in header else (";" if ";" in header and "," not in header else ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    columns = tuple(name.strip() for name in next(reader))
    if "run_name" not in columns:
        raise InputFileError(
            "the run data map has no run_name column", where=f"{source}:1", expected="run_name", found=header
        )
    key = columns.index("run_name")
    rows: dict[str, dict[str, str]] = {}
    first_line: dict[str, int] = {}
    for line_number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(columns)}
        run_name = values[columns[key]]
        if run_name in rows:
            raise InputFileError(
                f"run {run_name!r} appears twice in the run data map",
                where=f"{source}:{line_number}",
                expected="one row per run",
                found=f"a first row at line {first_line[run_name]}",
            )
        rows[run_name] = values
        first_line[run_name] = line_number
    return RunDataMap(columns, rows)


def list_local_folder(folder: Path) -> Listing:
    """List every file below ``folder`` once (keys relative to it, ``/``-separated, sorted by the listing)."""
    if not folder.is_dir():
        raise PlanError("the input folder does not exist", where=str(folder), expected="a folder of source files")
    keys: list[str] = []
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if name not in _SKIPPED_FOLDERS)
        relative = PurePosixPath(Path(directory).relative_to(folder).as_posix())
        keys.extend(str(relative / name) if str(relative) != "." else name for name in files)
    return Listing.of(keys, root=str(folder))


def read_local_run_data_map(folder: Path, name: str | None) -> RunDataMap:
    """The run data map ``name`` (relative to ``folder``), or an empty map when the config names none."""
    if not name:
        return RunDataMap()
    path = folder / name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputFileError(
            "the run data map cannot be read", where=str(path), found=error.strerror or str(error)
        ) from None
    return parse_run_data_map(text, source=str(path))


@dataclass(frozen=True)
class LocalMrcHeaders:
    """Reads voxel sizes from the headers of MRC files below a local folder (the data is never loaded)."""

    folder: Path

    def voxel_spacing(self, key: str, header_key: str) -> float:
        """The voxel size (x) in Å of ``key``; ``header_key`` is ``voxel_size`` or a raw header field."""
        path = self.folder / key
        try:
            with mrcfile.open(path, mode="r", header_only=True, permissive=True) as mrc:
                value = mrc.voxel_size.x if header_key == "voxel_size" else mrc.header[header_key]
                return round(float(value), 3)
        except (OSError, ValueError, KeyError) as error:
            raise InputFileError(
                "cannot read the voxel size from the MRC header",
                where=str(path),
                expected=f"an MRC file with a {header_key!r} header field",
                found=str(error),
            ) from None
