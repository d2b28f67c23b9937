"""Planning against the portal's own fixtures (corpus tier: runs when INGEST_CORPUS is set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ingest.models.ingestion_config import DepositionConfig
from ingest.pipeline.existing_tree import read_existing_tree
from ingest.pipeline.inputs import StorageMrcHeaders, list_input
from ingest.pipeline.planning import InvalidConfigError, plan_from_files
from ingest.plan.deposition import PlanInputs, plan_deposition
from ingest.plan.existing import ExistingTree
from ingest.storage.base import open_storage
from tests.plan_helpers import TOMOGRAM, annotation, base_config

FIXTURES = "portal-fixtures/ingestion_tools/scripts/tests/fixtures"
TEST_FILES = "portal-fixtures/test_infra/test_files"


def _plan(corpus: Path, config: dict[str, Any], existing: ExistingTree | None = None) -> Any:
    model = DepositionConfig.model_validate(config)
    storage = open_storage(str(corpus / TEST_FILES))
    prefix = model.standardization_config.source_prefix
    inputs = PlanInputs(list_input(storage, prefix), headers=StorageMrcHeaders(storage, prefix), config_file="fixture")
    return plan_deposition(model, inputs, existing or ExistingTree.empty())


def test_invalid_fixture_configs_are_refused_before_listing(corpus: Path) -> None:
    config = corpus / FIXTURES / "dataset1.yaml"
    with pytest.raises(InvalidConfigError) as info:
        plan_from_files(config, input_url=str(corpus / TEST_FILES), output_url=str(corpus / "does-not-exist"))
    assert info.value.report.errors


def test_alignment_fixture_plans_both_runs_from_the_portal_test_files(corpus: Path) -> None:
    data = YAML(typ="safe").load((corpus / FIXTURES / "alignments/alignment1.yaml").read_text())
    plan = _plan(corpus, data)
    assert [run.run.name for run in plan.runs] == ["TS_run1", "TS_run2"]
    run = plan.runs[0]
    assert run.tomograms[0].source_key == "tomograms/TS_run1.rec"
    assert run.tomograms[0].mrc_key == "10001/TS_run1/Reconstructions/VoxelSpacing4.123/Tomograms/100/TS_run1.mrc"
    assert run.alignments[0].is_default


def test_tiltseries_fixture_copies_its_mdoc_and_rawtilt(corpus: Path) -> None:
    data = YAML(typ="safe").load((corpus / FIXTURES / "tiltseries/test1.yaml").read_text())
    data["voxel_spacings"] = [{"sources": [{"literal": {"value": [13.48]}}]}]
    plan = _plan(corpus, data)
    assert [len(run.tiltseries) for run in plan.runs] == [1, 0]
    assert plan.runs[0].tiltseries[0].source_key == "metadata/TS_run1.st"
    assert [(task.source_key, task.output_key) for task in plan.runs[0].copies] == [
        ("metadata/TS_run1.rawtlt", "10001/TS_run1/TiltSeries/100/TS_run1.rawtlt"),
        ("metadata/mdocs_modified/foo-TS_run1.mdoc", "10001/TS_run1/Frames/TS_run1.mdoc"),  # {run}.mdoc
    ]
    assert plan.runs[1].copies == ()
    assert {item.section: item.count for item in plan.skipped} == {}


def test_voxel_spacing_from_the_mrc_header_of_a_fixture_tomogram(corpus: Path) -> None:
    config = base_config(
        standardization_config={"deposition_id": 20002, "source_prefix": "input_bucket/20002"},
        runs=[{"sources": [{"source_glob": {"list_glob": "tomograms/*.rec", "name_regex": "(.*)\\.rec"}}]}],
        voxel_spacings=[{"sources": [{"tomogram_header": {"list_glob": "tomograms/{run_name}.rec"}}]}],
        tomograms=[{"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "tomograms/{run_name}.rec"}}]}],
    )
    plan = _plan(corpus, config)
    (run,) = plan.runs
    assert run.run.name == "run1"
    assert run.voxel_spacings[0].voxel_spacing.name == "14.080"  # mrcfile reads cella 56.32 / mx 4


def test_ids_are_reused_from_the_portal_fixture_tree(corpus: Path) -> None:
    existing = read_existing_tree(open_storage(str(corpus / TEST_FILES)))
    common = {
        "datasets": [{"sources": [{"literal": {"value": ["30001"]}}]}],
        "runs": [{"sources": [{"literal": {"value": ["RUN1"]}}]}],
        "voxel_spacings": [{"sources": [{"literal": {"value": [12.3]}}]}],
        "alignments": [
            {
                "sources": [
                    {"destination_glob": {"list_glob": "{run_output_path}/Alignments/100/alignment_metadata.json"}}
                ]
            }
        ],
    }
    source = [{"source_glob": {"list_glob": "tomograms/run1.rec"}}]
    tomograms = [
        {"metadata": {**TOMOGRAM, "processing_software": "tomo3D"}, "sources": source},
        {"metadata": {**TOMOGRAM, "processing": "denoised"}, "sources": source},
    ]
    config = base_config(
        standardization_config={"deposition_id": 300, "source_prefix": "input_bucket/20002"},
        depositions=[{"sources": [{"literal": {"value": [300]}}]}],
        tomograms=tomograms,
        **common,
    )
    plan = _plan(corpus, config, existing)
    ids = [(task.tomogram.tomogram_id, task.reused_id) for task in plan.runs[0].tomograms]
    assert ids == [(100, True), (101, False)]
    assert plan.runs[0].metadata_key == "30001/RUN1/run_metadata.json"

    points = [{"Point": {"file_format": "csv", "glob_string": "annotations/points.csv"}}]
    config = base_config(
        standardization_config={"deposition_id": 301, "source_prefix": "input_bucket/20002"},
        depositions=[{"sources": [{"literal": {"value": [301]}}]}],
        tomograms=[],
        annotations=[annotation("100-foo-1.0", "foo", points), annotation("bar-1", "bar", points)],
        **common,
    )
    plan = _plan(corpus, config, existing)
    ids = [(task.annotation.annotation_id, task.reused_id) for task in plan.runs[0].annotations]
    assert ids == [(100, True), (101, False)]
    assert plan.runs[0].metadata_key is None  # RUN1 belongs to deposition 300
