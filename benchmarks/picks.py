"""Benchmark: a synthetic RELION 4 star file → portal ndJSON end to end, against ``starfile.read`` alone.

Issue 3's target: 1,000,000 oriented particles over 10 tomograms convert (read, rotate, write ndJSON atomically) in
at most 2x the time ``starfile.read`` takes on the same file, measured in the same run, with peak memory under
2 GiB. Prints both times, their ratio, the time of the ndJSON writer alone and the peak resident memory.
Usage: ``python benchmarks/picks.py [--particles N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
from pathlib import Path

import starfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.picks_star_reader import best_time, write_synthetic_star
from ingest.converters.ndjson import PointShape, picks_to_ndjson
from ingest.converters.picks import ReadOptions, read_picks
from ingest.converters.picks_conversion import convert_picks_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--particles", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    arguments = parser.parse_args()
    options = ReadOptions(binning=4)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source, destination = folder / "particles.star", folder / "particles.ndjson"
        write_synthetic_star(source, arguments.particles)
        baseline = best_time(lambda: starfile.read(source), arguments.repeats)
        end_to_end = best_time(
            lambda: convert_picks_file(source, destination, "relion4_star", PointShape.ORIENTED_POINT, options),
            arguments.repeats,
        )
        picks = read_picks(source, "relion4_star", options)
        writer = best_time(lambda: picks_to_ndjson(picks, PointShape.ORIENTED_POINT), arguments.repeats)
        size_mib = destination.stat().st_size / 2**20
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"particles             {arguments.particles:,}")
    print(f"starfile.read         {baseline:.2f} s (baseline)")
    print(f"star -> ndJSON        {end_to_end:.2f} s  ratio {end_to_end / baseline:.2f}x starfile (target <= 2x)")
    print(f"ndJSON writer alone   {writer:.2f} s  ratio {writer / baseline:.2f}x starfile ({size_mib:.0f} MiB written)")
    print(f"peak memory           {peak_mib:.0f} MiB (target < 2048)")


if __name__ == "__main__":
    main()
