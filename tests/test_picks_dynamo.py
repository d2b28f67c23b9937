"""Dynamo tables: design-doc vector, identity, (x + dx) / binning, selection by index or table-map name, bad input."""

from __future__ import annotations

from pathlib import Path

import dynamotable
import numpy as np
import pandas as pd
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import EmptySelectionError, InputFileError


def write_table(path: Path, rows: list[dict[str, object]]) -> Path:
    frame = pd.DataFrame(rows)
    frame.insert(0, "tag", range(1, len(rows) + 1))
    dynamotable.write(frame, str(path))
    return path


def particle(tomo: int = 1, angles: tuple[float, float, float] = (0, 0, 0), **values: float) -> dict[str, object]:
    base: dict[str, object] = {"x": 10.0, "y": 20.0, "z": 30.0, "dx": 0.0, "dy": 0.0, "dz": 0.0, "tomo": tomo}
    base.update(dict(zip(("tdrot", "tilt", "narot"), angles, strict=True)))
    base.update(values)
    return base


def test_design_vector_and_shifted_binned_position(tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.tbl", [particle(angles=(-155.55, 63.924, 197.81), dx=2.0, dy=-4.0, dz=0.5)])
    picks = read_picks(path, "dynamo_tbl", ReadOptions(binning=4))
    expected = [[0.811, 0.4516, -0.3718], [-0.5165, 0.2544, -0.8177], [-0.2747, 0.8552, 0.4396]]
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], expected, atol=1e-4)
    np.testing.assert_allclose(picks.positions[0], [3.0, 4.0, 7.625], atol=1e-6)


def test_zero_angles_give_identity(tmp_path: Path) -> None:
    picks = read_picks(write_table(tmp_path / "t.tbl", [particle()]), "dynamo_tbl")
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], np.eye(3), atol=1e-12)


def test_order_zyx_on_a_non_symmetric_particle(tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.tbl", [particle(angles=(10, 20, 30))])
    plain = read_picks(path, "dynamo_tbl")
    flipped = read_picks(path, "dynamo_tbl", ReadOptions(order="zyx"))
    assert plain.rotations is not None and flipped.rotations is not None
    np.testing.assert_array_equal(flipped.positions, [[30, 20, 10]])
    np.testing.assert_array_equal(flipped.rotations[0], plain.rotations[0][::-1, ::-1])


def two_tomograms(tmp_path: Path) -> Path:
    rows = [particle(tomo=1, tomo_file="/data/TS_01.rec"), particle(tomo=2, x=5.0, tomo_file="/data/TS_02.rec")]
    path = write_table(tmp_path / "t.tbl", rows)
    assert (tmp_path / "t.doc").is_file()
    return path


@pytest.mark.parametrize("value", ["2", "TS_02", "TS_02.rec", "/data/TS_02.rec"])
def test_filter_by_index_or_table_map_name(tmp_path: Path, value: str) -> None:
    picks = read_picks(two_tomograms(tmp_path), "dynamo_tbl", ReadOptions(filter_value=value))
    np.testing.assert_array_equal(picks.positions, [[5, 20, 30]])


def test_explicit_table_map_option(tmp_path: Path) -> None:
    path = two_tomograms(tmp_path)
    moved = tmp_path / "map.doc"
    (tmp_path / "t.doc").rename(moved)
    picks = read_picks(path, "dynamo_tbl", ReadOptions(filter_value="TS_01", extra=(("table_map", str(moved)),)))
    assert len(picks) == 1


def test_empty_selection_names_indices_and_names(tmp_path: Path) -> None:
    with pytest.raises(EmptySelectionError, match=r"expected a tomogram index \(1, 2\) or name \(TS_01.rec, TS_02.rec"):
        read_picks(two_tomograms(tmp_path), "dynamo_tbl", ReadOptions(filter_value="TS_09"))


def test_table_too_short_for_coordinates_names_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "short.tbl"
    path.write_text("1 1 1 0 0 0 10 20 30 0\n")
    with pytest.raises(InputFileError, match=r"short.tbl: missing columns.*x"):
        read_picks(path, "dynamo_tbl")


def test_nan_cell_names_row_and_column(tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.tbl", [particle(), particle()])
    text = path.read_text().splitlines()
    fields = text[1].split()
    fields[24] = "NaN"  # column 25 is y
    path.write_text("\n".join([text[0], " ".join(fields)]) + "\n")
    with pytest.raises(InputFileError, match=r"t.tbl: row 2, column y: not a finite number"):
        read_picks(path, "dynamo_tbl")


def test_non_numeric_cell_names_row_and_column(tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.tbl", [particle(), particle()])
    text = path.read_text().splitlines()
    fields = text[0].split()
    fields[6] = "abc"  # column 7 is tdrot
    path.write_text("\n".join([" ".join(fields), text[1]]) + "\n")
    with pytest.raises(InputFileError, match=r"t.tbl: row 1, column tdrot: not a number .*'abc'"):
        read_picks(path, "dynamo_tbl")
