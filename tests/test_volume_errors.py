"""Bad volume inputs fail with a clear message naming the file, and leave no output behind."""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
import pytest

from ingest.converters.volumes.convert import VolumeKind, convert_volume
from ingest.errors import InputFileError


def good_mrc(path: Path, data: np.ndarray | None = None) -> Path:
    values = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6) if data is None else data
    with mrcfile.new(path, values, overwrite=True) as mrc:
        mrc.voxel_size = 2.0
    return path


def assert_fails_cleanly(source: Path, out: Path, match: str, **options: object) -> InputFileError:
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(InputFileError, match=match) as caught:
        convert_volume(source, out / "o.zarr", mrc_out=out / "o.mrc", **{"voxel_spacing": 1.0, **options})  # type: ignore[arg-type]
    assert str(source) in caught.value.message
    assert sorted(p.name for p in out.iterdir()) == before, "partial output was left behind"
    return caught.value


def test_truncated_data_block(tmp_path: Path) -> None:
    source = good_mrc(tmp_path / "t.mrc")
    source.write_bytes(source.read_bytes()[:-10])
    error = assert_fails_cleanly(source, tmp_path, "truncated")
    assert error.found == f"{1024 + 480 - 10} bytes"


def test_header_without_data(tmp_path: Path) -> None:
    source = good_mrc(tmp_path / "h.mrc")
    source.write_bytes(source.read_bytes()[:1024])
    assert_fails_cleanly(source, tmp_path, "truncated")


def test_header_dimensions_smaller_than_file(tmp_path: Path) -> None:
    source = good_mrc(tmp_path / "d.mrc")
    source.write_bytes(source.read_bytes() + bytes(64))
    error = assert_fails_cleanly(source, tmp_path, "disagree with the file size")
    assert "nx/ny/nz 6/5/4" in (error.expected or "")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # mrcfile and numpy warn while writing the bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_voxels_are_reported_with_position(tmp_path: Path, bad: float) -> None:
    data = np.ones((3, 4, 5), dtype=np.float32)
    data[2, 1, 3] = bad
    error = assert_fails_cleanly(good_mrc(tmp_path / "n.mrc", data), tmp_path, "NaN or infinite")
    assert "(2, 1, 3)" in (error.found or "")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_a_probability_map_is_reported(tmp_path: Path) -> None:
    data = np.full((3, 4, 5), 0.5, dtype=np.float32)
    data[0, 0, 0] = np.nan
    assert_fails_cleanly(good_mrc(tmp_path / "p.mrc", data), tmp_path, "NaN", kind=VolumeKind.SEMANTIC_MASK)


@pytest.mark.parametrize("spacing", [0.0, -1.0, float("nan")])
def test_zero_negative_or_nan_voxel_spacing_is_refused(tmp_path: Path, spacing: float) -> None:
    assert_fails_cleanly(good_mrc(tmp_path / "s.mrc"), tmp_path, "voxel spacing", voxel_spacing=spacing)


def test_text_file_is_neither_mrc_nor_zarr(tmp_path: Path) -> None:
    source = tmp_path / "notes.mrc"
    source.write_text("this is not a volume\n" * 100)
    assert_fails_cleanly(source, tmp_path, "not an MRC")


def test_tiny_file_is_not_an_mrc(tmp_path: Path) -> None:
    source = tmp_path / "tiny.mrc"
    source.write_bytes(b"MRC?")
    assert_fails_cleanly(source, tmp_path, "not an MRC file")


def test_folder_that_is_not_zarr(tmp_path: Path) -> None:
    source = tmp_path / "folder"
    source.mkdir()
    (source / "readme.txt").write_text("hello")
    assert_fails_cleanly(source, tmp_path, "not an MRC file or a zarr group")


def test_unsupported_mode_names_the_mode(tmp_path: Path) -> None:
    source = good_mrc(tmp_path / "m.mrc")
    raw = bytearray(source.read_bytes())
    raw[12:16] = np.int32(4).tobytes()  # complex64, not a tomogram
    source.write_bytes(bytes(raw))
    error = assert_fails_cleanly(source, tmp_path, "not an MRC volume this converter reads")
    assert "mode 4" in (error.found or "")
