"""RELION 5 STAR reader: centred Å coordinates de-centred with tomograms.star, rotations as RELION 4, bad input."""

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
CENTRED = ("rlnCenteredCoordinateXAngst", "rlnCenteredCoordinateYAngst", "rlnCenteredCoordinateZAngst")


def tomograms_block(names: list[str], sizes: list[tuple[int, int, int]], pixel_size: float | None = 2.0) -> str:
    table: dict[str, list[object]] = {"rlnTomoName": list(names)}
    for axis, column in enumerate(("rlnTomoSizeX", "rlnTomoSizeY", "rlnTomoSizeZ")):
        table[column] = [size[axis] for size in sizes]
    if pixel_size is not None:
        table["rlnTomoTiltSeriesPixelSize"] = [pixel_size] * len(names)
        table["rlnTomoTomogramBinning"] = [4.0] * len(names)
    return loop_block("global", table)


def particles(centred: list[tuple[float, float, float]], names: list[str] | None = None, **columns: object) -> str:
    table: dict[str, list[object]] = {"rlnTomoName": names or ["TS_01"] * len(centred)}
    for axis, column in enumerate(CENTRED):
        table[column] = [point[axis] for point in centred]
    for name, value in columns.items():
        table[name] = list(value) if isinstance(value, list) else [value] * len(centred)
    return loop_block("particles", table)


def optics(pixel_size: float = 2.0) -> str:
    return loop_block("optics", {"rlnOpticsGroup": [1], "rlnTomoTiltSeriesPixelSize": [pixel_size]})


@pytest.fixture
def tomograms(tmp_path: Path) -> Path:
    """A tomograms.star beside the particle files: TS_01 is 100 × 200 × 50 unbinned pixels of 2 Å."""
    return write_star(tmp_path / "tomograms.star", tomograms_block(["TS_01", "TS_02"], [(100, 200, 50), (10, 10, 10)]))


# --- centring ---------------------------------------------------------------------------------------------------


