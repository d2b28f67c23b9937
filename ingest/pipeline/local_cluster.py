"""Starting a local dask cluster so that Ctrl-C reaches only this process, at any moment of the start-up.

A terminal delivers Ctrl-C (SIGINT) to the whole foreground process group, worker processes included: each of
them would print its own ``KeyboardInterrupt`` traceback (often in the middle of importing), and a cluster torn
down half-started prints more. Here the cluster is built on a helper thread that blocks SIGINT; the threads it
creates inherit the blocked signal, and so do the worker processes they spawn (a signal mask survives
``fork``/``exec``). Only the main thread, which waits interruptibly, receives Ctrl-C; the workers end when this
process does (they watch their parent).
"""

from __future__ import annotations

import signal
import threading
import warnings
from typing import Any


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
            # multiprocessing's resource tracker unblocks SIGINT after starting itself: start it first.
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
    return outcome["cluster"]


def quiet_interrupted_clusters() -> None:
    """After Ctrl-C: skip distributed's exit-time closing of clusters (it fails loudly on a half-started one)."""
    import atexit
    import logging
    import sys

    spec = sys.modules.get("distributed.deploy.spec")
    if spec is not None:
        atexit.unregister(spec.close_clusters)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
