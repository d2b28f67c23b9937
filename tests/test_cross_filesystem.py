"""Input and output on different file systems, and platforms without copy_file_range / O_DIRECT /
sched_getaffinity / posix_fallocate: every copy still lands every byte (issue 18 item 1, issue 13 item 5)."""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import replace
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.converters.volumes.file_copy import copy_byte_range
from ingest.converters.volumes.mrc_writer import CanonicalMrcWriter, MrcHeaderFields
from ingest.converters.volumes.os_features import CURRENT, PLAIN, OsFeatures, usable_cores
from tests.mounts import tmpfs


def _random_file(path: Path, size: int, seed: int = 7) -> bytes:
    data = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("direct_min_bytes", [0, 1 << 40], ids=["direct", "kernel"])
def test_copy_from_another_file_system_lands_every_byte(tmp_path: Path, direct_min_bytes: int) -> None:
    """copy_file_range answers EXDEV across file systems: the copy falls back to plain reads and writes."""
    with tmpfs(tmp_path / "mounted") as mounted:
        length = (3 << 20) + 4321
        source, target = mounted / "source.bin", tmp_path / "target.bin"
        data = _random_file(source, 1024 + length)
        target.write_bytes(b"\xff" * (1024 + length + 10))
        assert source.stat().st_dev != target.stat().st_dev
        copy_byte_range(source, 1024, target, 1024, length, stop=threading.Event(), direct_min_bytes=direct_min_bytes)
        written = target.read_bytes()
    assert written[1024 : 1024 + length] == data[1024:]
    assert written[:1024] == b"\xff" * 1024 and written[1024 + length :] == b"\xff" * 10


def test_convert_volume_mrc_of_a_float32_source_on_another_file_system(tmp_path: Path) -> None:
    """`convert volume --mrc` of a float32 MRC copies its data block: it crashed with EXDEV across mounts."""
    data = np.random.default_rng(3).normal(size=(9, 40, 33)).astype(np.float32)
    with tmpfs(tmp_path / "input") as mounted:
        source = mounted / "tomo.mrc"
        with mrcfile.new(source, data) as mrc:
            mrc.voxel_size = 7.0
        args = ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "7"]
        result = CliRunner().invoke(main, [*args, "--mrc", str(tmp_path / "o.mrc")])
    assert result.exit_code == 0, result.output
    with mrcfile.open(tmp_path / "o.mrc") as mrc:
        assert np.array_equal(mrc.data, data)


def _refusing(code: int, after: int) -> OsFeatures:
    """``copy_file_range`` that copies ``after`` bytes, then fails with ``code`` as a file system would."""
    copied = [0]
    assert CURRENT.copy_file_range is not None

    def copy_file_range(src: int, dst: int, count: int, offset_src: int | None, offset_dst: int | None) -> int:
        if copied[0] >= after:
            raise OSError(code, os.strerror(code))
        count = min(count, after - copied[0])
        assert CURRENT.copy_file_range is not None
        done = CURRENT.copy_file_range(src, dst, count, offset_src, offset_dst)
        copied[0] += done
        return done

    return replace(CURRENT, copy_file_range=copy_file_range)


PLATFORMS = {
    "no-copy_file_range": replace(CURRENT, copy_file_range=None),
    "no-O_DIRECT": replace(CURRENT, o_direct=None),
    "none-of-them": PLAIN,
    **{
        f"{errno.errorcode[code]}-after-1MiB": _refusing(code, 1 << 20)
        for code in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL)
    },
}


