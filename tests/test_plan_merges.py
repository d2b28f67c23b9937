"""Silent merges docs/design.md §4 forbids are refused by the planner with a PlanError saying what collides:
two tomograms with one processing, processing software and reconstruction method in a voxel spacing (the portal
importer's tomogram row keys), two alignments of one deposition
in a run, a second tilt series in a run; and a deposition the importer could not find is warned about."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.errors import PlanError
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing
from tests.plan_helpers import TOMOGRAM, base_config, plan_of

VS = "10001/TS_1/Reconstructions/VoxelSpacing13.480"
ALIGNMENT = {"format": "IMOD", "method_type": "patch_tracking"}


def existing_tree(files: dict[str, dict[str, Any]]) -> ExistingTree:
    """An output tree holding ``files`` (metadata by key) and nothing else."""
    return ExistingTree(Listing.of(files, root="/out"), dict(files))


def tomogram_entry(glob: str, **metadata: Any) -> dict[str, Any]:
    return {"metadata": {**TOMOGRAM, **metadata}, "sources": [{"source_glob": {"list_glob": glob}}]}


def alignment_entry(*globs: str, **metadata: Any) -> dict[str, Any]:
    return {"metadata": {**ALIGNMENT, **metadata}, "sources": [{"source_multi_glob": {"list_globs": list(globs)}}]}


def test_two_tomograms_with_one_processing_software_and_method_are_refused() -> None:
    config = base_config(
        tomograms=[
            tomogram_entry("tomograms/{run_name}.mrc", processing_software="A"),
            tomogram_entry("denoised/{run_name}.mrc", processing_software="A"),
        ]
    )
    with pytest.raises(PlanError, match="would share one output folder") as info:
        plan_of(config, ["tomograms/TS_1.mrc", "denoised/TS_1.mrc"])
    assert "tomograms[1]" in str(info.value) and "'raw'" in str(info.value)


def test_tomograms_that_differ_only_in_processing_software_get_two_ids() -> None:
    """The portal's importer keys tomogram rows on processing_software too (config 10490: clean and noisy WBP)."""
    config = base_config(
        tomograms=[
            tomogram_entry("tomograms/{run_name}.mrc", processing_software="IMOD (clean)"),
            tomogram_entry("noisy/{run_name}.mrc", processing_software="IMOD (noisy)"),
        ]
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc", "noisy/TS_1.mrc"])
    assert [task.tomogram.tomogram_id for task in plan.runs[0].tomograms] == [100, 101]


def test_tomograms_that_differ_in_processing_get_two_ids() -> None:
    config = base_config(
        tomograms=[
            tomogram_entry("tomograms/{run_name}.mrc"),
            tomogram_entry("denoised/{run_name}.mrc", processing="denoised"),
        ]
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc", "denoised/TS_1.mrc"])
    assert [task.tomogram.tomogram_id for task in plan.runs[0].tomograms] == [100, 101]


def test_tomograms_of_two_voxel_spacings_may_share_processing_and_method() -> None:
    config = base_config(
        voxel_spacings=[{"sources": [{"literal": {"value": [13.48, 26.96]}}]}],
        tomograms=[
            tomogram_entry("tomograms/{run_name}.mrc", voxel_spacing=13.48),
            tomogram_entry("bin2/{run_name}.mrc", voxel_spacing=26.96),
        ],
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc", "bin2/TS_1.mrc"])
    assert [len(vs.tomograms) for vs in plan.runs[0].voxel_spacings] == [1, 1]


def test_two_alignments_of_the_deposition_in_a_run_are_refused() -> None:
    config = base_config(
        alignments=[
            alignment_entry("aln/{run_name}.xf"),
            alignment_entry("aln/{run_name}.aln", format="ARETOMO3"),
        ]
    )
    with pytest.raises(PlanError, match="2 alignments of deposition 10300") as info:
        plan_of(config, ["tomograms/TS_1.mrc", "aln/TS_1.xf", "aln/TS_1.aln"])
    assert "alignments[1]" in str(info.value)


def test_one_glob_finding_two_alignment_files_of_a_run_is_refused() -> None:
    config = base_config(alignments=[{"metadata": ALIGNMENT, "sources": [{"source_glob": {"list_glob": "aln/*"}}]}])
    with pytest.raises(PlanError, match="2 alignments"):
        plan_of(config, ["tomograms/TS_1.mrc", "aln/TS_1.xf", "aln/TS_1_b.xf"])


def test_a_changed_alignment_beside_the_old_one_of_the_deposition_is_refused() -> None:
    old = {**ALIGNMENT, "method_type": "fiducial_based", "deposition_id": 10300, "files": ["x/TS_1.xf"]}
    existing = existing_tree({"10001/TS_1/Alignments/100/alignment_metadata.json": old})
    config = base_config(alignments=[alignment_entry("aln/{run_name}.xf")])
    with pytest.raises(PlanError, match="already holds an alignment of deposition 10300") as info:
        plan_of(config, ["tomograms/TS_1.mrc", "aln/TS_1.xf"], existing=existing)
    assert "Alignments/100/alignment_metadata.json" in str(info.value)


def test_the_same_alignment_is_reused_and_another_depositions_is_kept_beside_it() -> None:
    ours = {**ALIGNMENT, "deposition_id": 10300, "files": ["10001/TS_1/Alignments/101/TS_1.xf"]}
    theirs = {**ALIGNMENT, "deposition_id": 1, "files": []}
    existing = existing_tree(
        {
            "10001/TS_1/Alignments/100/alignment_metadata.json": theirs,
            "10001/TS_1/Alignments/101/alignment_metadata.json": ours,
        }
    )
    config = base_config(alignments=[alignment_entry("aln/{run_name}.xf")])
    plan = plan_of(config, ["tomograms/TS_1.mrc", "aln/TS_1.xf"], existing=existing)
    (task,) = plan.runs[0].alignments
    assert (task.alignment.alignment_id, task.reused_id) == (101, True)


def test_two_tilt_series_entries_for_a_run_are_refused() -> None:
    config = base_config(
        tiltseries=[
            {"sources": [{"source_glob": {"list_glob": "ts/{run_name}.st"}}]},
            {"sources": [{"source_glob": {"list_glob": "ts/{run_name}.mrc"}}]},
        ]
    )
    with pytest.raises(PlanError, match="2 tilt series") as info:
        plan_of(config, ["tomograms/TS_1.mrc", "ts/TS_1.st", "ts/TS_1.mrc"])
    assert "tiltseries[1]" in str(info.value)


def test_a_tilt_series_beside_another_depositions_tilt_series_is_refused() -> None:
    existing = existing_tree({"10001/TS_1/TiltSeries/100/tiltseries_metadata.json": {"deposition_id": 1}})
    config = base_config(tiltseries=[{"sources": [{"source_glob": {"list_glob": "ts/{run_name}.st"}}]}])
    with pytest.raises(PlanError, match="already holds a tilt series") as info:
        plan_of(config, ["tomograms/TS_1.mrc", "ts/TS_1.st"], existing=existing)
    assert "TiltSeries/100/tiltseries_metadata.json" in str(info.value)


def test_the_depositions_own_tilt_series_is_reused() -> None:
    existing = existing_tree({"10001/TS_1/TiltSeries/100/tiltseries_metadata.json": {"deposition_id": 10300}})
    config = base_config(tiltseries=[{"sources": [{"source_glob": {"list_glob": "ts/{run_name}.st"}}]}])
    plan = plan_of(config, ["tomograms/TS_1.mrc", "ts/TS_1.st"], existing=existing)
    (task,) = plan.runs[0].tiltseries
    assert (task.tiltseries.tiltseries_id, task.reused_id) == (100, True)


def test_a_deposition_without_metadata_anywhere_is_warned_about() -> None:
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"])
    assert plan.deposition is None
    assert any("deposition 10300 has no metadata" in warning for warning in plan.warnings)


def test_a_deposition_whose_metadata_is_in_the_tree_is_not_warned_about() -> None:
    key = "depositions_metadata/10300/deposition_metadata.json"
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"], existing=existing_tree({key: {"deposition_id": 10300}}))
    assert not any("has no metadata" in warning for warning in plan.warnings)
