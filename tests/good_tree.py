"""A small valid canonical output tree, written the way docs/design.md §4 says the pipeline writes it.

One deposition (300), one dataset (10000) with key photos, two runs. Each run has the default alignment,
a tomogram (MRC + 3-level OME-Zarr, NGFF 0.4 on zarr v2, Blosc lz4) with key photos, and annotations:
points, oriented points, instance points, a binary mask and an instance mask (MRC + OME-Zarr each).
RUN1 also has a tilt series. Used by the checker's tests and benchmark.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from pathlib import Path
from typing import Any

import mrcfile
import numcodecs
import numpy as np
import zarr
from scipy.spatial.transform import Rotation

DATASET = "10000"
DEPOSITION = 300
SPACING = 10.0
VS = "VoxelSpacing10.000"
TOMO_SHAPE = (9, 14, 17)
TS_SHAPE = (5, 14, 17)
TS_SPACING = 5.0
AUTHORS = [{"name": "Ada Author", "primary_author_status": True, "corresponding_author_status": True}]
DATES = {"deposition_date": "2024-01-02", "release_date": "2024-02-03", "last_modified_date": "2024-03-04"}


def write_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, sort_keys=True))


def write_png(path: Path, width: int, height: int) -> None:
    """A tiny grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def write_mrc(path: Path, data: np.ndarray, voxel_size: float, *, stack: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
        if stack:
            mrc.set_image_stack()
        mrc.voxel_size = voxel_size
        mrc.update_header_stats()


def write_ome_zarr(
    path: Path, data: np.ndarray, spacing: float, *, halve_z: bool = True, labels: list[int] | None = None
) -> None:
    """Three levels by stride (the checker does not look at how levels were reduced), design-doc conventions.

    Chunks are 256³ (tilt series 1×1024×1024) clipped to each level's shape, as the volume writer does.
    """
    root = zarr.open_group(path, mode="w", zarr_format=2)
    datasets = []
    for level in range(3):
        step = 2**level
        reduced = data[:: step if halve_z else 1, ::step, ::step]
        target = (256, 256, 256) if halve_z else (1, 1024, 1024)
        chunks = tuple(min(c, n) for c, n in zip(target, reduced.shape, strict=True))  # clipped, as the writer does
        array = root.create_array(
            str(level),
            shape=reduced.shape,
            dtype=reduced.dtype,
            chunks=chunks,
            compressors=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE),
            chunk_key_encoding={"name": "v2", "separator": "/"},
            fill_value=0,
        )
        array[...] = reduced
        scale = [spacing * (step if halve_z else 1), spacing * step, spacing * step]
        datasets.append({"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    axes = [{"name": name, "type": "space", "unit": "angstrom"} for name in "zyx"]
    root.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": datasets, "name": "/"}]
    if labels is not None:
        colors = [{"label-value": value, "rgba": [255, 0, 0, 255]} for value in labels]
        root.attrs["image-label"] = {"version": "0.4", "colors": colors}


def scales_of(shape: tuple[int, int, int], *, halve_z: bool = True) -> list[dict[str, int]]:
    out = []
    for level in range(3):
        factor = 2**level
        z = math.ceil(shape[0] / factor) if halve_z else shape[0]
        out.append({"z": z, "y": math.ceil(shape[1] / factor), "x": math.ceil(shape[2] / factor)})
    return out


def build_good_tree(root: Path, *, runs: tuple[str, ...] = ("RUN1", "RUN2"), tilt_series: bool = True) -> Path:
    """Write the tree under ``root`` and return ``root``."""
    authors = AUTHORS
    write_json(
        root / "depositions_metadata" / str(DEPOSITION) / "deposition_metadata.json",
        {
            "authors": authors,
            "dates": DATES,
            "deposition_description": "A synthetic deposition.",
            "deposition_identifier": DEPOSITION,
            "deposition_title": "Synthetic",
            "deposition_types": ["dataset"],
        },
    )
    write_png(root / DATASET / "Images" / "snapshot.png", 64, 64)
    write_png(root / DATASET / "Images" / "thumbnail.png", 50, 50)
    write_json(
        root / DATASET / "dataset_metadata.json",
        {
            "authors": authors,
            "dates": DATES,
            "dataset_title": "Synthetic dataset",
            "dataset_description": "Phantoms.",
            "dataset_identifier": int(DATASET),
            "deposition_id": DEPOSITION,
            "sample_type": "in_silico",
            "key_photos": {
                "snapshot": f"{DATASET}/Images/snapshot.png",
                "thumbnail": f"{DATASET}/Images/thumbnail.png",
            },
        },
    )
    for index, run in enumerate(runs):
        _write_run(root, run, seed=index, tilt_series=tilt_series and index == 0)
    return root


def _write_run(root: Path, run: str, *, seed: int, tilt_series: bool) -> None:
    rng = np.random.default_rng(seed)
    run_key = f"{DATASET}/{run}"
    write_json(root / run_key / "run_metadata.json", {"run_name": run, "deposition_id": DEPOSITION})
    alignment = f"{run_key}/Alignments/100/alignment_metadata.json"
    write_json(
        root / alignment,
        {
            "alignment_type": "GLOBAL",
            "method_type": "undefined",
            "deposition_id": DEPOSITION,
            "affine_transformation_matrix": np.eye(4).tolist(),
            "volume_offset": {"x": 0, "y": 0, "z": 0},
            "volume_dimension": {
                "x": TOMO_SHAPE[2] * SPACING,
                "y": TOMO_SHAPE[1] * SPACING,
                "z": TOMO_SHAPE[0] * SPACING,
            },
        },
    )
    if tilt_series:
        _write_tilt_series(root, run_key, run, rng)
    vs_key = f"{run_key}/Reconstructions/{VS}"
    tomo_key = f"{vs_key}/Tomograms/100"
    volume = rng.normal(size=TOMO_SHAPE).astype(np.float32)
    write_mrc(root / tomo_key / f"{run}.mrc", volume, SPACING)
    write_ome_zarr(root / tomo_key / f"{run}.zarr", volume, SPACING)
    photos = {name: f"{vs_key}/Images/100/key-photo-{name}.png" for name in ("snapshot", "thumbnail")}
    write_png(root / photos["snapshot"], 512, 384)
    write_png(root / photos["thumbnail"], 134, 100)
    write_json(
        root / tomo_key / "tomogram_metadata.json",
        {
            "mrc_file": f"{tomo_key}/{run}.mrc",
            "omezarr_dir": f"{tomo_key}/{run}.zarr",
            "run_name": run,
            "alignment_metadata_path": alignment,
            "scales": scales_of(TOMO_SHAPE),
            "size": dict(zip("zyx", TOMO_SHAPE, strict=True)),
            "voxel_spacing": SPACING,
            "processing": "raw",
            "reconstruction_method": "WBP",
            "reconstruction_software": "IMOD",
            "fiducial_alignment_status": "FIDUCIAL",
            "offset": {"x": 0, "y": 0, "z": 0},
            "deposition_id": DEPOSITION,
            "authors": AUTHORS,
            "dates": DATES,
            "key_photo": photos,
        },
    )
    points = rng.uniform(0, 1, size=(6, 3)) * np.array(TOMO_SHAPE[::-1])
    rotations = Rotation.random(6, random_state=seed).as_matrix()
    point_lines = [{"type": "point", "location": dict(zip("xyz", p.tolist(), strict=True))} for p in points]
    oriented = [
        {**line, "type": "orientedPoint", "xyz_rotation_matrix": r.tolist()}
        for line, r in zip(point_lines, rotations, strict=True)
    ]
    instances = [{**line, "type": "instancePoint", "instance_id": i // 2 + 1} for i, line in enumerate(point_lines)]
    _write_point_annotation(root, vs_key, "100", "ribosome", "Point", "point", point_lines, alignment, 6)
    _write_point_annotation(root, vs_key, "101", "ribosome", "OrientedPoint", "orientedpoint", oriented, alignment, 6)
    _write_point_annotation(
        root, vs_key, "102", "microtubule", "InstanceSegmentation", "instancesegmentation", instances, alignment, 3
    )
    mask = (rng.uniform(size=TOMO_SHAPE) > 0.7).astype(np.int8)
    _write_mask_annotation(root, vs_key, "103", "membrane", "SegmentationMask", mask, alignment, 1, None)
    labels = rng.integers(0, 4, size=TOMO_SHAPE).astype(np.uint16)
    labels.flat[:3] = [1, 2, 3]
    _write_mask_annotation(root, vs_key, "104", "vesicle", "InstanceSegmentationMask", labels, alignment, 3, [1, 2, 3])


def _write_tilt_series(root: Path, run_key: str, run: str, rng: np.random.Generator) -> None:
    ts_key = f"{run_key}/TiltSeries/100"
    stack = rng.normal(size=TS_SHAPE).astype(np.float32)
    write_mrc(root / ts_key / f"{run}.mrc", stack, TS_SPACING, stack=True)
    write_ome_zarr(root / ts_key / f"{run}.zarr", stack, TS_SPACING, halve_z=False)
    angles = list(range(-20, 21, 10))
    (root / ts_key / f"{run}.rawtlt").write_text("\n".join(str(a) for a in angles) + "\n")
    order = sorted(range(len(angles)), key=lambda i: abs(angles[i]))  # dose symmetric: 0°, then outwards
    # What the portal's tilt-series importer writes from the raw tilts and the mdoc, and the run's frames (each
    # section's frame_acquisition_order must be a frame's acquisition_order for the portal's database importer).
    sections = [
        {"z_index": i, "frame_acquisition_order": order.index(i), "raw_angle": float(a)} for i, a in enumerate(angles)
    ]
    frames = [
        {"acquisition_order": n, "accumulated_dose": 20.0 * n, "exposure_dose": 20.0, "is_gain_corrected": True,
         "path": None}
        for n in range(len(angles))
    ]  # fmt: skip
    mdoc = f"{run_key}/Frames/{run}.mdoc"  # the acquisition file, named as the portal names it
    (root / mdoc).parent.mkdir(parents=True, exist_ok=True)
    (root / mdoc).write_text(
        "".join(f"[ZValue = {n}]\nTiltAngle = {a}\nExposureTime = 1\n\n" for n, a in enumerate(angles))
    )
    write_json(
        root / run_key / "Frames/frames_metadata.json",
        {
            "deposition_id": DEPOSITION,
            "dose_rate": 4.0,
            "is_gain_corrected": True,
            "frames_acquisition_file": mdoc,
            "frames": frames,
        },
    )
    write_json(
        root / ts_key / "tiltseries_metadata.json",
        {
            "per_section_parameter": sections,
            "raw_tlt_path": f"{ts_key}/{run}.rawtlt",
            "frames_count": 0,
            "mrc_file": f"{ts_key}/{run}.mrc",
            "omezarr_dir": f"{ts_key}/{run}.zarr",
            "run_name": run,
            "scales": scales_of(TS_SHAPE, halve_z=False),
            "size": dict(zip("zyx", TS_SHAPE, strict=True)),
            "pixel_spacing": TS_SPACING,
            "tilt_range": {"min": -20, "max": 20},
            "acceleration_voltage": 300000,
            "spherical_aberration_constant": 2.7,
            "microscope": {"manufacturer": "TFS", "model": "Krios"},
            "microscope_optical_setup": {"energy_filter": "GIF"},
            "camera": {"manufacturer": "Gatan", "model": "K3"},
            "tilt_step": 10,
            "tilting_scheme": "dose symmetric",
            "tilt_axis": 85.0,
            "total_flux": 100,
            "data_acquisition_software": "SerialEM",
            "tilt_series_quality": 5,
            "deposition_id": DEPOSITION,
        },
    )


def _annotation_metadata(name: str, files: list[dict[str, Any]], alignment: str, count: int) -> dict[str, Any]:
    return {
        "annotation_object": {"id": "GO:0005840", "name": name},
        "annotation_method": "template matching",
        "method_type": "automated",
        "annotation_ingest_id": f"{name}-{len(files)}",
        "dates": DATES,
        "deposition_id": DEPOSITION,
        "alignment_metadata_path": alignment,
        "version": "1.0",
        "object_count": count,
        "files": files,
        "authors": AUTHORS,
    }


def _write_point_annotation(
    root: Path,
    vs_key: str,
    ann_id: str,
    name: str,
    shape: str,
    suffix: str,
    lines: list[dict[str, Any]],
    alignment: str,
    count: int,
) -> None:
    folder = f"{vs_key}/Annotations/{ann_id}"
    path = f"{folder}/{name}-1.0_{suffix}.ndjson"
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / path).write_text("".join(json.dumps(line) + "\n" for line in lines))
    files = [{"shape": shape, "format": "ndjson", "path": path, "is_visualization_default": True}]
    write_json(root / folder / f"{name}-1.0.json", _annotation_metadata(name, files, alignment, count))


def _write_mask_annotation(
    root: Path,
    vs_key: str,
    ann_id: str,
    name: str,
    shape: str,
    data: np.ndarray,
    alignment: str,
    count: int,
    labels: list[int] | None,
) -> None:
    folder = f"{vs_key}/Annotations/{ann_id}"
    stem = f"{folder}/{name}-1.0_{shape.lower()}"
    write_mrc(root / f"{stem}.mrc", data, SPACING)
    write_ome_zarr(root / f"{stem}.zarr", data, SPACING, labels=labels)
    files = [
        {"shape": shape, "format": "mrc", "path": f"{stem}.mrc"},
        {"shape": shape, "format": "zarr", "path": f"{stem}.zarr"},
    ]
    write_json(root / folder / f"{name}-1.0.json", _annotation_metadata(name, files, alignment, count))
