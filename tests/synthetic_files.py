"""Tiny but valid source files of every kind a portal config names: volumes (MRC and OME-Zarr), masks, picks in
each annotation format, mdoc, raw tilts, IMOD/AreTomo alignment files, CTF estimates, frames, gains, key photos.

Every volume is :data:`SHAPE` (z, y, x) voxels; picks are :data:`POINTS` in voxels of the annotation's voxel
spacing, written in each format's own units (pixels × binning, or Å), so they land inside every tomogram
whatever the binning. Everything about the acquisition agrees with the config (:class:`Acquisition`): tilt series,
mdoc, raw tilts, IMOD/AreTomo files and CTF estimates have one section per angle of its ``tilt_range`` by
``tilt_step``; the mdoc's exposure times times the frames' ``dose_rate`` add up to ``total_flux``; MRC frames and
gains are single images at the frames' pixel size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np
import pandas as pd
from imodmodel import ImodModel
from imodmodel.models import SLAN
from star_text import loop_block

from ingest.converters.picks.export import ExportOptions, export_copick
from ingest.converters.picks.registry import Picks
from ingest.converters.volumes.convert import convert_volume
from ingest.converters.volumes.kind import VolumeKind
from ingest.pipeline.example import grayscale_png, write_mrc

SHAPE = (16, 16, 16)
TILTS = (-30.0, 0.0, 30.0)
"""The tilt angles when a config gives no tilt_range."""


@dataclass(frozen=True)
class Acquisition:
    """A run's acquisition as its config describes it: the tilt angles in acquisition order, the exposure time of
    each tilt (so that times × ``dose_rate`` add up to ``total_flux``), the dose per tilt, the tilt series' pixel
    spacing and the frames' pixel size (pixel spacing / ``binning_from_frames``)."""

    tilts: tuple[float, ...] = TILTS
    exposure_time: float = 1.0
    dose: float = 3.0
    pixel_spacing: float = 10.0
    frame_pixel_size: float = 10.0


DEFAULT_ACQUISITION = Acquisition()
POINTS = ((3.0, 4.0, 5.0), (8.0, 9.0, 6.0), (11.0, 6.0, 10.0))
"""x, y, z in voxels of the annotation's voxel spacing."""


