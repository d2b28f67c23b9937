"""Writing output files safely: space reserved before writing, positioned writes, errors that name the file.

A write into a memory map of a file whose blocks are not allocated yet dies with SIGBUS when the disk is full;
:func:`reserve_space` allocates the blocks first (``posix_fallocate``), so the full disk is an ordinary error.
:func:`writing` turns such errors into a :class:`~ingest.errors.StorageError` naming the output.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from ingest.converters.volumes.os_features import UNSUPPORTED_ERRNOS, OsFeatures
from ingest.errors import StorageError


def reserve_space(path: Path, offset: int, length: int, features: OsFeatures) -> bool:
    """Reserve the data block's disk space; False where the platform or file system cannot (write plainly then)."""
    if features.posix_fallocate is None or length == 0:
        return False
    descriptor = os.open(path, os.O_WRONLY)
    try:
        features.posix_fallocate(descriptor, offset, length)
    except OSError as error:
        if error.errno in UNSUPPORTED_ERRNOS:
            return False
        raise
    finally:
        os.close(descriptor)
    return True


def write_all(descriptor: int, data: memoryview, offset: int) -> None:
    """``pwrite`` all of ``data`` at ``offset`` (a write may store fewer bytes than asked)."""
    while len(data):
        written = os.pwrite(descriptor, data, offset)
        data, offset = data[written:], offset + written


NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn an OS error while writing ``path`` into a :class:`~ingest.errors.StorageError` naming it."""
    try:
        yield
    except OSError as error:
        what = "no space left to write the output" if error.errno in NO_SPACE_ERRNOS else "cannot write the output"
        raise StorageError(what, where=str(path), found=error.strerror or str(error)) from error
