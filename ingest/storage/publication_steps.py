"""A test seam: every publication into an output storage is one numbered *step*, and a test can kill the process
(SIGKILL, no clean-up) just before step ``k`` to prove that a rerun converges whatever the moment of the crash.

Two environment variables drive it (read at each step, so a forked child can set them); neither is for users:

- ``INGEST_TEST_KILL_AT_STEP=k``: SIGKILL this process just before its ``k``-th publication step (1-based).
- ``INGEST_TEST_STEP_LOG=PATH``: append one line ``<step> <what> <key>`` per step to ``PATH`` (to enumerate them).

A step is one call that changes the output: publishing a file or a tree (on object stores, the data of a tree and
then each of its metadata files are separate steps), moving a scratch file or tree into place, or deleting.
Unset, the seam costs two environment look-ups per publication.
"""

from __future__ import annotations

import os
import signal

KILL_AT_STEP = "INGEST_TEST_KILL_AT_STEP"
STEP_LOG = "INGEST_TEST_STEP_LOG"


_counted: dict[int, int] = {}
"""Steps counted so far, by process id (a forked child counts from zero)."""


def publication_step(what: str, key: str) -> None:
    """Count one publication step (``what`` to ``key``); kill or log as the environment asks."""
    kill_at, log = os.environ.get(KILL_AT_STEP), os.environ.get(STEP_LOG)
    if not kill_at and not log:
        return
    pid = os.getpid()
    step = _counted[pid] = _counted.get(pid, 0) + 1
    if log:
        with open(log, "a", encoding="utf-8") as stream:  # noqa: PTH123
            stream.write(f"{step} {what} {key}\n")
    if kill_at and kill_at.isdigit() and step == int(kill_at):
        os.kill(pid, signal.SIGKILL)
