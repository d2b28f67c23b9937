"""The numpy composition behind the Euler conventions equals scipy's ``Rotation.from_euler`` for every sequence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from ingest.converters.rotations import _from_euler

angle = st.floats(min_value=-720, max_value=720, allow_nan=False)


@pytest.mark.parametrize("seq", ["ZYZ", "zyz", "ZXZ", "zxz", "XYZ", "xyz", "ZYX", "zyx"])
@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(angle, angle, angle), min_size=1, max_size=30))
def test_composition_equals_scipy_from_euler(seq: str, rows: list[tuple[float, float, float]]) -> None:
    angles = np.array(rows, dtype=np.float64)
    expected = Rotation.from_euler(seq, angles, degrees=True).as_matrix()
    np.testing.assert_allclose(_from_euler(seq, angles).as_matrix(), expected, atol=1e-12)


def test_single_axis_quarter_turns() -> None:
    quarter = _from_euler("ZYZ", np.array([[90.0, 0.0, 0.0]])).as_matrix()[0]
    np.testing.assert_allclose(quarter, [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-15)
