"""Post-ingestion checks: verify a finished portal tree (local folder or ``s3://`` prefix) completely.

:func:`check_tree` lists the tree once, classifies every key against the canonical layout, checks the
deposition and dataset metadata in-process and then every run (metadata, MRC headers, OME-Zarr pyramids,
annotation files) on ``workers`` processes. The codes it reports are documented in
:mod:`ingest.checks.codes`.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.run import RunToCheck, check_metadata_file, check_run
from ingest.checks.tree import tree_shape
from ingest.checks.tree_access import TreeReader, open_tree
from ingest.domain.listing import Listing
from ingest.domain.report import Finding, Report
from ingest.domain.tree_roles import CANONICAL, Placed, Role, TreeLayout, dataset_and_run

_TOP_LEVEL_METADATA = frozenset({Role.DEPOSITION_METADATA, Role.DATASET_METADATA})
IN_PROCESS_RUNS = 8
"""Without an explicit ``workers``, up to this many runs are checked in this process (starting worker processes
costs more than it saves on a small tree); more runs are checked on one process per core."""

CheckProgress = Callable[[int, int], None]
"""Called with (runs checked, runs to check) before the first run and after each one."""


def check_workers(runs: int, workers: int | None, cores: int | None = None) -> int:
    """The processes that check ``runs`` runs: ``workers`` when given, else chosen (see :data:`IN_PROCESS_RUNS`)."""
    if workers is not None:
        return workers
    return 1 if runs <= IN_PROCESS_RUNS else max(1, cores or os.cpu_count() or 1)


def check_tree(
    root: str | Path | TreeReader,
    *,
    keys: Sequence[str] | None = None,
    datasets: Sequence[str] = (),
    runs: Sequence[str] = (),
    chunks: ChunkCoverage = ChunkCoverage.SAMPLE,
    workers: int | None = 1,
    layout: TreeLayout = CANONICAL,
    progress: CheckProgress | None = None,
) -> Report:
    """Check every file of an output tree; ``datasets`` and ``runs`` (regexes, full match) narrow it.

    ``workers`` None chooses from the number of runs (:func:`check_workers`); ``progress`` hears of each run checked.

    ``chunks=ChunkCoverage.EVERY`` decodes every chunk of every pyramid and compares all level-0 voxels with the
    MRC instead of a sample. Raises :class:`ingest.checks.tree_access.UnreadableTreeError` when the tree
    cannot be listed. ``keys`` is the tree's listing when the caller has listed it already.
    """
    reader = root if not isinstance(root, str | Path) else open_tree(str(root))
    keys = reader.list_keys() if keys is None else keys
    listing = Listing.of(keys)
    patterns = [re.compile(pattern) for pattern in runs]
    dataset_patterns = [re.compile(pattern) for pattern in datasets]
    selected = [key for key in keys if not layout.is_bookkeeping(key) and _selected(key, dataset_patterns, patterns)]
    shape, placed_keys = tree_shape(selected, layout)
    findings: list[Finding] = list(shape.findings)
    by_run: dict[tuple[str, str], list[Placed]] = defaultdict(list)
    for placed in placed_keys:
        if placed.role in _TOP_LEVEL_METADATA:
            findings.extend(check_metadata_file(reader, listing, placed, shape.empty_folders)[0])
        elif placed.dataset is not None and placed.run is not None:
            by_run[(placed.dataset, placed.run)].append(placed)
    tasks = [
        RunToCheck(dataset, run, tuple(members), shape.empty_folders)
        for (dataset, run), members in sorted(by_run.items())
    ]
    if progress is not None:
        progress(0, len(tasks))
    processes = check_workers(len(tasks), workers)
    for done, run_findings in enumerate(_map_runs(reader, listing, tasks, chunks=chunks, workers=processes), 1):
        findings.extend(run_findings)
        if progress is not None:
            progress(done, len(tasks))
    return Report.of(findings)


def _selected(key: str, datasets: Sequence[re.Pattern[str]], runs: Sequence[re.Pattern[str]]) -> bool:
    dataset, run = dataset_and_run(key)
    if dataset is None:
        return True
    if datasets and not any(pattern.fullmatch(dataset) for pattern in datasets):
        return False
    return not runs or run is None or any(pattern.fullmatch(run) for pattern in runs)


def _map_runs(
    reader: TreeReader, listing: Listing, tasks: Sequence[RunToCheck], *, chunks: ChunkCoverage, workers: int
) -> Iterator[list[Finding]]:
    """Each run's findings as soon as it is checked (in order), so that progress can be shown."""
    if workers <= 1 or len(tasks) <= 1:
        yield from (check_run(reader, listing, task, chunks=chunks) for task in tasks)
        return
    # Never fork this process (it may run zarr's event-loop thread or a dask cluster); a fork server that has
    # imported the checks starts each worker in milliseconds instead of re-importing everything per worker.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ingest.checks.run"])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(reader, listing, chunks)
    ) as pool:
        chunksize = max(1, len(tasks) // (workers * 8))
        yield from pool.map(_check_run_in_worker, tasks, chunksize=chunksize)


@dataclass(frozen=True)
class _WorkerContext:
    reader: TreeReader
    listing: Listing
    chunks: ChunkCoverage


_worker_context: list[_WorkerContext] = []


def _start_worker(reader: TreeReader, listing: Listing, chunks: ChunkCoverage) -> None:
    """Keep the reader and the listing in the worker, so each task carries only its own keys."""
    _worker_context.append(_WorkerContext(reader, listing, chunks))


def _check_run_in_worker(task: RunToCheck) -> list[Finding]:
    context = _worker_context[-1]
    return check_run(context.reader, context.listing, task, chunks=context.chunks)
