"""Benchmark: the Neuroglancer precomputed annotations of 1,000,000 particles, against writing their ndJSON.

Issue 14's Performance item. Synthetic oriented particles (uniform in a 1000×1000×500 voxel tomogram, random proper
rotations) are written once as the portal's ndJSON into a local output tree. Then, each measurement in a fresh
subprocess (same imports, timed around the call only), alternating, ``--repeats`` rounds, medians reported:
  (a) baseline: the ndJSON written by our writer (``ndjson_chunks`` into ``write_atomically``, as ``convert-picks``);
  (b) ours: ``write_precomputed_annotations`` as the pipeline calls it (read the ndJSON from the output storage,
      ``write_precomputed_points`` into scratch: ``info`` and ``spatial0`` as the ``neuroglancer`` package's
      ``AnnotationWriter`` lays them out, ``by_id`` sharded as the portal shards it; publish the folder with a
      ``DigestingPublisher``, which hashes every file for the run manifest);
  (c) the parts of (b), timed separately (for the profile): reading and parsing the ndJSON into columns, the
      writer, publishing.
Reported: seconds, the ratio (b)/(a), bytes and files written, and each subprocess's peak resident set (VmHWM,
interpreter and libraries included).

    python benchmarks/neuroglancer_points.py [--points 1000000] [--repeats 3] [--workdir /tmp/...]
        [--shape orientedpoint|point] [--skip-parts]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POINTS_KEY = "points.ndjson"
SIZE = (1000, 1000, 500)


def _peak_mib() -> float:
    """This process's peak resident set (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _rotations(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random proper rotation matrices (from normalised random quaternions)."""
    q = rng.standard_normal((count, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], axis=1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], axis=1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], axis=1),
        ],
        axis=1,
    )


def make_particles(work: Path, count: int, oriented: bool) -> None:
    """The particles as arrays (``particles.npz``, for the baseline) and as ndJSON in the tree (for ours)."""
    from ingest.converters.picks.ndjson import PointShape, ndjson_chunks
    from ingest.converters.picks.registry import Picks
    from ingest.storage.staging import write_atomically

    rng = np.random.default_rng(0)
    positions = rng.uniform(0, 1, (count, 3)) * np.array(SIZE, dtype=np.float64)
    rotations = _rotations(count, rng) if oriented else None
    arrays = {"positions": positions} if rotations is None else {"positions": positions, "rotations": rotations}
    np.savez(work / "particles.npz", **arrays)
    shape = PointShape.ORIENTED_POINT if oriented else PointShape.POINT
    write_atomically(work / "tree" / POINTS_KEY, ndjson_chunks(Picks(positions, rotations), shape))


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


