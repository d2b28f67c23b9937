"""Portal ndJSON: golden bytes, lossless round trips, tolerant reading, errors with line numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.transform import Rotation

from ingest.converters.picks import ndjson
from ingest.converters.picks.ndjson import PointShape, picks_to_ndjson, shape_of
from ingest.converters.picks.ndjson_reader import ndjson_to_picks
from ingest.converters.picks.registry import Picks
from ingest.errors import InputFileError, UsageError

GOLDEN = (
    b'{"type": "orientedPoint", "location": {"x": 1.3, "y": 2.6, "z": 0.0}, "xyz_rotation_matrix": '
    b"[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}\n"
)


def test_golden_oriented_point_line() -> None:
    picks = Picks(np.array([[1.3, 2.6, 0.0]]), np.eye(3)[np.newaxis])
    assert picks_to_ndjson(picks, PointShape.ORIENTED_POINT) == GOLDEN


def test_golden_point_and_instance_lines() -> None:
    picks = Picks(np.array([[1.0, 2.5, 3e-20]]), instance_ids=np.array([7]))
    assert (
        picks_to_ndjson(picks, PointShape.POINT) == b'{"type": "point", "location": {"x": 1.0, "y": 2.5, "z": 3e-20}}\n'
    )
    assert picks_to_ndjson(picks, PointShape.INSTANCE_POINT) == (
        b'{"type": "instancePoint", "location": {"x": 1.0, "y": 2.5, "z": 3e-20}, "instance_id": 7}\n'
    )


def test_missing_trailing_newline_and_crlf_are_tolerated() -> None:
    picks = ndjson_to_picks(GOLDEN.rstrip(b"\n").replace(b"}}", b"}}\r", 0) + b"\r\n" + GOLDEN.rstrip(b"\n"), "a")
    assert len(picks) == 2
    assert shape_of(picks) is PointShape.ORIENTED_POINT


def test_empty_input_gives_no_points() -> None:
    assert len(ndjson_to_picks(b"", "a")) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n{"type": "point"', r"f.ndjson:2:\d+: invalid JSON"),
        (b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n[1]\n', r"f.ndjson:2: not a JSON object"),
        (b'{"type": "dot", "location": {"x": 1, "y": 2, "z": 3}}\n', r"f.ndjson:1: unknown point type"),
        (b'{"type": "point", "location": {"x": 1, "y": true, "z": 3}}\n', r"f.ndjson:1: location.y is not a number"),
        (
            b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n'
            b'{"type": "point", "location": {"x": "1", "y": 2, "z": 3}}',
            r"f.ndjson:2: location.x is not a number",
        ),
        (b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n\n', r"f.ndjson:2:\d+: invalid JSON"),
        (
            b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n'
            b'{"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": 1}\n',
            r"f.ndjson:2: mixed point types",
        ),
        (
            b'{"type": "instancePoint", "location": {"x": 1, "y": 2, "z": 3}, "instance_id": 1.5}\n',
            r"f.ndjson:1: instance_id is not an integer",
        ),
        (
            b'{"type": "orientedPoint", "location": {"x": 1, "y": 2, "z": 3}, "xyz_rotation_matrix": [[1, 0]]}\n',
            r"f.ndjson:1: xyz_rotation_matrix is not 3×3",
        ),
    ],
)
def test_bad_lines_name_the_line(data: bytes, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        ndjson_to_picks(data, "f.ndjson")


def test_improper_rotation_is_refused_with_its_row() -> None:
    rotations = np.stack([np.eye(3), np.diag([1.0, 1.0, -1.0])])
    with pytest.raises(InputFileError, match=r"s: row 2: not a proper rotation"):
        picks_to_ndjson(Picks(np.zeros((2, 3)), rotations, source="s"), PointShape.ORIENTED_POINT)


def test_shape_needs_its_data() -> None:
    with pytest.raises(UsageError, match="need rotations"):
        picks_to_ndjson(Picks(np.zeros((1, 3))), PointShape.ORIENTED_POINT)
    with pytest.raises(UsageError, match="need instance ids"):
        picks_to_ndjson(Picks(np.zeros((1, 3))), PointShape.INSTANCE_POINT)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def any_picks(draw: st.DrawFn) -> tuple[Picks, PointShape]:
    n = draw(st.integers(1, 8))  # an empty file has no type to read back
    positions = draw(arrays(np.float64, (n, 3), elements=finite))
    shape = draw(st.sampled_from(PointShape))
    if shape is PointShape.ORIENTED_POINT:
        seed = draw(st.integers(0, 2**32 - 1))
        rotations = Rotation.random(n, random_state=seed).as_matrix().reshape(n, 3, 3)
        return Picks(positions, rotations=rotations), shape
    if shape is PointShape.INSTANCE_POINT:
        ids = draw(arrays(np.int64, (n,), elements=st.integers(-(2**63), 2**63 - 1)))
        return Picks(positions, instance_ids=ids), shape
    return Picks(positions), shape


@settings(max_examples=150, deadline=None)
@given(any_picks())
def test_picks_ndjson_picks_is_lossless(case: tuple[Picks, PointShape]) -> None:
    picks, shape = case
    data = picks_to_ndjson(picks, shape)
    back = ndjson_to_picks(data, "mem")
    np.testing.assert_array_equal(back.positions, picks.positions)
    if shape is PointShape.ORIENTED_POINT:
        assert back.rotations is not None and picks.rotations is not None
        np.testing.assert_array_equal(back.rotations, picks.rotations)
    if shape is PointShape.INSTANCE_POINT:
        assert back.instance_ids is not None and picks.instance_ids is not None
        np.testing.assert_array_equal(back.instance_ids, picks.instance_ids)
    assert picks_to_ndjson(back, shape) == data
    assert data.count(b"\n") == len(picks)


def test_golden_float_texts_are_shortest_round_trip() -> None:
    # orjson's shortest round-trip texts: no exponent below 1e16 and no zero-padded exponents (Python's repr would
    # write 1e-05 and 2.5e-07); every text reads back to the same float64.
    values = [1e-05, 2.5e-07, 1e16, -0.0, 1 / 3, 5e-324, 1e15, 123.0]
    picks = Picks(np.array([values[0:3], values[3:6], values[5:8]]))
    assert picks_to_ndjson(picks, PointShape.POINT) == (
        b'{"type": "point", "location": {"x": 0.00001, "y": 2.5e-7, "z": 1e+16}}\n'
        b'{"type": "point", "location": {"x": -0.0, "y": 0.3333333333333333, "z": 5e-324}}\n'
        b'{"type": "point", "location": {"x": 5e-324, "y": 1000000000000000.0, "z": 123.0}}\n'
    )
    np.testing.assert_array_equal(
        ndjson_to_picks(picks_to_ndjson(picks, PointShape.POINT), "m").positions, picks.positions
    )


@pytest.mark.parametrize("shape", list(PointShape))
def test_chunk_boundaries_do_not_change_the_bytes(shape: PointShape, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 7
    rng = np.random.default_rng(3)
    picks = Picks(
        rng.normal(size=(n, 3)) * 1e3,
        Rotation.random(n, random_state=4).as_matrix(),
        rng.integers(-(2**63), 2**63 - 1, size=n, dtype=np.int64),
    )
    whole = picks_to_ndjson(picks, shape)
    monkeypatch.setattr(ndjson, "CHUNK_ROWS", 2)
    assert picks_to_ndjson(picks, shape) == whole
    assert whole.count(b"\n") == n
    back = ndjson_to_picks(whole, "m")
    np.testing.assert_array_equal(back.positions, picks.positions)
