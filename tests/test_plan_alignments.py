"""Planning configured alignments: where their files are copied, the portal's defaults, ids across ingestions."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.errors import PlanError
from ingest.plan.alignments import default_alignment_metadata, with_portal_defaults
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing
from tests.plan_helpers import base_config, plan_of

FOLDER = "10001/TS_1/Alignments"
KEYS = ["tomograms/TS_1.mrc", "al/TS_1.xf", "al/TS_1.tlt"]


def alignments(*globs: str, **metadata: Any) -> list[dict[str, Any]]:
    entry = {"format": "IMOD", "method_type": "patch_tracking", **metadata}
    return [{"metadata": entry, "sources": [{"source_multi_glob": {"list_globs": list(globs)}}]}]


def existing_tree(files: dict[str, dict[str, Any]]) -> ExistingTree:
    return ExistingTree(Listing.of(files, root="/out"), dict(files))


def test_configured_files_are_copied_into_the_alignment_folder_under_their_names() -> None:
    plan = plan_of(base_config(alignments=alignments("al/{run_name}.xf", "al/{run_name}.tlt")), KEYS)
    (task,) = plan.runs[0].alignments
    assert not task.is_default
    assert task.source_keys == ("al/TS_1.xf", "al/TS_1.tlt")
    assert task.output_keys == (f"{FOLDER}/100/TS_1.xf", f"{FOLDER}/100/TS_1.tlt")
    assert task.size_source_key == "10001/TS_1/Reconstructions/VoxelSpacing13.480/Tomograms/100/tomogram_metadata.json"
    assert "alignment files" not in {item.section for item in plan.skipped}


def test_configured_volume_dimension_is_kept_and_not_computed() -> None:
    dimension = {"x": 1.0, "y": 2.0, "z": 3.0}
    config = base_config(alignments=alignments("al/{run_name}.xf", volume_dimension=dimension))
    (task,) = plan_of(config, KEYS).runs[0].alignments
    assert task.size_source_key is None and task.metadata.get("volume_dimension") == dimension


def test_two_sources_with_one_file_name_are_refused() -> None:
    config = base_config(alignments=alignments("al/{run_name}.xf", "other/{run_name}.xf"))
    with pytest.raises(PlanError, match="two alignment files have the same name"):
        plan_of(config, [*KEYS, "other/TS_1.xf"])


def test_portal_defaults_fill_only_missing_fields() -> None:
    filled = with_portal_defaults({"method_type": "patch_tracking", "alignment_type": "LOCAL", "offset": {"x": 1}})
    assert filled["alignment_type"] == "LOCAL" and filled["offset"] == {"x": 1}
    assert "volume_offset" not in filled  # given under its older name
    assert filled["affine_transformation_matrix"][0] == [1.0, 0.0, 0.0, 0.0] and filled["is_portal_standard"] is False


def test_default_alignment_is_unchanged() -> None:
    assert default_alignment_metadata(7) == {
        "affine_transformation_matrix": [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]],
        "alignment_type": "GLOBAL",
        "deposition_id": 7,
        "is_portal_standard": False,
        "method_type": "undefined",
        "tilt_offset": 0.0,
        "volume_offset": {"x": 0.0, "y": 0.0, "z": 0.0},
        "x_rotation_offset": 0.0,
    }


def test_alignment_written_before_keeps_its_id_by_file_names() -> None:
    written = {
        "deposition_id": 10300,
        "method_type": "patch_tracking",
        "format": "IMOD",
        "files": [f"{FOLDER}/102/TS_1.xf", f"{FOLDER}/102/TS_1.tlt"],
    }
    existing = existing_tree({f"{FOLDER}/102/alignment_metadata.json": written})
    config = base_config(alignments=alignments("al/{run_name}.xf", "al/{run_name}.tlt"))
    (task,) = plan_of(config, KEYS, existing=existing).runs[0].alignments
    assert (task.alignment.alignment_id, task.reused_id) == (102, True)
    assert task.output_keys == (f"{FOLDER}/102/TS_1.xf", f"{FOLDER}/102/TS_1.tlt")


def test_alignment_written_without_files_by_an_older_version_keeps_its_id() -> None:
    written = {"deposition_id": 10300, "method_type": "patch_tracking", "format": "IMOD", "files": []}
    existing = existing_tree({f"{FOLDER}/101/alignment_metadata.json": written})
    config = base_config(alignments=alignments("al/{run_name}.xf", "al/{run_name}.tlt"))
    (task,) = plan_of(config, KEYS, existing=existing).runs[0].alignments
    assert (task.alignment.alignment_id, task.reused_id) == (101, True)


def test_alignment_of_another_method_written_without_files_is_not_adopted() -> None:
    written = {"deposition_id": 10300, "method_type": "fiducial_based", "format": "IMOD", "files": []}
    existing = existing_tree({f"{FOLDER}/100/alignment_metadata.json": written})
    config = base_config(alignments=alignments("al/{run_name}.xf"))
    with pytest.raises(PlanError, match="differs from the configured one"):
        plan_of(config, KEYS, existing=existing)
