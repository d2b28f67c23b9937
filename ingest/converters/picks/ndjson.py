"""Portal point annotations written as ndJSON (one JSON object a line); :mod:`ndjson_reader` reads them back.

Lines, in this fixed key order (docs/design.md §4, "Points")::

    {"type": "point", "location": {"x": X, "y": Y, "z": Z}}
    {"type": "orientedPoint", "location": {...}, "xyz_rotation_matrix": [[r00, r01, r02], [...], [...]]}
    {"type": "instancePoint", "location": {...}, "instance_id": N}

Floats are written as their shortest round-trip text (``orjson``'s: ``1.0``, ``0.00001``, ``2.5e-7``, ``1e+16``), so
bytes are deterministic and reading them back gives the same float64 values; every line ends in ``\\n``. Reading
tolerates a missing final newline and ``\\r\\n`` line ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

import numpy as np
import orjson
from numpy.typing import NDArray

from ingest.converters.picks.registry import Picks
from ingest.converters.picks.rotations import rotation_defects
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


# The fixed text of a line around its values: value i goes between part i and part i + 1.
_LINE_PARTS: dict[PointShape, tuple[bytes, ...]] = {
    PointShape.POINT: (b'{"type": "point", "location": {"x": ', b', "y": ', b', "z": ', b"}}\n"),
    PointShape.ORIENTED_POINT: (
        b'{"type": "orientedPoint", "location": {"x": ',
        b', "y": ',
        b', "z": ',
        b'}, "xyz_rotation_matrix": [[',
        *(b", ", b", ", b"], [", b", ", b", ", b"], [", b", ", b", "),
        b"]]}\n",
    ),
    PointShape.INSTANCE_POINT: (
        b'{"type": "instancePoint", "location": {"x": ',
        b', "y": ',
        b', "z": ',
        b'}, "instance_id": ',
        b"}\n",
    ),
}
# Lines formatted at a time. Chunks of a few MiB of text are reused by the allocator; 100,000 lines (35 MiB) are
# mapped afresh for every intermediate text, and the page faults made the writer a third slower.
CHUNK_ROWS = 10_000
_COMMA = ord(",")


def _rows_text(block: NDArray[np.float64], parts: tuple[bytes, ...]) -> bytes:
    """Each row of ``block`` (n, k) as ``parts[0] v0 parts[1] v1 ... v(k-1) parts[k]``, rows concatenated.

    One ``orjson`` call writes every value as its shortest round-trip text, comma-separated; numpy marks each comma
    with a control byte standing for the part it becomes (control bytes never occur in JSON numbers; a ``", "`` part
    keeps its comma), and one ``bytes.replace`` per distinct part writes them. Python work is per chunk, never per
    value: formatting costs little more than ``orjson`` itself.
    """
    text = orjson.dumps(np.ascontiguousarray(block, dtype=np.float64).reshape(-1), option=orjson.OPT_SERIALIZE_NUMPY)
    codes = np.frombuffer(text, dtype=np.uint8)[1:-1].copy()  # v,v,...: the commas end values in row order
    commas = np.flatnonzero(codes == _COMMA)
    separators = (*parts[1:-1], parts[-1] + parts[0])  # after value c of a row; the last one joins two rows
    distinct = [part for part in dict.fromkeys(separators) if part != b", "]
    markers = {part: code for code, part in enumerate(distinct, start=1)}
    by_column = np.array([markers.get(separator, _COMMA) for separator in separators], dtype=np.uint8)
    codes[commas] = np.tile(by_column, block.shape[0])[: len(commas)]
    body = codes.tobytes().replace(b",", b", ")
    for part, code in markers.items():
        body = body.replace(bytes([code]), part)
    return parts[0] + body + parts[-1]


def _chunk_lines(picks: Picks, shape: PointShape, start: int, stop: int) -> bytes:
    """The ndJSON lines of rows ``start:stop``."""
    positions = picks.positions[start:stop]
    parts = _LINE_PARTS[shape]
    if shape is PointShape.POINT:
        return _rows_text(positions, parts)
    if shape is PointShape.ORIENTED_POINT:
        assert picks.rotations is not None
        return _rows_text(np.hstack([positions, picks.rotations[start:stop].reshape(-1, 9)]), parts)
    assert picks.instance_ids is not None
    # Integers cannot share a float64 block: the location texts of all rows, then interleaved with the ids.
    locations = _rows_text(positions, (b"", *parts[1:3], b"\x00"))[:-1].split(b"\x00")
    ids = np.ascontiguousarray(picks.instance_ids[start:stop], dtype=np.int64)
    lines = [parts[0], b"", parts[3], b"", parts[4]] * len(positions)
    lines[1::5] = locations
    lines[3::5] = orjson.dumps(ids, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",")
    return b"".join(lines)


def ndjson_chunks(picks: Picks, shape: PointShape) -> Iterator[bytes]:
    """Portal ndJSON for ``picks`` as ``shape``, in chunks of at most :data:`CHUNK_ROWS` lines.

    All rows are checked first (finite locations, proper rotations), so a consumer never sees a partial result of
    bad input.
    """
    _require_writable(picks, shape)
    for start in range(0, len(picks), CHUNK_ROWS):
        yield _chunk_lines(picks, shape, start, start + CHUNK_ROWS)


def picks_to_ndjson(picks: Picks, shape: PointShape) -> bytes:
    """Portal ndJSON bytes for ``picks`` written as ``shape`` (rotations checked to be proper rotations)."""
    return b"".join(ndjson_chunks(picks, shape))
