"""`ingest convert volume` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import zarr
from click.testing import CliRunner

from ingest.cli import main


def write_mrc(path: Path, data: np.ndarray) -> Path:
    with mrcfile.new(path, data, overwrite=True) as mrc:
        mrc.voxel_size = 9.0
    return path


def test_convert_volume_writes_zarr_and_mrc_and_prints_summary(tmp_path: Path) -> None:
    data = np.random.default_rng(0).normal(size=(5, 6, 7)).astype(np.float32)
    source = write_mrc(tmp_path / "in.mrc", data)
    args = ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "4.0"]
    result = CliRunner().invoke(main, [*args, "--mrc", str(tmp_path / "o.mrc"), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "level 2: 2x2x2 voxels, scale 16 Å" in result.output
    assert np.array_equal(zarr.open_array(str(tmp_path / "o.zarr" / "0"), mode="r")[...], data)
    with mrcfile.open(tmp_path / "o.mrc") as mrc:
        assert float(mrc.voxel_size.x) == 4.0


def test_semantic_mask_with_threshold_and_ngff_05(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "p.mrc", np.linspace(0, 1, 8, dtype=np.float32).reshape(2, 2, 2))
    args = ["convert", "volume", str(source), str(tmp_path / "m.zarr"), "--voxel-spacing", "1"]
    result = CliRunner().invoke(main, [*args, "--kind", "semantic-mask", "--threshold", "0.5", "--ngff", "0.5"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m.zarr" / "zarr.json").read_text())["attributes"]["ome"]["version"] == "0.5"
    assert zarr.open_array(str(tmp_path / "m.zarr" / "0"), mode="r")[...].ravel().tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_instance_mask_rescaled_reports_label_count(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "l.mrc", np.arange(8, dtype=np.int16).reshape(2, 2, 2))
    args = ["convert", "volume", str(source), str(tmp_path / "l.zarr"), "--voxel-spacing", "1"]
    result = CliRunner().invoke(main, [*args, "--kind", "instance-mask", "--rescale-to", "4,4,4"])
    assert result.exit_code == 0, result.output
    assert "labels: 7" in result.output
    assert zarr.open_array(str(tmp_path / "l.zarr" / "0"), mode="r").shape == (4, 4, 4)


def test_bad_input_is_one_line_error_and_exit_1(tmp_path: Path) -> None:
    source = tmp_path / "bad.mrc"
    source.write_text("not a volume")
    result = CliRunner().invoke(
        main, ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "1"]
    )
    assert result.exit_code == 1
    assert f"error: {source}: not an MRC file" in result.output
    assert not (tmp_path / "o.zarr").exists()


def test_mask_label_and_threshold_together_is_a_usage_error(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "m.mrc", np.zeros((2, 2, 2), dtype=np.int8))
    args = [
        "convert",
        "volume",
        str(source),
        str(tmp_path / "o.zarr"),
        "--voxel-spacing",
        "1",
        "--kind",
        "semantic-mask",
    ]
    result = CliRunner().invoke(main, [*args, "--mask-label", "1", "--threshold", "0.5"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_bad_rescale_shape_is_a_usage_error(tmp_path: Path) -> None:
    source = write_mrc(tmp_path / "m.mrc", np.zeros((2, 2, 2), dtype=np.int8))
    args = [
        "convert",
        "volume",
        str(source),
        str(tmp_path / "o.zarr"),
        "--voxel-spacing",
        "1",
        "--kind",
        "semantic-mask",
    ]
    result = CliRunner().invoke(main, [*args, "--rescale-to", "4,4"])
    assert result.exit_code == 2
    assert "X,Y,Z" in result.output
