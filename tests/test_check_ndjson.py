"""ndJSON point checks as properties: valid points and rotations never fire, broken ones always do."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from ingest.checks.annotations import FINDINGS_PER_CODE, ndjson_findings

SHAPE = (20, 30, 40)  # z, y, x

quaternions = st.lists(st.floats(-1, 1, allow_nan=False), min_size=4, max_size=4).filter(
    lambda q: float(np.linalg.norm(q)) > 0.1
)
locations = st.tuples(st.floats(0, 40), st.floats(0, 30), st.floats(0, 20))


def oriented_line(location: tuple[float, float, float], matrix: np.ndarray) -> str:
    point = {"type": "orientedPoint", "location": dict(zip("xyz", location, strict=True))}
    return json.dumps({**point, "xyz_rotation_matrix": matrix.tolist()})


def check(lines: list[str], count: int) -> list[str]:
    content = "".join(line + "\n" for line in lines).encode()
    findings = ndjson_findings(content, key="a.ndjson", shape="OrientedPoint", object_count=count, tomogram_shape=SHAPE)
    return [f.code for f in findings]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(locations, quaternions), min_size=1, max_size=8))
def test_proper_rotations_inside_the_volume_never_fire(
    points: list[tuple[tuple[float, float, float], list[float]]],
) -> None:
    lines = [oriented_line(location, Rotation.from_quat(q).as_matrix()) for location, q in points]
    assert check(lines, len(lines)) == []


@settings(max_examples=60, deadline=None)
@given(locations, quaternions, st.sampled_from(["scale", "reflect"]))
def test_improper_or_scaled_rotations_always_fire(
    location: tuple[float, float, float], quaternion: list[float], defect: str
) -> None:
    matrix = Rotation.from_quat(quaternion).as_matrix()
    broken = matrix * 1.001 if defect == "scale" else matrix @ np.diag([1.0, 1.0, -1.0])
    assert check([oriented_line(location, broken)], 1) == ["C-NDJSON-ROTATION"]


@settings(max_examples=60, deadline=None)
@given(locations, st.sampled_from("xyz"), st.floats(0.001, 1000))
def test_points_beyond_the_volume_always_fire(location: tuple[float, float, float], axis: str, beyond: float) -> None:
    size = dict(zip("xyz", SHAPE[::-1], strict=True))
    moved = dict(zip("xyz", location, strict=True))
    moved[axis] = size[axis] + beyond
    line = oriented_line((moved["x"], moved["y"], moved["z"]), np.eye(3))
    assert check([line], 1) == ["C-NDJSON-OUTSIDE"]


def test_many_bad_lines_are_capped_with_a_count() -> None:
    lines = [oriented_line((1.0, 1.0, 1.0), np.eye(3) * 2) for _ in range(12)]
    content = "".join(line + "\n" for line in lines).encode()
    findings = ndjson_findings(content, key="a.ndjson", shape="OrientedPoint", object_count=12, tomogram_shape=SHAPE)
    assert len(findings) == FINDINGS_PER_CODE
    assert findings[-1].message.endswith("(and 7 more like it)")


def test_instance_count_is_distinct_ids() -> None:
    lines = [
        json.dumps({"type": "instancePoint", "location": {"x": 1, "y": 1, "z": 1}, "instance_id": i % 3})
        for i in range(9)
    ]
    content = "".join(line + "\n" for line in lines).encode()
    ok = ndjson_findings(content, key="a.ndjson", shape="InstanceSegmentation", object_count=3, tomogram_shape=SHAPE)
    bad = ndjson_findings(content, key="a.ndjson", shape="InstanceSegmentation", object_count=9, tomogram_shape=SHAPE)
    assert ok == []
    assert [(f.code, f.expected, f.found) for f in bad] == [("C-NDJSON-COUNT", "9", "3")]
