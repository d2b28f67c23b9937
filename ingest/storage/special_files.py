"""Named pipes, sockets and devices among the inputs: refused by ``stat`` before anything opens them.

Opening a FIFO for reading blocks until a writer appears, so a pipe selected by a finder (or given on the command
line) hung the whole ingestion. ``stat`` never blocks.
"""

from __future__ import annotations

import stat
from pathlib import Path

from ingest.errors import StorageError


def refuse_special_file(path: Path, where: str) -> None:
    """Refuse a named pipe, socket or device before anything opens it (opening a FIFO blocks until a writer comes).

    Checked with ``stat``, which never blocks; missing files and folders are left to the caller.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device file"
    raise StorageError("not a regular file, refusing to read it", where=where, expected="a regular file", found=kind)
