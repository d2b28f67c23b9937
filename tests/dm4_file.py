"""A tiny DigitalMicrograph 4 file, written for tests: one 2-D image with a pixel calibration.

Neither rosettasciio nor ncempy writes DM files, and no PyPI package checked (ncempy, rosettasciio, dm4) ships a
DM4 test file (see ``tests/data/SOURCES.md``), so the tests write one. The layout is the documented DM4 tag tree:
a big-endian header (version 4, size, byte order), then tag groups and data tags, each data tag ``%%%%`` + an
info array of 8-byte big-endian codes + its value in the file's byte order (little endian here). Only the tags a
reader needs for one image are written: ``ImageList/[0]/ImageData/{Data, DataType, Dimensions, Calibrations}``
and an empty ``ImageTags``.
The reader used by :mod:`ingest.converters.acquisition.gain` (rosettasciio) reads it back in the tests.
"""

from __future__ import annotations

import struct

import numpy as np

_DATA_TYPES = {
    np.dtype(name): code
    for name, code in (("int16", 1), ("float32", 2), ("uint8", 6), ("int32", 7), ("int8", 9), ("uint16", 10))
}
_LONG, _FLOAT, _USHORT, _ARRAY = 3, 6, 4, 20


def _q(value: int) -> bytes:
    return struct.pack(">q", value)


def _data_tag(name: str, info: list[int], payload: bytes) -> bytes:
    body = b"%%%%" + _q(len(info)) + b"".join(_q(code) for code in info) + payload
    return struct.pack(">bh", 21, len(name)) + name.encode() + _q(len(body)) + body


def _group_tag(name: str, tags: list[bytes]) -> bytes:
    body = struct.pack(">bb", 0, 1) + _q(len(tags)) + b"".join(tags)
    return struct.pack(">bh", 20, len(name)) + name.encode() + _q(len(body)) + body


def _long(name: str, value: int) -> bytes:
    return _data_tag(name, [_LONG], struct.pack("<i", value))


def _float(name: str, value: float) -> bytes:
    return _data_tag(name, [_FLOAT], struct.pack("<f", value))


def _text(name: str, value: str) -> bytes:
    return _data_tag(name, [_ARRAY, _USHORT, len(value)], b"".join(struct.pack("<H", ord(c)) for c in value))


def dm4_bytes(image: np.ndarray, *, pixel_size: float = 1.0, unit: str = "nm") -> bytes:
    """The bytes of a DM4 file holding ``image`` (2-D, row 0 at the top as DigitalMicrograph shows it)."""
    data = np.ascontiguousarray(image, dtype=image.dtype.newbyteorder("<"))
    ny, nx = data.shape
    calibration = [_float("Origin", 0.0), _float("Scale", pixel_size), _text("Units", unit)]
    image_data = _group_tag(
        "ImageData",
        [
            _group_tag(
                "Calibrations",
                [
                    _group_tag("Brightness", [_float("Origin", 0.0), _float("Scale", 1.0), _text("Units", "")]),
                    _group_tag("Dimension", [_group_tag("", calibration), _group_tag("", calibration)]),
                ],
            ),
            _data_tag("Data", [_ARRAY, _element(data), data.size], data.tobytes()),
            _long("DataType", _DATA_TYPES[data.dtype.newbyteorder("=")]),
            _group_tag("Dimensions", [_long("", nx), _long("", ny)]),
            _long("PixelDepth", data.dtype.itemsize),
        ],
    )
    image_tags = _group_tag("ImageTags", [])
    root = struct.pack(">bb", 1, 0) + _q(1) + _group_tag("ImageList", [_group_tag("", [image_data, image_tags])])
    body = root + bytes(8)
    return struct.pack(">i", 4) + _q(len(body)) + struct.pack(">i", 1) + body


def _element(data: np.ndarray) -> int:
    """The DM tag element code of an array of ``data``'s type."""
    codes = {"int16": 2, "int32": 3, "uint16": 4, "uint32": 5, "float32": 6, "float64": 7, "int8": 9, "uint8": 10}
    return codes[data.dtype.newbyteorder("=").name]
