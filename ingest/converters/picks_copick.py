"""copick picks JSON (``copick``): Å locations and a 4×4 ``transformation_`` per point.

Position = (location + T[:3, 3]) / voxel spacing (Å per voxel, from ``voxel_spacing`` in the read options, else
the file's own ``voxel_spacing``); rotation = T[:3, :3]; a point without ``transformation_`` has the identity.
``instance_id`` and ``score`` are kept when every point has them. ``filter_value`` must equal the file's
``run_name`` when both are set (a copick file holds one run).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks import Picks, ReadOptions, finish_picks, register_reader
from ingest.converters.picks_json import json_number, load_json_file
from ingest.errors import EmptySelectionError, InputFileError, UsageError


def _document(path: Path) -> dict[str, object]:
    document = load_json_file(path)
    if not isinstance(document, dict) or not isinstance(document.get("points"), list):
        raise InputFileError(
            "not a copick picks file",
            where=str(path),
            expected='an object with a "points" list',
            found=type(document).__name__ if not isinstance(document, dict) else "keys " + ", ".join(document),
        )
    unit = document.get("unit", "angstrom")
    if unit != "angstrom":
        raise InputFileError("unsupported unit", where=str(path), expected='"angstrom"', found=repr(unit))
    return document


def _voxel_spacing(document: dict[str, object], options: ReadOptions, source: str) -> float:
    spacing = options.voxel_spacing if options.voxel_spacing is not None else document.get("voxel_spacing")
    if spacing is None:
        raise UsageError(
            "copick locations are in Å and need a voxel spacing",
            where=source,
            expected="the voxel_spacing option (Å per voxel)",
            found="none in the options or the file",
        )
    value = json_number(spacing, where=source, what="voxel_spacing")
    if value <= 0:
        raise UsageError("voxel spacing must be positive", where=source, expected="> 0", found=str(value))
    return value


def _transformation(point: dict[str, object], where: str) -> NDArray[np.float64]:
    raw = point.get("transformation_")
    if raw is None:
        return np.eye(4)
    if not isinstance(raw, list) or len(raw) != 4 or not all(isinstance(r, list) and len(r) == 4 for r in raw):
        raise InputFileError("transformation_ is not 4×4", where=where, expected="4 rows of 4 numbers", found=str(raw))
    return np.array([[json_number(v, where=where, what="transformation_") for v in row] for row in raw])


def _point_arrays(points: list[object], source: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    locations = np.empty((len(points), 3))
    transforms = np.empty((len(points), 4, 4))
    for index, point in enumerate(points):
        where = f"{source}: point {index + 1}"
        location = point.get("location") if isinstance(point, dict) else None
        if not isinstance(location, dict):
            raise InputFileError(
                "point has no location", where=where, expected='{"location": {"x", "y", "z"}}', found=str(point)
            )
        locations[index] = [json_number(location.get(axis), where=where, what=f"location.{axis}") for axis in "xyz"]
        assert isinstance(point, dict)
        transforms[index] = _transformation(point, where)
    return locations, transforms


def _optional_column(points: list[object], key: str, source: str) -> list[float] | None:
    if not points or not all(isinstance(p, dict) and p.get(key) is not None for p in points):
        return None
    return [json_number(p[key], where=f"{source}: point {i + 1}", what=key) for i, p in enumerate(points)]  # type: ignore[index]


@register_reader("copick")
def read_copick_picks(path: Path, options: ReadOptions) -> Picks:
    """Points of a copick picks file in voxels of ``voxel_spacing``, with their rotations and instance ids."""
    source = str(path)
    document = _document(path)
    run_name = document.get("run_name")
    if options.filter_value is not None and run_name is not None and str(run_name) != options.filter_value:
        raise EmptySelectionError(
            f"the file's run_name is not {options.filter_value!r}",
            where=source,
            expected=f"run_name {options.filter_value!r}",
            found=repr(run_name),
        )
    points = document["points"]
    assert isinstance(points, list)
    spacing = _voxel_spacing(document, options, source)
    locations, transforms = _point_arrays(points, source)
    ids = _optional_column(points, "instance_id", source)
    scores = _optional_column(points, "score", source)
    return finish_picks(
        (locations + transforms[:, :3, 3]) / spacing,
        options,
        source=source,
        rotations=np.ascontiguousarray(transforms[:, :3, :3]),
        instance_ids=None if ids is None else np.asarray(ids, dtype=np.int64),
        scores=None if scores is None else np.asarray(scores, dtype=np.float64),
    )
