"""Gain references: a DigitalMicrograph ``.dm4`` gain becomes ``{stem}.mrc``, as the portal converts it
(its gain importer runs IMOD's ``dm2mrc``); every other gain file is copied unchanged.

The DM file is read with rosettasciio's DigitalMicrograph reader (a maintained reader, not a hand parser). The MRC
holds the one image as ``dm2mrc`` writes it: 8- and 16-bit integers and 32-bit floats keep their type, other
types become float32; rows are flipped so the image shows as in DigitalMicrograph (DM stores the top row first,
MRC the bottom row); the pixel size comes from the image's calibration when its unit is a length (nm, µm, Å).
"""

from __future__ import annotations

import logging
from pathlib import Path

import mrcfile
import numpy as np

from ingest.errors import InputFileError

# rosettasciio logs every tag it does not know at warning level.
logging.getLogger("rsciio").setLevel(logging.ERROR)

_KEPT_TYPES = frozenset({np.dtype("int8"), np.dtype("int16"), np.dtype("uint16"), np.dtype("float32")})
_ANGSTROMS_PER_UNIT = {"nm": 10.0, "µm": 1e4, "um": 1e4, "Å": 1.0, "A": 1.0, "angstrom": 1.0}


def is_dm_gain(name: str) -> bool:
    """Whether a gain file of this name is converted (a DigitalMicrograph file) rather than copied."""
    return name.lower().endswith(".dm4")


def dm_gain_to_mrc(source: Path, target: Path, name: str) -> None:
    """Write the image of the DigitalMicrograph file ``source`` as the MRC ``target``; a file the reader refuses,
    or that holds no single 2-D image, is an :class:`InputFileError` naming ``name`` (``target`` is then not
    written)."""
    image, pixel_size = _read_dm_image(source, name)
    with mrcfile.new(str(target), overwrite=True) as mrc:
        mrc.set_data(image)
        mrc.voxel_size = pixel_size
        mrc.update_header_stats()


def _read_dm_image(source: Path, name: str) -> tuple[np.ndarray, float]:
    from rsciio.digitalmicrograph import file_reader  # heavy: imported when a gain is converted

    try:
        images = file_reader(str(source), lazy=False)
    except Exception as error:  # the reader raises anything from struct.error to its own DM3 errors
        raise InputFileError(
            "unreadable DigitalMicrograph gain reference",
            where=name,
            expected="a DigitalMicrograph 4 image file",
            found=f"{type(error).__name__}: {error}"[:200],
        ) from None
    if len(images) != 1 or np.ndim(images[0]["data"]) != 2:
        shapes = [tuple(np.shape(image["data"])) for image in images]
        raise InputFileError(
            "a gain reference must hold one 2-D image",
            where=name,
            expected="one image of shape (y, x)",
            found=f"{len(images)} image(s) of shape(s) {shapes}",
        )
    data = np.asarray(images[0]["data"])
    if data.dtype.newbyteorder("=") not in _KEPT_TYPES:
        data = data.astype(np.float32)
    axes = images[0]["axes"]
    units = {str(axis.get("units") or "") for axis in axes}
    scale = float(axes[-1].get("scale") or 0.0)
    factor = _ANGSTROMS_PER_UNIT.get(units.pop(), 0.0) if len(units) == 1 else 0.0
    return np.ascontiguousarray(data[::-1]), scale * factor
