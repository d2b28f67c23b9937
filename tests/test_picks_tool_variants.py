"""Layouts that real cryo-ET tools write, met while auditing the readers on files beyond the reference corpus.

Each snippet is written here by hand in the layout the named tool writes (column sets, spacing, comments, blank
lines); the numbers are chosen so that the expected voxels can be checked by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.converters.picks.rotations import relion_to_matrix, stopgap_to_matrix
from ingest.errors import UsageError

ORIENTED = ("shape", "orientedPoint")

# Warp's template matching (``*_clean.star``): rlnCoordinate normalised to [0, 1] of the tomogram (x / size).
WARP_TEMPLATE_MATCHING = """
data_

loop_
_rlnCoordinateX #1
_rlnCoordinateY #2
_rlnCoordinateZ #3
_rlnAngleRot #4
_rlnAngleTilt #5
_rlnAnglePsi #6
_rlnMicrographName #7
_rlnAutopickFigureOfMerit #8
         0.25          0.5         0.5    74.99999  17.612438        180  TS_1.tomostar  6.2712617
   0.75862069   0.21097046  0.25641026          45   5.850267  262.49997  TS_1.tomostar    6.58936
"""


def test_warp_normalized_coordinates_scale_by_the_tomogram_size(tmp_path: Path) -> None:
    path = tmp_path / "TS_1_clean.star"
    path.write_text(WARP_TEMPLATE_MATCHING)
    options = ReadOptions(extra=(ORIENTED, ("coordinates", "normalized"), ("tomogram_size", "348,474,78")))
    picks = read_picks(path, "relion3_star", options)
    # Warp divided integer voxel positions by the size: multiplying back gives them again.
    np.testing.assert_allclose(picks.positions, [[87, 237, 39], [264, 100, 20]], atol=1e-5)
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], relion_to_matrix([74.99999], [17.612438], [180])[0], atol=1e-12)


def test_normalized_coordinates_without_a_tomogram_size_are_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "TS_1_clean.star"
    path.write_text(WARP_TEMPLATE_MATCHING)
    with pytest.raises(UsageError, match="need the tomogram size"):
        read_picks(path, "relion3_star", ReadOptions(extra=(("coordinates", "normalized"),)))


def test_unknown_coordinates_option_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "TS_1_clean.star"
    path.write_text(WARP_TEMPLATE_MATCHING)
    with pytest.raises(UsageError, match="pixels or normalized"):
        read_picks(path, "relion3_star", ReadOptions(extra=(("coordinates", "angstrom"),)))


def test_relion30_loop_with_comment_and_blank_lines_between_rows(tmp_path: Path) -> None:
    path = tmp_path / "picks.star"
    path.write_text(
        "\ndata_\n\nloop_\n_rlnCoordinateX #1\n_rlnCoordinateY #2\n_rlnCoordinateZ #3\n_rlnMicrographName #4\n"
        "# first tomogram\n10 20 30 001.tomostar\n\n11 21 31 001.tomostar\n# second tomogram\n12 22 32 002.tomostar\n"
    )
    picks = read_picks(path, "relion3_star", ReadOptions(filter_value="001.tomostar"))
    np.testing.assert_allclose(picks.positions, [[10, 20, 30], [11, 21, 31]])


def test_relion31_with_trailing_spaces_and_a_space_only_line_between_blocks(tmp_path: Path) -> None:
    # The layout of RELION 3.1 subtomogram projects (as in pycrest's test data): "loop_ ", "_rlnX #1 ", " " lines.
    path = tmp_path / "particles.star"
    path.write_text(
        "\n# version 30001\n\ndata_optics\n\nloop_ \n_rlnOpticsGroup #1 \n_rlnImagePixelSize #2 \n"
        "           1     2.619996 \n \n\n# version 30001\n\ndata_particles\n\nloop_ \n_rlnMicrographName #1 \n"
        "_rlnCoordinateX #2 \n_rlnCoordinateY #3 \n_rlnCoordinateZ #4 \n_rlnOriginXAngst #5 \n_rlnOriginYAngst #6 \n"
        "_rlnOriginZAngst #7 \n_rlnOpticsGroup #8 \n"
        "tomo_a/tomo_a.mrc   412.000000   236.000000   988.000000     5.239992     0.000000     0.000000     1 \n"
        "tomo_b/tomo_b.mrc   128.000000   640.000000   512.000000     0.000000     0.000000     0.000000     1\n"
    )
    picks = read_picks(path, "relion3_star", ReadOptions(filter_value="tomo_a/tomo_a.mrc"))
    np.testing.assert_allclose(picks.positions, [[410, 236, 988]], atol=1e-6)


def test_relion4_origin_uses_each_groups_tilt_series_pixel_not_the_subtomogram_pixel(tmp_path: Path) -> None:
    # Coordinates are in tilt-series pixels; rlnImagePixelSize is the (binned) subtomogram pixel. The portal's
    # converter divides every origin by the first optics row's rlnImagePixelSize, which would give 999.5, 2001.
    path = tmp_path / "particles.star"
    path.write_text(
        "data_optics\n\nloop_\n_rlnOpticsGroup #1\n_rlnTomoTiltSeriesPixelSize #2\n_rlnImagePixelSize #3\n"
        "1 1.35 5.4\n2 2.70 5.4\n\ndata_particles\n\nloop_\n_rlnTomoName #1\n_rlnCoordinateX #2\n"
        "_rlnCoordinateY #3\n_rlnCoordinateZ #4\n_rlnOriginXAngst #5\n_rlnOriginYAngst #6\n_rlnOriginZAngst #7\n"
        "_rlnOpticsGroup #8\nTS_01 1000 2000 500 2.7 -5.4 0 1\nTS_02 1000 2000 500 2.7 -5.4 0 2\n"
    )
    picks = read_picks(path, "relion4_star", ReadOptions())
    np.testing.assert_allclose(picks.positions, [[998, 2004, 500], [999, 2002, 500]])


def test_pytom_match_pick_relion5_compatible_output(tmp_path: Path) -> None:
    # pytom_extract_candidates.py --relion5-compat: centred Å coordinates, rlnTomoName, no optics table.
    columns = "rlnCenteredCoordinateXAngst rlnCenteredCoordinateYAngst rlnCenteredCoordinateZAngst rlnAngleRot "
    columns += "rlnAngleTilt rlnAnglePsi rlnLCCmax rlnCutOff rlnSearchStd rlnDetectorPixelSize rlnTomoName"
    header = "\ndata_\n\nloop_\n" + "".join(f"_{c} #{i}\n" for i, c in enumerate(columns.split(), start=1))
    path = tmp_path / "TS_01_particles.star"
    path.write_text(header + "-413.7\t827.4\t-344.75\t-37.5\t101.25\t12.0\t0.231\t0.12\t0.02\t13.79\tTS_01\n")
    tomograms = tmp_path / "tomograms.star"
    tomograms.write_text(
        "data_global\n\nloop_\n_rlnTomoName #1\n_rlnTomoTiltSeriesPixelSize #2\n_rlnTomoSizeX #3\n_rlnTomoSizeY #4\n"
        "_rlnTomoSizeZ #5\nTS_01 3.4475 800 1200 400\n"
    )
    picks = read_picks(path, "relion5_star", ReadOptions(voxel_spacing=13.79, tomograms_star=tomograms))
    np.testing.assert_allclose(picks.positions, [[70, 210, 25]], atol=1e-9)


def test_stopgap_motivelist_as_stopgap_writes_it(tmp_path: Path) -> None:
    # stopgap_star_write.m: blank line before each row (so one after the tags), padded cells, halfset letters.
    fields = "motl_idx tomo_num object subtomo_num halfset orig_x orig_y orig_z score x_shift y_shift z_shift "
    fields += "phi psi the class"
    path = tmp_path / "motl.star"
    path.write_text(
        "\ndata_stopgap_motivelist\n\nloop_\n"
        + "".join(f"_{f}\n" for f in fields.split())
        + "\n  1   1  1   1  A   512.0000   488.0000   120.0000   0.1523   -1.2500    0.5000    2.0000   -170.2500"
        "    45.0000   220.5000  1 "
        "\n  2  10  2   2  B   100.0000   200.0000    50.0000   0.0950    0.2500   -0.2500    0.0000      0.0000"
        "     0.0000     0.0000  2 \n"
    )
    picks = read_picks(path, "stopgap_star", ReadOptions(filter_value="1", extra=(ORIENTED,)))
    np.testing.assert_allclose(picks.positions, [[510.75, 488.5, 122.0]])
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], stopgap_to_matrix([-170.25], [220.5], [45.0])[0], atol=1e-12)
