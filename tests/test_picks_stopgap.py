"""STOPGAP motivelist reader: design-doc test vectors, float-written integers, cross-convention agreement, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.converters.picks.rotations import matrix_to_relion, rotation_defects
from ingest.errors import EmptySelectionError, InputFileError
from tests.star_text import loop_block, write_star

S = 0.7071


def motivelist(n: int = 1, **columns: object) -> str:
    """A ``data_stopgap_motivelist`` block of ``n`` rows; scalars repeat, lists are taken as they are."""
    table: dict[str, list[object]] = {
        "motl_idx": list(range(1, n + 1)),
        "tomo_num": [1] * n,
        "orig_x": [4.0] * n,
        "orig_y": [8.0] * n,
        "orig_z": [12.0] * n,
        "score": [0.5] * n,
        "x_shift": [0.0] * n,
        "y_shift": [0.0] * n,
        "z_shift": [0.0] * n,
        "phi": [0.0] * n,
        "psi": [0.0] * n,
        "the": [0.0] * n,
    }
    for name, value in columns.items():
        table[name] = list(value) if isinstance(value, list) else [value] * n
    return loop_block("stopgap_motivelist", table)


def test_position_vector_orig_plus_shift_over_binning(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(x_shift=-1.2, y_shift=-2.4, z_shift=-3.2))
    picks = read_picks(path, "stopgap_star", ReadOptions(binning=4))
    np.testing.assert_allclose(picks.positions, [[0.7, 1.4, 2.2]], atol=1e-6)


@pytest.mark.parametrize(
    ("phi", "the", "psi", "expected"),
    [(90, 45, 180, [[0, 1, 0], [-S, 0, S], [S, 0, S]]), (0, 0, 0, np.eye(3).tolist())],
)
def test_rotation_vectors(tmp_path: Path, phi: float, the: float, psi: float, expected: list[list[float]]) -> None:
    path = write_star(tmp_path / "m.star", motivelist(phi=phi, the=the, psi=psi))
    picks = read_picks(path, "stopgap_star")
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], expected, atol=1e-4)


def test_order_zyx(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(phi=90, the=45, psi=180))
    xyz = read_picks(path, "stopgap_star")
    zyx = read_picks(path, "stopgap_star", ReadOptions(order="zyx"))
    np.testing.assert_allclose(zyx.positions, [[12.0, 8.0, 4.0]])
    assert xyz.rotations is not None and zyx.rotations is not None
    np.testing.assert_allclose(zyx.rotations[0], xyz.rotations[0][::-1, ::-1])


def test_tomo_num_written_as_float_matches_an_integer_filter(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(3, tomo_num=["1.000000", "2.000000", "1.000000"]))
    assert len(read_picks(path, "stopgap_star", ReadOptions(filter_value="1"))) == 2
    assert len(read_picks(path, "stopgap_star", ReadOptions(filter_value="2"))) == 1


def test_scores(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(2, score=[0.25, 0.125]))
    scores = read_picks(path, "stopgap_star").scores
    assert scores is not None
    np.testing.assert_allclose(scores, [0.25, 0.125])


# --- properties -------------------------------------------------------------------------------------------------

quaternion = st.tuples(*[st.floats(-1, 1, allow_nan=False)] * 4).filter(lambda q: sum(c * c for c in q) > 1e-3)


@pytest.mark.filterwarnings("ignore:Gimbal lock detected")
@settings(max_examples=25, deadline=None)
@given(st.lists(quaternion, min_size=1, max_size=20))
def test_same_rotation_in_relion_and_stopgap_conventions_gives_the_same_matrix(
    tmp_path_factory: pytest.TempPathFactory, quaternions: list[tuple[float, float, float, float]]
) -> None:
    matrices = Rotation.from_quat(np.array(quaternions)).as_matrix()
    relion = matrix_to_relion(matrices)
    # STOPGAP's matrix is extrinsic zxz of (phi, the, psi), not inverted.
    stopgap = Rotation.from_matrix(matrices).as_euler("zxz", degrees=True)
    folder = tmp_path_factory.mktemp("conventions")
    n = len(quaternions)
    star = {"rlnCoordinateX": [0.0] * n, "rlnCoordinateY": [0.0] * n, "rlnCoordinateZ": [0.0] * n}
    star |= {"rlnAngleRot": list(relion[:, 0]), "rlnAngleTilt": list(relion[:, 1]), "rlnAnglePsi": list(relion[:, 2])}
    from_relion = read_picks(write_star(folder / "r.star", loop_block("", star)), "relion3_star")
    angles = {"phi": list(stopgap[:, 0]), "the": list(stopgap[:, 1]), "psi": list(stopgap[:, 2])}
    from_stopgap = read_picks(write_star(folder / "s.star", motivelist(n, **angles)), "stopgap_star")
    assert from_relion.rotations is not None and from_stopgap.rotations is not None
    np.testing.assert_allclose(from_relion.rotations, matrices, atol=1e-6)
    np.testing.assert_allclose(from_stopgap.rotations, matrices, atol=1e-6)
    assert rotation_defects(from_stopgap.rotations).size == 0


# --- bad input --------------------------------------------------------------------------------------------------


def test_missing_origin_column_names_the_file_the_column_and_the_columns_present(tmp_path: Path) -> None:
    text = motivelist().replace("_orig_z", "_orig_w")
    path = tmp_path / "m.star"
    path.write_text(text)
    with pytest.raises(InputFileError, match=r"m\.star: the motivelist table has no column orig_z") as raised:
        read_picks(path, "stopgap_star")
    assert "orig_w" in raised.value.message


def test_some_angle_columns_missing_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "m.star"
    path.write_text(motivelist().replace("_the", "_theta"))
    with pytest.raises(InputFileError, match="no column the"):
        read_picks(path, "stopgap_star")


def test_no_angles_give_points_but_not_oriented_points(tmp_path: Path) -> None:
    path = tmp_path / "m.star"
    path.write_text(motivelist().replace("_phi", "_a").replace("_psi", "_b").replace("_the", "_c"))
    assert read_picks(path, "stopgap_star").rotations is None
    with pytest.raises(InputFileError, match=r"m\.star: the motivelist table has no column phi, the, psi"):
        read_picks(path, "stopgap_star", ReadOptions(extra=(("shape", "orientedPoint"),)))


def test_non_numeric_cell_names_the_motivelist_row(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(2, x_shift=[0.0, "oops"]))
    with pytest.raises(InputFileError, match=r"m\.star: motivelist row 2: x_shift is not a number.*'oops'"):
        read_picks(path, "stopgap_star")


def test_nan_cell_names_the_motivelist_row(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(3, phi=[0.0, 0.0, "nan"]))
    with pytest.raises(InputFileError, match=r"m\.star: motivelist row 3: phi is missing or NaN"):
        read_picks(path, "stopgap_star")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "m.star"
    path.write_text("\n")
    with pytest.raises(InputFileError, match=r"m\.star: the file has no STAR data blocks"):
        read_picks(path, "stopgap_star")


def test_no_motivelist_block_among_several(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", loop_block("a", {"x": [1]}), loop_block("b", {"y": [2]}))
    with pytest.raises(InputFileError, match=r"m\.star: no motivelist table.*data_a, data_b"):
        read_picks(path, "stopgap_star")


def test_motivelist_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "m.star"
    path.write_text("data_stopgap_motivelist\n\nloop_\n_orig_x\n_orig_y\n_orig_z\n")
    with pytest.raises(InputFileError, match=r"m\.star: the motivelist has no rows"):
        read_picks(path, "stopgap_star")


def test_empty_selection_names_the_tomo_nums_that_exist(tmp_path: Path) -> None:
    path = write_star(tmp_path / "m.star", motivelist(2, tomo_num=[1, 3]))
    with pytest.raises(EmptySelectionError, match=r"m\.star: no row has tomo_num = '2'.*1, 3"):
        read_picks(path, "stopgap_star", ReadOptions(filter_value="2"))


# --- reference corpus -------------------------------------------------------------------------------------------


def test_corpus_portal_motivelist_counts_per_tomo_num(corpus: Path) -> None:
    # annotations/stopgap/SOURCES.md: 6 particles in 3 tomo_num (per tomo_num read from the file).
    folder = corpus / "annotations/stopgap"
    assert {p.name for p in folder.glob("*.star")} == {"portal_stopgap_star.star"}
    path = folder / "portal_stopgap_star.star"
    for filter_value, count in {None: 6, "1": 2, "2": 3, "3": 1}.items():
        picks = read_picks(path, "stopgap_star", ReadOptions(filter_value=filter_value))
        assert len(picks) == count
        assert picks.rotations is not None and rotation_defects(picks.rotations).size == 0
    first = read_picks(path, "stopgap_star", ReadOptions(binning=4))
    np.testing.assert_allclose(first.positions[0], [0.7, 1.4, 2.2], atol=1e-6)
