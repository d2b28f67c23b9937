"""copy_byte_range: the bytes arrive exactly, by direct I/O where possible, and a short source is an error."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ingest.converters.volumes.file_copy import copy_byte_range
from ingest.errors import InputFileError


def _files(tmp_path: Path, source_size: int, target_size: int) -> tuple[Path, Path, bytes]:
    data = np.random.default_rng(7).integers(0, 256, source_size, dtype=np.uint8).tobytes()
    source, target = tmp_path / "source.bin", tmp_path / "target.bin"
    source.write_bytes(data)
    target.write_bytes(b"\xff" * target_size)
    return source, target, data


@pytest.mark.parametrize(
    ("source_offset", "target_offset"),
    [(1024, 1024), (4096, 4096), (1024, 3000), (0, 512), (77, 77)],
    ids=["mrc-header", "page-aligned", "misaligned", "shifted-by-a-sector", "odd"],
)
@pytest.mark.parametrize("direct_min_bytes", [0, 1 << 40], ids=["direct", "kernel"])
def test_copy_lands_every_byte_and_nothing_else(
    tmp_path: Path, source_offset: int, target_offset: int, direct_min_bytes: int
) -> None:
    length = (3 << 20) + 12345  # several pages, an unaligned tail
    source, target, data = _files(tmp_path, source_offset + length + 100, target_offset + length + 50)
    copy_byte_range(
        source, source_offset, target, target_offset, length, stop=threading.Event(), direct_min_bytes=direct_min_bytes
    )
    written = target.read_bytes()
    assert written[:target_offset] == b"\xff" * target_offset
    assert written[target_offset : target_offset + length] == data[source_offset : source_offset + length]
    assert written[target_offset + length :] == b"\xff" * 50


@pytest.mark.parametrize("direct_min_bytes", [0, 1 << 40], ids=["direct", "kernel"])
def test_a_source_shorter_than_the_range_is_an_error_naming_it(tmp_path: Path, direct_min_bytes: int) -> None:
    source, target, _ = _files(tmp_path, 1 << 20, 4 << 20)
    with pytest.raises(InputFileError) as caught:
        copy_byte_range(source, 1024, target, 1024, 3 << 20, stop=threading.Event(), direct_min_bytes=direct_min_bytes)
    assert "source.bin" in str(caught.value) and "ended early" in str(caught.value)


def test_a_set_stop_event_copies_nothing_more(tmp_path: Path) -> None:
    source, target, _ = _files(tmp_path, 2 << 20, 2 << 20)
    stop = threading.Event()
    stop.set()
    copy_byte_range(source, 0, target, 0, 2 << 20, stop=stop, direct_min_bytes=0)
    assert target.read_bytes() == b"\xff" * (2 << 20)


def test_a_file_system_refusing_direct_writes_gets_the_bytes_another_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tmpfs and some network file systems answer O_DIRECT writes with EINVAL: the copy must still be whole."""
    import errno
    import os

    import ingest.converters.volumes.file_copy as file_copy

    def refuse(fd: int, data: object, offset: int) -> int:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(file_copy.os, "pwrite", refuse)
    length = (2 << 20) + 777
    source, target, data = _files(tmp_path, 1024 + length, 1024 + length)
    copy_byte_range(source, 1024, target, 1024, length, stop=threading.Event(), direct_min_bytes=0)
    assert target.read_bytes()[1024:] == data[1024 : 1024 + length]
    assert os.pwrite is refuse  # the refusal was in force for the whole copy
