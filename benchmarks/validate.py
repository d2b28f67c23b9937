"""Benchmark ``validate_config`` over the portal's whole config corpus.

Usage: ``python benchmarks/validate.py [CORPUS]`` (default: ``$INGEST_CORPUS``). Validates every config of
``CORPUS/portal-configs/`` (with ``gjensen/``, the template and the drafts: ~400 files) and prints the total and
per-config median time of a full validation (read, schema, semantic rules, templates against the run data maps),
and, as a baseline measured in the same run, the time a bare YAML parse of the same files takes (PyYAML with
libyaml, no positions, no checks). Target: the whole corpus in under 10 s.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.pipeline.validate import exit_code, validate_config

TARGET_SECONDS = 10.0


def corpus_configs(root: Path) -> list[Path]:
    folder = root / "portal-configs"
    return sorted([*folder.glob("*.yaml"), *folder.glob("gjensen/*.yaml")])


def time_each(paths: list[Path], work: Callable[[Path], object]) -> list[float]:
    timings = []
    for path in paths:
        start = time.perf_counter()
        work(path)
        timings.append(time.perf_counter() - start)
    return timings


def bare_parse(path: Path) -> None:
    with contextlib.suppress(yaml.YAMLError):
        yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INGEST_CORPUS", ""))
    paths = corpus_configs(root) if root.is_dir() else []
    if not paths:
        print("no corpus: pass the reference corpus folder or set INGEST_CORPUS", file=sys.stderr)
        return 2
    validate_config(paths[0])  # import and model warm-up, not measured
    statuses: list[int] = []
    timings = time_each(paths, lambda p: statuses.append(exit_code(validate_config(p))))
    baseline = time_each(paths, bare_parse)
    total, base_total = sum(timings), sum(baseline)
    slowest = max(zip(timings, paths, strict=True))
    print(f"configs:              {len(paths)} ({statuses.count(0)} valid, {len(paths) - statuses.count(0)} not)")
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"validate total:       {total:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")
    print(f"validate median:      {statistics.median(timings) * 1000:.1f} ms per config")
    print(f"slowest:              {slowest[0] * 1000:.1f} ms ({slowest[1].name})")
    print(f"baseline bare parse:  {base_total:.2f} s total, {statistics.median(baseline) * 1000:.1f} ms median")
    print(f"ratio validate/parse: {total / base_total:.1f}x")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
