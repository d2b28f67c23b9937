"""Planning a run's frames: frame files as copies into ``Frames/``, one frames metadata task per run naming the
run's mdoc, and the cases that leave the metadata out (with a warning) or refuse the config."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.domain.tasks import Section, Selection
from ingest.errors import PlanError
from tests.plan_helpers import base_config, plan_of

MDOCS = [{"sources": [{"source_glob": {"list_glob": "mdocs/{run_name}*.mdoc"}}]}]
KEYS = ["tomograms/TS_1.mrc", "mdocs/TS_1.mdoc", "frames/TS_1_001.tif", "frames/TS_1_002.tif"]


def frames(metadata: dict[str, Any] | None, *sources: dict[str, Any]) -> list[dict[str, Any]]:
    """A frames entry; metadata gets the is_gain_corrected the portal's config schema requires beside dose_rate."""
    full = None if metadata is None else {"is_gain_corrected": False, **metadata}
    return [{"metadata": full, "sources": list(sources) or [{"source_glob": {"list_glob": "frames/*.tif"}}]}]


def test_frame_files_are_copies_and_the_task_names_the_mdoc() -> None:
    plan = plan_of(base_config(collection_metadata=MDOCS, frames=frames({"dose_rate": 1.5})), KEYS)
    run = plan.runs[0]
    assert [(task.section, task.output_key) for task in run.copies] == [
        (Section.COLLECTION_METADATA, "10001/TS_1/Frames/TS_1.mdoc"),
        (Section.FRAMES, "10001/TS_1/Frames/TS_1_001.tif"),
        (Section.FRAMES, "10001/TS_1/Frames/TS_1_002.tif"),
    ]
    (task,) = run.frames
    assert (task.metadata_key, task.mdoc_source_key, task.mdoc_key) == (
        "10001/TS_1/Frames/frames_metadata.json",
        "mdocs/TS_1.mdoc",
        "10001/TS_1/Frames/TS_1.mdoc",
    )
    assert task.frame_keys == ("10001/TS_1/Frames/TS_1_001.tif", "10001/TS_1/Frames/TS_1_002.tif")
    assert task.metadata.to_dict() == {"dose_rate": 1.5, "is_gain_corrected": False}
    assert "frames" not in {item.section for item in plan.skipped}


def test_only_frames_keeps_the_mdoc_copy_it_names() -> None:
    config = base_config(collection_metadata=MDOCS, frames=frames({"dose_rate": 1.5}))
    run = plan_of(config, KEYS, selection=Selection(only=frozenset({Section.FRAMES}))).runs[0]
    assert [task.section for task in run.copies] == [Section.COLLECTION_METADATA, Section.FRAMES, Section.FRAMES]
    assert len(run.frames) == 1 and run.tomograms == ()
    others = plan_of(config, KEYS, selection=Selection(only=frozenset({Section.TOMOGRAMS}))).runs[0]
    assert others.copies == () and others.frames == ()


def test_missing_dose_rate_leaves_the_metadata_out_with_a_warning() -> None:
    # A frames entry without metadata (with metadata, the portal's config schema requires dose_rate).
    plan = plan_of(base_config(collection_metadata=MDOCS, frames=frames(None)), KEYS)
    assert plan.runs[0].frames == ()
    assert len([task for task in plan.runs[0].copies if task.section is Section.FRAMES]) == 2
    assert any("frames[0].metadata has no dose_rate" in warning for warning in plan.warnings)


def test_several_mdocs_keep_the_last_as_the_portal_and_warn() -> None:
    keys = [*KEYS, "mdocs/TS_1_b.mdoc"]
    plan = plan_of(base_config(collection_metadata=MDOCS, frames=frames({"dose_rate": 1.0})), keys)
    (task,) = plan.runs[0].frames
    assert (task.mdoc_source_key, task.mdoc_key) == ("mdocs/TS_1_b.mdoc", "10001/TS_1/Frames/TS_1.mdoc")
    mdocs = [copy for copy in plan.runs[0].copies if copy.section is Section.COLLECTION_METADATA]
    assert [(copy.source_key, copy.output_key) for copy in mdocs] == [(task.mdoc_source_key, task.mdoc_key)]
    assert any("several acquisition files" in warning for warning in plan.warnings)


def test_the_mdoc_is_named_after_the_run_whatever_its_source_name() -> None:
    mdocs = [{"sources": [{"source_glob": {"list_glob": "mdocs/foo-{run_name}.mdoc"}}]}]
    keys = ["tomograms/TS_1.mrc", "mdocs/foo-TS_1.mdoc", "frames/TS_1_001.tif"]
    plan = plan_of(base_config(collection_metadata=mdocs, frames=frames({"dose_rate": 1.0})), keys)
    (task,) = plan.runs[0].frames
    assert (task.mdoc_source_key, task.mdoc_key) == ("mdocs/foo-TS_1.mdoc", "10001/TS_1/Frames/TS_1.mdoc")


def test_two_entries_with_different_metadata_for_one_run_are_refused() -> None:
    entries = frames({"dose_rate": 1.0}) + frames({"dose_rate": 2.0}, {"literal": {"value": ["default"]}})
    with pytest.raises(PlanError, match="two frames entries") as caught:
        plan_of(base_config(collection_metadata=MDOCS, frames=entries), KEYS)
    assert "frames[0] and frames[1]" in caught.value.message


def test_a_frame_named_like_the_mdoc_is_refused() -> None:
    keys = [*KEYS, "frames/TS_1.mdoc"]
    entry = frames({"dose_rate": 1.0}, {"source_glob": {"list_glob": "frames/*"}})
    with pytest.raises(PlanError, match="same place"):
        plan_of(base_config(collection_metadata=MDOCS, frames=entry), keys)


def test_entry_that_finds_nothing_for_a_run_gives_it_no_frames() -> None:
    keys = [*KEYS, "tomograms/TS_2.mrc", "mdocs/TS_2.mdoc"]
    entry = frames({"dose_rate": 1.0}, {"source_glob": {"list_glob": "frames/{run_name}_*.tif"}})
    plan = plan_of(base_config(collection_metadata=MDOCS, frames=entry), keys)
    assert {run.run.name: len(run.frames) for run in plan.runs} == {"TS_1": 1, "TS_2": 0}