def test_centre_of_the_tomogram_is_half_its_size(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", optics(), particles([(0.0, 0.0, 0.0)], rlnOpticsGroup=1))
    picks = read_picks(path, "relion5_star", ReadOptions(voxel_spacing=8.0))
    # (50, 100, 25) tilt-series pixels of 2 Å = (100, 200, 50) Å = (12.5, 25, 6.25) voxels of 8 Å.
    np.testing.assert_allclose(picks.positions, [[12.5, 25.0, 6.25]], atol=1e-9)


def test_centred_angstroms_minus_origin_plus_half_size_over_voxel_spacing(tmp_path: Path, tomograms: Path) -> None:
    origin = {"rlnOriginXAngst": 2.0, "rlnOriginYAngst": 0.0, "rlnOriginZAngst": -4.0}
    path = write_star(tmp_path / "p.star", optics(), particles([(10.0, -20.0, 4.0)], rlnOpticsGroup=1, **origin))
    picks = read_picks(path, "relion5_star", ReadOptions(voxel_spacing=8.0))
    # ((10 − 2, −20 − 0, 4 + 4) Å / 2 Å + (50, 100, 25)) · 2 / 8
    np.testing.assert_allclose(picks.positions, [[13.5, 22.5, 7.25]], atol=1e-9)


def test_without_voxel_spacing_binning_divides_tilt_series_pixels(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", optics(), particles([(10.0, -20.0, 4.0)], rlnOpticsGroup=1))
    picks = read_picks(path, "relion5_star", ReadOptions(binning=4))
    np.testing.assert_allclose(picks.positions, [[13.75, 22.5, 6.75]], atol=1e-9)


def test_odd_tomogram_size_centres_on_a_half_pixel(tmp_path: Path) -> None:
    tomograms = write_star(tmp_path / "t.star", tomograms_block(["TS_01"], [(101, 11, 7)], pixel_size=1.0))
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    picks = read_picks(path, "relion5_star", ReadOptions(tomograms_star=tomograms))
    np.testing.assert_allclose(picks.positions, [[50.5, 5.5, 3.5]])


def test_optics_tilt_series_pixel_size_wins_over_tomograms_star(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", optics(pixel_size=4.0), particles([(40.0, 0.0, 0.0)], rlnOpticsGroup=1))
    # RELION divides by the optics group's 4 Å; the tomograms.star value (2 Å) is not used.
    np.testing.assert_allclose(read_picks(path, "relion5_star").positions, [[60.0, 100.0, 25.0]])


def test_without_optics_the_pixel_size_comes_from_tomograms_star(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", particles([(40.0, 0.0, 0.0), (0.0, 0.0, 0.0)], names=["TS_01", "TS_02"]))
    np.testing.assert_allclose(read_picks(path, "relion5_star").positions, [[70.0, 100.0, 25.0], [5.0, 5.0, 5.0]])


def test_same_particle_in_relion4_and_relion5_lands_on_the_same_voxel(tmp_path: Path, tomograms: Path) -> None:
    origin = {"rlnOriginXAngst": 3.0, "rlnOriginYAngst": -1.0, "rlnOriginZAngst": 0.5}
    sub = {"rlnTomoSubtomogramRot": 10.0, "rlnTomoSubtomogramTilt": 70.0, "rlnTomoSubtomogramPsi": 5.0}
    five = write_star(
        tmp_path / "p5.star", optics(), particles([(-30.0, 16.0, 8.0)], rlnOpticsGroup=1, **origin, **sub)
    )
    pixels = {"rlnCoordinateX": 35.0, "rlnCoordinateY": 108.0, "rlnCoordinateZ": 29.0}  # −30/2+50, 16/2+100, 8/2+25
    table = {"rlnTomoName": ["TS_01"], "rlnOpticsGroup": [1]} | {k: [v] for k, v in (pixels | origin | sub).items()}
    four = write_star(tmp_path / "p4.star", optics(), loop_block("particles", table))
    np.testing.assert_allclose(
        read_picks(five, "relion5_star", ReadOptions(binning=2)).positions,
        read_picks(four, "relion4_star", ReadOptions(binning=2)).positions,
        atol=1e-9,
    )


# --- rotations --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("euler", "expected"),
    [
        ((90, 45, 180), [[0, -S, S], [1, 0, 0], [0, S, S]]),
        ((-45, 90, 120), [[0.6124, 0.6124, 0.5], [-0.3536, -0.3536, 0.866], [S, -S, 0]]),
        ((0, 0, 0), np.eye(3).tolist()),
    ],
)
def test_rotation_vectors(
    tmp_path: Path, tomograms: Path, euler: tuple[float, float, float], expected: list[list[float]]
) -> None:
    rot, tilt, psi = euler
    path = write_star(tmp_path / "p.star", particles([(0, 0, 0)], rlnAngleRot=rot, rlnAngleTilt=tilt, rlnAnglePsi=psi))
    picks = read_picks(path, "relion5_star")
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], expected, atol=1e-4)


def test_subtomogram_composition_and_rotated_origin(tmp_path: Path, tomograms: Path) -> None:
    sub = {"rlnTomoSubtomogramRot": 0.0, "rlnTomoSubtomogramTilt": 90.0, "rlnTomoSubtomogramPsi": 0.0}
    angles = {"rlnAngleRot": 90.0, "rlnAngleTilt": 45.0, "rlnAnglePsi": 180.0}
    origin = {"rlnOriginXAngst": 2.0, "rlnOriginYAngst": 0.0, "rlnOriginZAngst": 0.0}
    path = write_star(tmp_path / "p.star", particles([(0, 0, 0)], **sub, **angles, **origin))
    picks = read_picks(path, "relion5_star")
    a_sub = relion_to_matrix(0, 90, 0)[0]
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], a_sub @ relion_to_matrix(90, 45, 180)[0], atol=1e-12)
    np.testing.assert_allclose(picks.positions[0], np.array([50.0, 100.0, 25.0]) - a_sub @ [1.0, 0.0, 0.0], atol=1e-12)


