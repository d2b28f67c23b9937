"""Runtime behaviour: legacy headers warn, progress counts chunks, dask workers can run the conversion."""

from __future__ import annotations

import functools
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr

from ingest.converters.volumes.convert import NgffVersion, VolumeKind, convert_volume, open_volume
from ingest.converters.volumes.pyramid import plan_geometry
from ingest.converters.volumes.streaming import count_chunks


def write_mrc(path: Path, data: np.ndarray) -> Path:
    with mrcfile.new(path, data, overwrite=True) as mrc:
        mrc.voxel_size = 1.0
    return path


def test_header_without_map_stamp_converts_with_a_warning(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "legacy.mrc", np.ones((2, 3, 4), dtype=np.float32))
    raw = bytearray(source.read_bytes())
    raw[208:212] = bytes(4)
    source.write_bytes(bytes(raw))
    result = convert_volume(source, tmp_path / "o.zarr", voxel_spacing=1.0)
    assert result.shape == (2, 3, 4)
    assert any(str(source) in w and "Map ID string not found" in w for w in result.warnings)


def test_progress_reports_every_chunk_of_every_level(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "p.mrc", np.ones((300, 20, 520), dtype=np.float32))
    calls: list[tuple[int, int]] = []
    convert_volume(source, tmp_path / "p.zarr", voxel_spacing=1.0, progress=lambda d, t: calls.append((d, t)))
    total = count_chunks(plan_geometry((300, 20, 520), (2, 2, 2), (256, 256, 256), 3))
    assert total == 2 * 3 + 1 * 2 + 1
    assert calls == [(done, total) for done in range(1, total + 1)]


def test_runs_inside_a_dask_distributed_worker_task(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    source = write_mrc(tmp_path / "w.mrc", np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6))
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            local_directory=tmp_path / "dask",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        task = functools.partial(convert_volume, voxel_spacing=2.0, kind=VolumeKind.TOMOGRAM, workers=2)
        future = client.submit(task, source, tmp_path / "w.zarr")
        result = future.result(timeout=60)
    assert result.shape == (4, 5, 6)
    assert np.array_equal(
        zarr.open_array(str(tmp_path / "w.zarr" / "0"), mode="r")[...], np.arange(120).reshape(4, 5, 6)
    )


def test_own_ngff_05_output_reads_back_as_a_source(tmp_path: Path) -> None:
    data = np.random.default_rng(3).normal(size=(5, 6, 7)).astype(np.float32)
    source = write_mrc(tmp_path / "a.mrc", data)
    convert_volume(source, tmp_path / "a.zarr", voxel_spacing=2.0, ngff=NgffVersion.V05)
    _, info = open_volume(tmp_path / "a.zarr")
    assert info.format == "zarr" and info.voxel_size == (2.0, 2.0, 2.0) and info.warnings == ()
    result = convert_volume(tmp_path / "a.zarr", tmp_path / "b.zarr", voxel_spacing=2.0, mrc_out=tmp_path / "b.mrc")
    assert np.array_equal(np.asarray(zarr.open_array(str(tmp_path / "b.zarr" / "0"), mode="r")[...]), data)
    assert result.stats.max == float(data.max())


def test_bare_five_dimensional_zarr_array_drops_singleton_axes(tmp_path: Path) -> None:
    data = np.arange(4 * 5 * 6, dtype=np.uint16).reshape(1, 1, 4, 5, 6)
    zarr.create_array(str(tmp_path / "tczyx.zarr"), data=data)
    array, info = open_volume(tmp_path / "tczyx.zarr")
    assert info.shape == (4, 5, 6) and info.voxel_size is None
    assert np.array_equal(array.compute(), data[0, 0])
