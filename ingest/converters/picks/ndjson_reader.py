"""Portal point annotations as ndJSON back into :class:`Picks` (the format is described in :mod:`ndjson`).

Reading tolerates a missing final newline and ``\\r\\n`` line ends. A fast path parses the whole file with one
``orjson.loads``; anything it does not take is read line by line, which names the line of the first defect.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from operator import itemgetter

import numpy as np
import orjson
from numpy.typing import NDArray

from ingest.converters.picks.ndjson import PointShape
from ingest.converters.picks.registry import Picks
from ingest.errors import InputFileError


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
    except RecursionError:
        raise InputFileError(
            "JSON nested too deeply", where=where, expected="one flat point object", found=f"{len(text)} characters"
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


_NUMBER_TYPES = frozenset({int, float})  # by type(), which excludes bool, unlike isinstance


def _flat_numbers(values: Iterable[object]) -> NDArray[np.float64] | None:
    """``values`` as a float64 array when every one is a JSON number (int or float), else None; C-level loops only."""
    flat = list(values)
    if not set(map(type, flat)) <= _NUMBER_TYPES:
        return None
    return np.array(flat, dtype=np.float64)


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing a million lines creates millions of acyclic objects, and the
    collections they trigger would more than double the parse time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_all_at_once(lines: list[str], source: str) -> Picks | None:
    """Every line parsed by one ``orjson.loads``, or None when anything is off (the line reader then names it).

    ``orjson`` refuses what ``json`` accepts beyond the standard (``NaN``, integers past 64 bits): the line reader
    then reads those files as before.
    """
    with _garbage_collection_paused():
        return _records_to_picks(lines, source)


def _records_to_picks(lines: list[str], source: str) -> Picks | None:
    try:
        records = orjson.loads("[" + ",".join(lines) + "]")
        if len(records) != len(lines) or not records:
            return None
        kinds = set(map(itemgetter("type"), records))
        if len(kinds) != 1:
            return None
        shape = PointShape(kinds.pop())
        xyz = map(itemgetter("x", "y", "z"), map(itemgetter("location"), records))
        positions = _flat_numbers(chain.from_iterable(xyz))
        if positions is None:
            return None
        rotations = None
        if shape is PointShape.ORIENTED_POINT:
            matrices = list(map(itemgetter("xyz_rotation_matrix"), records))
            rows = list(chain.from_iterable(matrices))
            if set(map(len, matrices)) != {3} or set(map(len, rows)) != {3} or set(map(type, rows)) != {list}:
                return None
            values = _flat_numbers(chain.from_iterable(rows))
            if values is None:
                return None
            rotations = values.reshape(-1, 3, 3)
        instance_ids = None
        if shape is PointShape.INSTANCE_POINT:
            ids = list(map(itemgetter("instance_id"), records))
            if set(map(type, ids)) != {int}:
                return None
            instance_ids = np.array(ids, dtype=np.int64)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError):
        return None
    return Picks(positions.reshape(-1, 3), rotations, instance_ids, None, source)


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
