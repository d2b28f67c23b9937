"""Benchmark planning a deposition whose frames all sit in one source folder.

Usage: ``python benchmarks/plan_frames.py [RUNS] [FRAMES_PER_RUN]`` (default 1000 runs x 40 frames). Plans the same
synthetic listing twice: with a ``frames`` section whose glob (``frames/{run_name}_*.tif``) picks each run's files
out of the shared folder, and, as the baseline measured in the same run, without it. Prints both times and their
ratio; each run's frames glob must not test every file of the folder (the ratio stays small as runs grow).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.context import PlanInputs
from ingest.plan.deposition import plan_deposition
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing


def config(with_frames: bool) -> dict[str, Any]:
    sections: dict[str, Any] = {
        "version": "1.3.0",
        "standardization_config": {"deposition_id": 10300, "source_prefix": "in"},
        "depositions": [{"sources": [{"literal": {"value": [10300]}}]}],
        "datasets": [{"sources": [{"literal": {"value": ["10001"]}}]}],
        "runs": [{"sources": [{"source_glob": {"list_glob": "tomograms/*.mrc", "name_regex": "(.*)\\.mrc"}}]}],
        "voxel_spacings": [{"sources": [{"literal": {"value": [10.0]}}]}],
        "collection_metadata": [{"sources": [{"source_glob": {"list_glob": "mdocs/{run_name}.mdoc"}}]}],
    }
    if with_frames:
        glob = {"source_glob": {"list_glob": "frames/{run_name}_*.tif"}}
        sections["frames"] = [{"metadata": {"dose_rate": 1.0}, "sources": [glob]}]
    return sections


def plan_seconds(document: dict[str, Any], keys: list[str]) -> tuple[float, int]:
    inputs = PlanInputs(Listing.of(keys, root="/in"), config_file="bench.yaml")
    start = time.perf_counter()
    plan = plan_deposition(DepositionConfig.model_validate(document), inputs, ExistingTree.empty())
    return time.perf_counter() - start, sum(len(run.copies) for run in plan.runs)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    per_run = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    names = [f"TS_{index}" for index in range(runs)]
    keys = [f"tomograms/{name}.mrc" for name in names] + [f"mdocs/{name}.mdoc" for name in names]
    keys += [f"frames/{name}_{frame:03d}.tif" for name in names for frame in range(per_run)]
    baseline, _ = plan_seconds(config(False), keys)
    with_frames, copies = plan_seconds(config(True), keys)
    print(f"{runs} runs x {per_run} frames ({len(keys)} keys, {copies} copies planned)")
    print(f"baseline (no frames section): {baseline:.2f} s")
    print(f"with frames:                  {with_frames:.2f} s")
    print(f"ratio: {with_frames / baseline:.2f}")


if __name__ == "__main__":
    main()
