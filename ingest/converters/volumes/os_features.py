"""What the operating system offers the converters, as one injectable value.

``copy_file_range`` (Linux), ``O_DIRECT`` (Linux, not macOS), ``posix_fallocate`` (not macOS) and
``sched_getaffinity`` (Linux) are absent on some platforms and refused by some file systems. Code that uses them
takes an :class:`OsFeatures` (default :data:`CURRENT`, what this interpreter has), so tests can run every
fallback on any machine by passing a value without the feature instead of patching :mod:`os`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass

UNSUPPORTED_ERRNOS = frozenset(
    code
    for code in (
        errno.EXDEV,  # source and target on different file systems (copy_file_range)
        errno.ENOSYS,  # the kernel lacks the call
        errno.EOPNOTSUPP,  # the file system does not support it
        getattr(errno, "ENOTSUP", errno.EOPNOTSUPP),
        errno.EINVAL,  # e.g. O_DIRECT on tmpfs, copy_file_range between unsupported file types
        errno.ENODEV,  # mmap on a file system that cannot map files
    )
)
"""Errors that mean "this way of doing it is not available here": the caller falls back to plain I/O."""


@dataclass(frozen=True)
class OsFeatures:
    """The optional OS calls the converters may use; None where the platform lacks one."""

    copy_file_range: Callable[[int, int, int, int | None, int | None], int] | None
    o_direct: int | None
    posix_fallocate: Callable[[int, int, int], None] | None
    sched_getaffinity: Callable[[int], set[int]] | None

    @classmethod
    def of_this_platform(cls) -> OsFeatures:
        """What this interpreter's :mod:`os` module provides."""
        return cls(
            copy_file_range=getattr(os, "copy_file_range", None),
            o_direct=getattr(os, "O_DIRECT", None),
            posix_fallocate=getattr(os, "posix_fallocate", None),
            sched_getaffinity=getattr(os, "sched_getaffinity", None),
        )


CURRENT = OsFeatures.of_this_platform()
PLAIN = OsFeatures(copy_file_range=None, o_direct=None, posix_fallocate=None, sched_getaffinity=None)
"""A platform with none of the optional calls (the portable path everywhere)."""


def usable_cores(features: OsFeatures = CURRENT) -> int:
    """The CPU cores this process may run on: its affinity set where the OS reports one, else the CPU count."""
    if features.sched_getaffinity is not None:
        try:
            return max(1, len(features.sched_getaffinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)
