"""Portal picks → tool formats: RELION 5 star (+ tomograms.star), RELION 4 star, copick JSON and CSV.

Exporters are pure: they take :class:`Picks` (positions in voxels of ``voxel_spacing`` Å) and return
:class:`ExportedFiles` (the main file's bytes and companions named by a suffix to the main file's stem);
:func:`ingest.converters.picks.conversion.export_picks_file` writes them.
Each exporter writes what the matching reader reads back, so format → ndJSON → export → ndJSON is lossless up to
float rounding (the Å conversions and the Euler-angle round trip, below 1e-9):

* ``relion4_star``: ``data_optics`` (one group, ``rlnTomoTiltSeriesPixelSize`` = voxel spacing) and
  ``data_particles`` with ``rlnTomoName``, ``rlnCoordinate{X,Y,Z}`` in voxels, zero ``rlnOrigin{X,Y,Z}Angst`` and,
  for oriented picks, ``rlnAngleRot/Tilt/Psi`` from :func:`matrix_to_relion`.
* ``relion5_star``: the same with ``rlnCenteredCoordinate{X,Y,Z}Angst`` = (position − size / 2) · voxel spacing,
  plus the companion ``<stem>_tomograms.star`` (``data_global``: ``rlnTomoName``, ``rlnTomoSize{X,Y,Z}`` in voxels,
  ``rlnTomoTiltSeriesPixelSize`` = voxel spacing, ``rlnTomoTomogramBinning`` 1). Needs the tomogram size.
* ``copick``: locations in Å, ``transformation_`` = [[R, 0], [0, 1]], ``instance_id`` (0 when unknown), score.
* ``csv``: ``x,y,z`` per line in voxels, no header (reads back with format ``csv``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import starfile

from ingest.converters.picks.registry import Picks
from ingest.converters.picks.rotations import matrix_to_relion
from ingest.errors import UnknownFormatError, UsageError

EXPORT_FLOAT_FORMAT = "%.17g"  # enough digits for every float64 to read back unchanged
RELION4_VERSION = "30001"
RELION5_VERSION = "50001"


@dataclass(frozen=True)
class ExportOptions:
    """What the target formats need beyond the picks.

    ``voxel_spacing``: Å per voxel of the picks' positions. ``run_name``: ``rlnTomoName`` / copick ``run_name``.
    ``tomogram_size``: (x, y, z) voxels, needed by RELION 5's centred coordinates. ``object_name``: copick's
    ``pickable_object_name``.
    """

    voxel_spacing: float
    run_name: str
    tomogram_size: tuple[int, int, int] | None = None
    object_name: str = "particle"


@dataclass(frozen=True)
class ExportedFiles:
    """The main file's bytes and companion files as (suffix to the main file's stem, bytes)."""

    main: bytes
    companions: tuple[tuple[str, bytes], ...] = ()


Exporter = Callable[[Picks, ExportOptions], ExportedFiles]


def _star_bytes(blocks: dict[str, pd.DataFrame], version: str) -> bytes:
    """STAR text of ``blocks`` under a RELION ``# version`` line, without starfile's timestamped banner."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "out.star"
        starfile.write(blocks, path, float_format=EXPORT_FLOAT_FORMAT)
        lines = path.read_text().splitlines(keepends=True)
    body = [line for line in lines if not line.startswith("# Created by the starfile")]
    return (f"# version {version}\n" + "".join(body)).encode("utf-8")


def _particles(picks: Picks, options: ExportOptions) -> pd.DataFrame:
    frame = pd.DataFrame({"rlnTomoName": [options.run_name] * len(picks)})
    if picks.rotations is not None:
        angles = matrix_to_relion(picks.rotations) if len(picks) else np.zeros((0, 3))
        frame["rlnAngleRot"], frame["rlnAngleTilt"], frame["rlnAnglePsi"] = angles.T
    for axis in "XYZ":
        frame[f"rlnOrigin{axis}Angst"] = 0.0
    frame["rlnOpticsGroup"] = 1
    return frame


def _optics(options: ExportOptions) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rlnOpticsGroup": [1],
            "rlnOpticsGroupName": ["opticsGroup1"],
            "rlnTomoTiltSeriesPixelSize": [options.voxel_spacing],
        }
    )


