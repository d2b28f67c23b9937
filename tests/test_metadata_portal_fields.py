"""Fields the portal's database importer reads under names or at times our builders would otherwise miss."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ingest.domain.tasks import Section, Selection
from ingest.errors import InputFileError
from ingest.pipeline.metadata import annotation_file, metadata_bytes, tomogram_file
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing
from tests.plan_helpers import AUTHORS, DATES, TOMOGRAM, base_config, example_plan, plan_of

ONE = {"x": 1, "y": 1, "z": 1}
COMPUTED = {
    "run_name": "TS_1",
    "size": ONE,
    "scales": [ONE, ONE, ONE],
    "mrc_file": "10001/TS_1/t.mrc",
    "omezarr_dir": "10001/TS_1/t.zarr",
    "alignment_metadata_path": "10001/TS_1/Alignments/100/alignment_metadata.json",
    "deposition_id": 10300,
}


def tomogram_json(**values: Any) -> dict[str, Any]:
    metadata = {**TOMOGRAM, "voxel_spacing": 13.48, "authors": AUTHORS, "dates": DATES, **values}
    result: dict[str, Any] = json.loads(metadata_bytes(tomogram_file(metadata, COMPUTED, 0, key="t.json")))
    return result


def test_portal_standard_tomogram_is_also_written_as_is_standardized() -> None:
    document = tomogram_json(is_portal_standard=True)
    assert document["is_portal_standard"] is True and document["is_standardized"] is True


def test_is_standardized_given_by_the_config_is_kept() -> None:
    assert tomogram_json(is_standardized=False, is_portal_standard=True)["is_standardized"] is False
    assert "is_standardized" not in tomogram_json()


def test_alignments_planned_alone_still_name_the_runs_tilt_series() -> None:
    plan = example_plan(Selection(only=frozenset({Section.ALIGNMENTS})))
    for run in plan.runs:
        assert run.tiltseries == ()
        (alignment,) = run.alignments
        expected = f"90001/{run.run.name}/TiltSeries/100/tiltseries_metadata.json"
        assert alignment.metadata.get("tiltseries_path") == expected


def test_alignment_names_a_tilt_series_already_in_the_tree() -> None:
    key = "10001/TS_1/TiltSeries/101/tiltseries_metadata.json"
    existing = ExistingTree(Listing.of([key], root="/out"), {key: {"deposition_id": 1}})
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"], existing=existing)
    assert plan.runs[0].alignments[0].metadata.get("tiltseries_path") == key


def test_alignment_of_a_run_without_tilt_series_names_none() -> None:
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"])
    assert plan.runs[0].alignments[0].metadata.get("tiltseries_path") is None


ANNOTATION = {
    "annotation_ingest_id": "membrane-1",
    "annotation_object": {"id": "GO:0016020", "name": "membrane"},
    "annotation_method": "manual",
    "method_type": "manual",
    "authors": AUTHORS,
    "dates": DATES,
    "version": 1.0,
    "deposition_id": 10300,
}
FILE = {"shape": "Point", "format": "ndjson", "path": "10001/TS_1/a_point.ndjson"}


def test_annotation_with_files_but_no_alignment_is_refused_before_writing() -> None:
    with pytest.raises(InputFileError, match="would not validate") as info:
        annotation_file(ANNOTATION, {"files": [FILE]}, 0, key="a-1.0.json")
    assert "alignment_metadata_path" in str(info.value) and "a-1.0.json" in str(info.value)


def test_annotation_without_files_needs_no_alignment() -> None:
    document = json.loads(metadata_bytes(annotation_file(ANNOTATION, {"files": []}, 0, key="a-1.0.json")))
    assert "alignment_metadata_path" not in document
