"""Task functions for the executor tests: top-level and importable, so dask workers can unpickle them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import dask.array as da

from ingest.errors import InputFileError
from ingest.storage.base import Storage


@dataclass(frozen=True)
class Job:
    """What a test task is asked to do."""

    value: int
    sleep: float = 0.0
    gate: str | None = None


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


def gated_job(job: Job) -> JobResult:
    """Square ``job.value`` once the file ``job.gate`` exists (the test creates it); give up after 30 s."""
    assert job.gate is not None
    deadline = time.monotonic() + 30
    while not Path(job.gate).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the gate {job.gate} was never opened")
        time.sleep(0.02)
    return square_job(job)


def truncated_input_job(job: Job) -> JobResult:
    """Fail as a user error would (a truncated source file)."""
    raise InputFileError("the MRC file is truncated", where=f"run{job.value}/tomo.mrc", expected="4096 bytes")


def buggy_job(job: Job) -> JobResult:
    """Fail as a bug would."""
    return JobResult(square=job.value // 0, array_sum=0, pid=0)


@dataclass(frozen=True)
class PublishJob:
    """Publish ``data`` at ``key`` on a storage that travelled to the worker by pickle."""

    storage: Storage
    key: str
    data: bytes


def publish_job(job: PublishJob) -> str:
    """Publish, then return the checksum the worker computed."""
    job.storage.publish_bytes(job.key, job.data)
    return job.storage.checksum(job.key)
