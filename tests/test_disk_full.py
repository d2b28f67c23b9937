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
    data = np.random.default_rng(1).integers(0, 100, size=(32, 128, 128)).astype(dtype)  # MRC: 2 MiB of float32
    source = tmp_path / "source.mrc"
    with mrcfile.new(source, data) as mrc:
        mrc.voxel_size = 10.0
    with tmpfs(tmp_path / "full", size="1m") as full:
        result = _convert(source, full / "o.zarr", "--mrc", str(full / "o.mrc"), "--workers", "2")
        left = sorted(p.name for p in full.iterdir())
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert f"error: {full / 'o.mrc'}: no space left to write the output" in result.stderr
    assert "Traceback" not in result.stderr
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
