"""EMAN2 info JSON: legacy corner-origin boxes, centred unbinned boxes (apix_unbin), class labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import EmptySelectionError, InputFileError, UsageError

CLASSES = {"0": {"name": "ribosome", "boxsize": 64}, "1": {"name": "proteasome", "boxsize": 48}}


def write_info(path: Path, **document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_legacy_boxes_are_corner_pixels_over_binning(tmp_path: Path) -> None:
    boxes = [[10, 20, 30, "manual", 0.0, 0], [4, 6, 8, "manual", 0.0, 1]]
    picks = read_picks(write_info(tmp_path / "t_info.json", boxes_3d=boxes), "eman2_json", ReadOptions(binning=2))
    np.testing.assert_array_equal(picks.positions, [[5, 10, 15], [2, 3, 4]])
    assert picks.rotations is None


def test_centred_unbinned_boxes_need_size_and_spacing(tmp_path: Path) -> None:
    path = write_info(tmp_path / "t_info.json", apix_unbin=2.5, boxes_3d=[[-40, 0, 8, "tm", 0.7, 0]])
    options = ReadOptions(voxel_spacing=10.0, extra=(("tomogram_size", "100,200,50"),))
    picks = read_picks(path, "eman2_json", options)
    np.testing.assert_allclose(picks.positions, [[40.0, 100.0, 27.0]])
    assert picks.scores is not None and picks.scores.tolist() == [0.7]
    with pytest.raises(UsageError, match="need the voxel spacing and the tomogram size"):
        read_picks(path, "eman2_json", ReadOptions(voxel_spacing=10.0))


def test_label_keeps_one_class(tmp_path: Path) -> None:
    boxes = [[1, 1, 1, "manual", 0.0, 0], [2, 2, 2, "manual", 0.0, 1]]
    path = write_info(tmp_path / "t_info.json", class_list=CLASSES, boxes_3d=boxes)
    picks = read_picks(path, "eman2_json", ReadOptions(extra=(("label", "proteasome"),)))
    np.testing.assert_array_equal(picks.positions, [[2, 2, 2]])
    with pytest.raises(EmptySelectionError, match="proteasome, ribosome"):
        read_picks(path, "eman2_json", ReadOptions(extra=(("label", "actin"),)))


def test_file_without_boxes_3d_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match='expected an object with a "boxes_3d" list'):
        read_picks(write_info(tmp_path / "t_info.json", boxes=[[1, 2, "manual"]]), "eman2_json")


def test_short_box_names_the_box(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="box 2: box is not"):
        read_picks(write_info(tmp_path / "t_info.json", boxes_3d=[[1, 2, 3], [1, 2]]), "eman2_json")