def export_relion4_star(picks: Picks, options: ExportOptions) -> ExportedFiles:
    """A RELION 4 particle STAR file with pixel coordinates (pixel size = the voxel spacing)."""
    particles = _particles(picks, options)
    for index, axis in enumerate("XYZ"):
        particles.insert(1 + index, f"rlnCoordinate{axis}", picks.positions[:, index])
    return ExportedFiles(_star_bytes({"optics": _optics(options), "particles": particles}, RELION4_VERSION))


def export_relion5_star(picks: Picks, options: ExportOptions) -> ExportedFiles:
    """A RELION 5 particle STAR file with centred Å coordinates, and its tomograms.star."""
    if options.tomogram_size is None:
        raise UsageError(
            "RELION 5 centred coordinates need the tomogram size",
            expected="a tomogram size X,Y,Z in voxels",
            found="none",
        )
    size = np.asarray(options.tomogram_size, dtype=np.float64)
    particles = _particles(picks, options)
    centred = (picks.positions - size / 2) * options.voxel_spacing
    for index, axis in enumerate("XYZ"):
        particles.insert(1 + index, f"rlnCenteredCoordinate{axis}Angst", centred[:, index])
    tomograms = pd.DataFrame(
        {
            "rlnTomoName": [options.run_name],
            "rlnTomoTiltSeriesPixelSize": [options.voxel_spacing],
            "rlnTomoTomogramBinning": [1.0],
            "rlnTomoSizeX": [options.tomogram_size[0]],
            "rlnTomoSizeY": [options.tomogram_size[1]],
            "rlnTomoSizeZ": [options.tomogram_size[2]],
        }
    )
    return ExportedFiles(
        _star_bytes({"optics": _optics(options), "particles": particles}, RELION5_VERSION),
        (("_tomograms.star", _star_bytes({"global": tomograms}, RELION5_VERSION)),),
    )


def export_copick(picks: Picks, options: ExportOptions) -> ExportedFiles:
    """A copick picks JSON document (Å locations, 4×4 transformations)."""
    rotations = picks.rotations if picks.rotations is not None else np.broadcast_to(np.eye(3), (len(picks), 3, 3))
    ids = picks.instance_ids.tolist() if picks.instance_ids is not None else [0] * len(picks)
    scores = picks.scores.tolist() if picks.scores is not None else [1.0] * len(picks)
    locations = (picks.positions * options.voxel_spacing).tolist()
    points = []
    for location, rotation, instance_id, score in zip(locations, rotations.tolist(), ids, scores, strict=True):
        transformation = [[*row, 0.0] for row in rotation] + [[0.0, 0.0, 0.0, 1.0]]
        points.append(
            {
                "location": dict(zip("xyz", location, strict=True)),
                "transformation_": transformation,
                "instance_id": instance_id,
                "score": score,
            }
        )
    document = {
        "pickable_object_name": options.object_name,
        "user_id": "cryoet-ingest",
        "session_id": "0",
        "run_name": options.run_name,
        "voxel_spacing": options.voxel_spacing,
        "unit": "angstrom",
        "points": points,
        "trust_orientation": picks.rotations is not None,
    }
    return ExportedFiles((json.dumps(document, indent=2) + "\n").encode("utf-8"))


def export_csv(picks: Picks, options: ExportOptions) -> ExportedFiles:
    """Headerless ``x,y,z`` lines in voxels."""
    lines = [f"{x!r},{y!r},{z!r}\n" for x, y, z in picks.positions.tolist()]
    return ExportedFiles("".join(lines).encode("ascii"))


EXPORTERS: dict[str, Exporter] = {
    "relion5_star": export_relion5_star,
    "relion4_star": export_relion4_star,
    "copick": export_copick,
    "csv": export_csv,
}


def exporter_for(target: str) -> Exporter:
    """The exporter for ``target``; an unknown name lists the known ones."""
    try:
        return EXPORTERS[target]
    except KeyError:
        raise UnknownFormatError(
            f"unknown export format {target!r}", expected="one of " + ", ".join(sorted(EXPORTERS)), found=repr(target)
        ) from None
