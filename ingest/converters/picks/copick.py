"""copick picks JSON (``copick``): Å locations and a 4×4 ``transformation_`` per point.

Position = (location + T[:3, 3]) / voxel spacing (Å per voxel, from ``voxel_spacing`` in the read options, else
the file's own ``voxel_spacing``); rotation = T[:3, :3]. Missing fields take copick's model defaults
(``CopickPoint``): ``transformation_`` the identity, ``instance_id`` 0; ``score`` is kept when every point has one.
``"points": null`` (how copick saves a picks file with no points) is an empty list. ``filter_value`` must equal the
file's ``run_name`` when both are set (a copick file holds one run).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks.json_files import describe_json_top_level, json_number, load_json_file
from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader
from ingest.errors import EmptySelectionError, InputFileError, UsageError

Point = dict[str, object]


def _document(path: Path) -> tuple[dict[str, object], list[Point]]:
    """The document and its points; every point must be an object with a ``location`` object."""
    document = load_json_file(path)
    has_points = isinstance(document, dict) and "points" in document
    points = (document["points"] if has_points else None) if isinstance(document, dict) else None
    if has_points and points is None:
        points = []  # copick writes "points": null for a picks file without points
    if not isinstance(document, dict) or not isinstance(points, list):
        raise InputFileError(
            "not a copick picks file",
            where=str(path),
            expected='an object with a "points" list',
            found=describe_json_top_level(document),
        )
    unit = document.get("unit", "angstrom")
    if unit != "angstrom":
        raise InputFileError("unsupported unit", where=str(path), expected='"angstrom"', found=repr(unit))
    for index, point in enumerate(points):
        if not isinstance(point, dict) or not isinstance(point.get("location"), dict):
            raise InputFileError(
                "point has no location",
                where=f"{path}: point {index + 1}",
                expected='{"location": {"x", "y", "z"}}',
                found=str(point),
            )
    return document, points


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


def _point_arrays(points: list[Point], source: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    locations = np.empty((len(points), 3))
    transforms = np.empty((len(points), 4, 4))
    for index, point in enumerate(points):
        where = f"{source}: point {index + 1}"
        location = point["location"]
        assert isinstance(location, dict)  # checked by _document
        locations[index] = [json_number(location.get(axis), where=where, what=f"location.{axis}") for axis in "xyz"]
        transforms[index] = _transformation(point, where)
    return locations, transforms


def _optional_column(points: list[Point], key: str, source: str) -> NDArray[np.float64] | None:
    """``key`` of every point, or None when some point lacks it."""
    if not points or any(point.get(key) is None for point in points):
        return None
    return np.array([json_number(p[key], where=f"{source}: point {i + 1}", what=key) for i, p in enumerate(points)])


def _or_zero(value: object) -> object:
    return 0 if value is None else value


def _instance_ids(points: list[Point], source: str) -> NDArray[np.int64]:
    """``instance_id`` of every point; a missing one is 0, copick's default."""
    ids = np.array(
        [
            json_number(_or_zero(p.get("instance_id")), where=f"{source}: point {i + 1}", what="instance_id")
            for i, p in enumerate(points)
        ],
        dtype=np.float64,
    )
    fractional = np.flatnonzero(ids != np.round(ids))
    if len(fractional):
        row = int(fractional[0])
        raise InputFileError(
            "instance_id is not a whole number",
            where=f"{source}: point {row + 1}",
            expected="an integer",
            found=str(ids[row]),
        )
    return ids.astype(np.int64)


@register_reader("copick")
def read_copick_picks(path: Path, options: ReadOptions) -> Picks:
    """Points of a copick picks file in voxels of ``voxel_spacing``, with their rotations and instance ids."""
    source = str(path)
    document, points = _document(path)
    run_name = document.get("run_name")
    if options.filter_value is not None and run_name is not None and str(run_name) != options.filter_value:
        raise EmptySelectionError(
            f"the file's run_name is not {options.filter_value!r}",
            where=source,
            expected=f"run_name {options.filter_value!r}",
            found=repr(run_name),
        )
    spacing = _voxel_spacing(document, options, source)
    locations, transforms = _point_arrays(points, source)
    scores = _optional_column(points, "score", source)
    return finish_picks(
        (locations + transforms[:, :3, 3]) / spacing,
        options,
        source=source,
        rotations=np.ascontiguousarray(transforms[:, :3, :3]),
        instance_ids=_instance_ids(points, source),
        scores=scores,
    )
