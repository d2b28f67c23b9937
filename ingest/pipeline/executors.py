"""Executors run independent tasks (one per run) serially or on dask, and report each one's outcome.

A task that raises never stops the others: its exception becomes a failed :class:`TaskOutcome` carrying the
message (and, for bugs rather than :class:`~ingest.errors.IngestError`, the traceback text). Outcomes stream back
as tasks complete, for progress display; :func:`collect_outcomes` returns them sorted by task key, so the final
order never depends on timing.

Tasks travel to dask workers by pickle: their functions must be importable top-level functions and their
arguments and results picklable (frozen dataclasses, models).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar

import dask

from ingest.errors import ExecutorError, IngestError, UsageError
from ingest.pipeline.interrupts import interrupt_noted

A = TypeVar("A")
R = TypeVar("R")

logger = logging.getLogger(__name__)

_in_process_listeners: dict[str, Callable[[Any], None]] = {}

_SCHEDULER_ADDRESS = re.compile(r"((tcp|tls|ws|wss)://)?([^\s/:\[\]]+|\[[0-9a-fA-F:]+\]):\d+")


@dataclass(frozen=True)
class RunTask(Generic[A, R]):
    """One unit of work, normally the ingestion of one run: ``function(argument)`` under a unique ``key``."""

    key: str
    function: Callable[[A], R]
    argument: A


@dataclass(frozen=True)
class TaskOutcome(Generic[R]):
    """What became of one task: its ``result``, or the ``error`` that stopped it.

    ``error`` is one line (the IngestError message, or ``ExceptionType: message`` for a bug); ``traceback`` is
    kept for bugs only. ``seconds`` is the wall time the task took where it ran.
    """

    key: str
    result: R | None = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        """Whether the task finished without raising."""
        return self.error is None


def execute_task(task: RunTask[A, R]) -> TaskOutcome[R]:
    """Run ``task`` and capture its result or exception (never raises for an ``Exception``, except after Ctrl-C:
    see :mod:`ingest.pipeline.interrupts`)."""
    started = time.perf_counter()
    try:
        result = task.function(task.argument)
    except Exception as error:
        if interrupt_noted():  # Ctrl-C, turned into another exception by a library: not a failed run
            raise KeyboardInterrupt from error
        if isinstance(error, IngestError):
            return TaskOutcome(task.key, error=error.message, seconds=time.perf_counter() - started)
        return TaskOutcome(
            task.key,
            error=f"{type(error).__name__}: {error}",
            traceback=traceback.format_exc(),
            seconds=time.perf_counter() - started,
        )
    return TaskOutcome(task.key, result=result, seconds=time.perf_counter() - started)


def execute_task_on_worker(task: RunTask[A, R]) -> TaskOutcome[R]:
    """:func:`execute_task` on a dask worker, where dask computations inside the task run synchronously.

    Without this, a task computing a dask array would submit its chunks back to the scheduler and block its
    worker thread waiting for them; one single-threaded worker per task is the intended parallelism.
    """
    dask.config.set(scheduler="synchronous")
    return execute_task(task)


def event_sink(topic: str) -> Callable[[Any], None]:
    """Where messages for ``topic`` go from this thread: to the listener of :meth:`Executor.listen`.

    Call it in the task's own thread (dask finds its worker through thread-local state) and use the result from
    any thread. In the process that listens the listener itself is returned; on a dask worker, the worker's event
    log, which forwards to the client; with no listener anywhere, a sink that drops messages.
    Messages must be msgpack-serialisable.
    """
    listener = _in_process_listeners.get(topic)
    if listener is not None:
        return listener
    worker = _current_dask_worker()
    if worker is not None:
        return functools.partial(worker.log_event, topic)
    return _drop


def _drop(message: Any) -> None:
    del message


def _current_dask_worker() -> Any:
    if "distributed" not in sys.modules:
        return None
    from distributed import get_worker

    try:
        return get_worker()
    except ValueError:
        return None


def check_unique_keys(tasks: Sequence[RunTask[Any, Any]]) -> None:
    """Raise ``ValueError`` if two tasks share a key (a planning bug: outcomes would be ambiguous)."""
    seen: set[str] = set()
    for task in tasks:
        if task.key in seen:
            raise ValueError(f"two tasks share the key {task.key!r}")
        seen.add(task.key)


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they complete; a context manager holding its resources."""

    def __enter__(self) -> Self:
        """Acquire what the executor needs (a cluster, a connection) for several runs."""
        ...

    def __exit__(self, *exc_info: object) -> None:
        """Release what :meth:`__enter__` acquired."""
        ...

    def run(self, tasks: Sequence[RunTask[A, R]]) -> Iterator[TaskOutcome[R]]:
        """Run every task; yield one outcome per task, in completion order."""
        ...

    def listen(self, topic: str, handler: Callable[[Any], None]) -> None:
        """Call ``handler`` with every message tasks send to ``topic`` (:func:`event_sink`) until exit."""
        ...


def collect_outcomes(
    executor: Executor,
    tasks: Sequence[RunTask[A, R]],
    on_outcome: Callable[[TaskOutcome[R]], None] | None = None,
) -> list[TaskOutcome[R]]:
    """Run ``tasks`` on ``executor``, calling ``on_outcome`` as each completes; return outcomes sorted by key."""
    outcomes = []
    for outcome in executor.run(tasks):
        if on_outcome is not None:
            on_outcome(outcome)
        outcomes.append(outcome)
    return sorted(outcomes, key=lambda outcome: outcome.key)


