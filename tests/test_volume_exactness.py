"""Volume conversion is exact: level 0 is the source cast, coarse levels are the mean of the voxels that exist."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid_oracle import reference_level

from ingest.converters.volumes.convert import NgffVersion, VolumeKind, convert_volume, open_volume
from ingest.converters.volumes.pyramid import Pooling


def write_mrc(path: Path, data: np.ndarray, voxel: float = 3.0) -> Path:
    with mrcfile.new(path, data, overwrite=True) as mrc:
        mrc.voxel_size = voxel
    return path


def level(zarr_path: Path, index: int) -> np.ndarray:
    return np.asarray(zarr.open_array(str(zarr_path / str(index)), mode="r")[...])


@pytest.mark.parametrize("shape", [(37, 65, 129), (1, 1, 1), (257, 3, 300), (2, 513, 3)])
def test_levels_equal_numpy_reference_of_existing_voxels(tmp_path: Path, shape: tuple[int, int, int]) -> None:
    data = np.random.default_rng(7).normal(size=shape).astype(np.float32)
    source = write_mrc(tmp_path / "in.mrc", data)
    result = convert_volume(source, tmp_path / "out.zarr", voxel_spacing=5.0, workers=2)
    assert np.array_equal(level(tmp_path / "out.zarr", 0), data)
    for index in (1, 2):
        expected = reference_level(data, (2**index,) * 3, Pooling.MEAN)
        got = level(tmp_path / "out.zarr", index)
        assert got.shape == tuple(-(-n // 2**index) for n in shape) == result.levels[index].shape
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-6)


def test_edge_block_is_mean_of_existing_voxels_not_zero_padded(tmp_path: Path) -> None:
    data = np.full((3, 3, 3), 8.0, dtype=np.float32)
    source = write_mrc(tmp_path / "in.mrc", data)
    convert_volume(source, tmp_path / "out.zarr", voxel_spacing=1.0)
    assert np.all(level(tmp_path / "out.zarr", 1) == 8.0)
    assert np.all(level(tmp_path / "out.zarr", 2) == 8.0)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint16, np.float16])
def test_level0_is_source_cast_to_float32_bit_for_bit(tmp_path: Path, dtype: type) -> None:
    data = (np.random.default_rng(1).uniform(-100, 100, size=(5, 6, 7))).astype(dtype)
    source = write_mrc(tmp_path / "in.mrc", data)
    result = convert_volume(source, tmp_path / "out.zarr", voxel_spacing=2.0, mrc_out=tmp_path / "out.mrc")
    assert result.dtype == "float32"
    assert np.array_equal(level(tmp_path / "out.zarr", 0), data.astype(np.float32))
    with mrcfile.open(tmp_path / "out.mrc") as mrc:
        assert np.array_equal(mrc.data, data.astype(np.float32))


def test_tilt_series_never_bins_z_and_uses_whole_image_chunks(tmp_path: Path) -> None:
    data = np.random.default_rng(2).normal(size=(7, 1100, 33)).astype(np.float32)
    source = write_mrc(tmp_path / "ts.st", data)
    result = convert_volume(
        source, tmp_path / "ts.zarr", voxel_spacing=1.5, kind=VolumeKind.TILTSERIES, mrc_out=tmp_path / "ts.mrc"
    )
    assert [lv.shape for lv in result.levels] == [(7, 1100, 33), (7, 550, 17), (7, 275, 9)]
    assert [lv.scale for lv in result.levels] == [(1.5, 1.5, 1.5), (1.5, 3.0, 3.0), (1.5, 6.0, 6.0)]
    assert result.levels[0].chunks == (1, 1024, 33)
    for index in (1, 2):
        expected = reference_level(data, (1, 2**index, 2**index), Pooling.MEAN)
        np.testing.assert_allclose(level(tmp_path / "ts.zarr", index), expected, rtol=2e-6, atol=2e-6)
    with mrcfile.open(tmp_path / "ts.mrc") as mrc:  # a stack of images, as the portal's tilt-series header mapper
        header = mrc.header
        assert int(header.ispg) == 0 and int(header.mz) == 1
        assert (int(header.mx), int(header.my)) == (33, 1100)
        assert tuple(float(v) for v in header.cella.item()) == pytest.approx((33 * 1.5, 1100 * 1.5, 1.5))
        assert tuple(float(v) for v in mrc.voxel_size.item()) == pytest.approx((1.5, 1.5, 1.5))


def test_canonical_mrc_round_trips_data_and_header(tmp_path: Path) -> None:
    data = np.random.default_rng(3).normal(size=(9, 10, 11)).astype(np.float32)
    with mrcfile.new(tmp_path / "in.mrc", data, overwrite=True) as mrc:
        mrc.voxel_size = 99.0  # the caller's spacing must win
        mrc.header.origin = (5.0, 6.0, 7.0)
        mrc.set_extended_header(np.frombuffer(b"FEI1" + bytes(124), dtype="V1"))
        mrc.header.exttyp = b"FEI1"
    result = convert_volume(tmp_path / "in.mrc", tmp_path / "out.zarr", voxel_spacing=4.5, mrc_out=tmp_path / "o.mrc")
    with mrcfile.open(tmp_path / "o.mrc") as mrc:
        header = mrc.header
        assert np.array_equal(mrc.data, data)
        assert int(header.mode) == 2 and int(header.ispg) == 1
        assert tuple(float(v) for v in mrc.voxel_size.item()) == (4.5, 4.5, 4.5)
        assert tuple(float(v) for v in header.cella.item()) == pytest.approx((11 * 4.5, 10 * 4.5, 9 * 4.5))
        assert tuple(float(v) for v in header.origin.item()) == (0.0, 0.0, 0.0)
        assert mrc.extended_header.tobytes() == b"FEI1" + bytes(124) and bytes(header.exttyp) == b"FEI1"
        assert float(header.dmin) == pytest.approx(float(data.min()))
        assert float(header.dmax) == pytest.approx(float(data.max()))
        assert float(header.dmean) == pytest.approx(float(data.mean(dtype=np.float64)), abs=1e-6)
        assert float(header.rms) == pytest.approx(float(data.std(dtype=np.float64)), rel=1e-5)
    assert result.stats.rms == pytest.approx(float(data.std(dtype=np.float64)), rel=1e-6)


@pytest.mark.parametrize("ngff", [NgffVersion.V04, NgffVersion.V05])
def test_zarr_conventions_codec_keys_axes_and_scales(tmp_path: Path, ngff: NgffVersion) -> None:
    data = np.ones((300, 4, 5), dtype=np.float32)
    source = write_mrc(tmp_path / "in.mrc", data)
    convert_volume(source, tmp_path / "out.zarr", voxel_spacing=2.0, ngff=ngff)
    out = tmp_path / "out.zarr"
    if ngff is NgffVersion.V04:
        meta = json.loads((out / "0" / ".zarray").read_text())
        assert meta["dimension_separator"] == "/" and meta["chunks"] == [256, 4, 5]
        assert meta["compressor"] == {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}
        assert (out / "0" / "1" / "0" / "0").is_file()
        multiscale = json.loads((out / ".zattrs").read_text())["multiscales"][0]
        assert multiscale["version"] == "0.4"
    else:
        meta = json.loads((out / "0" / "zarr.json").read_text())
        assert meta["chunk_key_encoding"] == {"name": "default", "configuration": {"separator": "/"}}
        blosc = meta["codecs"][-1]["configuration"]
        assert (blosc["cname"], blosc["clevel"], blosc["shuffle"]) == ("lz4", 5, "shuffle")
        assert meta["dimension_names"] == ["z", "y", "x"]
        assert (out / "0" / "c" / "1" / "0" / "0").is_file()
        ome = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]
        assert ome["version"] == "0.5"
        multiscale = ome["multiscales"][0]
    assert multiscale["axes"] == [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"]
    transforms = [d["coordinateTransformations"] for d in multiscale["datasets"]]
    assert transforms == [[{"type": "scale", "scale": [s, s, s]}] for s in (2.0, 4.0, 8.0)]


def test_open_volume_is_lazy_and_reads_the_header(tmp_path: Path) -> None:
    data = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    array, info = open_volume(write_mrc(tmp_path / "in.mrc", data, voxel=7.0))
    assert info.format == "mrc" and info.shape == (2, 3, 4) and info.voxel_size == (7.0, 7.0, 7.0)
    assert np.array_equal(array.compute(), data)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shape=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
    seed=st.integers(0, 2**16),
)
def test_any_shape_pyramid_matches_reference(tmp_path: Path, shape: tuple[int, int, int], seed: int) -> None:
    data = np.random.default_rng(seed).uniform(-5, 5, size=shape).astype(np.float32)
    source = write_mrc(tmp_path / "h.mrc", data)
    convert_volume(source, tmp_path / "h.zarr", voxel_spacing=1.0, workers=1)
    assert np.array_equal(level(tmp_path / "h.zarr", 0), data)
    for index in (1, 2):
        expected = reference_level(data, (2**index,) * 3, Pooling.MEAN)
        np.testing.assert_allclose(level(tmp_path / "h.zarr", index), expected, rtol=2e-6, atol=2e-6)
