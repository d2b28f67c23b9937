"""Executors: serial and dask give the same outcomes; a failing task never stops the others."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.errors import ExecutorError, UsageError
from ingest.pipeline.executors import DaskExecutor, RunTask, SerialExecutor, TaskOutcome, collect_outcomes
from ingest.storage.base import open_storage
from tests.conftest import free_port
from tests.dask_processes import external_dask_cluster
from tests.executor_tasks import (
    Job,
    JobResult,
    PublishJob,
    buggy_job,
    gated_job,
    publish_job,
    square_job,
    truncated_input_job,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def mixed_tasks() -> list[RunTask[Job, JobResult]]:
    return [
        RunTask("ds/run3", square_job, Job(3)),
        RunTask("ds/run1", truncated_input_job, Job(1)),
        RunTask("ds/run2", buggy_job, Job(2)),
        RunTask("ds/run0", square_job, Job(0)),
    ]


def comparable(outcomes: list[TaskOutcome[JobResult]]) -> list[tuple[Any, ...]]:
    """Outcomes without what legitimately differs between executors: timing, pids, traceback paths."""
    rows = []
    for outcome in outcomes:
        result = None if outcome.result is None else dataclasses.replace(outcome.result, pid=0)
        rows.append((outcome.key, result, outcome.error, outcome.traceback is not None))
    return rows


EXPECTED = [
    ("ds/run0", JobResult(0, 64, 0), None, False),
    ("ds/run1", None, "run1/tomo.mrc: the MRC file is truncated (expected 4096 bytes)", False),
    ("ds/run2", None, "ZeroDivisionError: integer division or modulo by zero", True),
    ("ds/run3", JobResult(9, 64, 0), None, False),
]


def test_serial_failures_do_not_stop_other_tasks() -> None:
    outcomes = collect_outcomes(SerialExecutor(), mixed_tasks())
    assert comparable(outcomes) == EXPECTED
    bug = outcomes[2]
    assert bug.traceback is not None and "buggy_job" in bug.traceback
    assert [o.succeeded for o in outcomes] == [True, False, False, True]


def test_serial_streams_in_key_order() -> None:
    with SerialExecutor() as executor:
        streamed = [outcome.key for outcome in executor.run(mixed_tasks())]
    assert streamed == ["ds/run0", "ds/run1", "ds/run2", "ds/run3"]


def test_duplicate_task_keys_are_a_bug() -> None:
    tasks = [RunTask("ds/run0", square_job, Job(0)), RunTask("ds/run0", square_job, Job(1))]
    with pytest.raises(ValueError, match="share the key"):
        list(SerialExecutor().run(tasks))


def test_no_tasks_no_outcomes() -> None:
    assert collect_outcomes(DaskExecutor(n_workers=1), []) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_workers": 2, "scheduler": "tcp://127.0.0.1:8786"}, "exclude each other"),
        ({"n_workers": 0}, "at least 1"),
        ({"scheduler": "127.0.0.1"}, "malformed dask scheduler address"),
    ],
)
def test_bad_executor_settings_are_usage_errors(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        DaskExecutor(**arguments)


def test_unreachable_scheduler_is_an_executor_error() -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ExecutorError, match=f"{address}: cannot start or reach the dask scheduler"):
        DaskExecutor(scheduler=address, connect_timeout=1.0).open()


@pytest.mark.slow
def test_local_cluster_matches_serial_and_streams_outcomes_as_they_complete(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    tasks = [*mixed_tasks(), RunTask("ds/a-gated", gated_job, Job(5, gate=str(gate)))]
    streamed: list[str] = []

    def on_outcome(outcome: TaskOutcome[JobResult]) -> None:
        streamed.append(outcome.key)
        if len(streamed) == len(tasks) - 1:
            gate.touch()  # the gated task can only finish if the others' outcomes arrived before it did

    with DaskExecutor(n_workers=2) as executor:
        outcomes = collect_outcomes(executor, tasks, on_outcome)
    expected = [("ds/a-gated", JobResult(25, 64, 0), None, False), *EXPECTED]
    assert comparable(outcomes) == expected
    assert comparable(collect_outcomes(SerialExecutor(), tasks)) == expected
    assert streamed[-1] == "ds/a-gated"
    assert sorted(streamed) == [o.key for o in outcomes]


@pytest.fixture(scope="module")
def dask_scheduler_with_two_workers(s3_endpoint: str) -> Iterator[str]:
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; yields the scheduler address.

    The workers inherit the fake AWS settings of ``s3_endpoint``, so tasks can reach the test S3 server.
    """
    with external_dask_cluster(2) as address:
        yield address


@pytest.mark.slow
def test_external_scheduler_runs_tasks_on_both_workers(dask_scheduler_with_two_workers: str) -> None:
    started = time.monotonic()
    tasks = [*mixed_tasks(), *(RunTask(f"ds/run{n}", square_job, Job(n, sleep=0.4)) for n in range(4, 10))]
    # Outside a ``with`` block, run() connects and disconnects by itself.
    outcomes = collect_outcomes(DaskExecutor(scheduler=dask_scheduler_with_two_workers), tasks)
    assert comparable(outcomes) == comparable(collect_outcomes(SerialExecutor(), tasks))
    assert [o.key for o in outcomes if not o.succeeded] == ["ds/run1", "ds/run2"]
    worker_pids = {o.result.pid for o in outcomes if o.result is not None}
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    assert time.monotonic() - started < 30


@pytest.mark.slow
def test_storage_travels_to_external_workers(
    dask_scheduler_with_two_workers: str, s3_endpoint: str, s3_bucket: str
) -> None:
    storage = open_storage(f"s3://{s3_bucket}/out", {"endpoint_url": s3_endpoint})
    jobs = {f"ds/run{n}": PublishJob(storage, f"ds/run{n}/data.bin", bytes([n]) * 100) for n in range(4)}
    tasks = [RunTask(key, publish_job, job) for key, job in jobs.items()]
    with DaskExecutor(scheduler=dask_scheduler_with_two_workers) as executor:
        outcomes = collect_outcomes(executor, tasks)
    assert [o.result for o in outcomes] == [hashlib.sha256(bytes([n]) * 100).hexdigest() for n in range(4)]
    assert storage.list_keys("ds") == [f"ds/run{n}/data.bin" for n in range(4)]


def _schema_error_after_ctrl_c(argument: int) -> int:
    """What pydantic-core does when Ctrl-C arrives while it builds a model: another exception replaces it."""
    from ingest.pipeline.interrupts import note_interrupt

    note_interrupt()
    raise RuntimeError(f"Error building `model` serializer ({argument})")


def test_an_exception_after_ctrl_c_is_an_interrupt_not_a_failed_run() -> None:
    from ingest.pipeline.executors import execute_task
    from ingest.pipeline.interrupts import forget_interrupts

    task = RunTask("run", _schema_error_after_ctrl_c, 1)
    try:
        with pytest.raises(KeyboardInterrupt):
            execute_task(task)
    finally:
        forget_interrupts()
    assert execute_task(RunTask("run", _fail_plainly, 1)).error == "RuntimeError: plain failure"


def _fail_plainly(argument: int) -> int:
    raise RuntimeError("plain failure")