def test_order_zyx(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(
        tmp_path / "p.star", particles([(2.0, 4.0, 6.0)], rlnAngleRot=90, rlnAngleTilt=45, rlnAnglePsi=180)
    )
    xyz = read_picks(path, "relion5_star")
    zyx = read_picks(path, "relion5_star", ReadOptions(order="zyx"))
    np.testing.assert_allclose(zyx.positions, xyz.positions[:, ::-1])
    assert xyz.rotations is not None and zyx.rotations is not None
    np.testing.assert_allclose(zyx.rotations[0], xyz.rotations[0][::-1, ::-1])


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(*[st.floats(-720, 720, allow_nan=False)] * 6), min_size=1, max_size=15))
def test_every_rotation_is_proper(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[float, ...]]) -> None:
    folder = tmp_path_factory.mktemp("r5")
    write_star(folder / "tomograms.star", tomograms_block(["TS_01"], [(10, 10, 10)]))
    columns = ("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi")
    columns += ("rlnTomoSubtomogramRot", "rlnTomoSubtomogramTilt", "rlnTomoSubtomogramPsi")
    values = {name: [row[index] for row in rows] for index, name in enumerate(columns)}
    path = write_star(folder / "p.star", particles([(0.0, 0.0, 0.0)] * len(rows), **values))
    picks = read_picks(path, "relion5_star")
    assert picks.rotations is not None and rotation_defects(picks.rotations).size == 0


# --- finding tomograms.star and bad input ----------------------------------------------------------------------


def test_only_star_ending_in_tomograms_beside_the_file_is_used(tmp_path: Path) -> None:
    write_star(tmp_path / "job_tomograms.star", tomograms_block(["TS_01"], [(4, 4, 4)], pixel_size=1.0))
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    np.testing.assert_allclose(read_picks(path, "relion5_star").positions, [[2.0, 2.0, 2.0]])


def test_stem_named_tomograms_star_wins_among_several_exports(tmp_path: Path) -> None:
    for stem, size in (("run1", 4), ("run2", 8)):
        write_star(
            tmp_path / f"{stem}_tomograms.star", tomograms_block(["TS_01"], [(size, size, size)], pixel_size=1.0)
        )
        write_star(tmp_path / f"{stem}.star", particles([(0.0, 0.0, 0.0)]))
    np.testing.assert_allclose(read_picks(tmp_path / "run2.star", "relion5_star").positions, [[4.0, 4.0, 4.0]])


@pytest.mark.parametrize("beside", [[], ["a_tomograms.star", "b_tomograms.star"]])
def test_no_single_tomograms_star_is_an_error_saying_how_to_give_one(tmp_path: Path, beside: list[str]) -> None:
    for name in beside:
        write_star(tmp_path / name, tomograms_block(["TS_01"], [(4, 4, 4)]))
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    with pytest.raises(InputFileError, match=r"p\.star: RELION 5 centred coordinates need .*--tomograms-star"):
        read_picks(path, "relion5_star")


