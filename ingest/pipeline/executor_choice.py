"""Which executor a deposition runs on when ``--workers``/``--scheduler`` leave it open: in this process for small
depositions (a local dask cluster costs 10-30 s to start, more than small depositions take to convert), a local
cluster when the source volumes make the parallelism pay.

In process when the plan has a single run, when this machine has a single core, or when the source volumes of all
tomograms, tilt series and masks add up to less than :data:`CLUSTER_THRESHOLD` bytes; otherwise a local cluster
of one worker per core. Sizes are asked for until the threshold is reached, so a large deposition costs a few
size queries only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ingest.domain.tasks import Plan
from ingest.errors import IngestError
from ingest.storage.base import Storage

CLUSTER_THRESHOLD = 1 << 30
"""Source volume bytes (1 GiB) from which a local cluster is started by default."""


@dataclass(frozen=True)
class ExecutorChoice:
    """In this process, or on dask with ``workers`` local workers (None: one per core) or at ``scheduler``; and
    why, in words for the log and the user."""

    in_process: bool
    workers: int | None
    scheduler: str | None
    reason: str


def volume_source_keys(plan: Plan) -> Iterator[str]:
    """The source keys of every volume the plan converts (tilt series, tomograms, mask annotations)."""
    for run in plan.runs:
        yield from (task.source_key for task in run.tiltseries)
        yield from (task.source_key for task in run.tomograms)
        for annotation in run.annotations:
            for file in annotation.files:
                if file.shape.is_volume:
                    yield from file.source_keys


def source_size(storage: Storage, key: str) -> int:
    """The size of a source volume in ``storage``: a file's, or the sum over an OME-Zarr folder's files; 0 when it
    cannot be told (the ingestion reports unreadable sources itself)."""
    try:
        if key.rstrip("/").endswith(".zarr"):
            return sum(storage.list_sizes(key).values())
        return storage.size(key)
    except (IngestError, OSError):
        return 0


def choose_executor(
    plan: Plan,
    size_of: Callable[[str], int],
    *,
    workers: int | None,
    scheduler: str | None,
    cores: int,
    threshold: int = CLUSTER_THRESHOLD,
) -> ExecutorChoice:
    """The executor for ``plan`` (see the module docstring); ``size_of`` gives a source key's size in bytes.
    An explicit ``workers`` or ``scheduler`` always wins."""
    if scheduler is not None:
        return ExecutorChoice(False, None, scheduler, f"the dask scheduler at {scheduler} (--scheduler)")
    if workers == 1:
        return ExecutorChoice(True, 1, None, "in this process (--workers 1)")
    if workers is not None:
        return ExecutorChoice(False, workers, None, f"a local cluster of {workers} workers (--workers)")
    if len(plan.runs) <= 1:
        return ExecutorChoice(True, 1, None, f"in this process ({len(plan.runs)} run)")
    if cores <= 1:
        return ExecutorChoice(True, 1, None, "in this process (1 core)")
    total = 0
    for key in volume_source_keys(plan):
        total += size_of(key)
        if total >= threshold:
            return ExecutorChoice(
                False,
                None,
                None,
                f"a local cluster of {cores} workers ({len(plan.runs)} runs, source volumes over "
                f"{threshold / (1 << 30):g} GiB; --workers 1 runs in this process)",
            )
    return ExecutorChoice(
        True,
        1,
        None,
        f"in this process ({len(plan.runs)} runs, {total / (1 << 20):.1f} MiB of source volumes, under "
        f"{threshold / (1 << 30):g} GiB; --workers N starts a cluster)",
    )
