"""STOPGAP motivelist STAR (``stopgap_star``, block ``data_stopgap_motivelist``) → :class:`Picks`.

Conventions (docs/design.md §4): R = :func:`stopgap_to_matrix` (``phi, the, psi``: extrinsic zxz, not inverted);
position = (``orig_{x,y,z}`` + ``{x,y,z}_shift``) / binning; scores from ``score``. ``filter_value`` selects
``tomo_num``, which STOPGAP may write as a float (``1.0`` matches ``"1"``). A table without any of ``phi, the, psi``
gives point-only picks (an error when read for oriented points: ``extra`` option ``shape`` = ``orientedPoint``) and
one without shifts has zero shifts; a triple with only some of its columns is an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader
from ingest.converters.picks.rotations import stopgap_to_matrix
from ingest.converters.picks.star_tables import (
    find_loop_block,
    has_column_group,
    numeric_columns,
    read_star_blocks,
    require_columns,
    require_orientation_columns,
    select_by_name,
)
from ingest.errors import InputFileError

ORIGINS = ("orig_x", "orig_y", "orig_z")
SHIFTS = ("x_shift", "y_shift", "z_shift")
ANGLES = ("phi", "the", "psi")
TOMO_NUM = "tomo_num"
SCORE = "score"


@register_reader("stopgap_star")
def read_stopgap_star(path: Path, options: ReadOptions) -> Picks:
    """A STOPGAP motivelist; ``filter_value`` selects ``tomo_num``."""
    source = str(path)
    table = find_loop_block(read_star_blocks(path), ("stopgap_motivelist",), source=source, what="motivelist")
    if len(table) == 0:
        raise InputFileError("the motivelist has no rows", where=source, expected="motives", found="0 rows")
    require_columns(table, ORIGINS, source=source, what="motivelist")
    if options.filter_value is not None:
        require_columns(table, (TOMO_NUM,), source=source, what="motivelist")
    rows = select_by_name(table, TOMO_NUM, options.filter_value, source=source)

    def numbers(columns: tuple[str, ...]) -> NDArray[np.float64]:
        return numeric_columns(table, columns, rows, source=source, row_label="motivelist row")

    positions = numbers(ORIGINS)
    if has_column_group(table, SHIFTS, source=source, what="motivelist"):
        positions = positions + numbers(SHIFTS)
    rotations = None
    if has_column_group(table, ANGLES, source=source, what="motivelist"):
        rotations = stopgap_to_matrix(*numbers(ANGLES).T)
    else:
        require_orientation_columns(table, ANGLES, options, source=source, what="motivelist")
    scores = numbers((SCORE,))[:, 0] if SCORE in table.columns else None
    return finish_picks(positions / options.binning, options, source=source, rotations=rotations, scores=scores)
