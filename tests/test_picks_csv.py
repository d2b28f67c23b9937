"""CSV, TSV, csv_with_header and TARDIS readers: portal values, column order and bad cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import InputFileError, UsageError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_crlf_line_ends(tmp_path: Path) -> None:
    picks = read_picks(write(tmp_path, "p.csv", "1,2,3\r\n2,2,2\r\n0,3,0\r\n"), "csv")
    np.testing.assert_array_equal(picks.positions, [[1, 2, 3], [2, 2, 2], [0, 3, 0]])
    assert picks.rotations is None and picks.instance_ids is None


def test_tab_delimiter_and_binning_2_as_the_portal(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "1\t2\t3\n2\t2\t2\n0\t3\t0\n")
    picks = read_picks(path, "csv", ReadOptions(delimiter="\t", binning=2))
    np.testing.assert_array_equal(picks.positions, [[0.5, 1, 1.5], [1, 1, 1], [0, 1.5, 0]])


def test_tsv_defaults_to_tab(tmp_path: Path) -> None:
    picks = read_picks(write(tmp_path, "p.tsv", "1\t2\t3\n"), "tsv")
    np.testing.assert_array_equal(picks.positions, [[1, 2, 3]])


def test_header_with_pipe_delimiter(tmp_path: Path) -> None:
    picks = read_picks(write(tmp_path, "p.csv", "x|y|z\n1|2|3\n"), "csv_with_header", ReadOptions(delimiter="|"))
    np.testing.assert_array_equal(picks.positions, [[1, 2, 3]])


def test_header_names_pick_the_columns_whatever_their_place(tmp_path: Path) -> None:
    picks = read_picks(write(tmp_path, "p.csv", "id,Z,Y,X\n7,3,2,1\n"), "csv_with_header")
    np.testing.assert_array_equal(picks.positions, [[1, 2, 3]])


def test_columns_zyx_reverses_a_non_symmetric_row(tmp_path: Path) -> None:
    picks = read_picks(write(tmp_path, "p.csv", "3,2,1\n30,20,10\n"), "csv", ReadOptions(columns="zyx"))
    np.testing.assert_array_equal(picks.positions, [[1, 2, 3], [10, 20, 30]])


def test_unknown_columns_value_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="xyz or zyx"):
        read_picks(write(tmp_path, "p.csv", "1,2,3\n"), "csv", ReadOptions(columns="yxz"))


def test_filter_value_is_refused_for_a_format_without_runs(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no run column"):
        read_picks(write(tmp_path, "p.csv", "1,2,3\n"), "csv", ReadOptions(filter_value="TS_01"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3\n4,abc,6\n", r"p.csv: row 2, column 1: not a number \(expected a number, found 'abc'\)"),
        ("1,2,3\n4,nan,6\n", r"p.csv: row 2, column 1: not a finite number .*found nan"),
        ("1,2,3\n4,5,inf\n", r"p.csv: row 2, column 2: not a finite number .*found inf"),
        ("1,2,3\n4,,6\n", r"p.csv: row 2, column 1: empty cell"),
        ("1,2,3\n4,5\n", r"p.csv: row 2, column 2: empty cell"),
        ("1,2\n3,4\n", r"p.csv: row 1: too few columns .*found 2 column"),
        ("1,2,3\n4,5,6,7\n", r"p.csv: malformed table"),
    ],
)
def test_bad_cells_name_the_file_row_and_value(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        read_picks(write(tmp_path, "p.csv", text), "csv")


def test_header_file_without_y_column_names_what_it_found(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="too few columns"):
        read_picks(write(tmp_path, "p.csv", "x,z\n1,2\n"), "csv_with_header")


def test_empty_file_gives_no_points(tmp_path: Path) -> None:
    assert len(read_picks(write(tmp_path, "p.csv", ""), "csv")) == 0


def test_tardis_instances_with_binning_2_as_the_portal(tmp_path: Path) -> None:
    text = "IDs,X [A],Y [A],Z [A]\n0,4,8,12\n0,4,4,4\n1,6,4,2\n1,0,6,0\n1,8,4,2\n2,3,2,1\n"
    picks = read_picks(write(tmp_path, "t.csv", text), "tardis", ReadOptions(binning=2))
    np.testing.assert_array_equal(picks.positions[[0, 5]], [[2, 4, 6], [1.5, 1, 0.5]])
    assert picks.instance_ids is not None
    assert picks.instance_ids.tolist() == [0, 0, 1, 1, 1, 2]


def test_tardis_fractional_id_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"t.csv: row 1.*not a whole number.*'1.5'"):
        read_picks(write(tmp_path, "t.csv", "IDs,X,Y,Z\n1.5,1,2,3\n"), "tardis")


def test_tardis_with_three_columns_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="expected columns IDs, X, Y, Z"):
        read_picks(write(tmp_path, "t.csv", "X,Y,Z\n1,2,3\n"), "tardis")
