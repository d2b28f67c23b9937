"""A real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 for integration tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]


def start(command: list[str], environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start ``python -m dask COMMAND`` in its own process group."""
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *command],
        env=dict(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` and its group (kill it if it lingers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def external_dask_cluster(workers: int = 2, environment: Mapping[str, str] | None = None) -> Iterator[str]:
    """A scheduler and ``workers`` single-threaded worker processes that import this checkout; yields the
    scheduler address and stops them all on exit."""
    from distributed import Client

    base = dict(os.environ if environment is None else environment)
    base["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
    port = str(free_port())
    address = f"tcp://127.0.0.1:{port}"
    processes = [start(["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], base)]
    try:
        for index in range(workers):
            name = f"w{index + 1}"
            worker = ["worker", address, "--nthreads", "1", "--nworkers", "1", "--name", name, "--no-dashboard"]
            processes.append(start(worker, base))
        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=30)
        yield address
    finally:
        for process in reversed(processes):
            stop(process)
