"""Benchmark: MRC → 3-level OME-Zarr, ours against the floor and two general-purpose writers, in one run.

Variants, each run in a fresh subprocess (so memory peaks are separate) and repeated (medians reported):
  (a) floor: read the MRC memory map and write level 0 alone with zarr, same codec, chunks and zarr config
      (``write_empty_chunks``), one thread per core
  (b) ome-zarr-py ``write_image``, 3 levels, ``local_mean`` with per-axis factors that also halve z
  (c) ngff-zarr ``to_multiscales`` (dask bin-shrink mean, 3 levels) + ``to_ngff_zarr``
  (d) ours: ``convert_volume``, 3 levels + canonical MRC
and, to explain (d), two reference points: (e) ours without the MRC, (f) a page-cache copy of the source file
(what the MRC's bytes cost through the page cache; (d) writes them with direct I/O beside the conversion instead).
Peak memory is RssAnon of the child, sampled from /proc/<pid>/status every 10 ms (file-backed pages of memory
maps do not count). Wall time is measured inside the child around the conversion call (imports excluded).

    python benchmarks/volume.py [--shape 512x1024x1024] [--small 256x512x512] [--large 1024x1024x1024]
                                [--repeats 3] [--variants abcdef] [--workdir /tmp/...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "a": "floor: zarr level 0 only",
    "b": "ome-zarr-py write_image",
    "c": "ngff-zarr",
    "d": "ours: 3 levels + MRC",
    "e": "ours: 3 levels, no MRC",
    "f": "file copy of the MRC",
}


def make_mrc(path: Path, shape: tuple[int, int, int]) -> None:
    """A float32 MRC of smooth structure plus noise, written slab by slab."""
    import mrcfile

    rng = np.random.default_rng(0)
    with mrcfile.new_mmap(path, shape=shape, mrc_mode=2, overwrite=True) as mrc:
        for z in range(0, shape[0], 16):
            n = min(16, shape[0] - z)
            mrc.data[z : z + n] = rng.standard_normal((n, *shape[1:]), dtype=np.float32)
        mrc.voxel_size = 10.0


def run_variant(variant: str, source: Path, out: Path, workers: int) -> float:
    """Run one variant in this process; return its wall time in seconds."""
    import mrcfile
    import zarr

    if variant in "de":
        sys.path.insert(0, str(ROOT))
        from ingest.converters.volumes.convert import convert_volume

        start = time.perf_counter()
        mrc_out = out / "d.mrc" if variant == "d" else None
        convert_volume(source, out / "d.zarr", voxel_spacing=10.0, mrc_out=mrc_out, workers=workers)
        return time.perf_counter() - start
    if variant == "f":
        start = time.perf_counter()
        shutil.copyfile(source, out / "copy.mrc")
        return time.perf_counter() - start
    import dask
    import dask.array as da
    import numcodecs

    blosc = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    start = time.perf_counter()
    mrc = mrcfile.mmap(source, mode="r")
    data = mrc.data
    if variant == "a":
        array = zarr.create_array(
            out / "a.zarr",
            shape=data.shape,
            chunks=(256, 256, 256),
            dtype="float32",
            zarr_format=2,
            compressors=blosc,
            chunk_key_encoding={"name": "v2", "separator": "/"},
            fill_value=0,
            config={"write_empty_chunks": True},  # as ours: skips zarr's costly all-equal test per chunk
        )
        regions = [
            (slice(z, z + 256), slice(y, y + 256), slice(x, x + 256))
            for z in range(0, data.shape[0], 256)
            for y in range(0, data.shape[1], 256)
            for x in range(0, data.shape[2], 256)
        ]

        def write(region: tuple[slice, slice, slice]) -> None:
            array[region] = np.array(data[region])

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(write, regions))
    elif variant == "b":
        from ome_zarr.format import FormatV04
        from ome_zarr.scale import Methods
        from ome_zarr.writer import write_image

        image = da.from_array(data, chunks=(256, 256, 256))
        group = zarr.open_group(str(out / "b.zarr"), mode="w", zarr_format=2)
        with dask.config.set(scheduler="threads", num_workers=workers):
            write_image(
                image,
                group,
                scale_factors=[{"z": 2, "y": 2, "x": 2}, {"z": 4, "y": 4, "x": 4}],
                method=Methods.LOCAL_MEAN,
                fmt=FormatV04(),
                axes="zyx",
                storage_options={"chunks": (256, 256, 256), "compressor": blosc},
            )
    elif variant == "c":
        import ngff_zarr

        image = ngff_zarr.to_ngff_image(
            da.from_array(data, chunks=(256, 256, 256)), dims=["z", "y", "x"], scale={"z": 10.0, "y": 10.0, "x": 10.0}
        )
        with dask.config.set(scheduler="threads", num_workers=workers):
            multiscales = ngff_zarr.to_multiscales(
                image, scale_factors=[2, 4], method=ngff_zarr.Methods.DASK_BIN_SHRINK, chunks=256
            )
            ngff_zarr.to_ngff_zarr(out / "c.zarr", multiscales, version="0.4", compressor=blosc)
    mrc.close()
    return time.perf_counter() - start


def measure(variant: str, source: Path, workdir: Path, workers: int) -> tuple[float, float]:
    """Run ``variant`` in a fresh subprocess; return (seconds, peak RssAnon MiB)."""
    out = Path(tempfile.mkdtemp(dir=workdir, prefix=f"out-{variant}-"))
    command = [sys.executable, __file__, "--child", variant, str(source), str(out), str(workers)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = 0
    while child.poll() is None:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
            peak = max(peak, next(int(line.split()[1]) for line in status.splitlines() if line.startswith("RssAnon")))
        except (OSError, StopIteration):
            pass
        time.sleep(0.01)
    stdout = child.stdout.read() if child.stdout else ""
    shutil.rmtree(out, ignore_errors=True)
    if child.returncode != 0:
        raise SystemExit(f"variant {variant} failed with exit code {child.returncode}")
    return float(json.loads(stdout.strip().splitlines()[-1])["seconds"]), peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", default="512x1024x1024")
    parser.add_argument("--small", default="256x512x512", help="second size for ours, to show memory is flat")
    parser.add_argument("--large", help="optional third, larger size for ours (one run, memory only)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", default="abcdef")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, source, out, workers = args.child
        print(json.dumps({"seconds": run_variant(variant, Path(source), Path(out), int(workers))}))
        return
    workdir = Path(tempfile.mkdtemp(dir=args.workdir, prefix="volume-bench-"))
    try:
        shapes = {"big": _shape(args.shape), "small": _shape(args.small)}
        sources = {name: workdir / f"{name}.mrc" for name in shapes}
        for name, shape in shapes.items():
            make_mrc(sources[name], shape)
        large_peak = None
        if args.large:
            make_mrc(workdir / "large.mrc", _shape(args.large))
            large_seconds, large_peak = measure("d", workdir / "large.mrc", workdir, args.workers)
            (workdir / "large.mrc").unlink()
            print(f"(d) on {args.large}: {large_seconds:.2f} s / {large_peak:.0f} MiB", flush=True)
        # Repeats are interleaved (a, b, ..., a, b, ...) so that a change in the machine's load hits every variant.
        runs: dict[str, list[tuple[float, float]]] = {variant: [] for variant in args.variants}
        for repeat in range(args.repeats):
            for variant in args.variants:
                runs[variant].append(measure(variant, sources["big"], workdir, args.workers))
                seconds, peak = runs[variant][-1]
                print(f"run {repeat + 1} ({variant}): {seconds:.2f} s / {peak:.0f} MiB", flush=True)
        rows = {
            variant: (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results))
            for variant, results in runs.items()
        }
        small = [measure("d", sources["small"], workdir, args.workers) for _ in range(args.repeats)]
        small_peak = statistics.median(r[1] for r in small)
        floor = rows.get("a", (float("nan"), 0.0))[0]
        print(f"\nvolume {args.shape} float32, {args.workers} workers, median of {args.repeats}")
        print(f"{'variant':32} {'time s':>8} {'vs (a)':>8} {'peak RssAnon MiB':>18}")
        for variant, (seconds, peak) in rows.items():
            print(f"({variant}) {VARIANTS[variant]:28} {seconds:8.2f} {seconds / floor:8.2f} {peak:18.0f}")
        if "a" in runs:
            # Runs of one repeat are neighbours in time, so their ratio is less exposed to load drift.
            for variant in runs:
                if variant != "a":
                    paired = [r[0] / a[0] for r, a in zip(runs[variant], runs["a"], strict=True)]
                    listed = ", ".join(f"{ratio:.2f}" for ratio in paired)
                    print(f"({variant}) / (a) per repeat: {listed}; median {statistics.median(paired):.2f}")
        if "d" in rows:
            print(
                f"(d) on {args.small}: peak {small_peak:.0f} MiB; big/small peak ratio {rows['d'][1] / small_peak:.2f}"
            )
            if large_peak is not None:
                print(
                    f"(d) on {args.large}: peak {large_peak:.0f} MiB; large/big ratio {large_peak / rows['d'][1]:.2f}"
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _shape(text: str) -> tuple[int, int, int]:
    z, y, x = (int(v) for v in text.split("x"))
    return (z, y, x)


if __name__ == "__main__":
    main()
