"""Benchmark of the deposition pipeline.

Part 1 (planning): plan a synthetic deposition of 2,000 runs × 10 annotations (plus a tomogram and a tilt series
per run) from a listing, without touching any file. Target: under 5 s. The baseline measured in the same run is
the cost of matching every glob of the plan against the listing alone (the least any planner must do), and
planning a tenth of the runs shows whether the planner scales linearly.

Part 2 (ingestion, with --ingest): ``--volumes`` runs of ``--shape`` float32 tomograms (default 20 of
128x512x512, 2.5 GB of sources: run it on a quiet machine). Measured in the same run: converting the volumes
directly with the volume converter (baseline), the pipeline on one single-threaded dask worker, and on two.
Targets: two workers at least 1.7x faster than one; the pipeline's overhead over the direct conversion < 15%.
Workers are warmed up (modules imported) before timing, and dirty pages are synced before each measurement, so
no measurement pays for the previous one's write-back. ``--repeat N`` reports each repetition and the medians.

    python benchmarks/deposition.py [--runs 2000] [--annotations 10] [--ingest --volumes 20 --shape 128,512,512
                                     --repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np

from ingest.models.ingestion_config import DepositionConfig
from ingest.pipeline.inputs import parse_run_data_map
from ingest.plan.deposition import PlanInputs, plan_deposition
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing

DATES = {"deposition_date": "2024-01-01", "release_date": "2024-01-02", "last_modified_date": "2024-01-03"}
AUTHORS = [{"name": "A", "primary_author_status": True, "corresponding_author_status": True}]


def synthetic_config(annotations: int) -> DepositionConfig:
    """A config with one tomogram, one tilt series and ``annotations`` point annotations per run."""
    entries: list[dict[str, Any]] = [
        {
            "metadata": {
                "annotation_ingest_id": f"object-{index}",
                "annotation_object": {"id": "GO:0005840", "name": f"object {index}"},
                "annotation_method": "template matching",
                "method_type": "automated",
                "authors": AUTHORS,
                "dates": DATES,
                "version": 1.0,
            },
            "sources": [{"Point": {"file_format": "csv", "glob_string": f"picks/{{run_name}}_object{index}.csv"}}],
        }
        for index in range(annotations)
    ]
    tomogram = {
        "fiducial_alignment_status": "NON_FIDUCIAL",
        "processing": "raw",
        "reconstruction_method": "WBP",
        "reconstruction_software": "IMOD",
        "offset": {"x": 0, "y": 0, "z": 0},
    }
    tiltseries = {
        "acceleration_voltage": 300000,
        "spherical_aberration_constant": 2.7,
        "microscope": {"manufacturer": "TFS", "model": "Krios"},
        "microscope_optical_setup": {"energy_filter": "GIF"},
        "camera": {"manufacturer": "Gatan", "model": "K3"},
        "data_acquisition_software": "SerialEM",
        "tilt_axis": 85.0,
        "tilt_range": {"min": "float {tilt_min}", "max": "float {tilt_max}"},
        "tilt_step": 3.0,
        "tilting_scheme": "dose symmetric",
        "total_flux": 120.0,
        "tilt_series_quality": 4,
        "is_aligned": False,
    }
    return DepositionConfig.model_validate(
        {
            "version": "1.3.0",
            "standardization_config": {"deposition_id": 10300, "source_prefix": "in", "run_data_map_file": "map.csv"},
            "depositions": [{"sources": [{"literal": {"value": [10300]}}]}],
            "datasets": [{"sources": [{"literal": {"value": ["10001"]}}]}],
            "runs": [{"sources": [{"source_glob": {"list_glob": "tomograms/*.mrc", "name_regex": "(.*)\\.mrc"}}]}],
            "voxel_spacings": [{"sources": [{"literal": {"value": [13.48]}}]}],
            "tiltseries": [{"metadata": tiltseries, "sources": [{"source_glob": {"list_glob": "ts/{run_name}.st"}}]}],
            "tomograms": [
                {"metadata": tomogram, "sources": [{"source_glob": {"list_glob": "tomograms/{run_name}.mrc"}}]}
            ],
            "annotations": entries,
        }
    )


def synthetic_keys(runs: int, annotations: int) -> list[str]:
    """The input keys of the synthetic deposition."""
    keys = []
    for run in range(runs):
        name = f"TS_{run:05d}"
        keys += [f"tomograms/{name}.mrc", f"ts/{name}.st"]
        keys += [f"picks/{name}_object{index}.csv" for index in range(annotations)]
    return keys


def plan_seconds(runs: int, annotations: int) -> tuple[float, float, int]:
    """(seconds to build the listing, seconds to plan, tasks planned)."""
    keys = synthetic_keys(runs, annotations)
    run_map = "run_name,tilt_min,tilt_max\n" + "".join(f"TS_{run:05d},-60,60\n" for run in range(runs))
    config = synthetic_config(annotations)
    start = time.perf_counter()
    listing = Listing.of(keys, root="synthetic")
    listed = time.perf_counter()
    inputs = PlanInputs(listing, parse_run_data_map(run_map, source="map.csv"), config_file="synthetic.yaml")
    plan = plan_deposition(config, inputs, ExistingTree.empty())
    planned = time.perf_counter()
    tasks = sum(len(run.annotations) + len(run.tomograms) + len(run.tiltseries) for run in plan.runs)
    return listed - start, planned - listed, tasks


def glob_baseline_seconds(runs: int, annotations: int) -> float:
    """Seconds to match every glob the plan needs against the listing, with nothing else."""
    listing = Listing.of(synthetic_keys(runs, annotations), root="synthetic")
    start = time.perf_counter()
    listing.glob("tomograms/*.mrc")
    for run in range(runs):
        name = f"TS_{run:05d}"
        listing.glob(f"tomograms/{name}.mrc")
        listing.glob(f"ts/{name}.st")
        for index in range(annotations):
            listing.glob(f"picks/{name}_object{index}.csv")
    return time.perf_counter() - start


INGEST_CONFIG = """\
version: 1.3.0
standardization_config: {deposition_id: 10300, source_prefix: in}
depositions:
- metadata:
    authors: [{name: A, primary_author_status: true, corresponding_author_status: true}]
    dates: {deposition_date: '2024-01-01', release_date: '2024-01-02', last_modified_date: '2024-01-03'}
    deposition_description: benchmark
    deposition_identifier: 10300
    deposition_title: benchmark
    deposition_types: [tomogram]
  sources: [{literal: {value: [10300]}}]