def _child(kind: str, work: Path, oriented: bool, round_: int) -> None:
    """Time one measurement in this (fresh) process and print it as JSON."""
    from ingest.converters.picks.ndjson import PointShape, ndjson_chunks
    from ingest.converters.picks.registry import Picks
    from ingest.converters.viewers.neuroglancer_points import point_columns, write_precomputed_points
    from ingest.domain.entities import Shape
    from ingest.domain.tasks import PrecomputedPointsTask
    from ingest.domain.viewers import PALETTE
    from ingest.pipeline.execute_neuroglancer import iter_points, write_precomputed_annotations
    from ingest.storage.base import open_storage
    from ingest.storage.digests import DigestingPublisher
    from ingest.storage.staging import write_atomically

    result: dict[str, float] = {}
    folder = f"precomputed-{round_}"
    if kind == "ndjson":
        arrays = np.load(work / "particles.npz")
        picks = Picks(arrays["positions"], arrays["rotations"] if oriented else None)
        shape = PointShape.ORIENTED_POINT if oriented else PointShape.POINT
        destination = work / f"baseline-{round_}.ndjson"
        start = time.perf_counter()
        write_atomically(destination, ndjson_chunks(picks, shape))
        result["seconds"] = time.perf_counter() - start
        result["bytes"], result["files"] = destination.stat().st_size, 1
        destination.unlink()
    else:
        storage = open_storage(str(work / "tree"))
        publisher = DigestingPublisher(storage)
        task = PrecomputedPointsTask(
            annotation_metadata_key="annotation.json",
            points_key=POINTS_KEY,
            folder=folder,
            shape=Shape.ORIENTED_POINT if oriented else Shape.POINT,
            voxel_spacing=10.0,
            object_name="cytosolic ribosome",
            diameter=250.0,
        )
        if kind == "precomputed":
            start = time.perf_counter()
            write_precomputed_annotations(task, storage, publisher)
            result["seconds"] = time.perf_counter() - start
        else:  # the same steps as write_precomputed_annotations, each timed
            start = time.perf_counter()
            points = point_columns(iter_points(storage, task.points_key), oriented=oriented)
            result["read"] = time.perf_counter() - start
            with storage.scratch() as scratch:
                start = time.perf_counter()
                write_precomputed_points(
                    points,
                    scratch / "precomputed",
                    voxel_spacing=task.voxel_spacing,
                    object_name=task.object_name,
                    diameter=task.diameter,
                    oriented=oriented,
                    instance_colors=PALETTE,
                )
                result["writer"] = time.perf_counter() - start
                start = time.perf_counter()
                publisher.move_tree(task.folder, scratch / "precomputed")
                result["publish"] = time.perf_counter() - start
        result["bytes"], result["files"] = _folder_size(work / "tree" / folder)
        shutil.rmtree(work / "tree" / folder)
    print(json.dumps({**result, "peak_mib": _peak_mib()}))


def _measure(kind: str, work: Path, oriented: bool, round_: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--workdir", str(work), "--round", str(round_)]
    command += ["--shape", "orientedpoint" if oriented else "point"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--shape", choices=["orientedpoint", "point"], default="orientedpoint")
    parser.add_argument("--skip-parts", action="store_true", help="do not time the parts of (b) (halves the time)")
    parser.add_argument("--child", choices=["ndjson", "precomputed", "parts"], help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    oriented = args.shape == "orientedpoint"
    if args.child:
        _child(args.child, args.workdir, oriented, args.round)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-ngpoints-", dir=args.workdir))
    try:
        make_particles(work, args.points, oriented)
        source_bytes = (work / "tree" / POINTS_KEY).stat().st_size
        kinds = ("ndjson", "precomputed") if args.skip_parts else ("ndjson", "precomputed", "parts")
        rounds = [{kind: _measure(kind, work, oriented, round_) for kind in kinds} for round_ in range(args.repeats)]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def median(kind: str, field: str) -> float:
        return statistics.median(r[kind][field] for r in rounds)

    baseline, ours = median("ndjson", "seconds"), median("precomputed", "seconds")
    mib = 2**20
    rounds_text = f"{args.repeats} rounds, medians; ndJSON source {source_bytes / mib:.0f} MiB"
    print(f"{args.shape} particles   {args.points:,} ({rounds_text})")
    print(f"{'variant':38} {'seconds':>8} {'ratio':>7} {'MiB written':>12} {'files':>9} {'peak MiB':>9}")
    for name, kind, seconds in (
        ("(a) ndJSON written (baseline)", "ndjson", baseline),
        ("(b) precomputed, as the pipeline", "precomputed", ours),
    ):
        written, files = rounds[0][kind]["bytes"] / mib, int(rounds[0][kind]["files"])
        peak = max(r[kind]["peak_mib"] for r in rounds)
        print(f"{name:38} {seconds:8.2f} {seconds / baseline:6.1f}x {written:12.1f} {files:9,} {peak:9.0f}")
    parts = (("reading the ndJSON (columns)", "read"), ("writer", "writer"), ("publishing (digests)", "publish"))
    for name, field in parts if not args.skip_parts else ():
        seconds = median("parts", field)
        print(f"  (c) {name:32} {seconds:8.2f} {seconds / baseline:6.1f}x")


if __name__ == "__main__":
    main()
