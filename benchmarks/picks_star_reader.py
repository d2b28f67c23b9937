"""Benchmark: the RELION 4 reader against ``starfile.read`` alone on the same synthetic particle STAR file.

Writes a RELION 4 tomography particle file (optics group, 10 tomograms, Å origins, angles) to a temporary folder,
then times ``starfile.read`` and ``read_picks(..., "relion4_star")`` (best of ``--repeats``) and prints the ratio
and the process's peak resident memory. Usage: ``python benchmarks/picks_star_reader.py [--particles N]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import starfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.converters.picks.registry import ReadOptions, read_picks

HEADER = """# version 30001

data_optics

loop_
_rlnOpticsGroup #1
_rlnOpticsGroupName #2
_rlnTomoTiltSeriesPixelSize #3
1 opticsGroup1 1.350000

data_particles

loop_
"""
COLUMNS = [
    "rlnTomoName",
    "rlnCoordinateX",
    "rlnCoordinateY",
    "rlnCoordinateZ",
    "rlnAngleRot",
    "rlnAngleTilt",
    "rlnAnglePsi",
    "rlnOriginXAngst",
    "rlnOriginYAngst",
    "rlnOriginZAngst",
    "rlnOpticsGroup",
]


def write_synthetic_star(path: Path, particles: int, tomograms: int = 10) -> None:
    """A RELION 4 particle STAR file of ``particles`` rows spread over ``tomograms`` tomograms."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "rlnTomoName": [f"TS_{index % tomograms:03d}" for index in range(particles)],
            "rlnCoordinateX": rng.uniform(0, 4000, particles),
            "rlnCoordinateY": rng.uniform(0, 4000, particles),
            "rlnCoordinateZ": rng.uniform(0, 1000, particles),
            "rlnAngleRot": rng.uniform(-180, 180, particles),
            "rlnAngleTilt": rng.uniform(0, 180, particles),
            "rlnAnglePsi": rng.uniform(-180, 180, particles),
            "rlnOriginXAngst": rng.normal(size=particles),
            "rlnOriginYAngst": rng.normal(size=particles),
            "rlnOriginZAngst": rng.normal(size=particles),
            "rlnOpticsGroup": np.ones(particles, dtype=int),
        }
    )
    with path.open("w") as stream:
        stream.write(HEADER)
        stream.write("".join(f"_{name} #{index}\n" for index, name in enumerate(COLUMNS, start=1)))
        table.to_csv(stream, sep=" ", header=False, index=False, float_format="%.6f")


def best_time(action: object, repeats: int) -> float:
    """The shortest wall time of ``repeats`` calls of ``action``."""
    assert callable(action)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--particles", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "particles.star"
        write_synthetic_star(path, arguments.particles)
        baseline = best_time(lambda: starfile.read(path), arguments.repeats)
        reader = best_time(lambda: read_picks(path, "relion4_star", ReadOptions(binning=4)), arguments.repeats)
        one_run = best_time(
            lambda: read_picks(path, "relion4_star", ReadOptions(binning=4, filter_value="TS_003")), arguments.repeats
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"particles            {arguments.particles:,}")
    print(f"starfile.read        {baseline:.2f} s")
    print(f"relion4_star reader  {reader:.2f} s  ratio {reader / baseline:.2f}x starfile")
    print(f"one tomogram of 10   {one_run:.2f} s  ratio {one_run / baseline:.2f}x starfile")
    print(f"peak memory          {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
