"""Portal point annotations as ndJSON (one JSON object a line) and back.

Lines, in this fixed key order (DESIGN.md section 4, "Points")::

    {"type": "point", "location": {"x": X, "y": Y, "z": Z}}
    {"type": "orientedPoint", "location": {...}, "xyz_rotation_matrix": [[r00, r01, r02], [...], [...]]}
    {"type": "instancePoint", "location": {...}, "instance_id": N}

Floats are written as Python's shortest round-trip ``repr``, so bytes are deterministic and reading them back
gives the same float64 values; every line ends in ``\\n``. Reading tolerates a missing final newline and
``\\r\\n`` line ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks import Picks
from ingest.converters.rotations import rotation_defects
from ingest.errors import InputFileError, UsageError


class PointShape(StrEnum):
    """The three point shapes of the portal, by their ndJSON ``type``."""

    POINT = "point"
    ORIENTED_POINT = "orientedPoint"
    INSTANCE_POINT = "instancePoint"


def shape_of(picks: Picks) -> PointShape:
    """The richest shape ``picks`` can be written as: oriented if it has rotations, else instance, else point."""
    if picks.rotations is not None:
        return PointShape.ORIENTED_POINT
    if picks.instance_ids is not None:
        return PointShape.INSTANCE_POINT
    return PointShape.POINT


def _require_writable(picks: Picks, shape: PointShape) -> None:
    finite = np.isfinite(picks.positions).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise InputFileError(
            "location is not finite",
            where=f"{picks.source}: row {row + 1}",
            expected="finite numbers",
            found=str(picks.positions[row].tolist()),
        )
    if shape is PointShape.ORIENTED_POINT:
        if picks.rotations is None:
            raise UsageError(
                "oriented points need rotations",
                where=picks.source,
                expected="a format with orientations",
                found="positions only",
            )
        defects = rotation_defects(picks.rotations)
        if len(defects):
            row = int(defects[0])
            raise InputFileError(
                "not a proper rotation",
                where=f"{picks.source}: row {row + 1}",
                expected="an orthonormal matrix with determinant +1 (within 1e-6)",
                found=str(picks.rotations[row].tolist()),
            )
    if shape is PointShape.INSTANCE_POINT and picks.instance_ids is None:
        raise UsageError(
            "instance points need instance ids",
            where=picks.source,
            expected="a format with instance ids",
            found="positions only",
        )


_POINT_LINE = '{"type": "point", "location": {"x": %r, "y": %r, "z": %r}}\n'
_ORIENTED_LINE = (
    '{"type": "orientedPoint", "location": {"x": %r, "y": %r, "z": %r}, '
    '"xyz_rotation_matrix": [[%r, %r, %r], [%r, %r, %r], [%r, %r, %r]]}\n'
)
_INSTANCE_LINE = '{"type": "instancePoint", "location": {"x": %r, "y": %r, "z": %r}, "instance_id": %d}\n'
CHUNK_ROWS = 32768  # rows formatted at a time: bounds the Python objects alive at once


def _chunk_values(picks: Picks, shape: PointShape, start: int, stop: int) -> list[list[float]]:
    positions = picks.positions[start:stop]
    if shape is PointShape.ORIENTED_POINT:
        assert picks.rotations is not None
        return np.hstack([positions, picks.rotations[start:stop].reshape(-1, 9)]).tolist()  # type: ignore[no-any-return]
    if shape is PointShape.INSTANCE_POINT:
        assert picks.instance_ids is not None
        ids = picks.instance_ids[start:stop].tolist()
        return [[x, y, z, i] for (x, y, z), i in zip(positions.tolist(), ids, strict=True)]
    return positions.tolist()  # type: ignore[no-any-return]


def ndjson_chunks(picks: Picks, shape: PointShape) -> Iterator[bytes]:
    """Portal ndJSON for ``picks`` as ``shape``, in chunks of at most :data:`CHUNK_ROWS` lines.

    All rows are checked first (finite locations, proper rotations), so a consumer never sees a partial result of
    bad input.
    """
    _require_writable(picks, shape)
    template = {
        PointShape.POINT: _POINT_LINE,
        PointShape.ORIENTED_POINT: _ORIENTED_LINE,
        PointShape.INSTANCE_POINT: _INSTANCE_LINE,
    }[shape]
    for start in range(0, len(picks), CHUNK_ROWS):
        rows = _chunk_values(picks, shape, start, start + CHUNK_ROWS)
        yield "".join([template % tuple(row) for row in rows]).encode("ascii")


def picks_to_ndjson(picks: Picks, shape: PointShape) -> bytes:
    """Portal ndJSON bytes for ``picks`` written as ``shape`` (rotations checked to be proper rotations)."""
    return b"".join(ndjson_chunks(picks, shape))


def _number(value: object, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputFileError(f"{what} is not a number", where=where, expected="a number", found=json.dumps(value))
    return float(value)


def _parse_line(text: str, where: str) -> dict[str, object]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            "invalid JSON", where=f"{where}:{error.colno}", expected="one JSON object", found=error.msg
        ) from None
    if not isinstance(record, dict):
        raise InputFileError("not a JSON object", where=where, expected="one JSON object a line", found=text[:80])
    return record


def _location(record: dict[str, object], where: str) -> list[float]:
    location = record.get("location")
    if not isinstance(location, dict):
        raise InputFileError(
            "missing location", where=where, expected='"location": {"x", "y", "z"}', found=str(location)
        )
    return [_number(location.get(axis), where, f"location.{axis}") for axis in "xyz"]


def _matrix(record: dict[str, object], where: str) -> list[list[float]]:
    raw = record.get("xyz_rotation_matrix")
    if not isinstance(raw, list) or len(raw) != 3 or not all(isinstance(r, list) and len(r) == 3 for r in raw):
        raise InputFileError(
            "xyz_rotation_matrix is not 3×3", where=where, expected="3 rows of 3 numbers", found=str(raw)
        )
    return [[_number(v, where, "xyz_rotation_matrix") for v in row] for row in raw]


def _instance_id(record: dict[str, object], where: str) -> int:
    value = record.get("instance_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputFileError(
            "instance_id is not an integer", where=where, expected="an integer", found=json.dumps(value)
        )
    return value


def ndjson_to_picks(data: bytes, source: str) -> Picks:
    """Read portal ndJSON bytes back into :class:`Picks`; every line must have the same ``type``.

    Errors name ``source`` and the 1-based line.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError("not UTF-8 text", where=source, expected="ndJSON", found=str(error)) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return _read_all_at_once(lines, source) or _read_line_by_line(lines, source)