datasets: [{sources: [{literal: {value: ['10001']}}]}]
runs: [{sources: [{source_glob: {list_glob: 'tomograms/*.mrc', name_regex: '(.*)\\.mrc'}}]}]
voxel_spacings: [{sources: [{literal: {value: [10.0]}}]}]
tomograms:
- metadata:
    fiducial_alignment_status: NON_FIDUCIAL
    processing: raw
    reconstruction_method: WBP
    reconstruction_software: IMOD
    offset: {x: 0, y: 0, z: 0}
  sources: [{source_glob: {list_glob: 'tomograms/{run_name}.mrc'}}]
"""


def write_sources(folder: Path, volumes: int, shape: tuple[int, int, int]) -> None:
    """``volumes`` random float32 MRC tomograms (written slice by slice: memory stays small)."""
    rng = np.random.default_rng(0)
    (folder / "in/tomograms").mkdir(parents=True)
    (folder / "config.yaml").write_text(INGEST_CONFIG)
    for index in range(volumes):
        with mrcfile.new_mmap(folder / f"in/tomograms/TS_{index:03d}.mrc", shape, mrc_mode=2) as mrc:
            for z in range(shape[0]):
                mrc.data[z] = rng.standard_normal(shape[1:], dtype=np.float32)
            mrc.voxel_size = 10.0


def direct_seconds(folder: Path, volumes: int) -> tuple[float, float]:
    """Baseline: the volume converter alone, one volume after another, one thread; (wall, CPU) seconds."""
    from ingest.converters.volumes.convert import convert_volume

    os.sync()  # earlier measurements' dirty pages are not this one's to write back
    cpu = time.process_time()
    start = time.perf_counter()
    for index in range(volumes):
        out = folder / f"direct/{index}"
        out.mkdir(parents=True)
        source = folder / f"in/tomograms/TS_{index:03d}.mrc"
        convert_volume(source, out / "v.zarr", voxel_spacing=10.0, mrc_out=out / "v.mrc", workers=1)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    shutil.rmtree(folder / "direct")
    return elapsed, cpu


def _import_pipeline(_: object) -> float:
    """Warm-up task: import what a run needs on a worker (part of starting a cluster, not of ingesting)."""
    import ingest.pipeline.execute_run  # noqa: F401

    time.sleep(0.5)  # long enough for the scheduler to give each worker one of these tasks
    return time.process_time()


def _worker_cpu(_: object) -> float:
    """The CPU seconds the worker process has used so far."""
    return time.process_time()


def pipeline_seconds(folder: Path, workers: int) -> tuple[float, float]:
    """The whole pipeline (plan, convert, publish, metadata) on ``workers`` single-threaded dask workers; (wall,
    CPU) seconds, CPU counted for one worker only (this process plus the worker process)."""
    from ingest.pipeline.execute import execute_plan
    from ingest.pipeline.execute_settings import ExecutionSettings
    from ingest.pipeline.executors import DaskExecutor, RunTask, collect_outcomes
    from ingest.pipeline.planning import plan_from_files

    output = folder / f"out-{workers}"
    with DaskExecutor(n_workers=workers) as executor:
        warm = collect_outcomes(executor, [RunTask(f"warm-up-{n}", _import_pipeline, None) for n in range(workers)])
        os.sync()
        cpu = time.process_time()
        start = time.perf_counter()
        planned = plan_from_files(folder / "config.yaml", output_url=str(output))
        settings = ExecutionSettings(str(folder), "in", str(output), timestamp=0, volume_workers=1)
        report = execute_plan(planned.plan, settings, executor)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if workers == 1:
            (after,) = collect_outcomes(executor, [RunTask("cpu", _worker_cpu, None)])
            cpu += (after.result or 0.0) - (warm[0].result or 0.0)
    assert report.ok, report
    shutil.rmtree(output)
    return elapsed, cpu


def ingest_benchmark(volumes: int, shape: tuple[int, int, int], repeat: int) -> None:
    """Part 2: the direct baseline, one worker and two workers, ``repeat`` times; per-repetition ratios and
    their medians."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as scratch:
        folder = Path(scratch)
        write_sources(folder, volumes, shape)
        print(f"part 2: ingesting {volumes} tomograms of {shape[0]}x{shape[1]}x{shape[2]} float32")
        measures: dict[str, Callable[[], tuple[float, float]]] = {
            "direct": lambda: direct_seconds(folder, volumes),
            "one": lambda: pipeline_seconds(folder, 1),
            "two": lambda: pipeline_seconds(folder, 2),
        }
        for index in range(repeat):
            load = os.getloadavg()[0]
            # The order rotates between repetitions: on a shared machine, load drifts, and a fixed order would
            # hand every drift to the same measurement.
            order = list(measures)[index % 3 :] + list(measures)[: index % 3]
            measured = {name: measures[name]() for name in order}
            (direct, direct_cpu), (one, one_cpu), (two, _) = measured["direct"], measured["one"], measured["two"]
            rows.append((direct, one, two, one / two, one / direct - 1, one_cpu / direct_cpu - 1))
            print(
                f"  #{index + 1} (load {load:.1f}): direct {direct:6.2f} s, 1 worker {one:6.2f} s, 2 workers "
                f"{two:6.2f} s -> speed-up {one / two:.2f}x, overhead {one / direct - 1:+.1%} "
                f"(CPU time: direct {direct_cpu:.2f} s, 1 worker {one_cpu:.2f} s, {one_cpu / direct_cpu - 1:+.1%})"
            )
    direct, one, two, speedup, overhead, cpu_overhead = (
        statistics.median(column) for column in zip(*rows, strict=True)
    )
    print(f"  median of {repeat}:")
    print(f"  baseline: volume converter alone  {direct:8.2f} s")
    print(f"  pipeline, 1 worker                {one:8.2f} s  overhead {overhead:+.1%} (target < 15%)")
    print(f"                                    CPU-time overhead {cpu_overhead:+.1%} (scheduler and worker included)")
    print(f"  pipeline, 2 workers               {two:8.2f} s  speed-up {speedup:.2f}x (target >= 1.7x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--annotations", type=int, default=10)
    parser.add_argument("--ingest", action="store_true", help="also run part 2 (heavy)")
    parser.add_argument("--volumes", type=int, default=20)
    parser.add_argument("--shape", default="128,512,512", help="z,y,x of each tomogram")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions of part 2 (medians are reported)")
    args = parser.parse_args()
    baseline = glob_baseline_seconds(args.runs, args.annotations)
    _, small_plan, _ = plan_seconds(args.runs // 10, args.annotations)
    listing, planning, tasks = plan_seconds(args.runs, args.annotations)
    print(f"part 1: planning {args.runs} runs x {args.annotations} annotations ({tasks} tasks)")
    print(f"  listing index built in      {listing:7.3f} s")
    print(f"  plan_deposition             {planning:7.3f} s  (target < 5 s: {'PASS' if planning < 5 else 'FAIL'})")
    print(f"  baseline: globs alone       {baseline:7.3f} s  -> planning / baseline = {planning / baseline:5.1f}x")
    print(f"  scaling: {args.runs // 10} runs in {small_plan:.3f} s -> 10x runs cost {planning / small_plan:4.1f}x")
    if args.ingest:
        z, y, x = (int(value) for value in args.shape.split(","))
        ingest_benchmark(args.volumes, (z, y, x), args.repeat)


if __name__ == "__main__":
    main()