class SerialExecutor:
    """Runs tasks one after another in this process, in key order."""

    def __init__(self) -> None:
        self._topics: list[str] = []

    def __enter__(self) -> Self:
        """Nothing to acquire."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop listening."""
        for topic in self._topics:
            _in_process_listeners.pop(topic, None)
        self._topics.clear()

    def listen(self, topic: str, handler: Callable[[Any], None]) -> None:
        """Call ``handler`` in this process for every message tasks publish on ``topic``."""
        _in_process_listeners[topic] = handler
        self._topics.append(topic)

    def run(self, tasks: Sequence[RunTask[A, R]]) -> Iterator[TaskOutcome[R]]:
        """Run every task in key order, yielding each outcome when it is done."""
        check_unique_keys(tasks)
        for task in sorted(tasks, key=lambda task: task.key):
            yield execute_task(task)


class DaskExecutor:
    """Runs tasks on dask.distributed: a local cluster of single-threaded worker processes, or a scheduler.

    ``DaskExecutor(n_workers=4)`` starts a ``LocalCluster`` (default: one worker per core);
    ``DaskExecutor(scheduler="tcp://host:8786")`` connects to running workers, which must be able to import
    the task functions. Use it as a context manager to keep the cluster across several :meth:`run` calls;
    otherwise each call starts and stops its own.
    """

    def __init__(
        self, n_workers: int | None = None, scheduler: str | None = None, *, connect_timeout: float = 30.0
    ) -> None:
        if n_workers is not None and scheduler is not None:
            raise UsageError("a worker count and a scheduler address exclude each other: the scheduler has workers")
        if n_workers is not None and n_workers < 1:
            raise UsageError("the number of workers must be at least 1", found=str(n_workers))
        if scheduler is not None and not _SCHEDULER_ADDRESS.fullmatch(scheduler):
            raise UsageError("malformed dask scheduler address", expected="tcp://HOST:PORT", found=repr(scheduler))
        self.n_workers = n_workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self.connect_timeout = connect_timeout
        self._stack: contextlib.ExitStack | None = None
        self._client: Any = None

    def __repr__(self) -> str:
        target = self.scheduler or f"local cluster of {self.n_workers} workers"
        return f"DaskExecutor({target})"

    def __enter__(self) -> Self:
        """Start the cluster or connect to the scheduler, for the duration of the ``with`` block."""
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Disconnect and stop the local cluster."""
        self.close()

    def open(self) -> None:
        """Start the local cluster or connect to the scheduler (no-op when already open)."""
        if self._stack is not None:
            return
        from distributed import Client

        from ingest.pipeline.local_cluster import start_local_cluster

        stack = contextlib.ExitStack()
        try:
            if self.scheduler is None:
                # Without a dashboard nobody reads the workers' statistical profiler, which samples every
                # thread's stack 100 times a second for the whole of every (long) run task.
                with dask.config.set({"distributed.worker.profile.enabled": False}):
                    cluster = stack.enter_context(
                        start_local_cluster(
                            n_workers=self.n_workers,
                            threads_per_worker=1,
                            processes=True,
                            dashboard_address=None,
                            # distributed's warnings on a loaded machine ("Event loop was unresponsive ...") are
                            # noise between the progress lines of a command-line user; its errors still show
                            silence_logs=logging.ERROR,
                        )
                    )
                self._client = stack.enter_context(Client(cluster))  # type: ignore[no-untyped-call]
            else:
                client = Client(self.scheduler, timeout=self.connect_timeout)  # type: ignore[no-untyped-call]
                self._client = stack.enter_context(client)
        except (OSError, TimeoutError) as error:
            stack.close()
            where = self.scheduler or "local dask cluster"
            raise ExecutorError("cannot start or reach the dask scheduler", where=where, found=str(error)) from error
        self._stack = stack

    def listen(self, topic: str, handler: Callable[[Any], None]) -> None:
        """Call ``handler`` (on the client's event thread) for every message workers publish on ``topic``."""
        self.open()
        self._client.subscribe_topic(topic, lambda event: handler(event[1]))

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started one."""
        if self._stack is not None:
            stack, self._stack, self._client = self._stack, None, None
            stack.close()

    def run(self, tasks: Sequence[RunTask[A, R]]) -> Iterator[TaskOutcome[R]]:
        """Submit every task at once and yield outcomes as they complete; a worker crash fails only its task."""
        check_unique_keys(tasks)
        if not tasks:
            return
        owns_connection = self._stack is None
        self.open()
        from distributed import as_completed

        batch = uuid.uuid4().hex[:8]
        futures = {
            self._client.submit(execute_task_on_worker, task, key=f"ingest-{batch}-{index}", pure=False): task.key
            for index, task in enumerate(sorted(tasks, key=lambda task: task.key))
        }
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield self._outcome(future, futures[future])
        finally:
            for future in futures:
                future.cancel()
            if owns_connection:
                self.close()

    @staticmethod
    def _outcome(future: Any, key: str) -> TaskOutcome[R]:
        try:
            outcome: TaskOutcome[R] = future.result()
        except Exception as error:  # the task's own exceptions are caught on the worker: this is infrastructure
            message = f"the task could not run on dask: {type(error).__name__}: {error}"
            return TaskOutcome(key, error=message, traceback=traceback.format_exc())
        return outcome