def _volume(kind: str) -> np.ndarray:
    z, y, x = np.indices(SHAPE)
    if kind == "labels":
        labels = ((x // 4 + y // 4 + z // 4) % 4).astype(np.uint16)  # labels 0-3: every mask_label of the corpus
        return labels
    if kind == "probability":
        return ((x + y + z) / float(sum(SHAPE))).astype(np.float32)
    return np.sin(x / 3.0) + np.cos(y / 4.0) + z / 16.0


def write_volume(path: Path, voxel_spacing: float, kind: str = "tomogram", sections: int = len(TILTS)) -> None:
    """An MRC file, or an OME-Zarr folder when ``path`` ends in ``.zarr`` (written with the project's converter);
    a ``tilt_series`` has ``sections`` images, an ``image`` (a gain, a movie frame) one."""
    data = _volume(kind if kind != "image" else "tomogram")
    if kind == "tilt_series":
        data = np.stack([_volume("tomogram")[0] + i for i in range(sections)])
    if kind == "image":
        data = _volume("tomogram")[:1] + 1.0
    if kind in ("tomogram", "tilt_series", "image"):
        data = data.astype(np.float32)
    if path.suffix != ".zarr":
        write_mrc(path, data if kind != "labels" else data.astype(np.int16), voxel_spacing)
        if kind in ("tilt_series", "image"):  # stacks of images, as cameras and IMOD write them (ispg 0)
            with mrcfile.open(path, mode="r+") as stack:
                stack.set_image_stack()
        return
    staging = path.with_name(path.name + ".source.mrc")
    write_mrc(staging, data if kind != "labels" else data.astype(np.int16), voxel_spacing)
    volume_kind = {"labels": VolumeKind.INSTANCE_MASK, "tilt_series": VolumeKind.TILTSERIES}.get(kind)
    convert_volume(staging, path, voxel_spacing=voxel_spacing, kind=volume_kind or VolumeKind.TOMOGRAM, workers=1)
    staging.unlink()


def _scaled(binning: float) -> list[tuple[float, float, float]]:
    return [(x * binning, y * binning, z * binning) for x, y, z in POINTS]


def picks_text(
    file_format: str, *, runs: Sequence[str], binning: float, voxel_spacing: float, delimiter: str | None = None
) -> bytes:
    """A picks file of ``file_format`` holding :data:`POINTS` for each run name in ``runs`` (the names select
    rows where the format has a run column; formats without one get the points once)."""
    points = _scaled(binning)
    rows = [(run, point) for run in runs for point in points]
    angles = {"rot": [10.0] * len(rows), "tilt": [20.0] * len(rows), "psi": [30.0] * len(rows)}
    separator = delimiter or ("\t" if file_format == "tsv" else ",")
    if file_format in ("csv", "tsv"):
        return "".join(separator.join(f"{v:.2f}" for v in p) + "\n" for p in points).encode()
    if file_format == "csv_with_header":
        rows = [separator.join(("x", "y", "z")), *(separator.join(f"{v:.2f}" for v in p) for p in points)]
        return ("\n".join(rows) + "\n").encode()
    if file_format == "tardis":
        body = "".join(f"{i},{x:.2f},{y:.2f},{z:.2f}\n" for i, (x, y, z) in enumerate(points, start=1))
        return ("IDs,X,Y,Z\n" + body).encode()
    if file_format in ("relion3_star", "tomoman_relion_star", "relion4_star"):
        name = "rlnMicrographName" if file_format == "relion3_star" else "rlnTomoName"
        table = {
            name: [run for run, _ in rows],
            "rlnCoordinateX": [p[0] for _, p in rows],
            "rlnCoordinateY": [p[1] for _, p in rows],
            "rlnCoordinateZ": [p[2] for _, p in rows],
            "rlnAngleRot": angles["rot"],
            "rlnAngleTilt": angles["tilt"],
            "rlnAnglePsi": angles["psi"],
        }
        return ("# version 30001\n\n" + loop_block("particles", table)).encode()
    if file_format == "stopgap_star":
        table = {
            "motl_idx": list(range(1, len(rows) + 1)),
            "tomo_num": [run for run, _ in rows],
            "orig_x": [p[0] for _, p in rows],
            "orig_y": [p[1] for _, p in rows],
            "orig_z": [p[2] for _, p in rows],
            "score": [0.5] * len(rows),
            "x_shift": [0.0] * len(rows),
            "y_shift": [0.0] * len(rows),
            "z_shift": [0.0] * len(rows),
            "phi": angles["rot"],
            "psi": angles["psi"],
            "the": angles["tilt"],
        }
        return loop_block("stopgap_motivelist", table).encode()
    if file_format == "copick":
        picks = Picks(positions=np.array(POINTS, dtype=np.float64), instance_ids=np.arange(1, len(POINTS) + 1))
        return export_copick(picks, ExportOptions(voxel_spacing=voxel_spacing, run_name=runs[0])).main
    raise ValueError(f"no synthetic writer for picks format {file_format!r}")


def write_imod_model(path: Path, binning: float) -> None:
    """An IMOD model with one contour of :data:`POINTS` (pixels × binning) and a slicer angle at each point (what
    oriented points are read from)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model = ImodModel.from_dataframe(pd.DataFrame(_scaled(binning), columns=["x", "y", "z"]))
    model.slicer_angles = [SLAN(time=1, angles=(10.0, 20.0, 30.0), center=p, label="") for p in _scaled(binning)]
    model.to_file(path)


def mdoc_text(image_file: str, frame_names: Sequence[str], acquisition: Acquisition = DEFAULT_ACQUISITION) -> str:
    """A SerialEM mdoc with one section per tilt of ``acquisition``; each section names one movie file (the
    deposited ones first, then names of movies that were not deposited)."""
    a = acquisition
    header = f"PixelSpacing = {a.pixel_spacing:g}\nVoltage = 300\nImageFile = {image_file}\nImageSize = 16 16\n"
    header += "DataMode = 2\n\n[T = SerialEM: synthetic inputs for a portal config]\n"
    names = [*frame_names, *(f"undeposited_{z:03d}.tif" for z in range(len(frame_names), len(a.tilts)))]
    sections = "".join(
        f"\n[ZValue = {z}]\nTiltAngle = {angle:.2f}\nExposureDose = {a.dose:g}\nPixelSpacing = {a.pixel_spacing:g}\n"
        f"ExposureTime = {a.exposure_time:.6f}\nSubFramePath = X:\\frames\\{names[z]}\n"
        for z, angle in enumerate(a.tilts)
    )
    return header + sections


def tilt_file_text(suffix: str, tilts: Sequence[float] = TILTS, ctf_format: str = "CTFFIND") -> str:
    """Per-tilt text files by suffix: angles (``.rawtlt``, ``.tlt``), ``.xf`` transforms, ``.xtilt`` zeros, an AreTomo
    ``.aln``, CTF estimates in ``ctf_format`` (``.txt`` or any suffix of a ``ctfs`` source); anything else gets the
    angles."""
    TILTS = tuple(tilts)  # noqa: N806 (the angles of this acquisition)
    if ctf_format.upper() == "IMOD":
        rows = "".join(f"{i + 1} {i + 1} {a:.2f} {a:.2f} 2000.0 1900.0 45.0\n" for i, a in enumerate(TILTS))
        return "1 0 0.0 0.0 0.0 3\n" + rows
    if ctf_format.upper() == "GCTF":
        return "".join(f"{i + 1} 20000.0 19000.0 45.0 0.0 0.05 8.0\n" for i in range(len(TILTS)))
    if suffix == ".xf":
        return "".join(f"1.0 0.0 0.0 1.0 {i:.2f} {-i:.2f}\n" for i in range(len(TILTS)))
    if suffix == ".xtilt":
        return "0.0\n" * len(TILTS)
    if suffix == ".aln":
        rows = "".join(
            f"{i:5d} -84.00 1.00000 {i:.2f} {-i:.2f} 1.00 1.00 1.00 0.00 {a:.2f}\n" for i, a in enumerate(TILTS)
        )
        return f"# AreTomo Alignment / Priims bprmMn\n# RawSize = 16 16 {len(TILTS)}\n# NumPatches = 0\n" + (
            "# SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT\n" + rows
        )
    if suffix == ".txt":
        rows = "".join(f"{i + 1}.000000 20000.0 19000.0 45.0 0.0 0.05 8.0\n" for i in range(len(TILTS)))
        return (
            "# Output from CTFFind version 4.1.14\n# Columns: #1 - micrograph number; #2 - defocus 1 [Angstroms];"
            " #3 - defocus 2; #4 - azimuth of astigmatism; #5 - additional phase shift [radians];"
            " #6 - cross correlation; #7 - spacing (in Angstroms) up to which CTF rings were fit successfully\n" + rows
        )
    if suffix == ".com":
        return "# IMOD command file\n$tilt -StandardInput\n"
    if suffix == ".json":
        return json.dumps({}) + "\n"
    return "".join(f"{angle:.2f}\n" for angle in TILTS)


def key_photo_png() -> bytes:
    """A grayscale 128 × 96 PNG (4:3, above the portal's 50-pixel floor for dataset and deposition photos)."""
    middle = _volume("tomogram").astype(np.float32)[SHAPE[0] // 2]
    tiled = np.tile(middle, (-(-96 // middle.shape[0]), -(-128 // middle.shape[1])))
    return grayscale_png(tiled[:96, :128])


def frame_bytes(suffix: str) -> bytes:
    """Bytes of one movie frame file (never read, only copied)."""
    return b"II*\x00synthetic movie frame\n" if suffix in (".tif", ".tiff") else b"synthetic movie frame\n"