@pytest.mark.skipif(CURRENT.copy_file_range is None, reason="the refusing platforms wrap this OS's copy_file_range")
@pytest.mark.parametrize("features", list(PLATFORMS.values()), ids=list(PLATFORMS))
@pytest.mark.parametrize(("source_offset", "target_offset"), [(1024, 1024), (77, 4096)], ids=["mrc", "odd"])
def test_every_fallback_lands_every_byte(
    tmp_path: Path, features: OsFeatures, source_offset: int, target_offset: int
) -> None:
    length = (5 << 20) + 999
    source, target = tmp_path / "source.bin", tmp_path / "target.bin"
    data = _random_file(source, source_offset + length)
    target.write_bytes(b"\xff" * (target_offset + length + 3))
    copy_byte_range(
        source,
        source_offset,
        target,
        target_offset,
        length,
        stop=threading.Event(),
        direct_min_bytes=0,
        features=features,
    )
    written = target.read_bytes()
    assert written[target_offset : target_offset + length] == data[source_offset:]
    assert written[:target_offset] == b"\xff" * target_offset and written[target_offset + length :] == b"\xff" * 3


def test_a_real_error_during_a_kernel_copy_is_not_swallowed(tmp_path: Path) -> None:
    source, target = tmp_path / "source.bin", tmp_path / "target.bin"
    _random_file(source, 4 << 20)
    target.write_bytes(bytes(4 << 20))
    with pytest.raises(OSError, match="Input/output error"):
        copy_byte_range(source, 0, target, 0, 4 << 20, stop=threading.Event(), features=_refusing(errno.EIO, 1 << 20))


def test_a_source_shorter_than_the_range_is_an_error_on_the_plain_path_too(tmp_path: Path) -> None:
    from ingest.errors import InputFileError

    source, target = tmp_path / "source.bin", tmp_path / "target.bin"
    _random_file(source, 1 << 20)
    target.write_bytes(bytes(4 << 20))
    with pytest.raises(InputFileError, match="ended early"):
        copy_byte_range(source, 0, target, 0, 3 << 20, stop=threading.Event(), features=PLAIN)


def test_usable_cores_without_sched_getaffinity_is_the_cpu_count() -> None:
    assert usable_cores(PLAIN) == (os.cpu_count() or 1)
    if CURRENT.sched_getaffinity is not None:
        assert usable_cores(CURRENT) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("features", [CURRENT, PLAIN], ids=["reserved-and-mapped", "plain-pwrite"])
def test_canonical_mrc_bytes_do_not_depend_on_how_blocks_are_written(tmp_path: Path, features: OsFeatures) -> None:
    """Without posix_fallocate (macOS, some file systems) blocks are written with pwrite: same file, same bytes."""
    data = np.random.default_rng(5).integers(-500, 500, size=(7, 19, 23)).astype(np.float32)
    path = tmp_path / "out.mrc"
    writer = CanonicalMrcWriter(path, data.shape, data.dtype, b"", b"", features=features)
    for z in (slice(0, 4), slice(4, 7)):
        for y in (slice(0, 10), slice(10, 19)):
            for x in (slice(0, 23),) if z.start == 0 else (slice(0, 5), slice(5, 23)):
                writer.write_block((z, y, x), data[z, y, x])
    writer.finish(MrcHeaderFields(2.0, 1, float(data.min()), float(data.max()), float(data.mean()), 1.0))
    with mrcfile.open(path) as mrc:
        assert np.array_equal(mrc.data, data)
        assert float(mrc.voxel_size.x) == 2.0


def test_a_deposition_whose_input_is_on_another_file_system(tmp_path: Path) -> None:
    """The common set-up (mounted input, local output): every float32 tomogram failed with EXDEV."""
    from ingest.pipeline.example import write_example
    from tests.ingest_cli import ingest, run_counts

    with tmpfs(tmp_path / "input", size="256m") as mounted:
        write_example(mounted)
        output = tmp_path / "out"
        report = ingest(mounted / "example.yaml", output)
        tomogram = mounted / "phantom" / "tomograms" / "TS_001_bin1.mrc"
        with mrcfile.open(tomogram) as mrc:
            source_data = np.array(mrc.data)
    counts = run_counts(report)
    assert all(error is None and written > 0 for written, _, error in counts.values()), counts
    published = output / "90001" / "TS_001" / "Reconstructions" / "VoxelSpacing10.000" / "Tomograms" / "100"
    with mrcfile.open(published / "TS_001.mrc") as mrc:
        assert np.array_equal(mrc.data, source_data)
