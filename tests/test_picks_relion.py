"""RELION 3 / TOMOMAN / RELION 4 STAR readers: design-doc test vectors, optics groups, subtomograms, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.converters.picks.rotations import relion_to_matrix, rotation_defects
from ingest.errors import EmptySelectionError, InputFileError
from tests.star_text import loop_block, write_star

S = 0.7071
PIXEL_FORMATS = ["relion3_star", "tomoman_relion_star", "relion4_star"]


def particles(n: int = 1, **columns: object) -> dict[str, list[object]]:
    """A particle table of ``n`` rows: scalar values are repeated, lists are taken as they are."""
    table: dict[str, list[object]] = {
        "rlnTomoName": ["TS_01"] * n,
        "rlnMicrographName": ["TS_01"] * n,
        "rlnCoordinateX": [4.0] * n,
        "rlnCoordinateY": [8.0] * n,
        "rlnCoordinateZ": [12.0] * n,
    }
    for name, value in columns.items():
        table[name] = list(value) if isinstance(value, list) else [value] * n
    return table


def angles(rot: float, tilt: float, psi: float) -> dict[str, float]:
    return {"rlnAngleRot": rot, "rlnAngleTilt": tilt, "rlnAnglePsi": psi}


# --- design-doc test vectors --------------------------------------------------------------------------------------


def test_relion3_position_vector_pixel_origin_binning_4(tmp_path: Path) -> None:
    origin = {"rlnOriginX": -1.2, "rlnOriginY": -2.4, "rlnOriginZ": -3.2}
    path = write_star(tmp_path / "p.star", loop_block("", particles(**origin, **angles(0, 0, 0))))
    picks = read_picks(path, "relion3_star", ReadOptions(binning=4))
    np.testing.assert_allclose(picks.positions, [[1.3, 2.6, 3.8]], atol=1e-6)


@pytest.mark.parametrize("file_format", PIXEL_FORMATS)
@pytest.mark.parametrize(
    ("euler", "expected"),
    [
        ((90, 45, 180), [[0, -S, S], [1, 0, 0], [0, S, S]]),
        ((-45, 90, 120), [[0.6124, 0.6124, 0.5], [-0.3536, -0.3536, 0.866], [S, -S, 0]]),
        ((0, 0, 0), np.eye(3).tolist()),
    ],
)
def test_rotation_vectors_through_the_reader(
    tmp_path: Path, file_format: str, euler: tuple[float, float, float], expected: list[list[float]]
) -> None:
    path = write_star(tmp_path / "p.star", loop_block("particles", particles(**angles(*euler))))
    picks = read_picks(path, file_format)
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], expected, atol=1e-4)


def test_order_zyx_reverses_a_non_symmetric_point_and_flips_its_matrix(tmp_path: Path) -> None:
    path = write_star(tmp_path / "p.star", loop_block("", particles(**angles(90, 45, 180))))
    xyz = read_picks(path, "relion3_star")
    zyx = read_picks(path, "relion3_star", ReadOptions(order="zyx"))
    np.testing.assert_allclose(zyx.positions, [[12.0, 8.0, 4.0]])
    assert xyz.rotations is not None and zyx.rotations is not None
    np.testing.assert_allclose(zyx.rotations[0], xyz.rotations[0][::-1, ::-1])
    assert not np.allclose(zyx.rotations[0], xyz.rotations[0])


# --- RELION 3.1 optics and Å origins ----------------------------------------------------------------------------


def test_relion31_angstrom_origin_uses_the_pixel_size_of_each_particles_optics_group(tmp_path: Path) -> None:
    optics = loop_block("optics", {"rlnOpticsGroup": [1, 2], "rlnImagePixelSize": [2.0, 4.0]})
    table = particles(2, rlnOpticsGroup=[2, 1], rlnOriginXAngst=8.0, rlnOriginYAngst=0.0, rlnOriginZAngst=-4.0)
    path = write_star(tmp_path / "p.star", optics, loop_block("particles", table))
    picks = read_picks(path, "relion3_star")
    np.testing.assert_allclose(picks.positions, [[2.0, 8.0, 13.0], [0.0, 8.0, 14.0]], atol=1e-9)


def test_micrograph_pixel_size_wins_over_image_pixel_size(tmp_path: Path) -> None:
    optics = loop_block("optics", {"rlnOpticsGroup": [1], "rlnImagePixelSize": [8.0], "rlnMicrographPixelSize": [2.0]})
    table = particles(rlnOpticsGroup=1, rlnOriginXAngst=2.0, rlnOriginYAngst=0.0, rlnOriginZAngst=0.0)
    path = write_star(tmp_path / "p.star", optics, loop_block("particles", table))
    np.testing.assert_allclose(read_picks(path, "relion3_star").positions, [[3.0, 8.0, 12.0]])


def test_relion30_detector_pixel_size_and_magnification_give_the_pixel_size(tmp_path: Path) -> None:
    table = particles(rlnDetectorPixelSize=5.0, rlnMagnification=10000.0, rlnOriginXAngst=10.0)
    table |= {"rlnOriginYAngst": [0.0], "rlnOriginZAngst": [0.0]}
    path = write_star(tmp_path / "p.star", loop_block("", table))
    np.testing.assert_allclose(read_picks(path, "relion3_star").positions, [[2.0, 8.0, 12.0]])


def test_angstrom_origin_without_any_pixel_size_falls_back_to_voxel_spacing_over_binning(tmp_path: Path) -> None:
    table = particles(rlnOriginXAngst=10.0, rlnOriginYAngst=0.0, rlnOriginZAngst=0.0)
    path = write_star(tmp_path / "p.star", loop_block("", table))
    picks = read_picks(path, "relion3_star", ReadOptions(binning=2, voxel_spacing=10.0))
    np.testing.assert_allclose(picks.positions, [[1.0, 4.0, 6.0]])
    with pytest.raises(InputFileError, match="need the pixel size"):
        read_picks(path, "relion3_star")


def test_particle_in_an_optics_group_the_optics_table_lacks_names_its_row(tmp_path: Path) -> None:
    optics = loop_block("optics", {"rlnOpticsGroup": [1, 2], "rlnImagePixelSize": [2.0, 4.0]})
    table = particles(2, rlnOpticsGroup=[1, 3], rlnOriginXAngst=1.0, rlnOriginYAngst=1.0, rlnOriginZAngst=1.0)
    path = write_star(tmp_path / "p.star", optics, loop_block("particles", table))
    with pytest.raises(InputFileError, match=r"p\.star: particle row 2.*rlnOpticsGroup 3") as raised:
        read_picks(path, "relion3_star")
    assert "1, 2" in raised.value.message


# --- RELION 4 ---------------------------------------------------------------------------------------------------


def test_relion4_origin_divided_by_the_tilt_series_pixel_size_of_the_optics_group(tmp_path: Path) -> None:
    optics = loop_block(
        "optics", {"rlnOpticsGroup": [1, 2], "rlnTomoTiltSeriesPixelSize": [2.0, 1.0], "rlnImagePixelSize": [8, 4]}
    )
    table = particles(2, rlnOpticsGroup=[1, 2], rlnOriginXAngst=4.0, rlnOriginYAngst=0.0, rlnOriginZAngst=0.0)
    table |= {"rlnOriginX": [100.0, 100.0], "rlnOriginY": [0.0, 0.0], "rlnOriginZ": [0.0, 0.0]}
    path = write_star(tmp_path / "p.star", optics, loop_block("particles", table))
    picks = read_picks(path, "relion4_star", ReadOptions(binning=2))
    # RELION 4 ignores pixel origins (rlnOriginX); 4 Å / 2 Å = 2 px and 4 Å / 1 Å = 4 px, then binning 2.
    np.testing.assert_allclose(picks.positions, [[1.0, 4.0, 6.0], [0.0, 4.0, 6.0]])


def test_relion4_subtomogram_rotation_composes_before_the_particle_rotation(tmp_path: Path) -> None:
    sub = {"rlnTomoSubtomogramRot": 30.0, "rlnTomoSubtomogramTilt": 60.0, "rlnTomoSubtomogramPsi": -20.0}
    optics = loop_block("optics", {"rlnOpticsGroup": [1], "rlnTomoTiltSeriesPixelSize": [2.0]})
    table = particles(rlnOpticsGroup=1, **sub, **angles(90, 45, 180))
    table |= {"rlnOriginXAngst": [2.0], "rlnOriginYAngst": [0.0], "rlnOriginZAngst": [0.0]}
    path = write_star(tmp_path / "p.star", optics, loop_block("particles", table))
    picks = read_picks(path, "relion4_star")
    a_sub = relion_to_matrix(30, 60, -20)[0]
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], a_sub @ relion_to_matrix(90, 45, 180)[0], atol=1e-12)
    # The Å origin lives in the subtomogram frame: RELION subtracts A(sub) @ origin / pixel size.
    np.testing.assert_allclose(picks.positions[0], [4.0, 8.0, 12.0] - a_sub @ [1.0, 0.0, 0.0], atol=1e-12)


def test_subtomogram_angles_alone_give_the_subtomogram_rotation(tmp_path: Path) -> None:
    sub = {"rlnTomoSubtomogramRot": -45.0, "rlnTomoSubtomogramTilt": 90.0, "rlnTomoSubtomogramPsi": 120.0}
    path = write_star(tmp_path / "p.star", loop_block("particles", particles(**sub)))
    picks = read_picks(path, "relion4_star")
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], relion_to_matrix(-45, 90, 120)[0])


# --- selection, scores, points ---------------------------------------------------------------------------------


def test_numeric_looking_tomogram_names_keep_their_spelling(tmp_path: Path) -> None:
    table = particles(3, rlnTomoName=["001", "1", "001"], rlnCoordinateX=[1.0, 2.0, 3.0])
    path = write_star(tmp_path / "p.star", loop_block("particles", table))
    picks = read_picks(path, "relion4_star", ReadOptions(filter_value="001"))
    np.testing.assert_allclose(picks.positions[:, 0], [1.0, 3.0])
    np.testing.assert_allclose(read_picks(path, "relion4_star", ReadOptions(filter_value="1")).positions[:, 0], [2.0])


@pytest.mark.parametrize(
    ("file_format", "column"), [("relion3_star", "rlnMicrographName"), ("tomoman_relion_star", "rlnTomoName")]
)
def test_each_dialect_selects_by_its_own_name_column(tmp_path: Path, file_format: str, column: str) -> None:
    table = particles(2, rlnTomoName=["a", "b"], rlnMicrographName=["b", "a"], rlnCoordinateX=[1.0, 2.0])
    path = write_star(tmp_path / "p.star", loop_block("", table))
    picks = read_picks(path, file_format, ReadOptions(filter_value="a"))
    expected = 1.0 if column == "rlnTomoName" else 2.0
    np.testing.assert_allclose(picks.positions[:, 0], [expected])


def test_scores_come_from_the_figure_of_merit(tmp_path: Path) -> None:
    table = particles(2, rlnAutopickFigureOfMerit=[0.5, 0.25], rlnMaxValueProbDistribution=[0.9, 0.9])
    path = write_star(tmp_path / "p.star", loop_block("", table))
    scores = read_picks(path, "relion3_star").scores
    assert scores is not None
    np.testing.assert_allclose(scores, [0.5, 0.25])


def test_no_angle_columns_give_point_only_picks(tmp_path: Path) -> None:
    path = write_star(tmp_path / "p.star", loop_block("", particles(2)))
    picks = read_picks(path, "relion3_star")
    assert picks.rotations is None
    assert len(picks) == 2


def test_no_angle_columns_for_oriented_points_is_an_error_naming_them(tmp_path: Path) -> None:
    path = write_star(tmp_path / "p.star", loop_block("", particles(2)))
    oriented = ReadOptions(extra=(("shape", "orientedPoint"),))
    with pytest.raises(InputFileError, match=r"p\.star: the particles table has no column rlnAngleRot, rlnAngleTilt"):
        read_picks(path, "relion3_star", oriented)


# --- bad input --------------------------------------------------------------------------------------------------


def test_some_angle_columns_missing_is_an_error_naming_them(tmp_path: Path) -> None:
    table = particles(rlnAngleRot=10.0, rlnAngleTilt=20.0)
    path = write_star(tmp_path / "p.star", loop_block("", table))
    with pytest.raises(InputFileError, match=r"p\.star: the particles table has no column rlnAnglePsi") as raised:
        read_picks(path, "relion3_star")
    assert "rlnAngleTilt" in raised.value.message  # the columns present are listed


def test_missing_coordinate_column_names_the_file_the_column_and_the_columns_present(tmp_path: Path) -> None:
    table = particles()
    del table["rlnCoordinateZ"]
    path = write_star(tmp_path / "p.star", loop_block("", table))
    with pytest.raises(InputFileError, match=r"p\.star: the particles table has no column rlnCoordinateZ") as raised:
        read_picks(path, "relion3_star")
    assert "found columns rlnTomoName, rlnMicrographName, rlnCoordinateX, rlnCoordinateY" in raised.value.message


def test_filter_without_a_name_column_names_the_missing_column(tmp_path: Path) -> None:
    table = particles()
    del table["rlnTomoName"], table["rlnMicrographName"]
    path = write_star(tmp_path / "p.star", loop_block("", table))
    with pytest.raises(InputFileError, match="no column rlnTomoName"):
        read_picks(path, "relion4_star", ReadOptions(filter_value="TS_01"))


def test_non_numeric_cell_names_the_particle_row_and_the_cell(tmp_path: Path) -> None:
    table = particles(3, rlnCoordinateY=[1.0, 2.0, "abc"])
    path = write_star(tmp_path / "p.star", loop_block("", table))
    with pytest.raises(InputFileError, match=r"p\.star: particle row 3: rlnCoordinateY is not a number.*'abc'"):
        read_picks(path, "relion3_star")


@pytest.mark.parametrize(
    ("cell", "problem"),
    [("nan", "is missing or NaN"), ("inf", "is not a finite number"), ("-inf", "is not a finite number")],
)
def test_non_finite_cell_names_the_particle_row(tmp_path: Path, cell: str, problem: str) -> None:
    table = particles(3, **angles(0, 0, 0))
    table["rlnAngleTilt"] = [0.0, cell, 0.0]
    path = write_star(tmp_path / "p.star", loop_block("", table))
    with pytest.raises(InputFileError, match=rf"p\.star: particle row 2: rlnAngleTilt {problem}"):
        read_picks(path, "relion3_star")


def test_short_row_names_the_particle_row_and_the_missing_cell(tmp_path: Path) -> None:
    path = tmp_path / "p.star"
    path.write_text("data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n1 2 3\n4 5\n")
    with pytest.raises(InputFileError, match=r"p\.star: particle row 2: rlnCoordinateZ is missing or NaN"):
        read_picks(path, "relion3_star")


def test_boolean_column_is_not_a_number(tmp_path: Path) -> None:
    path = write_star(tmp_path / "p.star", loop_block("", particles(2, rlnCoordinateX=["True", "False"])))
    with pytest.raises(InputFileError, match=r"p\.star: particle row 1: rlnCoordinateX is not a number.*True"):
        read_picks(path, "relion3_star")


def test_bad_row_is_numbered_in_the_file_not_in_the_selection(tmp_path: Path) -> None:
    table = particles(4, rlnMicrographName=["a", "b", "a", "b"], rlnCoordinateX=[1.0, 2.0, 3.0, "x"])
    path = write_star(tmp_path / "p.star", loop_block("", table))
    np.testing.assert_allclose(read_picks(path, "relion3_star", ReadOptions(filter_value="a")).positions[:, 0], [1, 3])
    with pytest.raises(InputFileError, match="particle row 4"):
        read_picks(path, "relion3_star", ReadOptions(filter_value="b"))


def test_empty_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.star"
    path.write_text("")
    with pytest.raises(InputFileError, match=r"empty\.star: the file has no STAR data blocks"):
        read_picks(path, "relion3_star")


def test_file_with_only_an_optics_block_has_no_particles_table(tmp_path: Path) -> None:
    path = write_star(tmp_path / "o.star", loop_block("optics", {"rlnOpticsGroup": [1], "rlnImagePixelSize": [1.0]}))
    with pytest.raises(InputFileError, match=r"o\.star: no particles table.*found blocks data_optics"):
        read_picks(path, "relion4_star")


def test_particles_table_without_rows_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.star"
    path.write_text("data_particles\n\nloop_\n_rlnCoordinateX #1\n_rlnCoordinateY #2\n_rlnCoordinateZ #3\n")
    with pytest.raises(InputFileError, match=r"p\.star: the particles table has no rows"):
        read_picks(path, "relion4_star")


def test_empty_selection_names_the_tomograms_that_exist(tmp_path: Path) -> None:
    table = particles(2, rlnTomoName=["TS_01", "TS_02"])
    path = write_star(tmp_path / "p.star", loop_block("particles", table))
    with pytest.raises(EmptySelectionError, match=r"p\.star: no row has rlnTomoName = 'TS_03'.*TS_01, TS_02"):
        read_picks(path, "relion4_star", ReadOptions(filter_value="TS_03"))


def test_relion5_file_read_as_relion4_says_which_format_to_use(tmp_path: Path) -> None:
    table = {"rlnTomoName": ["a"], "rlnCenteredCoordinateXAngst": [1.0]}
    table |= {"rlnCenteredCoordinateYAngst": [1.0], "rlnCenteredCoordinateZAngst": [1.0]}
    path = write_star(tmp_path / "p.star", loop_block("particles", table))
    with pytest.raises(InputFileError, match="relion5_star"):
        read_picks(path, "relion4_star")


def test_ragged_line_is_an_unreadable_star_file(tmp_path: Path) -> None:
    path = tmp_path / "p.star"
    path.write_text("data_\n\nloop_\n_rlnCoordinateX #1\n_rlnCoordinateY #2\n1 2\n1 2 3 4 5\n")
    with pytest.raises(InputFileError, match=r"p\.star: not a readable STAR file"):
        read_picks(path, "relion3_star")


# --- properties -------------------------------------------------------------------------------------------------

angle = st.floats(min_value=-360, max_value=360, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(angle, angle, angle, angle, angle, angle), min_size=1, max_size=20))
def test_every_rotation_read_is_proper(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[float, ...]]) -> None:
    rot, tilt, psi, sub_rot, sub_tilt, sub_psi = (list(column) for column in zip(*rows, strict=True))
    table = particles(len(rows), rlnAngleRot=rot, rlnAngleTilt=tilt, rlnAnglePsi=psi)
    table |= {"rlnTomoSubtomogramRot": sub_rot, "rlnTomoSubtomogramTilt": sub_tilt, "rlnTomoSubtomogramPsi": sub_psi}
    path = write_star(tmp_path_factory.mktemp("p") / "p.star", loop_block("particles", table))
    picks = read_picks(path, "relion4_star")
    assert picks.rotations is not None
    assert rotation_defects(picks.rotations).size == 0


# --- reference corpus -------------------------------------------------------------------------------------------

# Counts from annotations/relion3/SOURCES.md and relion4/SOURCES.md: (file, format, {filter value or None: count}).
CORPUS = [
    (
        "relion3/portal_relion_3_star.star",
        "relion3_star",
        {None: 6, "tomo_1.tomostar": 2, "tomo_2.tomostar": 3, "tomo_3.tomostar": 1},
    ),
    (
        "relion3/portal_tomoman_relion_star.star",
        "tomoman_relion_star",
        {None: 6, "grid_1_lamella1_pos1": 2, "grid_1_lamella1_pos2": 3, "grid_1_lamella1_pos3": 1},
    ),
    ("relion3/dynamo2m_relion3.1.star", "relion3_star", {None: 57}),
    ("relion3/dynamo2m_warp_example.star", "relion3_star", {None: 1399}),
    ("relion4/portal_relion_4_star.star", "relion4_star", {None: 6, "TS_001": 2, "TS_002": 3, "TS_003": 1}),
]


@pytest.mark.parametrize(("name", "file_format", "counts"), CORPUS, ids=[row[0] for row in CORPUS])
def test_corpus_file_parses_with_the_stated_counts(
    corpus: Path, name: str, file_format: str, counts: dict[str | None, int]
) -> None:
    for filter_value, count in counts.items():
        picks = read_picks(corpus / "annotations" / name, file_format, ReadOptions(filter_value=filter_value))
        assert len(picks) == count, filter_value
        assert picks.rotations is not None and rotation_defects(picks.rotations).size == 0


def test_every_corpus_file_of_the_relion3_and_relion4_folders_is_pinned(corpus: Path) -> None:
    on_disk = {
        f"{p.parent.name}/{p.name}"
        for folder in ("relion3", "relion4")
        for p in (corpus / "annotations" / folder).glob("*.star")
    }
    assert on_disk == {row[0] for row in CORPUS}


def test_corpus_warp_file_has_47_tomograms(corpus: Path) -> None:
    path = corpus / "annotations/relion3/dynamo2m_warp_example.star"
    first = read_picks(path, "relion3_star", ReadOptions(filter_value="tomo_ts01.mrc_15.00Apx.mrc"))
    with pytest.raises(EmptySelectionError) as raised:
        read_picks(path, "relion3_star", ReadOptions(filter_value="nope"))
    assert "(47 in all)" in raised.value.message
    assert 0 < len(first) < 1399


def test_corpus_portal_relion4_matches_the_relion3_vector(corpus: Path) -> None:
    picks = read_picks(corpus / "annotations/relion4/portal_relion_4_star.star", "relion4_star", ReadOptions(binning=4))
    np.testing.assert_allclose(picks.positions[0], [1.3, 2.6, 3.8], atol=1e-6)