def test_tomogram_missing_from_tomograms_star_names_the_particle_row(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", particles([(0, 0, 0), (0, 0, 0)], names=["TS_01", "TS_09"]))
    with pytest.raises(InputFileError, match=r"p\.star: particle row 2: tomogram 'TS_09' is not in .*tomograms\.star"):
        read_picks(path, "relion5_star")


def test_tomograms_star_without_sizes_names_the_missing_columns(tmp_path: Path) -> None:
    bad = write_star(tmp_path / "t.star", loop_block("global", {"rlnTomoName": ["TS_01"], "rlnTomoSizeX": [4]}))
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    with pytest.raises(InputFileError, match=r"t\.star: the tomograms table has no column rlnTomoSizeY, rlnTomoSizeZ"):
        read_picks(path, "relion5_star", ReadOptions(tomograms_star=bad))


def test_explicit_tomograms_star_that_does_not_exist(tmp_path: Path) -> None:
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    with pytest.raises(InputFileError, match=r"nope\.star: file not found"):
        read_picks(path, "relion5_star", ReadOptions(tomograms_star=tmp_path / "nope.star"))


def test_no_tilt_series_pixel_size_anywhere(tmp_path: Path) -> None:
    write_star(tmp_path / "tomograms.star", tomograms_block(["TS_01"], [(4, 4, 4)], pixel_size=None))
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    with pytest.raises(InputFileError, match="no rlnTomoTiltSeriesPixelSize"):
        read_picks(path, "relion5_star")


def test_non_numeric_centred_coordinate_names_the_particle_row(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", particles([(0, 0, 0), (0, "x1", 0)]))
    with pytest.raises(InputFileError, match=r"particle row 2: rlnCenteredCoordinateYAngst is not a number"):
        read_picks(path, "relion5_star")


def test_neither_centred_nor_pixel_coordinates(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", loop_block("particles", {"rlnTomoName": ["TS_01"], "rlnAngleRot": [1]}))
    with pytest.raises(InputFileError, match="no column rlnCenteredCoordinateXAngst"):
        read_picks(path, "relion5_star")


def test_relion4_style_coordinates_are_read_as_relion4(tmp_path: Path) -> None:
    table = {"rlnTomoName": ["TS_01"], "rlnCoordinateX": [8.0], "rlnCoordinateY": [4.0], "rlnCoordinateZ": [2.0]}
    path = write_star(tmp_path / "p.star", loop_block("particles", table))
    np.testing.assert_allclose(read_picks(path, "relion5_star", ReadOptions(binning=2)).positions, [[4.0, 2.0, 1.0]])


def test_empty_selection(tmp_path: Path, tomograms: Path) -> None:
    path = write_star(tmp_path / "p.star", particles([(0.0, 0.0, 0.0)]))
    with pytest.raises(EmptySelectionError, match="TS_01"):
        read_picks(path, "relion5_star", ReadOptions(filter_value="TS_02"))


# --- reference corpus -------------------------------------------------------------------------------------------

# Counts from annotations/relion5/SOURCES.md (per tomogram read from the files).
CORPUS = [
    ("cylindra_Picks_particles.star", {None: 5, "TS_01": 3, "TS_02": 2}, False),
    ("cylindra_Refine3D_run_it050_data.star", {None: 5, "TS_01": 3, "TS_02": 2}, True),
    ("cylindra_Class3D_run_it025_data.star", {None: 10, "TS_01": 5, "TS_02": 5}, True),
]


@pytest.mark.parametrize(("name", "counts", "oriented"), CORPUS, ids=[row[0] for row in CORPUS])
def test_corpus_file_parses_with_the_stated_counts(
    corpus: Path, name: str, counts: dict[str | None, int], oriented: bool
) -> None:
    folder = corpus / "annotations/relion5"
    for filter_value, count in counts.items():
        options = ReadOptions(filter_value=filter_value, tomograms_star=folder / "cylindra_tomograms.star")
        picks = read_picks(folder / name, "relion5_star", options)
        assert len(picks) == count, filter_value
        assert (picks.rotations is not None) == oriented
        if picks.rotations is not None:
            assert rotation_defects(picks.rotations).size == 0


def test_every_relion5_corpus_particle_file_is_pinned(corpus: Path) -> None:
    on_disk = {p.name for p in (corpus / "annotations/relion5").glob("*.star") if not p.name.endswith("tomograms.star")}
    assert on_disk == {row[0] for row in CORPUS}


def test_corpus_picks_without_angles_are_not_oriented_points(corpus: Path) -> None:
    path = corpus / "annotations/relion5/cylindra_Picks_particles.star"
    with pytest.raises(InputFileError, match="no column rlnAngleRot"):
        read_picks(path, "relion5_star", ReadOptions(extra=(("shape", "orientedPoint"),)))


def test_corpus_picks_decentre_with_the_tomograms_star_found_beside_them(corpus: Path) -> None:
    picks = read_picks(corpus / "annotations/relion5/cylindra_Picks_particles.star", "relion5_star")
    # TS_01 is 84 × 136 × 44 pixels of 10.52 Å (no optics table): −176.94 Å / 10.52 + 42 = 25.1806...
    np.testing.assert_allclose(picks.positions[0], [-176.94 / 10.52 + 42, 765.48005 / 10.52 + 68, 11.16 / 10.52 + 22])
