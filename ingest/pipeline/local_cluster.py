"""Starting a local dask cluster so that Ctrl-C reaches only this process, at any moment of the start-up.

A terminal delivers Ctrl-C (SIGINT) to the whole foreground process group, worker processes included: each of
them would print its own ``KeyboardInterrupt`` traceback (often in the middle of importing), and a cluster torn
down half-started prints more. Here the cluster is built on a helper thread that blocks SIGINT; the threads it
creates inherit the blocked signal, and so do the worker processes they spawn (a signal mask survives
``fork``/``exec``). Only the main thread, which waits interruptibly, receives Ctrl-C; the workers end when this
process does (they watch their parent).

After Ctrl-C, :func:`quiet_interrupted_clusters` stops the worker processes at once: left running while this
process tears the cluster down, they log every cancelled task and every failed heartbeat (with tracebacks) on
the terminal they share, after the one-line message. Stopping them mid-task is safe: outputs are published whole
(a run's unpublished files are redone by the next run of the same command).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import warnings
import weakref
from typing import Any

_STARTED: weakref.WeakSet[Any] = weakref.WeakSet()
"""The local clusters started here (their workers are stopped after Ctrl-C)."""
_TRACKER_WARNINGS = "ignore:resource_tracker:UserWarning"
"""A ``-W`` option: no warning of the resource tracker about what stopped workers left (it cleans it up)."""


def start_local_cluster(**options: Any) -> Any:
    """A started ``distributed.LocalCluster(**options)``; Ctrl-C while it starts raises ``KeyboardInterrupt`` here.

    Exceptions raised while starting are re-raised in the caller's thread.
    """
    from multiprocessing import resource_tracker

    from distributed import LocalCluster

    # The scheduler's HTTP server falls back to a free port when 8787 is taken (another cluster on a shared
    # machine); its five-line warning about it is noise for a command-line user.
    warnings.filterwarnings("ignore", message=r"\s*Port \d+ is already in use", category=UserWarning)
    outcome: dict[str, Any] = {}

    def build() -> None:
        if hasattr(signal, "pthread_sigmask"):
            # multiprocessing's resource tracker unblocks SIGINT after starting itself: start it first, telling it
            # (through the interpreter flags it is started with) not to warn about the semaphores of stopped
            # workers, which it cleans up anyway.
            if _TRACKER_WARNINGS not in sys.warnoptions:
                sys.warnoptions.append(_TRACKER_WARNINGS)
            resource_tracker.ensure_running()
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            outcome["cluster"] = LocalCluster(**options)  # type: ignore[no-untyped-call]
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome["error"] = error

    builder = threading.Thread(target=build, name="ingest local cluster start", daemon=True)
    builder.start()
    while builder.is_alive():
        builder.join(timeout=0.1)  # short waits: the main thread stays responsive to Ctrl-C
    if "error" in outcome:
        raise outcome["error"]
    _STARTED.add(outcome["cluster"])
    return outcome["cluster"]


def quiet_interrupted_clusters() -> None:
    """After Ctrl-C: stop the local workers (see the module docstring) and skip distributed's exit-time closing of
    clusters (it fails loudly on a half-started one)."""
    import atexit

    spec = sys.modules.get("distributed.deploy.spec")
    if spec is not None:
        atexit.unregister(spec.close_clusters)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    _stop_worker_processes()


def _stop_worker_processes() -> None:
    """Kill the worker processes of the local clusters this process started (nothing else: the resource tracker
    cleans up after them, and a process pool of checks stops with its parent)."""
    for cluster in list(_STARTED):
        for nanny in list(getattr(cluster, "workers", {}).values()):
            pid = getattr(getattr(getattr(nanny, "process", None), "process", None), "pid", None)
            if isinstance(pid, int):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
