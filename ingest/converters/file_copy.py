"""Copying a byte range from one file into another, in the kernel, without flooding the page cache.

Large copies (the canonical MRC of a float32 tomogram is a copy of the source's data block) are written with
``O_DIRECT`` where the file system allows it: the bytes go to the disk without first becoming gigabytes of
dirty page cache that the kernel must later write back on the same cores the conversion runs on. The unaligned
head and tail, small copies and file systems without direct I/O (tmpfs, network mounts) use ``copy_file_range``.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
from pathlib import Path

from ingest.errors import InputFileError

DIRECT_MIN_BYTES = 64 << 20
"""Copies at least this long bypass the page cache (shorter ones are not worth a disk round trip per piece)."""

_ALIGNMENT = 4096  # file offsets of direct writes (a multiple of every common logical block size)
_MEMORY_ALIGNMENT = 512  # buffer addresses of direct writes (the usual logical block size)
_PIECE = 8 << 20


def copy_byte_range(
    source: Path,
    source_offset: int,
    target: Path,
    target_offset: int,
    length: int,
    *,
    stop: threading.Event,
    direct_min_bytes: int = DIRECT_MIN_BYTES,
) -> None:
    """Copy ``length`` bytes of ``source`` from ``source_offset`` into the existing ``target`` at ``target_offset``.

    Stops early, leaving the copy incomplete, once ``stop`` is set.
    """
    with source.open("rb") as src, target.open("r+b") as dst:
        done = 0
        aligned_start = -(-target_offset // _ALIGNMENT) * _ALIGNMENT
        aligned_stop = (target_offset + length) // _ALIGNMENT * _ALIGNMENT
        if length >= direct_min_bytes and hasattr(os, "O_DIRECT") and aligned_stop > aligned_start:
            head = aligned_start - target_offset
            _kernel_copy(src.fileno(), dst.fileno(), source, source_offset, target_offset, head, stop)
            done = head + _direct_copy(
                src.fileno(), target, source, source_offset + head, aligned_start, aligned_stop - aligned_start, stop
            )
        _kernel_copy(
            src.fileno(), dst.fileno(), source, source_offset + done, target_offset + done, length - done, stop
        )


def _kernel_copy(
    src: int, dst: int, source: Path, source_offset: int, target_offset: int, length: int, stop: threading.Event
) -> None:
    done = 0
    while done < length and not stop.is_set():
        piece = min(length - done, 8 * _PIECE)
        copied = os.copy_file_range(src, dst, piece, source_offset + done, target_offset + done)
        if copied == 0:
            raise _ended_early(source, source_offset + done)
        done += copied


def _direct_copy(
    src: int, target: Path, source: Path, source_offset: int, target_offset: int, length: int, stop: threading.Event
) -> int:
    """Write straight from a memory map of the source with ``O_DIRECT``; return how many bytes were copied.

    The kernel moves the source's cached pages to the disk without a copy through user space. Returns early
    (the caller copies the rest another way) when the file system refuses direct I/O or the source bytes do not
    sit at an address the disk can take directly (the source and target offsets must agree modulo 512).
    """
    if (source_offset - target_offset) % _MEMORY_ALIGNMENT or os.fstat(src).st_size < source_offset + length:
        return 0
    try:
        dst = os.open(target, os.O_WRONLY | os.O_DIRECT)
    except OSError as error:
        if error.errno == errno.EINVAL:
            return 0
        raise
    done = 0
    try:
        with mmap.mmap(src, source_offset + length, prot=mmap.PROT_READ) as mapped:
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            with memoryview(mapped) as view:
                while done < length and not stop.is_set():
                    piece = min(length - done, _PIECE)
                    at = source_offset + done
                    try:
                        done += os.pwrite(dst, view[at : at + piece], target_offset + done)
                    except OSError as error:
                        if error.errno == errno.EINVAL:
                            return done
                        raise
    finally:
        os.close(dst)
    return done


def _ended_early(source: Path, offset: int) -> InputFileError:
    return InputFileError(
        "source file ended early while copying", where=str(source), found=f"end of file at byte {offset}"
    )
