"""Outputs are atomic: an interrupted conversion leaves nothing that looks complete; a re-run replaces it."""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr

import ingest.converters.volumes.writer as volume_writer
from ingest.converters.volumes.convert import convert_volume


def write_mrc(path: Path, value: float) -> Path:
    with mrcfile.new(path, np.full((6, 7, 8), value, dtype=np.float32), overwrite=True) as mrc:
        mrc.voxel_size = 1.0
    return path


def test_rerun_replaces_previous_outputs(tmp_path: Path) -> None:
    out, mrc_out = tmp_path / "v.zarr", tmp_path / "v.mrc"
    convert_volume(write_mrc(tmp_path / "a.mrc", 1.0), out, voxel_spacing=1.0, mrc_out=mrc_out)
    convert_volume(write_mrc(tmp_path / "b.mrc", 2.0), out, voxel_spacing=1.0, mrc_out=mrc_out)
    assert np.all(zarr.open_array(str(out / "0"), mode="r")[...] == 2.0)
    with mrcfile.open(mrc_out) as mrc:
        assert np.all(mrc.data == 2.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mrc", "b.mrc", "v.mrc", "v.zarr"]


def test_failure_mid_stream_removes_partial_output_and_keeps_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "v.zarr"
    convert_volume(write_mrc(tmp_path / "a.mrc", 1.0), out, voxel_spacing=1.0)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(volume_writer, "write_multiscales_metadata", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_volume(write_mrc(tmp_path / "b.mrc", 2.0), out, voxel_spacing=1.0, mrc_out=tmp_path / "v.mrc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mrc", "b.mrc", "v.zarr"]
    assert np.all(zarr.open_array(str(out / "0"), mode="r")[...] == 1.0)


def test_stale_partial_from_a_killed_run_is_cleared(tmp_path: Path) -> None:
    stale = tmp_path / "v.zarr.partial-0123456789ab"
    (stale / "0").mkdir(parents=True)
    convert_volume(write_mrc(tmp_path / "a.mrc", 1.0), tmp_path / "v.zarr", voxel_spacing=1.0)
    assert not stale.exists()


def test_group_metadata_is_written_after_the_arrays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    original = volume_writer.write_multiscales_metadata

    def spy(root: Path, *args: object) -> None:
        seen.append(sorted(p.name for p in root.iterdir()))
        original(root, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(volume_writer, "write_multiscales_metadata", spy)
    convert_volume(write_mrc(tmp_path / "a.mrc", 1.0), tmp_path / "v.zarr", voxel_spacing=1.0)
    assert seen == [["0", "1", "2"]]
