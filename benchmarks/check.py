"""Benchmark ``ingest check``: 200 runs (small volumes, 5 annotations each) under 30 s with 2 workers, and
linear growth (400 runs vs 200 runs, measured in the same invocation; a ratio near 2.0 is linear).

Run from the repository root: ``python benchmarks/check.py [--runs 200] [--workers 2] [--deep]`` (``--deep``: every
chunk decoded, as ``ingest check --deep``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from tests.good_tree import DATASET, build_good_tree

TEMPLATE_RUN = "RUN00000"
BUDGET_SECONDS = 30.0


def synthetic_tree(root: Path, runs: int) -> Path:
    """A valid tree with ``runs`` runs: one run written for real, then copied under new names."""
    build_good_tree(root, runs=(TEMPLATE_RUN,), tilt_series=False)
    template = root / DATASET / TEMPLATE_RUN
    for index in range(1, runs):
        name = f"RUN{index:05d}"
        target = Path(shutil.copytree(template, root / DATASET / name))
        for path in sorted(target.rglob(f"*{TEMPLATE_RUN}*"), key=lambda p: -len(p.parts)):
            path.rename(path.with_name(path.name.replace(TEMPLATE_RUN, name)))
        for path in target.rglob("*.json"):
            path.write_text(path.read_text().replace(TEMPLATE_RUN, name))
    return root


def timed_check(root: Path, workers: int, chunks: ChunkCoverage = ChunkCoverage.SAMPLE) -> tuple[float, int]:
    start = time.perf_counter()
    report = check_tree(root, workers=workers, chunks=chunks)
    return time.perf_counter() - start, len(report.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deep", action="store_true", help="decode every chunk (ingest check --deep)")
    options = parser.parse_args()
    chunks = ChunkCoverage.EVERY if options.deep else ChunkCoverage.SAMPLE
    with tempfile.TemporaryDirectory(prefix="check-bench-") as folder:
        start = time.perf_counter()
        small = synthetic_tree(Path(folder) / "small", options.runs)
        large = synthetic_tree(Path(folder) / "large", 2 * options.runs)
        print(f"built trees of {options.runs} and {2 * options.runs} runs in {time.perf_counter() - start:.1f} s")
        warm_up = synthetic_tree(Path(folder) / "warm-up", 2 * options.workers)
        warm_seconds, _ = timed_check(warm_up, options.workers, chunks)
        print(f"warm-up (starts the worker fork server once per process): {warm_seconds:.1f} s")
        small_seconds, small_findings = timed_check(small, options.workers, chunks)
        large_seconds, large_findings = timed_check(large, options.workers, chunks)
        small_serial, _ = timed_check(small, 1, chunks)
        large_serial, _ = timed_check(large, 1, chunks)
    ratio = large_seconds / small_seconds
    print(f"{options.runs} runs, {options.workers} workers: {small_seconds:.1f} s ({small_findings} findings)")
    print(f"{2 * options.runs} runs, {options.workers} workers: {large_seconds:.1f} s ({large_findings} findings)")
    print(f"ratio {2 * options.runs}/{options.runs} runs: {ratio:.2f} (linear growth = 2.0; below 2.0 when a fixed")
    print(
        f"  start-up cost dominates; marginal cost {1000 * (large_seconds - small_seconds) / options.runs:.1f} ms/run)"
    )
    print(f"serial (1 worker): {small_serial:.1f} s and {large_serial:.1f} s, ratio {large_serial / small_serial:.2f}")
    within_budget = small_seconds < BUDGET_SECONDS
    print(f"{options.runs} runs under {BUDGET_SECONDS:.0f} s: {'yes' if within_budget else 'NO'}")
    return 0 if within_budget and small_findings == large_findings == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
