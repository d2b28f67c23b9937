"""Benchmark: a synthetic RELION 4 star file → portal ndJSON end to end, against ``starfile.read`` alone.

Issue 3's target: 1,000,000 oriented particles over 10 tomograms convert (read with the ``relion4_star`` reader,
rotate, write ndJSON atomically to a file) in at most 2x the time ``starfile.read`` takes on the same file, measured
in the same run, with peak memory under 2 GiB. Each measurement runs in a fresh subprocess (same imports, timed
around the call only), alternating baseline and conversion; the medians of ``--repeats`` rounds are compared. The
peak memory is the conversion subprocess's peak resident set (VmHWM, interpreter and libraries included). A third
kind of subprocess times the reader and the ndJSON writer (to a file) separately, for information.
Prints PASS or FAIL and exits 1 on FAIL. Usage: ``python benchmarks/picks.py [--particles N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.picks_star_reader import write_synthetic_star

TARGET_RATIO = 2.0
TARGET_PEAK_MIB = 2048


def _peak_mib() -> float:
    """This process's peak resident set (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child(kind: str, source: Path, destination: Path) -> None:
    """Time one measurement in this (fresh) process and print it as JSON."""
    import starfile

    from ingest.converters.picks.conversion import convert_picks_file
    from ingest.converters.picks.ndjson import PointShape, ndjson_chunks
    from ingest.converters.picks.registry import ReadOptions, read_picks
    from ingest.storage.staging import write_atomically

    options = ReadOptions(binning=4)
    times: dict[str, float] = {}
    start = time.perf_counter()
    if kind == "starfile":
        starfile.read(source)
        times["seconds"] = time.perf_counter() - start
    elif kind == "convert":
        convert_picks_file(source, destination, "relion4_star", PointShape.ORIENTED_POINT, options)
        times["seconds"] = time.perf_counter() - start
    else:
        picks = read_picks(source, "relion4_star", options)
        times["reader"] = time.perf_counter() - start
        start = time.perf_counter()
        write_atomically(destination, ndjson_chunks(picks, PointShape.ORIENTED_POINT))
        times["writer"] = time.perf_counter() - start
    print(json.dumps({**times, "peak_mib": _peak_mib()}))


def _measure(kind: str, source: Path, destination: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", kind, "--source", str(source), "--destination", str(destination)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--particles", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=["starfile", "convert", "parts"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--destination", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child, arguments.source, arguments.destination)
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source, destination = folder / "particles.star", folder / "particles.ndjson"
        write_synthetic_star(source, arguments.particles)
        rounds = [
            {kind: _measure(kind, source, destination) for kind in ("starfile", "convert", "parts")}
            for _ in range(arguments.repeats)
        ]
        size_mib = destination.stat().st_size / 2**20
    baseline = statistics.median(r["starfile"]["seconds"] for r in rounds)
    ours = statistics.median(r["convert"]["seconds"] for r in rounds)
    reader = statistics.median(r["parts"]["reader"] for r in rounds)
    writer = statistics.median(r["parts"]["writer"] for r in rounds)
    peak = max(r["convert"]["peak_mib"] for r in rounds)
    ratio = ours / baseline
    print(f"particles             {arguments.particles:,} ({arguments.repeats} rounds, medians)")
    print(f"starfile.read         {baseline:.2f} s (baseline)")
    print(f"star -> ndJSON        {ours:.2f} s  ratio {ratio:.2f}x starfile (target <= {TARGET_RATIO:g}x)")
    print(f"  reader alone        {reader:.2f} s  ratio {reader / baseline:.2f}x starfile")
    print(f"  writer alone        {writer:.2f} s  ratio {writer / baseline:.2f}x starfile ({size_mib:.0f} MiB written)")
    print(f"peak memory           {peak:.0f} MiB (conversion subprocess VmHWM, target < {TARGET_PEAK_MIB})")
    passed = ratio <= TARGET_RATIO and peak < TARGET_PEAK_MIB
    print("PASS" if passed else "FAIL")
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
