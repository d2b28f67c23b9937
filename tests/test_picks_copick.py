"""copick JSON: Å → voxels with the translation column, rotations, instance ids, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import EmptySelectionError, InputFileError, UsageError

S = 0.7071067811865475


def write_copick(path: Path, points: list[dict[str, object]], **fields: object) -> Path:
    document = {"pickable_object_name": "ribosome", "user_id": "u", "session_id": "0", "run_name": "TS_01"}
    document.update({"voxel_spacing": None, "unit": "angstrom", "points": points})
    document.update(fields)
    path.write_text(json.dumps(document))
    return path


def transform(rotation: list[list[float]], translation: tuple[float, float, float] = (0, 0, 0)) -> list[list[float]]:
    return [[*row, t] for row, t in zip(rotation, translation, strict=True)] + [[0, 0, 0, 1]]


def test_location_plus_translation_over_voxel_spacing(tmp_path: Path) -> None:
    rotation = [[0, -S, S], [1, 0, 0], [0, S, S]]
    point = {"location": {"x": 40.0, "y": 20.0, "z": 30.0}, "transformation_": transform(rotation, (10, -10, 5))}
    picks = read_picks(write_copick(tmp_path / "c.json", [point]), "copick", ReadOptions(voxel_spacing=10))
    np.testing.assert_allclose(picks.positions, [[5.0, 1.0, 3.5]], atol=1e-6)
    assert picks.rotations is not None
    np.testing.assert_allclose(picks.rotations[0], rotation, atol=1e-12)


def test_identity_when_no_transformation(tmp_path: Path) -> None:
    path = write_copick(tmp_path / "c.json", [{"location": {"x": 1, "y": 2, "z": 3}}])
    picks = read_picks(path, "copick", ReadOptions(voxel_spacing=1))
    assert picks.rotations is not None
    np.testing.assert_array_equal(picks.rotations[0], np.eye(3))


def test_instance_ids_and_scores_when_every_point_has_them(tmp_path: Path) -> None:
    points = [{"location": {"x": 1, "y": 2, "z": 3}, "instance_id": i, "score": 0.5} for i in (4, 7)]
    picks = read_picks(write_copick(tmp_path / "c.json", points), "copick", ReadOptions(voxel_spacing=1))
    assert picks.instance_ids is not None and picks.instance_ids.tolist() == [4, 7]
    assert picks.scores is not None and picks.scores.tolist() == [0.5, 0.5]


def test_file_voxel_spacing_is_used_when_the_option_is_absent(tmp_path: Path) -> None:
    path = write_copick(tmp_path / "c.json", [{"location": {"x": 10, "y": 20, "z": 30}}], voxel_spacing=10.0)
    np.testing.assert_allclose(read_picks(path, "copick").positions, [[1, 2, 3]])


def test_missing_voxel_spacing_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="need a voxel spacing"):
        read_picks(write_copick(tmp_path / "c.json", [{"location": {"x": 1, "y": 2, "z": 3}}]), "copick")


def test_filter_value_must_match_run_name(tmp_path: Path) -> None:
    path = write_copick(tmp_path / "c.json", [{"location": {"x": 1, "y": 2, "z": 3}}])
    assert len(read_picks(path, "copick", ReadOptions(voxel_spacing=1, filter_value="TS_01"))) == 1
    with pytest.raises(EmptySelectionError, match="found 'TS_01'"):
        read_picks(path, "copick", ReadOptions(voxel_spacing=1, filter_value="TS_02"))


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"location": {"x": 1, "y": "a", "z": 3}}, r"point 2: location.y is not a number"),
        ({"location": {"x": 1, "y": 2}}, r"point 2: location.z is not a number .*found null"),
        (
            {"location": {"x": 1, "y": 2, "z": 3}, "transformation_": [[1, 0, 0]]},
            r"point 2: transformation_ is not 4×4",
        ),
        ({"position": [1, 2, 3]}, r"point 2: point has no location"),
    ],
)
def test_bad_points_name_the_point(tmp_path: Path, point: dict[str, object], message: str) -> None:
    good = {"location": {"x": 1, "y": 2, "z": 3}}
    with pytest.raises(InputFileError, match=message):
        read_picks(write_copick(tmp_path / "c.json", [good, point]), "copick", ReadOptions(voxel_spacing=1))


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{\n  "points": [,]\n}')
    with pytest.raises(InputFileError, match=r"c.json:2:14: invalid JSON"):
        read_picks(path, "copick", ReadOptions(voxel_spacing=1))


def test_non_angstrom_unit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="unsupported unit"):
        read_picks(write_copick(tmp_path / "c.json", [], unit="nm"), "copick", ReadOptions(voxel_spacing=1))


def test_missing_instance_id_is_copicks_default_zero(tmp_path: Path) -> None:
    # copick's CopickPoint defaults instance_id to 0: a file where only some points carry one is still instances.
    points = [{"location": {"x": 10, "y": 20, "z": 30}}, {"location": {"x": 40, "y": 50, "z": 60}, "instance_id": 2}]
    picks = read_picks(write_copick(tmp_path / "c.json", points), "copick", ReadOptions(voxel_spacing=10))
    assert picks.instance_ids is not None and picks.instance_ids.tolist() == [0, 2]


def test_null_points_is_an_empty_file_not_a_format_error(tmp_path: Path) -> None:
    # copick saves a picks file without points as "points": null.
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"pickable_object_name": "x", "run_name": "TS_01", "unit": "angstrom", "points": None}))
    assert len(read_picks(path, "copick", ReadOptions(voxel_spacing=10))) == 0


def test_missing_points_key_is_still_not_a_copick_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"pickable_object_name": "x", "unit": "angstrom"}))
    with pytest.raises(InputFileError, match="not a copick picks file"):
        read_picks(path, "copick", ReadOptions(voxel_spacing=10))
