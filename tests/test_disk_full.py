"""A full disk is a clean error naming the output, never SIGBUS, and leaves no partial files (issue 18 item 6).

The output goes to a small tmpfs the test mounts (root only; skipped with the reason otherwise). The command
runs in a child process, so that a SIGBUS (the old behaviour, exit -7) fails the test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from tests.mounts import tmpfs


def _convert(source: Path, output: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "ingest", "convert", "volume", str(source), str(output), "--voxel-spacing", "10"]
    return subprocess.run([*args, *extra], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("dtype", [np.int16, np.uint8], ids=["int16", "uint8"])
def test_canonical_mrc_of_a_non_float32_source_on_a_full_disk(tmp_path: Path, dtype: type[np.generic]) -> None:
    """The MRC (2 MiB) fits the disk (2.5 MiB) but not with the OME-Zarr beside it: the MRC's blocks were mapped
    unallocated and the zarr took the space, so writing into the map died with SIGBUS (exit 135 / -7)."""
    data = np.random.default_rng(1).integers(0, 100, size=(32, 128, 128)).astype(dtype)  # MRC: 2 MiB of float32
    source = tmp_path / "source.mrc"
    with mrcfile.new(source, data) as mrc:
        mrc.voxel_size = 10.0
    with tmpfs(tmp_path / "full", size="2560k") as full:
        result = _convert(source, full / "o.zarr", "--mrc", str(full / "o.mrc"), "--workers", "2")
        left = sorted(p.name for p in full.iterdir())
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "no space left to write the output" in result.stderr
    assert f"error: {full / 'o.mrc'}:" in result.stderr or f"error: {full / 'o.zarr'}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert left == []


def test_a_canonical_mrc_larger_than_the_free_space_is_refused_before_writing(tmp_path: Path) -> None:
    data = np.zeros((32, 128, 128), np.int16)
    source = tmp_path / "source.mrc"
    with mrcfile.new(source, data) as mrc:
        mrc.voxel_size = 10.0
    with tmpfs(tmp_path / "full", size="1m") as full:
        result = _convert(source, full / "o.zarr", "--mrc", str(full / "o.mrc"))
        left = sorted(p.name for p in full.iterdir())
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert (
        f"error: {full / 'o.mrc'}: not enough free space for the canonical MRC (expected 2097152 bytes" in result.stderr
    )
    assert left == []


def test_zarr_output_on_a_full_disk(tmp_path: Path) -> None:
    data = np.random.default_rng(2).normal(size=(16, 128, 128)).astype(np.float32)  # incompressible, 1 MiB
    source = tmp_path / "source.mrc"
    with mrcfile.new(source, data) as mrc:
        mrc.voxel_size = 10.0
    with tmpfs(tmp_path / "full", size="512k") as full:
        result = _convert(source, full / "o.zarr")
        left = sorted(p.name for p in full.iterdir())
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert f"error: {full / 'o.zarr'}: no space left to write the output" in result.stderr
    assert left == []


def test_the_canonical_mrc_writer_reserves_its_space_so_a_full_disk_is_an_error_not_sigbus(tmp_path: Path) -> None:
    """Past the free-space check (another writer may fill the disk meanwhile): the writer itself must fail cleanly."""
    with tmpfs(tmp_path / "full", size="1m") as full:
        code = f"""
import numpy as np
from pathlib import Path
from ingest.converters.volumes.mrc_writer import CanonicalMrcWriter
from ingest.errors import StorageError
try:
    writer = CanonicalMrcWriter(Path({str(full / "o.mrc.tmp")!r}), (32, 128, 128), np.dtype(np.float32), b"", b"",
                                reported_as=Path({str(full / "o.mrc")!r}))
    for z in range(32):
        writer.write_block((slice(z, z + 1), slice(0, 128), slice(0, 128)), np.ones((1, 128, 128), np.float32))
    print("written")
except StorageError as error:
    print(error.message)
"""
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr)
    assert (
        result.stdout.strip() == f"{full / 'o.mrc'}: no space left to write the output (found No space left on device)"
    )
