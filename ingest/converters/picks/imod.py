"""IMOD binary models (``mod``) through ``imodmodel``.

Point shapes read every contour point of every object (x, y, z in pixels of the model's image, divided by
``binning``). Models saved while the image was Y/Z-flipped (model flag bit 16) store points as (x, z, y); the
reader swaps them back. Oriented points come from the model's slicer angles (SLAN chunks): the slicer centre is
the location and ``imod_slicer_to_matrix(x, y, z)`` the rotation, as the portal reads them. Slicer angles of a
flipped model are refused, since their frame is ambiguous. The requested shape arrives as ``extra`` option
``shape`` (set by the conversion for every reader).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from imodmodel import ImodModel

from ingest.converters.picks.imod_chunks import check_imod_chunks
from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader
from ingest.converters.picks.rotations import imod_slicer_to_matrix
from ingest.converters.picks.tables import reject_filter_value
from ingest.errors import InputFileError

_FLIPPED_YZ = 1 << 16


def _load_model(path: Path) -> ImodModel:
    try:
        check_imod_chunks(path.read_bytes(), str(path))
        return ImodModel.from_file(path)
    except InputFileError:
        raise
    except Exception as error:  # imodmodel raises struct.error, ValueError or pydantic errors on bad files
        raise InputFileError(
            "not a readable IMOD model", where=str(path), expected="an IMOD binary model (IMODV1.2)", found=str(error)
        ) from None


def model_is_yz_flipped(model: ImodModel) -> bool:
    """Whether the model was last saved on a Y/Z-flipped image (its points are then stored as x, z, y)."""
    return bool(int(model.header.flags) & _FLIPPED_YZ)


def read_imod_points(path: Path, options: ReadOptions) -> Picks:
    """Every contour point of an IMOD model, in object and contour order."""
    model = _load_model(path)
    chunks = [
        np.asarray(contour.points, dtype=np.float64).reshape(-1, 3) for o in model.objects for contour in o.contours
    ]
    positions = np.concatenate(chunks) if chunks else np.zeros((0, 3))
    if model_is_yz_flipped(model):
        positions = positions[:, [0, 2, 1]]
    return finish_picks(positions / options.binning, options, source=str(path))


def read_imod_slicer_points(path: Path, options: ReadOptions) -> Picks:
    """One oriented point per slicer angle (SLAN chunk): its centre and its angles."""
    model = _load_model(path)
    if model_is_yz_flipped(model) and model.slicer_angles:
        raise InputFileError(
            "slicer angles of a Y/Z-flipped model are not supported",
            where=str(path),
            expected="a model saved on an unflipped image",
            found="model flag bit 16 (flipped) set",
        )
    centres = np.array([s.center for s in model.slicer_angles], dtype=np.float64).reshape(-1, 3)
    angles = np.array([s.angles for s in model.slicer_angles], dtype=np.float64).reshape(-1, 3)
    rotations = imod_slicer_to_matrix(angles[:, 0], angles[:, 1], angles[:, 2])
    return finish_picks(centres / options.binning, options, source=str(path), rotations=rotations)


@register_reader("mod")
def read_imod_model(path: Path, options: ReadOptions) -> Picks:
    """Contour points of an IMOD model, or its slicer angles when ``extra`` asks for shape ``orientedPoint``."""
    reject_filter_value(options.filter_value, file_format="mod", source=str(path))
    if dict(options.extra).get("shape") == "orientedPoint":
        return read_imod_slicer_points(path, options)
    return read_imod_points(path, options)
