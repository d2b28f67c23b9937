"""The Euler conventions reproduce every test vector of docs/design.md §4 (to 1e-4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.converters.picks.rotations import (
    dynamo_to_matrix,
    imod_slicer_to_matrix,
    matrix_to_relion,
    relion_to_matrix,
    reverse_axes,
    rotation_defects,
    stopgap_to_matrix,
    tom_to_matrix,
)

S = 0.7071


@pytest.mark.parametrize(
    ("angles", "expected"),
    [
        ((90, 45, 180), [[0, -S, S], [1, 0, 0], [0, S, S]]),
        ((-45, 90, 120), [[0.6124, 0.6124, 0.5], [-0.3536, -0.3536, 0.866], [S, -S, 0]]),
    ],
)
def test_relion_vectors(angles: tuple[float, float, float], expected: list[list[float]]) -> None:
    np.testing.assert_allclose(relion_to_matrix(*angles)[0], expected, atol=1e-4)


def test_stopgap_vector_phi90_the45_psi180() -> None:
    np.testing.assert_allclose(stopgap_to_matrix(90, 45, 180)[0], [[0, 1, 0], [-S, 0, S], [S, 0, S]], atol=1e-4)


def test_dynamo_vector_equals_its_relion_equivalent() -> None:
    expected = [[0.811, 0.4516, -0.3718], [-0.5165, 0.2544, -0.8177], [-0.2747, 0.8552, 0.4396]]
    np.testing.assert_allclose(dynamo_to_matrix(-155.55, 63.924, 197.81)[0], expected, atol=1e-4)
    np.testing.assert_allclose(relion_to_matrix(107.81, 63.924, -65.55)[0], expected, atol=1e-4)


def test_tom_vector_equals_its_relion_equivalent() -> None:
    expected = [[0.7146, 0.6337, -0.2962], [-0.6131, 0.7713, 0.171], [0.3368, 0.0594, 0.9397]]
    np.testing.assert_allclose(tom_to_matrix(80, 20, -120)[0], expected, atol=1e-4)
    np.testing.assert_allclose(relion_to_matrix(10, 20, 30)[0], expected, atol=1e-4)


def test_imod_slicer_vector() -> None:
    expected = [[0.8643, -0.4899, -0.114], [0.503, 0.8418, 0.1959], [0, -0.2267, 0.974]]
    np.testing.assert_allclose(imod_slicer_to_matrix(13.1, 0, -30.2)[0], expected, atol=1e-4)


@pytest.mark.parametrize("convert", [relion_to_matrix, stopgap_to_matrix, dynamo_to_matrix, tom_to_matrix])
def test_zero_angles_give_identity(convert: object) -> None:
    assert callable(convert)
    np.testing.assert_allclose(convert(0, 0, 0)[0], np.eye(3), atol=1e-12)


def test_imod_zero_slicer_angles_give_identity() -> None:
    np.testing.assert_allclose(imod_slicer_to_matrix(0, 0, 0)[0], np.eye(3), atol=1e-12)


def test_reverse_axes_flips_rows_and_columns() -> None:
    matrix = np.arange(9, dtype=np.float64).reshape(1, 3, 3)
    np.testing.assert_array_equal(reverse_axes(matrix)[0], [[8, 7, 6], [5, 4, 3], [2, 1, 0]])


def test_rotation_defects_flags_scaled_and_reflected_matrices() -> None:
    good = np.eye(3)
    scaled = np.eye(3) * 1.001
    reflected = np.diag([1.0, 1.0, -1.0])
    assert rotation_defects(np.stack([good, scaled, reflected])).tolist() == [1, 2]


angle = st.floats(min_value=-360, max_value=360, allow_nan=False)


@given(angle, angle, angle)
def test_relion_angles_round_trip_through_the_matrix(rot: float, tilt: float, psi: float) -> None:
    matrix = relion_to_matrix(rot, tilt, psi)
    assert rotation_defects(matrix).size == 0
    np.testing.assert_allclose(relion_to_matrix(*matrix_to_relion(matrix)[0]), matrix, atol=1e-7)
