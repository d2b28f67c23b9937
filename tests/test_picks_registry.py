"""The picks registry, row selection and the shared finishing step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, finish_picks, read_picks, select_rows
from ingest.errors import EmptySelectionError, InputFileError, UnknownFormatError


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match="unknown pick file format 'nope'"):
        read_picks(tmp_path / "x", "nope")


def test_select_rows_matches_numeric_names_written_as_floats() -> None:
    assert select_rows([1.0, 2.0, 1.0], "1", source="m.star", column="tomo_num").tolist() == [True, False, True]


def test_empty_selection_names_the_existing_values() -> None:
    with pytest.raises(EmptySelectionError) as raised:
        select_rows(["TS_01", "TS_02"], "TS_03", source="p.star", column="rlnTomoName")
    assert "TS_01, TS_02" in raised.value.message
    assert "p.star" in raised.value.message


def test_order_zyx_reverses_columns_and_flips_matrices() -> None:
    rotation = np.arange(9, dtype=np.float64).reshape(1, 3, 3)
    picks = finish_picks(np.array([[1.0, 2.0, 3.0]]), ReadOptions(order="zyx"), source="s", rotations=rotation)
    np.testing.assert_array_equal(picks.positions, [[3.0, 2.0, 1.0]])
    assert picks.rotations is not None
    np.testing.assert_array_equal(picks.rotations[0], rotation[0, ::-1, ::-1])


def test_nan_coordinate_names_the_row() -> None:
    with pytest.raises(InputFileError, match=r"p.csv: row 2"):
        finish_picks(np.array([[1.0, 2.0, 3.0], [np.nan, 0, 0]]), ReadOptions(), source="p.csv")
