"""Benchmark: the key images of a 2 GiB tomogram, against reading the portal's slab at full resolution.

A float32 MRC of noise (512×1024×1024 = 2 GiB by default; noise is the worst case for compression) is converted
with the project's volume converter (3-level OME-Zarr, 256³ chunks), then, repeated (medians reported):
  (a) ours, reading: ``read_central_slab`` as the key-image task calls it (coarsest level with 512 pixels)
  (b) ours, everything: ``write_key_images`` (read, project, draw, crop, resize, encode and publish 4 PNGs)
  (c) baseline: the portal's slab (40 central slices of level 0) read with zarr from the same store
Reported: seconds, stored bytes read, and both against the volume (2 GiB of voxels; the stored OME-Zarr size).
The page cache is warm after the conversion: the figures are CPU costs (decompression), not disk reads.

    python benchmarks/key_image.py [--shape 512x1024x1024] [--repeats 3] [--workdir /tmp/...]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.converters.viewers.key_image import PROJECTION_DEPTH  # noqa: E402
from ingest.converters.volumes.convert import convert_volume  # noqa: E402
from ingest.domain.entities import Dataset, Run, Tomogram, VoxelSpacing  # noqa: E402
from ingest.domain.tasks import KeyImageTask  # noqa: E402
from ingest.domain.viewers import KEY_IMAGE_WIDTHS  # noqa: E402
from ingest.pipeline.execute_key_images import KEY_IMAGE_MIN_PIXELS, write_key_images  # noqa: E402
from ingest.pipeline.zarr_slab import read_central_slab  # noqa: E402
from ingest.storage.base import open_storage  # noqa: E402


def make_mrc(path: Path, shape: tuple[int, int, int]) -> None:
    """A float32 MRC of noise, written slab by slab."""
    import mrcfile

    rng = np.random.default_rng(0)
    with mrcfile.new_mmap(path, shape=shape, mrc_mode=2, overwrite=True) as mrc:
        for z in range(0, shape[0], 16):
            n = min(16, shape[0] - z)
            mrc.data[z : z + n] = rng.standard_normal((n, *shape[1:]), dtype=np.float32)
        mrc.voxel_size = 10.0


def portal_slab(zarr_path: Path) -> tuple[float, int]:
    """The portal's read: 40 central slices of level 0 (every chunk they touch)."""
    import zarr

    start = time.perf_counter()
    level = zarr.open_array(str(zarr_path / "0"), mode="r")
    first = level.shape[0] // 2 - PROJECTION_DEPTH // 2
    data = np.asarray(level[first : first + PROJECTION_DEPTH])
    seconds = time.perf_counter() - start
    chunk_z = level.chunks[0]
    layers = {z // chunk_z for z in range(first, first + PROJECTION_DEPTH)}
    read = sum(
        path.stat().st_size
        for path in (zarr_path / "0").iterdir()
        if path.is_dir() and int(path.name) in layers
        for path in path.rglob("*")
        if path.is_file()
    )
    assert data.shape[0] == PROJECTION_DEPTH
    return seconds, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="512x1024x1024")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    shape = tuple(int(n) for n in args.shape.split("x"))
    assert len(shape) == 3
    work = Path(tempfile.mkdtemp(prefix="bench-keyimage-", dir=args.workdir))
    try:
        source = work / "tomo.mrc"
        make_mrc(source, (shape[0], shape[1], shape[2]))
        start = time.perf_counter()
        convert_volume(source, work / "tree/tomo.zarr", voxel_spacing=10.0)
        converted = time.perf_counter() - start
        source.unlink()
        volume_bytes = shape[0] * shape[1] * shape[2] * 4
        stored = sum(path.stat().st_size for path in (work / "tree/tomo.zarr").rglob("*") if path.is_file())
        storage = open_storage(str(work / "tree"))
        tomogram = Tomogram(VoxelSpacing(Run(Dataset("1"), "r"), 10.0), 100)
        task = KeyImageTask(
            tomogram, "tomo.zarr", "t.json", tuple((kind, f"img/key-photo-{kind}.png") for kind in KEY_IMAGE_WIDTHS)
        )
        reading, drawing, baseline = [], [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            slab = read_central_slab(storage, "tomo.zarr", depth=PROJECTION_DEPTH, min_pixels=KEY_IMAGE_MIN_PIXELS)
            reading.append(time.perf_counter() - start)
            start = time.perf_counter()
            result = write_key_images(task, storage)
            drawing.append(time.perf_counter() - start)
            baseline.append(portal_slab(work / "tree/tomo.zarr"))
        gib = 2**30
        print(f"volume {args.shape} float32: {volume_bytes / gib:.2f} GiB of voxels, {stored / gib:.2f} GiB stored")
        print(f"(conversion with the project's converter: {converted:.1f} s)")
        print(f"level read: {slab.level} (factor {slab.factor}), slab z {slab.z_range} of {shape[0]}")
        rows = [
            ("(a) ours, reading the slab", statistics.median(reading), slab.bytes_read),
            ("(b) ours, 4 key images written", statistics.median(drawing), result.bytes_read),
            ("(c) portal's slab at level 0", statistics.median(s for s, _ in baseline), baseline[0][1]),
        ]
        print(f"{'variant':34} {'seconds':>8} {'MiB read':>9} {'of voxels':>10} {'of stored':>10}")
        for name, seconds, read in rows:
            print(f"{name:34} {seconds:8.3f} {read / 2**20:9.1f} {read / volume_bytes:10.2%} {read / stored:10.2%}")
        print(f"ratio (c)/(a) reading time: {rows[2][1] / rows[0][1]:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
