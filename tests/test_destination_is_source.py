"""A destination that is a source (same path, a link to it, or a folder holding it) is refused with exit 2 and the
source left untouched (issue 18 item 7)."""

from __future__ import annotations

import os
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr
from click.testing import CliRunner, Result

from ingest.cli import main

POINTS = "1,2,3\n4,5,6\n"
NDJSON = '{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n'


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _refused(result: Result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert "would overwrite the" in result.output and text in result.output


@pytest.mark.parametrize("link", ["same-path", "relative-path", "hard-link", "symlink"])
def test_convert_picks_onto_its_own_source(tmp_path: Path, link: str) -> None:
    source = tmp_path / "a.csv"
    source.write_text(POINTS)
    destination = {
        "same-path": source,
        "relative-path": tmp_path / "sub" / ".." / "a.csv",
        "hard-link": tmp_path / "hard.csv",
        "symlink": tmp_path / "soft.csv",
    }[link]
    (tmp_path / "sub").mkdir()
    if link == "hard-link":
        os.link(source, destination)
    if link == "symlink":
        destination.symlink_to(source)
    result = _invoke("convert", "picks", str(source), str(destination), "--from", "csv")
    _refused(result, "the output would overwrite the source (expected a destination that is not an input")
    assert source.read_text() == POINTS


def test_convert_picks_onto_the_mrc_giving_the_size(tmp_path: Path) -> None:
    source, tomogram = tmp_path / "a.csv", tmp_path / "t.mrc"
    source.write_text(POINTS)
    with mrcfile.new(tomogram, np.zeros((8, 8, 8), np.float32)):
        pass
    before = tomogram.read_bytes()
    result = _invoke("convert", "picks", str(source), str(tomogram), "--from", "csv", "--tomogram", str(tomogram))
    _refused(result, "the output would overwrite the --tomogram MRC")
    assert tomogram.read_bytes() == before


def test_export_picks_onto_its_own_source_or_a_companion_onto_it(tmp_path: Path) -> None:
    source = tmp_path / "p.ndjson"
    source.write_text(NDJSON)
    result = _invoke("export", "picks", str(source), str(source), "--to", "csv", "--voxel-spacing", "10")
    _refused(result, "the output would overwrite the source")
    # relion5_star writes DST and DST-stem + "_tomograms.star": the companion must not be the source either.
    companion_source = tmp_path / "x_tomograms.star"
    companion_source.write_text(NDJSON)
    args = ["--to", "relion5_star", "--voxel-spacing", "10", "--tomogram-size", "10,10,10"]
    result = _invoke("export", "picks", str(companion_source), str(tmp_path / "x.star"), *args)
    _refused(result, "x_tomograms.star would overwrite the source")
    assert source.read_text() == NDJSON and companion_source.read_text() == NDJSON
    assert not (tmp_path / "x.star").exists()


def _mrc(path: Path) -> bytes:
    with mrcfile.new(path, np.arange(64, dtype=np.float32).reshape(4, 4, 4)) as mrc:
        mrc.voxel_size = 1.0
    return path.read_bytes()


def test_convert_volume_mrc_output_onto_its_source(tmp_path: Path) -> None:
    source = tmp_path / "t.mrc"
    before = _mrc(source)
    result = _invoke(
        "convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "1", "--mrc", str(source)
    )
    _refused(result, "the MRC output would overwrite the source volume")
    assert source.read_bytes() == before


def test_convert_volume_zarr_output_onto_a_folder_holding_its_source(tmp_path: Path) -> None:
    """Publishing a folder output replaces the folder: a source inside it would be deleted."""
    source = tmp_path / "data" / "t.mrc"
    source.parent.mkdir()
    before = _mrc(source)
    result = _invoke("convert", "volume", str(source), str(tmp_path / "data"), "--voxel-spacing", "1")
    _refused(result, "the OME-Zarr output would overwrite the source volume")
    assert source.read_bytes() == before


def test_convert_volume_zarr_output_onto_its_zarr_source(tmp_path: Path) -> None:
    source = tmp_path / "in.zarr"
    zarr.create_array(str(source), shape=(4, 4, 4), dtype="float32", zarr_format=2)[...] = 1.0
    result = _invoke(
        "convert", "volume", str(source), str(tmp_path / "in.zarr" / ".." / "in.zarr"), "--voxel-spacing", "1"
    )
    _refused(result, "the OME-Zarr output would overwrite the source volume")
    assert zarr.open_array(str(source), mode="r")[...].sum() == 64


def test_convert_volume_both_outputs_one_file(tmp_path: Path) -> None:
    source = tmp_path / "t.mrc"
    _mrc(source)
    out = tmp_path / "o.zarr"
    result = _invoke("convert", "volume", str(source), str(out), "--voxel-spacing", "1", "--mrc", str(out))
    _refused(result, "the MRC output would overwrite the OME-Zarr output")
    assert not out.exists()
