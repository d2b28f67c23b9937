"""TOM / AV3 motivelists (``tom_em``): 20×N EM files read with ``emfile``.

Each particle is one column of 20 values (EM ``xdim`` 20, ``ydim`` N; ``emfile`` returns N rows of 20). Rows,
1-based as in TOM: 1 score (CCC), 5 tomogram number, 8-10 x, y, z (1-based pixels), 11-13 shifts, 17 phi,
18 psi, 19 theta. Position = (row 8-10 + row 11-13 − 1) / binning; rotation = ``tom_to_matrix(phi, theta, psi)``.
``filter_value`` selects a tomogram number (row 5). Files whose particles do not have exactly 20 values and files
cut short are errors naming the file and the particle row.
"""

from __future__ import annotations

from pathlib import Path

import emfile
import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks.registry import (
    Picks,
    ReadOptions,
    finish_picks,
    register_reader,
    require_finite,
    select_rows,
)
from ingest.converters.picks.rotations import tom_to_matrix
from ingest.errors import InputFileError

MOTIVELIST_ROWS = 20
_EM_HEADER_BYTES = 512  # fixed size of the EM header (tom_emread)


def _read_header(path: Path) -> dict[str, int]:
    try:
        header, _ = emfile.read(path, header_only=True)
    except FileNotFoundError:
        raise InputFileError("file not found", where=str(path)) from None
    except Exception as error:  # struct.error on a file shorter than its header
        raise InputFileError(
            "not an EM file", where=str(path), expected=f"a {_EM_HEADER_BYTES}-byte EM header", found=str(error)
        ) from None
    return {key: value for key, value in header.items() if isinstance(value, int)}


def read_motivelist_array(path: Path) -> NDArray[np.float64]:
    """The motivelist as float64 (N, 20): one row per particle, column r−1 holding TOM row r."""
    header = _read_header(path)
    rows, particles, planes = header["xdim"], header["ydim"], header["zdim"]
    if rows != MOTIVELIST_ROWS or planes != 1:
        raise InputFileError(
            "not a 20×N motivelist",
            where=f"{path}: row 1",
            expected=f"{MOTIVELIST_ROWS} values per particle in one plane",
            found=f"{rows} values per particle, {particles} particle(s), {planes} plane(s)",
        )
    item_bytes = _item_bytes(header["dtype"], path)
    available = path.stat().st_size - _EM_HEADER_BYTES
    if available < rows * particles * item_bytes:
        complete = max(available, 0) // (rows * item_bytes)
        raise InputFileError(
            "truncated motivelist",
            where=f"{path}: row {complete + 1}",
            expected=f"{particles} particles of {rows} values ({rows * particles * item_bytes} data bytes)",
            found=f"{available} data bytes ({complete} complete particle(s))",
        )
    if available > rows * particles * item_bytes:
        raise InputFileError(
            "bytes after the motivelist",
            where=f"{path}: row {particles + 1}",
            expected=f"{rows * particles * item_bytes} data bytes for {particles} particles",
            found=f"{available} data bytes",
        )
    _, data = emfile.read(path)
    return np.asarray(data, dtype=np.float64).reshape(particles, rows)


def _item_bytes(code: int, path: Path) -> int:
    sizes = {1: 1, 2: 2, 4: 4, 5: 4, 9: 8}
    if code not in sizes:
        raise InputFileError(
            "unsupported EM data type", where=str(path), expected="byte, short, int, float or double", found=str(code)
        )
    return sizes[code]


def _row(motivelist: NDArray[np.float64], tom_row: int) -> NDArray[np.float64]:
    return motivelist[:, tom_row - 1]


@register_reader("tom_em")
def read_tom_motivelist(path: Path, options: ReadOptions) -> Picks:
    """Particles of a TOM/AV3 motivelist, optionally one tomogram's (row 5), in voxels (pixels / binning)."""
    source = str(path)
    motivelist = read_motivelist_array(path)
    require_finite(motivelist, source=source, what="a motivelist value")
    motivelist = motivelist[
        select_rows(_row(motivelist, 5).tolist(), options.filter_value, source=source, column="row 5 (tomogram number)")
    ]
    positions = motivelist[:, 7:10] + motivelist[:, 10:13] - 1.0
    rotations = tom_to_matrix(_row(motivelist, 17), _row(motivelist, 19), _row(motivelist, 18))
    return finish_picks(
        positions / options.binning, options, source=source, rotations=rotations, scores=_row(motivelist, 1).copy()
    )
