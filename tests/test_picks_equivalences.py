"""One rotation expressed in several tools' conventions reads back as one matrix, through the readers.

Equivalences (degrees): Dynamo (tdrot, tilt, narot) ≡ RELION (narot − 90, tilt, tdrot + 90)
≡ TOM (phi = 180 − narot, theta = tilt, psi = −180 − tdrot) ≡ STOPGAP (phi, the, psi) = TOM (phi, theta, psi).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import dynamotable
import emfile
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imodmodel import ImodModel
from imodmodel.models import SLAN

from ingest.converters.picks.registry import Picks, ReadOptions, read_picks
from ingest.converters.picks.rotations import rotation_defects
from tests.star_text import loop_block, write_star

angle = st.floats(-180, 180)


def dynamo_file(folder: Path, tdrot: float, tilt: float, narot: float) -> Path:
    frame = pd.DataFrame({"tag": [1], "x": [8.0], "y": [9.0], "z": [10.0], "tdrot": [tdrot], "tilt": [tilt]})
    frame["narot"], frame["tomo"] = [narot], [1]
    dynamotable.write(frame, str(folder / "t.tbl"))
    return folder / "t.tbl"


def tom_file(folder: Path, phi: float, theta: float, psi: float) -> Path:
    column = np.zeros(20)
    column[4], column[7:10], column[16:19] = 1, (9.0, 10.0, 11.0), (phi, psi, theta)
    emfile.write(folder / "m.em", column[np.newaxis, np.newaxis, :].astype(np.float64), overwrite=True)
    return folder / "m.em"


def relion_file(folder: Path, rot: float, tilt: float, psi: float) -> Path:
    table: dict[str, list[object]] = {"rlnTomoName": ["TS_01"], "rlnCoordinateX": [8.0], "rlnCoordinateY": [9.0]}
    table.update({"rlnCoordinateZ": [10.0], "rlnAngleRot": [rot], "rlnAngleTilt": [tilt], "rlnAnglePsi": [psi]})
    return write_star(folder / "r.star", loop_block("particles", table))


def stopgap_file(folder: Path, phi: float, the: float, psi: float) -> Path:
    table: dict[str, list[object]] = {"motl_idx": [1], "tomo_num": [1], "orig_x": [8.0], "orig_y": [9.0]}
    table.update({"orig_z": [10.0], "score": [0.5], "x_shift": [0.0], "y_shift": [0.0], "z_shift": [0.0]})
    table.update({"phi": [phi], "psi": [psi], "the": [the]})
    return write_star(folder / "s.star", loop_block("stopgap_motivelist", table))


def matrix(picks: Picks) -> np.ndarray:
    assert picks.rotations is not None and len(picks) == 1
    assert len(rotation_defects(picks.rotations)) == 0
    np.testing.assert_allclose(picks.positions, [[8.0, 9.0, 10.0]], atol=1e-9)
    return picks.rotations[0]


@settings(max_examples=25, deadline=None)
@given(tdrot=angle, tilt=st.floats(0, 180), narot=angle)
def test_dynamo_relion_tom_and_stopgap_agree(tdrot: float, tilt: float, narot: float) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        dynamo = matrix(read_picks(dynamo_file(folder, tdrot, tilt, narot), "dynamo_tbl"))
        relion = matrix(read_picks(relion_file(folder, narot - 90, tilt, tdrot + 90), "relion4_star"))
        tom = matrix(read_picks(tom_file(folder, 180 - narot, tilt, -180 - tdrot), "tom_em"))
        stopgap = matrix(read_picks(stopgap_file(folder, 180 - narot, tilt, -180 - tdrot), "stopgap_star"))
        np.testing.assert_allclose(relion, dynamo, atol=1e-9)
        np.testing.assert_allclose(tom, dynamo, atol=1e-9)
        np.testing.assert_allclose(stopgap, tom, atol=1e-9)


def test_design_pairs_through_the_readers(tmp_path: Path) -> None:
    """Dynamo (-155.55, 63.924, 197.81) ≡ RELION (107.81, 63.924, -65.55); TOM (80, 20, -120) ≡ RELION (10, 20, 30)."""
    dynamo = matrix(read_picks(dynamo_file(tmp_path, -155.55, 63.924, 197.81), "dynamo_tbl"))
    relion = matrix(read_picks(relion_file(tmp_path, 107.81, 63.924, -65.55), "relion3_star"))
    np.testing.assert_allclose(dynamo, relion, atol=1e-9)
    tom = matrix(read_picks(tom_file(tmp_path, 80, 20, -120), "tom_em"))
    relion = matrix(read_picks(relion_file(tmp_path, 10, 20, 30), "relion3_star"))
    np.testing.assert_allclose(tom, relion, atol=1e-9)


@pytest.mark.filterwarnings("ignore:The `dict` method is deprecated")
@settings(max_examples=15, deadline=None)
@given(x=angle, y=angle, z=angle)
def test_imod_slicer_rotations_are_proper(x: float, y: float, z: float) -> None:
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "o.mod"
        model = ImodModel.from_dataframe(pd.DataFrame({"x": [8.0], "y": [9.0], "z": [10.0]}))
        model.slicer_angles = [SLAN(time=1, angles=(x, y, z), center=(8.0, 9.0, 10.0), label="")]
        model.to_file(path)
        picks = read_picks(path, "mod", ReadOptions(extra=(("shape", "orientedPoint"),)))
        matrix(picks)
