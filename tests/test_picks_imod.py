"""IMOD models: contour points, slicer-angle orientations (design-doc vector), Y/Z flip and order zyx."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imodmodel import ImodModel
from imodmodel.models import SLAN

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import InputFileError, UsageError

pytestmark = pytest.mark.filterwarnings("ignore:The `dict` method is deprecated")

ORIENTED = ReadOptions(extra=(("shape", "orientedPoint"),))
FLIPPED_YZ = 1 << 16


def write_model(
    path: Path,
    points: list[tuple[float, float, float]],
    slicer: list[tuple[tuple[float, float, float], tuple[float, float, float]]] = (),  # type: ignore[assignment]
    flags: int = 0,
) -> Path:
    frame = pd.DataFrame(points, columns=["x", "y", "z"])
    model = ImodModel.from_dataframe(frame)
    model.slicer_angles = [SLAN(time=1, angles=angles, center=centre, label="") for angles, centre in slicer]
    model.header.flags = int(model.header.flags) | flags
    model.to_file(path)
    return path


def test_contour_points_divided_by_binning(tmp_path: Path) -> None:
    path = write_model(tmp_path / "p.mod", [(1, 2, 3), (2, 2, 2), (0, 3, 0)])
    picks = read_picks(path, "mod", ReadOptions(binning=2))
    np.testing.assert_array_equal(picks.positions, [[0.5, 1, 1.5], [1, 1, 1], [0, 1.5, 0]])
    assert picks.rotations is None


def test_slicer_angles_give_the_design_vector(tmp_path: Path) -> None:
    path = write_model(tmp_path / "o.mod", [(9, 9, 9)], [((13.1, 0.0, -30.2), (4.0, 5.0, 6.0))])
    picks = read_picks(path, "mod", ORIENTED)
    assert picks.rotations is not None
    expected = [[0.8643, -0.4899, -0.114], [0.503, 0.8418, 0.1959], [0, -0.2267, 0.974]]
    np.testing.assert_allclose(picks.rotations[0], expected, atol=1e-4)
    np.testing.assert_allclose(picks.positions, [[4, 5, 6]], atol=1e-6)


def test_zero_slicer_angles_give_identity(tmp_path: Path) -> None:
    path = write_model(tmp_path / "o.mod", [(1, 1, 1)], [((0.0, 0.0, 0.0), (1.0, 2.0, 3.0))])
    picks = read_picks(path, "mod", ORIENTED)
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], np.eye(3), atol=1e-12)


def test_yz_flipped_model_stores_x_z_y(tmp_path: Path) -> None:
    path = write_model(tmp_path / "f.mod", [(1, 3, 2)], flags=FLIPPED_YZ)
    np.testing.assert_array_equal(read_picks(path, "mod").positions, [[1, 2, 3]])


def test_slicer_angles_of_a_flipped_model_are_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "f.mod", [(1, 3, 2)], [((10.0, 0.0, 0.0), (1.0, 2.0, 3.0))], FLIPPED_YZ)
    with pytest.raises(InputFileError, match="Y/Z-flipped"):
        read_picks(path, "mod", ORIENTED)


def test_order_zyx_reverses_point_and_flips_matrix(tmp_path: Path) -> None:
    path = write_model(tmp_path / "o.mod", [(1, 1, 1)], [((13.1, 0.0, -30.2), (1.0, 2.0, 3.0))])
    plain = read_picks(path, "mod", ORIENTED)
    reversed_ = read_picks(path, "mod", ReadOptions(order="zyx", extra=ORIENTED.extra))
    assert plain.rotations is not None and reversed_.rotations is not None
    np.testing.assert_allclose(reversed_.positions, [[3, 2, 1]], atol=1e-6)
    np.testing.assert_array_equal(reversed_.rotations[0], plain.rotations[0][::-1, ::-1])
    assert not np.allclose(reversed_.rotations[0], plain.rotations[0])


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.mod"
    path.write_bytes(b"IMODV1.2" + b"\x00" * 10)
    with pytest.raises(InputFileError, match=r"bad\.mod: not a readable IMOD model"):
        read_picks(path, "mod")


def test_filter_value_is_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "p.mod", [(1, 2, 3)])
    with pytest.raises(UsageError, match="no run column"):
        read_picks(path, "mod", ReadOptions(filter_value="1"))


def test_portal_oriented_fixture_matches_the_portal_matrices(corpus: Path) -> None:
    picks = read_picks(corpus / "annotations/imod-mod/portal_oriented_points.mod", "mod", ORIENTED)
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.positions[0], [235.5195770263672, 682.744140625, 302.0], atol=1e-6)
    second = [[6.73012504e-01, -5.54805465e-01, 4.89126840e-01], [7.39631104e-01, 5.04834117e-01, -4.45071168e-01]]
    np.testing.assert_allclose(picks.rotations[1][:2], second, atol=1e-8)
