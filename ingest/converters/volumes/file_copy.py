"""Copying a byte range from one file into another, in the kernel, without flooding the page cache.

Large copies (the canonical MRC of a float32 tomogram is a copy of the source's data block) are written with
``O_DIRECT`` where the file system allows it: the bytes go to the disk without first becoming gigabytes of
dirty page cache that the kernel must later write back on the same cores the conversion runs on. The unaligned
head and tail, small copies and file systems without direct I/O (tmpfs, network mounts) use ``copy_file_range``.
Where that is refused (source and target on different file systems: ``EXDEV``; old kernels, FUSE and network
file systems: ``ENOSYS``/``EOPNOTSUPP``/``EINVAL``) or absent (macOS), the rest is streamed with plain buffered
reads and writes. Which calls exist comes from an :class:`~ingest.converters.volumes.os_features.OsFeatures` value.
"""

from __future__ import annotations

import io
import mmap
import os
import threading
from collections.abc import Callable
from pathlib import Path

from ingest.converters.volumes.os_features import CURRENT, UNSUPPORTED_ERRNOS, OsFeatures
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
    features: OsFeatures = CURRENT,
) -> None:
    """Copy ``length`` bytes of ``source`` from ``source_offset`` into the existing ``target`` at ``target_offset``.

    Stops early, leaving the copy incomplete, once ``stop`` is set. ``features`` says which OS calls may be
    tried; whatever they refuse or lack is copied with plain reads and writes.
    """
    with source.open("rb") as src, target.open("r+b") as dst:
        done = 0
        aligned_start = -(-target_offset // _ALIGNMENT) * _ALIGNMENT
        aligned_stop = (target_offset + length) // _ALIGNMENT * _ALIGNMENT
        if length >= direct_min_bytes and features.o_direct is not None and aligned_stop > aligned_start:
            head = aligned_start - target_offset
            _copy(src, dst, source, source_offset, target_offset, head, stop, features)
            done = head + _direct_copy(
                src.fileno(),
                target,
                source,
                source_offset + head,
                aligned_start,
                aligned_stop - aligned_start,
                stop,
                features.o_direct,
            )
        _copy(src, dst, source, source_offset + done, target_offset + done, length - done, stop, features)


def _copy(
    src: io.BufferedReader,
    dst: io.BufferedRandom,
    source: Path,
    source_offset: int,
    target_offset: int,
    length: int,
    stop: threading.Event,
    features: OsFeatures,
) -> None:
    """In the kernel where it can, then (for what it could not) through a user-space buffer."""
    done = 0
    if features.copy_file_range is not None:
        done = _kernel_copy(
            src.fileno(), dst.fileno(), source, source_offset, target_offset, length, stop, features.copy_file_range
        )
    _buffered_copy(src, dst, source, source_offset + done, target_offset + done, length - done, stop)


def _kernel_copy(
    src: int,
    dst: int,
    source: Path,
    source_offset: int,
    target_offset: int,
    length: int,
    stop: threading.Event,
    copy_file_range: Callable[[int, int, int, int | None, int | None], int],
) -> int:
    """``copy_file_range`` until done, stopped, or refused; return how many bytes were copied."""
    done = 0
    while done < length and not stop.is_set():
        piece = min(length - done, 8 * _PIECE)
        try:
            copied = copy_file_range(src, dst, piece, source_offset + done, target_offset + done)
        except OSError as error:
            if error.errno in UNSUPPORTED_ERRNOS:
                return done
            raise
        if copied == 0:
            raise _ended_early(source, source_offset + done)
        done += copied
    return done


def _buffered_copy(
    src: io.BufferedReader,
    dst: io.BufferedRandom,
    source: Path,
    source_offset: int,
    target_offset: int,
    length: int,
    stop: threading.Event,
) -> None:
    """Plain reads and writes through one reused buffer (any file system, any platform)."""
    buffer = bytearray(min(length, _PIECE))
    view = memoryview(buffer)
    done = 0
    src.seek(source_offset)
    dst.seek(target_offset)
    while done < length and not stop.is_set():
        piece = min(length - done, len(buffer))
        read = src.readinto(view[:piece])
        if not read:
            raise _ended_early(source, source_offset + done)
        dst.write(view[:read])
        done += read
    dst.flush()


def _direct_copy(
    src: int,
    target: Path,
    source: Path,
    source_offset: int,
    target_offset: int,
    length: int,
    stop: threading.Event,
    o_direct: int,
) -> int:
    """Write straight from a memory map of the source with ``O_DIRECT``; return how many bytes were copied.

    The kernel moves the source's cached pages to the disk without a copy through user space. Returns early
    (the caller copies the rest another way) when the file system refuses direct I/O or the source bytes do not
    sit at an address the disk can take directly (the source and target offsets must agree modulo 512).
    """
    if (source_offset - target_offset) % _MEMORY_ALIGNMENT or os.fstat(src).st_size < source_offset + length:
        return 0
    try:
        dst = os.open(target, os.O_WRONLY | o_direct)
    except OSError as error:
        if error.errno in UNSUPPORTED_ERRNOS:
            return 0
        raise
    done = 0
    try:
        try:
            mapped = mmap.mmap(src, source_offset + length, prot=mmap.PROT_READ)
        except OSError as error:
            if error.errno in UNSUPPORTED_ERRNOS:
                return 0
            raise
        with mapped:
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            with memoryview(mapped) as view:
                while done < length and not stop.is_set():
                    piece = min(length - done, _PIECE)
                    at = source_offset + done
                    try:
                        done += os.pwrite(dst, view[at : at + piece], target_offset + done)
                    except OSError as error:
                        if error.errno in UNSUPPORTED_ERRNOS:
                            return done
                        raise
    finally:
        os.close(dst)
    return done


def _ended_early(source: Path, offset: int) -> InputFileError:
    return InputFileError(
        "source file ended early while copying", where=str(source), found=f"end of file at byte {offset}"
    )
