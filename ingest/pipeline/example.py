"""A small, fully synthetic deposition whose source files are generated deterministically (``ingest example DIR``).

The phantom of each run is a 64×128×128 tomogram at 10 Å with a curved membrane-like sheet and two kinds of
particle-like Gaussian blobs (large "ribosomes", small "proteasomes"), plus its 2×2×2 mean (32×64×64 at 20 Å);
a tilt series (sheared projections of the 10 Å phantom, 21 tilts from -60° to 60°); picks of the blobs in three
formats (ribosomes as CSV and as a RELION 3 STAR file with angles, proteasomes as copick JSON in Å); a membrane
mask; key photos (PNG slices) for the dataset and the deposition; and a run data map. Every byte depends only
on the fixed seed, so two generations are identical.

The files land in ``DIR/phantom/`` (the config's ``source_prefix``), and the config itself is written to
``DIR/example.yaml``, so both ``ingest deposition DIR/example.yaml`` (the input defaults to the config's folder)
and ``ingest deposition configs/examples/example.yaml --input DIR`` ingest it.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np
from numpy.typing import NDArray

from ingest.config.example import EXAMPLE_CONFIG_TEXT, EXAMPLE_RUNS, EXAMPLE_SOURCE_PREFIX

SEED = 20261127
SHAPE = (64, 128, 128)
VOXEL_SPACING = 10.0
TILT_ANGLES = tuple(range(-60, 61, 6))
EXPOSURE_TIME = 1.0
"""Seconds per tilt; with the example config's dose_rate (4.76) every tilt gets its share of the 100 e⁻/Å² total."""


@dataclass(frozen=True)
class Particle:
    """One blob: position in voxels of the 10 Å phantom (x, y, z) and RELION angles (rot, tilt, psi) in degrees."""

    x: float
    y: float
    z: float
    rot: float
    tilt: float
    psi: float


@dataclass(frozen=True)
class Phantom:
    """One run's synthetic sample: the 10 Å volume, the membrane mask and the particles of each kind."""

    volume: NDArray[np.float32]
    membrane: NDArray[np.int8]
    ribosomes: tuple[Particle, ...]
    proteasomes: tuple[Particle, ...]


def make_phantom(run_index: int) -> Phantom:
    """The phantom of run ``run_index`` (0-based); a pure function of the seed and the index."""
    rng = np.random.default_rng(SEED + run_index)
    nz, ny, nx = SHAPE
    z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    surface = nz / 2 + 6.0 * np.sin(2 * np.pi * x / nx + run_index) + 3.0 * np.cos(2 * np.pi * y / ny)
    membrane = (np.abs(z - surface) < 2.0).astype(np.int8)
    volume = rng.normal(0.0, 0.3, SHAPE) + 1.5 * membrane
    surface_at = surface[0]
    ribosomes = _place_particles(rng, 8, surface_at)
    proteasomes = _place_particles(rng, 6, surface_at)
    for particles, sigma, height in ((ribosomes, 3.0, 3.0), (proteasomes, 1.5, 2.0)):
        for particle in particles:
            _add_blob(volume, particle, sigma, height)
    return Phantom(volume.astype(np.float32), membrane, ribosomes, proteasomes)


def _place_particles(rng: np.random.Generator, count: int, surface: NDArray[np.float64]) -> tuple[Particle, ...]:
    """``count`` particles at least 8 voxels from the membrane and 6 from the borders, with random angles."""
    nz, ny, nx = SHAPE
    placed: list[Particle] = []
    while len(placed) < count:
        px, py, pz = rng.uniform(6, nx - 6), rng.uniform(6, ny - 6), rng.uniform(6, nz - 6)
        rot, tilt, psi = rng.uniform(-180, 180), rng.uniform(0, 180), rng.uniform(-180, 180)
        if abs(pz - surface[int(py), int(px)]) < 8:
            continue
        placed.append(Particle(*(round(float(v), 2) for v in (px, py, pz, rot, tilt, psi))))
    return tuple(placed)


