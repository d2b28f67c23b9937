"""Dynamo tables (``dynamo_tbl``) through ``dynamotable``, with an optional ``.doc`` table map.

Position = (x + dx, y + dy, z + dz) / binning; rotation = ``dynamo_to_matrix(tdrot, tilt, narot)``; score = cc.
``filter_value`` selects one tomogram, either by its index (column 20, ``tomo``) or by a name from the table map
(the full path written in the map, its file name, or the file name without extensions). The table map is the
``extra`` option ``table_map`` when given, else a ``.doc`` file next to the table with the same stem.
"""

from __future__ import annotations

from pathlib import Path

import dynamotable
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader, select_rows
from ingest.converters.picks.rotations import dynamo_to_matrix
from ingest.converters.picks.tables import check_table_lines, numeric_columns
from ingest.errors import EmptySelectionError, InputFileError

_POSITION = ["x", "y", "z"]
_SHIFT = ["dx", "dy", "dz"]
_ANGLES = ["tdrot", "tilt", "narot"]


def table_map_for(path: Path, options: ReadOptions) -> Path | None:
    """The table map to use: the ``table_map`` option, else ``<table stem>.doc`` beside the table if it exists."""
    explicit = dict(options.extra).get("table_map")
    if explicit is not None:
        return Path(explicit)
    sibling = path.with_suffix(".doc")
    return sibling if sibling.is_file() else None


def _read_table(path: Path, table_map: Path | None) -> pd.DataFrame:
    for table in (path, table_map):
        if table is not None and table.exists():
            check_table_lines(table, delimiter=None)
    try:
        frame: pd.DataFrame = dynamotable.read(str(path), str(table_map) if table_map is not None else None)
    except FileNotFoundError as error:
        raise InputFileError("file not found", where=str(error.filename or path)) from None
    except Exception as error:  # dynamotable surfaces pandas parser and merge errors unchanged
        where = f"{path} (table map {table_map})" if table_map is not None else str(path)
        raise InputFileError(
            "not a readable Dynamo table", where=where, expected="a Dynamo .tbl table", found=str(error)
        ) from None
    return frame


def _names_of(tomo_file: str) -> set[str]:
    name = Path(tomo_file).name
    return {tomo_file, name, name.split(".")[0]}


def _select_tomogram(frame: pd.DataFrame, filter_value: str | None, *, source: str) -> NDArray[np.bool_]:
    indices = frame["tomo"].tolist()
    if filter_value is None or "tomo_file" not in frame.columns:
        return select_rows(indices, filter_value, source=source, column="tomo")
    by_index = np.array([str(v) == filter_value for v in indices], dtype=bool)
    if by_index.any():
        return by_index
    files = frame["tomo_file"].astype(str).tolist()
    by_name = np.array([filter_value in _names_of(f) for f in files], dtype=bool)
    if by_name.any():
        return by_name
    shown = sorted({Path(f).name for f in files})
    raise EmptySelectionError(
        f"no row has tomo or table-map name {filter_value!r}",
        where=source,
        expected="a tomogram index ("
        + ", ".join(sorted({str(v) for v in indices}, key=_natural))
        + ") or name ("
        + ", ".join(shown[:20])
        + (", ..." if len(shown) > 20 else "")
        + ")",
        found=repr(filter_value),
    )


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 62, text)


@register_reader("dynamo_tbl")
def read_dynamo_table(path: Path, options: ReadOptions) -> Picks:
    """Particles of a Dynamo table, optionally one tomogram's, in voxels (pixels / binning)."""
    source = str(path)
    frame = _read_table(path, table_map_for(path, options))
    values = numeric_columns(frame, _POSITION + _SHIFT + _ANGLES + ["tomo"], source=source)
    scores = numeric_columns(frame, ["cc"], source=source)[:, 0] if "cc" in frame.columns else None
    mask = _select_tomogram(frame, options.filter_value, source=source)
    values = values[mask]
    positions = (values[:, 0:3] + values[:, 3:6]) / options.binning
    rotations = dynamo_to_matrix(values[:, 6], values[:, 7], values[:, 8])
    return finish_picks(
        positions, options, source=source, rotations=rotations, scores=None if scores is None else scores[mask]
    )