_NUMBER_TYPES = (int, float)


def _numbers(values: list[object]) -> bool:
    return all(type(value) in _NUMBER_TYPES for value in values)  # type() excludes bool, unlike isinstance


def _read_all_at_once(lines: list[str], source: str) -> Picks | None:
    """Every line parsed by one ``json.loads``, or None when anything is off (the line reader then names it)."""
    try:
        records = json.loads("[" + ",".join(lines) + "]")
        if len(records) != len(lines) or not records:
            return None
        kinds = {record["type"] for record in records}
        if len(kinds) != 1:
            return None
        shape = PointShape(kinds.pop())
        locations = [record["location"] for record in records]
        coordinates = [[location["x"], location["y"], location["z"]] for location in locations]
        if not _numbers([value for triple in coordinates for value in triple]):
            return None
        rotations = None
        if shape is PointShape.ORIENTED_POINT:
            matrices = [record["xyz_rotation_matrix"] for record in records]
            if not all(len(m) == 3 and all(len(row) == 3 for row in m) for m in matrices):
                return None
            if not _numbers([value for m in matrices for row in m for value in row]):
                return None
            rotations = np.array(matrices, dtype=np.float64).reshape(-1, 3, 3)
        instance_ids = None
        if shape is PointShape.INSTANCE_POINT:
            ids = [record["instance_id"] for record in records]
            if not all(type(value) is int for value in ids):
                return None
            instance_ids = np.array(ids, dtype=np.int64)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError):
        return None
    return Picks(np.array(coordinates, dtype=np.float64).reshape(-1, 3), rotations, instance_ids, None, source)


def _read_line_by_line(lines: list[str], source: str) -> Picks:
    shape: PointShape | None = None
    positions: list[list[float]] = []
    matrices: list[list[list[float]]] = []
    ids: list[int] = []
    for number, line in enumerate(lines, start=1):
        where = f"{source}:{number}"
        record = _parse_line(line.rstrip("\r"), where)
        kind = record.get("type")
        if kind not in {s.value for s in PointShape}:
            raise InputFileError(
                "unknown point type",
                where=where,
                expected="point, orientedPoint or instancePoint",
                found=json.dumps(kind),
            )
        if shape is None:
            shape = PointShape(str(kind))
        elif kind != shape.value:
            raise InputFileError("mixed point types", where=where, expected=shape.value, found=str(kind))
        positions.append(_location(record, where))
        if shape is PointShape.ORIENTED_POINT:
            matrices.append(_matrix(record, where))
        elif shape is PointShape.INSTANCE_POINT:
            ids.append(_instance_id(record, where))
    array = np.array(positions, dtype=np.float64).reshape(-1, 3)
    rotations: NDArray[np.float64] | None = (
        np.array(matrices, dtype=np.float64).reshape(-1, 3, 3) if shape is PointShape.ORIENTED_POINT else None
    )
    instance_ids = np.array(ids, dtype=np.int64) if shape is PointShape.INSTANCE_POINT else None
    return Picks(array, rotations, instance_ids, None, source)