def _add_blob(volume: NDArray[np.float64], particle: Particle, sigma: float, height: float) -> None:
    radius = int(3 * sigma) + 1
    centre = (particle.z, particle.y, particle.x)
    lows = [max(int(c) - radius, 0) for c in centre]
    highs = [min(int(c) + radius + 1, n) for c, n in zip(centre, SHAPE, strict=True)]
    grids = np.meshgrid(*(np.arange(lo, hi) for lo, hi in zip(lows, highs, strict=True)), indexing="ij")
    distance2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
    window = tuple(slice(lo, hi) for lo, hi in zip(lows, highs, strict=True))
    volume[window] += height * np.exp(-distance2 / (2 * sigma**2))


def bin_by_two(volume: NDArray[np.float32]) -> NDArray[np.float32]:
    """The 2×2×2 mean of ``volume`` (each dimension even): the phantom at twice the voxel spacing."""
    nz, ny, nx = volume.shape
    blocks = volume.reshape(nz // 2, 2, ny // 2, 2, nx // 2, 2)
    binned: NDArray[np.float32] = blocks.mean(axis=(1, 3, 5), dtype=np.float64).astype(np.float32)
    return binned


def project_tilt_series(volume: NDArray[np.float32]) -> NDArray[np.float32]:
    """A stack of sheared projections along z, one per angle of :data:`TILT_ANGLES` (a cheap stand-in for a
    real tilt series: enough to look like one, not a physical projection)."""
    nz = volume.shape[0]
    offsets = np.arange(nz) - nz / 2
    sections = []
    for angle in TILT_ANGLES:
        shifts = np.round(offsets * np.tan(np.radians(angle))).astype(int)
        sheared = np.stack([np.roll(volume[k], shifts[k], axis=1) for k in range(nz)])
        sections.append(sheared.sum(axis=0, dtype=np.float64))
    return np.stack(sections).astype(np.float32)


def write_mrc(path: Path, data: NDArray[np.generic], voxel_size: float) -> None:
    """Write ``data`` as an MRC file with ``voxel_size`` Å and a fixed label, so the bytes are stable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = voxel_size
        # mrcfile stamps the creation time into the first label; replace it to keep the bytes reproducible.
        mrc.header.label[0] = b"ingest example phantom"
        mrc.header.nlabl = 1


def particles_csv(particles: tuple[Particle, ...]) -> str:
    """Positions as ``x,y,z`` rows in voxels (the portal's ``csv`` format, no header)."""
    return "".join(f"{p.x:.2f},{p.y:.2f},{p.z:.2f}\n" for p in particles)


def particles_relion3_star(particles: tuple[Particle, ...], micrograph: str) -> str:
    """A RELION 3 particle STAR table: coordinates in pixels of the 10 Å phantom, ZYZ angles, zero origins."""
    columns = ("MicrographName", "CoordinateX", "CoordinateY", "CoordinateZ", "AngleRot", "AngleTilt", "AnglePsi")
    header = "\ndata_\n\nloop_\n" + "".join(f"_rln{name} #{i}\n" for i, name in enumerate(columns, start=1))
    rows = "".join(
        f"{micrograph}\t{p.x:.2f}\t{p.y:.2f}\t{p.z:.2f}\t{p.rot:.2f}\t{p.tilt:.2f}\t{p.psi:.2f}\n" for p in particles
    )
    return header + rows + "\n"


def particles_copick(particles: tuple[Particle, ...], run_name: str, object_name: str) -> str:
    """A copick picks JSON: locations in Å, identity transformations."""
    identity = [[1.0 if row == col else 0.0 for col in range(4)] for row in range(4)]
    points = [
        {
            "instance_id": 0,
            "location": {"x": p.x * VOXEL_SPACING, "y": p.y * VOXEL_SPACING, "z": p.z * VOXEL_SPACING},
            "score": 1.0,
            "transformation_": identity,
        }
        for p in particles
    ]
    document = {
        "pickable_object_name": object_name,
        "points": points,
        "run_name": run_name,
        "session_id": "0",
        "unit": "angstrom",
        "user_id": "example",
        "voxel_spacing": None,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def tilt_series_mdoc(run_name: str) -> str:
    """A SerialEM-style mdoc describing the tilt series: one section per tilt (angle, dose, pixel spacing,
    exposure time and the movie file the acquisition PC wrote, as a Windows path)."""
    dose = 100.0 / len(TILT_ANGLES)
    header = f"PixelSpacing = {VOXEL_SPACING:.2f}\nVoltage = 300\nImageFile = {run_name}.mrc\nImageSize = 128 128\n"
    header += "DataMode = 2\n\n[T = SerialEM: synthetic example generated by ingest example]\n"
    sections = "".join(
        f"\n[ZValue = {z}]\nTiltAngle = {angle:.2f}\nExposureDose = {dose:.4f}\nPixelSpacing = {VOXEL_SPACING:.2f}\n"
        f"ExposureTime = {EXPOSURE_TIME:.2f}\nSubFramePath = X:\\frames\\{run_name}_{z:03d}.tif\n"
        for z, angle in enumerate(TILT_ANGLES)
    )
    return header + sections


def grayscale_png(image: NDArray[np.float32]) -> bytes:
    """``image`` (rows × columns) as an 8-bit grayscale PNG, contrast stretched to its range; no timestamp or
    other varying chunk, so the bytes depend only on the pixels."""
    low, high = float(image.min()), float(image.max())
    pixels = np.round((image - low) / ((high - low) or 1.0) * 255).astype(np.uint8)
    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def key_photos(volume: NDArray[np.float32]) -> tuple[bytes, bytes]:
    """The dataset's and deposition's key photos: the central z-slice (snapshot) and its 2×2 mean (thumbnail)."""
    middle = volume[volume.shape[0] // 2]
    ny, nx = middle.shape
    thumbnail = middle.reshape(ny // 2, 2, nx // 2, 2).mean(axis=(1, 3))
    return grayscale_png(middle), grayscale_png(thumbnail)


def run_data_map_csv() -> str:
    """The run data map: per-run values the config's templates read (tilt range, quality)."""
    rows = ["run_name,tilt_series_min_tilt,tilt_series_max_tilt,tilt_series_quality"]
    rows += [f"{run},{TILT_ANGLES[0]},{TILT_ANGLES[-1]},{4 + index % 2}" for index, run in enumerate(EXAMPLE_RUNS)]
    return "\n".join(rows) + "\n"


def write_example(directory: Path) -> tuple[Path, ...]:
    """Generate the example's source files and config under ``directory``; return the files written, sorted."""
    root = directory / EXAMPLE_SOURCE_PREFIX
    written: list[Path] = []

    def text(relative: str, content: str) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)

    def volume(relative: str, data: NDArray[np.generic], voxel_size: float) -> None:
        write_mrc(root / relative, data, voxel_size)
        written.append(root / relative)

    for index, run in enumerate(EXAMPLE_RUNS):
        phantom = make_phantom(index)
        volume(f"tomograms/{run}_bin1.mrc", phantom.volume, VOXEL_SPACING)
        volume(f"tomograms/{run}_bin2.mrc", bin_by_two(phantom.volume), 2 * VOXEL_SPACING)
        volume(f"tiltseries/{run}.mrc", project_tilt_series(phantom.volume), VOXEL_SPACING)
        text(f"tiltseries/{run}.rawtlt", "".join(f"{angle:.1f}\n" for angle in TILT_ANGLES))
        text(f"tiltseries/{run}.mdoc", tilt_series_mdoc(run))
        volume(f"masks/{run}_membrane.mrc", phantom.membrane, VOXEL_SPACING)
        text(f"picks/{run}_ribosome.csv", particles_csv(phantom.ribosomes))
        text(f"picks/{run}_ribosome.star", particles_relion3_star(phantom.ribosomes, f"{run}.tomostar"))
        text(f"picks/{run}_proteasome.json", particles_copick(phantom.proteasomes, run, "proteasome"))
    snapshot, thumbnail = key_photos(make_phantom(0).volume)
    for name, data in (("snapshot", snapshot), ("thumbnail", thumbnail)):
        (root / "keyphotos").mkdir(parents=True, exist_ok=True)
        (root / f"keyphotos/{name}.png").write_bytes(data)
        written.append(root / f"keyphotos/{name}.png")
    text("run_data_map.csv", run_data_map_csv())
    config = directory / "example.yaml"
    config.write_text(EXAMPLE_CONFIG_TEXT, encoding="utf-8")
    written.append(config)
    return tuple(sorted(written))
