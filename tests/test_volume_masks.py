"""Masks: semantic masks binarise to int8 and pool as mean-then->0; instance masks keep uint16 labels."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr
from pyramid_oracle import reference_level

from ingest.converters.volumes.convert import NgffVersion, VolumeKind, convert_volume
from ingest.converters.volumes.masks import MaskLabel, MaskThreshold
from ingest.converters.volumes.pyramid import Pooling
from ingest.errors import InputFileError, UsageError


def write_mrc(path: Path, data: np.ndarray) -> Path:
    with mrcfile.new(path, data, overwrite=True) as mrc:
        mrc.voxel_size = 1.0
    return path


def level(zarr_path: Path, index: int) -> np.ndarray:
    return np.asarray(zarr.open_array(str(zarr_path / str(index)), mode="r")[...])


def test_mask_label_selects_one_value_and_coarse_levels_are_any(tmp_path: Path) -> None:
    data = np.random.default_rng(4).integers(0, 4, size=(9, 10, 11)).astype(np.int8)
    source = write_mrc(tmp_path / "m.mrc", data)
    result = convert_volume(
        source,
        tmp_path / "m.zarr",
        voxel_spacing=3.0,
        kind=VolumeKind.SEMANTIC_MASK,
        mask=MaskLabel(2),
        mrc_out=tmp_path / "m_out.mrc",
    )
    binary = (data == 2).astype(np.int8)
    assert result.dtype == "int8"
    assert np.array_equal(level(tmp_path / "m.zarr", 0), binary)
    for index in (1, 2):
        mean = reference_level(binary, (2**index,) * 3, Pooling.MEAN)
        assert np.array_equal(level(tmp_path / "m.zarr", index), (mean > 0).astype(np.int8))
    with mrcfile.open(tmp_path / "m_out.mrc") as mrc:
        assert mrc.data.dtype == np.int8 and np.array_equal(mrc.data, binary)
        assert (float(mrc.header.dmin), float(mrc.header.dmax)) == (0.0, 1.0)


def test_threshold_binarises_a_probability_map(tmp_path: Path) -> None:
    data = np.random.default_rng(5).uniform(0, 1, size=(4, 6, 8)).astype(np.float32)
    source = write_mrc(tmp_path / "p.mrc", data)
    convert_volume(
        source, tmp_path / "p.zarr", voxel_spacing=1.0, kind=VolumeKind.SEMANTIC_MASK, mask=MaskThreshold(0.5)
    )
    assert np.array_equal(level(tmp_path / "p.zarr", 0), (data >= 0.5).astype(np.int8))


def test_default_semantic_rule_is_mask_label_one(tmp_path: Path) -> None:
    data = np.array([[[0, 1, 2, 1]]], dtype=np.int8)
    convert_volume(write_mrc(tmp_path / "d.mrc", data), tmp_path / "d.zarr", voxel_spacing=1.0, kind="semantic-mask")
    assert level(tmp_path / "d.zarr", 0).tolist() == [[[0, 1, 0, 1]]]


@pytest.mark.parametrize("ngff", [NgffVersion.V04, NgffVersion.V05])
def test_instance_mask_keeps_labels_strides_and_lists_them(tmp_path: Path, ngff: NgffVersion) -> None:
    data = np.random.default_rng(6).choice([0, 3, 7, 300], size=(5, 7, 9)).astype(np.int16)
    source = write_mrc(tmp_path / "i.mrc", data)
    result = convert_volume(
        source, tmp_path / "i.zarr", voxel_spacing=1.0, kind=VolumeKind.INSTANCE_MASK, ngff=ngff,
        mrc_out=tmp_path / "i_out.mrc",
    )  # fmt: skip
    assert result.dtype == "uint16" and result.label_values == (3, 7, 300) and result.object_count == 3
    assert np.array_equal(level(tmp_path / "i.zarr", 0), data.astype(np.uint16))
    assert np.array_equal(level(tmp_path / "i.zarr", 1), data[::2, ::2, ::2])
    assert np.array_equal(level(tmp_path / "i.zarr", 2), data[::4, ::4, ::4])
    if ngff is NgffVersion.V04:
        attrs = json.loads((tmp_path / "i.zarr" / ".zattrs").read_text())
    else:
        attrs = json.loads((tmp_path / "i.zarr" / "zarr.json").read_text())["attributes"]["ome"]
    assert [c["label-value"] for c in attrs["image-label"]["colors"]] == [3, 7, 300]
    # the portal's instance-mask writer lists them in the multiscale's metadata too (its data validation reads them
    # there: positive, unique, as many as object_count)
    portal = attrs["multiscales"][0]["metadata"]["image-label"]
    assert portal == {"version": "0.4", "colors": [{"label-value": 3}, {"label-value": 7}, {"label-value": 300}]}
    with mrcfile.open(tmp_path / "i_out.mrc") as mrc:
        assert mrc.data.dtype == np.uint16 and int(mrc.header.mode) == 6


def test_more_than_65535_labels_is_an_error_not_an_overflow(tmp_path: Path) -> None:
    data = np.zeros((2, 2, 2), dtype=np.float32)
    data[1, 1, 1] = 70000
    source = write_mrc(tmp_path / "big.mrc", data)
    with pytest.raises(InputFileError, match="65,535") as caught:
        convert_volume(source, tmp_path / "big.zarr", voxel_spacing=1.0, kind=VolumeKind.INSTANCE_MASK)
    assert str(source) in caught.value.message and "70000" in (caught.value.found or "")
    assert not (tmp_path / "big.zarr").exists()


def test_fractional_labels_are_an_error(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "f.mrc", np.full((2, 2, 2), 1.5, dtype=np.float32))
    with pytest.raises(InputFileError, match="non-integer"):
        convert_volume(source, tmp_path / "f.zarr", voxel_spacing=1.0, kind=VolumeKind.INSTANCE_MASK)


def test_rescale_to_regrids_a_mask_by_nearest_neighbour(tmp_path: Path) -> None:
    data = np.zeros((2, 2, 2), dtype=np.int8)
    data[1, 0, 1] = 1
    source = write_mrc(tmp_path / "r.mrc", data)
    result = convert_volume(
        source, tmp_path / "r.zarr", voxel_spacing=1.0, kind=VolumeKind.SEMANTIC_MASK, rescale_to=(4, 4, 4)
    )
    assert result.shape == (4, 4, 4)
    expected = np.repeat(np.repeat(np.repeat(data, 2, axis=0), 2, axis=1), 2, axis=2)
    assert np.array_equal(level(tmp_path / "r.zarr", 0), expected)


def test_rescale_is_for_masks_only(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "t.mrc", np.zeros((2, 2, 2), dtype=np.float32))
    with pytest.raises(UsageError, match="masks only"):
        convert_volume(source, tmp_path / "t.zarr", voxel_spacing=1.0, rescale_to=(4, 4, 4))
