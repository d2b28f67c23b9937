"""The one reader of an MRC header (the first 1024 bytes), used by planning, conversion and the output checks.

The bytes are read by :mod:`mrcfile`'s own header-only reading in permissive mode, so every caller agrees with
the converter on legacy files: a missing ``MAP`` stamp is accepted, an unknown machine stamp (zero, as some
writers leave it) is read as little-endian, and a machine stamp contradicted by the mode is overruled by the byte
order that gives a valid mode. Callers read only these bytes (a ranged read on S3), never the voxels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from mrcfile.dtypes import HEADER_DTYPE
from mrcfile.mrcinterpreter import MrcInterpreter

from ingest.errors import InputFileError

HEADER_BYTES: int = HEADER_DTYPE.itemsize  # 1024
_NSYMBT = slice(92, 96)  # the extended header size, word 24 of the header


@dataclass(frozen=True)
class RawMrcHeader:
    """A parsed MRC header: ``fields`` is mrcfile's header record in the file's byte order (``fields.mode``,
    ``fields.cella.y``, ``fields["nsymbt"]`` ...); ``notes`` are mrcfile's complaints about it (unknown stamp)."""

    fields: Any
    notes: tuple[str, ...] = ()

    @property
    def byte_order(self) -> str:
        """``<`` or ``>``: the byte order the header (and so the voxels) are read in."""
        return "<" if self.fields.dtype.fields["mode"][0].byteorder in "<=|" else ">"


def parse_mrc_header_bytes(raw: bytes, *, where: str) -> RawMrcHeader:
    """Parse the first 1024 bytes of ``raw`` (from the file or object named by ``where``, used in errors)."""
    if len(raw) < HEADER_BYTES:
        raise InputFileError(
            "not an MRC file",
            where=where,
            expected=f"a {HEADER_BYTES}-byte MRC header",
            found=f"{len(raw)} bytes, shorter than an MRC header",
        )
    # mrcfile reads the extended header even with header_only, allocating nsymbt bytes first (2 GB for a hostile
    # nsymbt): it is given the header with nsymbt 0 (zero in either byte order) to decide the byte order, and the
    # real bytes are then read in that order.
    blanked = bytearray(raw[:HEADER_BYTES])
    blanked[_NSYMBT] = bytes(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        interpreter = MrcInterpreter(iostream=io.BytesIO(bytes(blanked)), permissive=True, header_only=True)
    dtype = interpreter.header.dtype
    fields = np.frombuffer(raw[:HEADER_BYTES], dtype=dtype).reshape(()).view(np.recarray)
    return RawMrcHeader(fields, tuple(str(warning.message) for warning in caught))
