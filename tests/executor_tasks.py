"""Task functions for the executor tests: top-level and importable, so dask workers can unpickle them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import dask.array as da

from ingest.errors import InputFileError


@dataclass(frozen=True)
class Job:
    """What a test task is asked to do."""

    value: int
    sleep: float = 0.0


@dataclass(frozen=True)
class JobResult:
    """What a test task returns: the square, the sum of a small dask array, and who computed it."""

    square: int
    array_sum: int
    pid: int


def square_job(job: Job) -> JobResult:
    """Square ``job.value`` after an optional sleep, computing a small dask array on the way."""
    time.sleep(job.sleep)
    total = int(da.ones((8, 8), chunks=4, dtype="int64").sum().compute())
    return JobResult(square=job.value * job.value, array_sum=total, pid=os.getpid())


def truncated_input_job(job: Job) -> JobResult:
    """Fail as a user error would (a truncated source file)."""
    raise InputFileError("the MRC file is truncated", where=f"run{job.value}/tomo.mrc", expected="4096 bytes")


def buggy_job(job: Job) -> JobResult:
    """Fail as a bug would."""
    return JobResult(square=job.value // 0, array_sum=0, pid=0)
