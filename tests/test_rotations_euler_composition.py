"""The numpy composition behind the Euler conventions equals scipy's ``Rotation.from_euler`` for every sequence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from ingest.converters.picks.rotations import _euler_matrices, _inverse_euler_matrices

angle = st.floats(min_value=-720, max_value=720, allow_nan=False)


@pytest.mark.parametrize("seq", ["ZYZ", "zyz", "ZXZ", "zxz", "XYZ", "xyz", "ZYX", "zyx"])
@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(angle, angle, angle), min_size=1, max_size=30))
def test_composition_equals_scipy_from_euler(seq: str, rows: list[tuple[float, float, float]]) -> None:
    angles = np.array(rows, dtype=np.float64)
    expected = Rotation.from_euler(seq, angles, degrees=True).as_matrix()
    np.testing.assert_allclose(_euler_matrices(seq, angles), expected, atol=1e-12)
    np.testing.assert_allclose(_inverse_euler_matrices(seq, angles), expected.transpose(0, 2, 1), atol=1e-12)
    assert _inverse_euler_matrices(seq, angles).flags.c_contiguous


def test_single_axis_quarter_turns() -> None:
    quarter = _euler_matrices("ZYZ", np.array([[90.0, 0.0, 0.0]]))[0]
    np.testing.assert_allclose(quarter, [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-15)
