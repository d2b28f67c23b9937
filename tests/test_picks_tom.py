"""TOM / AV3 motivelists written with emfile: design-doc vector, identity, positions, selection, malformed files."""

from __future__ import annotations

from pathlib import Path

import emfile
import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import EmptySelectionError, InputFileError


def motive(
    position: tuple[float, float, float] = (1, 1, 1),
    shift: tuple[float, float, float] = (0, 0, 0),
    phi: float = 0,
    psi: float = 0,
    theta: float = 0,
    tomogram: int = 1,
    score: float = 0.5,
) -> list[float]:
    """One particle column of a 20-row motivelist (index r-1 holds TOM row r)."""
    column = [0.0] * 20
    column[0], column[4] = score, tomogram
    column[7:10], column[10:13] = position, shift
    column[16], column[17], column[18] = phi, psi, theta
    return column


def write_motivelist(path: Path, particles: list[list[float]]) -> Path:
    data = np.asarray(particles, dtype=np.float32)[np.newaxis]  # EM shape (1, N, rows)
    emfile.write(path, data, overwrite=True)
    return path


def test_design_vector_tom_equals_relion_10_20_30(tmp_path: Path) -> None:
    path = write_motivelist(tmp_path / "m.em", [motive(phi=80, psi=-120, theta=20)])
    picks = read_picks(path, "tom_em")
    expected = [[0.7146, 0.6337, -0.2962], [-0.6131, 0.7713, 0.171], [0.3368, 0.0594, 0.9397]]
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], expected, atol=1e-4)


def test_one_based_position_plus_shift_minus_one_over_binning(tmp_path: Path) -> None:
    path = write_motivelist(tmp_path / "m.em", [motive(position=(5, 9, 13), shift=(0.5, -1, 2))])
    picks = read_picks(path, "tom_em", ReadOptions(binning=2))
    np.testing.assert_allclose(picks.positions, [[2.25, 3.5, 7.0]], atol=1e-6)
    assert picks.scores is not None
    np.testing.assert_allclose(picks.scores, [0.5])


def test_zero_angles_give_identity(tmp_path: Path) -> None:
    picks = read_picks(write_motivelist(tmp_path / "m.em", [motive()]), "tom_em")
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], np.eye(3), atol=1e-12)


def test_filter_on_tomogram_row_5(tmp_path: Path) -> None:
    path = write_motivelist(tmp_path / "m.em", [motive(tomogram=1), motive(position=(3, 3, 3), tomogram=2)])
    picks = read_picks(path, "tom_em", ReadOptions(filter_value="2"))
    np.testing.assert_allclose(picks.positions, [[2, 2, 2]])
    with pytest.raises(EmptySelectionError, match=r"expected one of the values in row 5 .*: 1, 2"):
        read_picks(path, "tom_em", ReadOptions(filter_value="3"))


@pytest.mark.parametrize("rows", [19, 21])
def test_wrong_number_of_rows_names_file_and_row(tmp_path: Path, rows: int) -> None:
    path = write_motivelist(tmp_path / "m.em", [[0.0] * rows, [0.0] * rows])
    with pytest.raises(InputFileError, match=rf"m.em: row 1: not a 20×N motivelist .*found {rows} values per particle"):
        read_picks(path, "tom_em")


def test_truncated_file_names_the_first_incomplete_row(tmp_path: Path) -> None:
    path = write_motivelist(tmp_path / "m.em", [motive(), motive(), motive()])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(InputFileError, match=r"m.em: row 3: truncated motivelist .*2 complete particle"):
        read_picks(path, "tom_em")


def test_file_shorter_than_its_header(tmp_path: Path) -> None:
    path = tmp_path / "m.em"
    path.write_bytes(b"\x06\x00\x00\x05" + b"\x00" * 20)
    with pytest.raises(InputFileError, match=r"m\.em: not an EM file"):
        read_picks(path, "tom_em")


def test_nan_value_names_the_row(tmp_path: Path) -> None:
    path = write_motivelist(tmp_path / "m.em", [motive(), motive(position=(np.nan, 1, 1))])
    with pytest.raises(InputFileError, match=r"m.em: row 2: a motivelist value is not a finite number"):
        read_picks(path, "tom_em")


def test_extra_bytes_after_the_last_particle_are_an_error(tmp_path: Path) -> None:
    path = write_motivelist(tmp_path / "m.em", [motive(), motive()])
    path.write_bytes(path.read_bytes() + b"\x00" * 40)
    with pytest.raises(InputFileError, match=r"m\.em: row 3: bytes after the motivelist"):
        read_picks(path, "tom_em")
