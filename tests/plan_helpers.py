"""Builders shared by the planner tests: small configs as plain data, listings without files."""

from __future__ import annotations

import copy
from typing import Any

from ruamel.yaml import YAML

from ingest.config.example import EXAMPLE_CONFIG_TEXT
from ingest.domain.tasks import Plan, Selection
from ingest.models.ingestion_config import DepositionConfig
from ingest.pipeline.example import run_data_map_csv
from ingest.pipeline.inputs import RunDataMap, parse_run_data_map
from ingest.plan.deposition import PlanInputs, plan_deposition
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing

DATES = {"deposition_date": "2024-01-01", "release_date": "2024-01-02", "last_modified_date": "2024-01-03"}
AUTHORS = [{"name": "A", "primary_author_status": True, "corresponding_author_status": True}]
TOMOGRAM = {
    "fiducial_alignment_status": "NON_FIDUCIAL",
    "processing": "raw",
    "reconstruction_method": "WBP",
    "reconstruction_software": "IMOD",
    "tomogram_version": 1.0,
    "offset": {"x": 0, "y": 0, "z": 0},
    "is_visualization_default": True,
    "authors": AUTHORS,
    "dates": DATES,
}


def annotation(ingest_id: str, name: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
    """An annotation entry with the required metadata."""
    metadata = {
        "annotation_ingest_id": ingest_id,
        "annotation_object": {"id": "GO:0016020", "name": name},
        "annotation_method": "manual",
        "method_type": "manual",
        "authors": AUTHORS,
        "dates": DATES,
        "version": 1.0,
    }
    return {"metadata": metadata, "sources": sources}


def base_config(**sections: Any) -> dict[str, Any]:
    """A minimal valid config: deposition 10300, dataset 10001, runs from tomograms/*.mrc, voxel spacing 13.48,
    one tomogram per run; ``sections`` replace or add sections."""
    config: dict[str, Any] = {
        "version": "1.3.0",
        "standardization_config": {"deposition_id": 10300, "source_prefix": "in"},
        "depositions": [{"sources": [{"literal": {"value": [10300]}}]}],
        "datasets": [{"sources": [{"literal": {"value": ["10001"]}}]}],
        "runs": [{"sources": [{"source_glob": {"list_glob": "tomograms/*.mrc", "name_regex": "(.*)\\.mrc"}}]}],
        "voxel_spacings": [{"sources": [{"literal": {"value": [13.48]}}]}],
        "tomograms": [{"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "tomograms/{run_name}.mrc"}}]}],
    }
    config.update(copy.deepcopy(sections))
    return config


def plan_of(
    config: dict[str, Any],
    keys: list[str],
    *,
    existing: ExistingTree | None = None,
    run_data: RunDataMap | None = None,
    selection: Selection | None = None,
) -> Plan:
    """Plan ``config`` against a listing of ``keys`` (no files needed)."""
    inputs = PlanInputs(Listing.of(keys, root="/in"), run_data or RunDataMap(), config_file="test.yaml")
    return plan_deposition(
        DepositionConfig.model_validate(config), inputs, existing or ExistingTree.empty(), selection=selection
    )


def example_config() -> DepositionConfig:
    """The example deposition's config."""
    return DepositionConfig.model_validate(YAML(typ="safe").load(EXAMPLE_CONFIG_TEXT))


EXAMPLE_KEYS = [
    f"{folder}/{run}{suffix}"
    for run in ("TS_001", "TS_002")
    for folder, suffix in [
        ("tomograms", "_bin1.mrc"),
        ("tomograms", "_bin2.mrc"),
        ("tiltseries", ".mrc"),
        ("tiltseries", ".rawtlt"),
        ("tiltseries", ".mdoc"),
        ("masks", "_membrane.mrc"),
        ("picks", "_ribosome.csv"),
        ("picks", "_ribosome.star"),
        ("picks", "_proteasome.json"),
    ]
] + ["run_data_map.csv"]


def example_plan(selection: Selection | None = None) -> Plan:
    """The example deposition planned from its listing (no files), against an empty output."""
    inputs = PlanInputs(
        Listing.of(EXAMPLE_KEYS, root="example-data/phantom"),
        parse_run_data_map(run_data_map_csv(), source="run_data_map.csv"),
        config_file="example.yaml",
    )
    return plan_deposition(example_config(), inputs, ExistingTree.empty(), selection=selection)
