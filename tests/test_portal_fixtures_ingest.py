"""Corpus tier: the portal's own fixture configs, completed minimally, ingest against the portal's test files.

The fixture configs under ``ingestion_tools/scripts/tests/fixtures/`` are fragments written for the portal's unit
tests of single importers; ``ingest validate`` refuses every one of them (missing sections, or values the portal's
own schema rejects). Two are completed here in memory, each change named, and ingested with
``--input test_infra/test_files``; the tree, the file names and the metadata fields of docs/design.md §4 are
asserted, and the output checks run by ``ingest deposition`` must be clean.

A finding on the way: both fixtures give the deposition literal a different id from
``standardization_config.deposition_id`` (10301 vs 10001, 20302 vs 20002); every entity would then name a
deposition whose metadata is not in the tree (the output checks report C-META-DEPOSITION). The completion makes
the two agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from ingest.cli import main

FIXTURES = "portal-fixtures/ingestion_tools/scripts/tests/fixtures"
TEST_FILES = "portal-fixtures/test_infra/test_files"
TOMOGRAM_FIELDS = {
    "mrc_file", "omezarr_dir", "alignment_metadata_path", "scales", "size", "voxel_spacing", "processing", "offset",
    "deposition_id", "authors", "last_updated_at",
}  # fmt: skip
RIBOSOME = {"id": "GO:0005840", "name": "ribosome"}
MEMBRANE = {"id": "GO:0016020", "name": "membrane"}


def load(corpus: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((corpus / FIXTURES / name).read_text())
    return data


def ingest(corpus: Path, config: dict[str, Any], tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """Write ``config`` next to nothing else, ingest it from the portal test files; (output, JSON report)."""
    path = tmp_path / "config.yaml"
    with path.open("w") as stream:
        YAML(typ="safe").dump(config, stream)
    output = tmp_path / "out"
    arguments = ["deposition", str(path), "--input", str(corpus / TEST_FILES), "--output", str(output)]
    result = CliRunner().invoke(main, [*arguments, "--workers", "1", "--format", "json", "--timestamp", "2026-01-01"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["checks"] == {"ok": True, "errors": 0, "warnings": 0, "findings": []}
    return output, report


def tree(output: Path) -> list[str]:
    """Every file outside the zarr folders and the pipeline's bookkeeping."""
    return sorted(
        str(path.relative_to(output))
        for path in output.rglob("*")
        if path.is_file() and ".zarr" not in str(path) and ".ingest" not in path.parts
    )


def metadata(output: Path, key: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((output / key).read_text())
    return document


def with_keys_the_portal_requires(config: dict[str, Any]) -> dict[str, Any]:
    """The keys the portal's config schema requires and these fragments omit: a dataset's assay, development stage
    and disease, ontology-term names, a deposition's types, a tomogram's authors, dates and visibility."""
    for entry in config.get("datasets", []):
        dataset = entry.get("metadata")
        if dataset is None:
            continue
        dataset.setdefault("assay", {"name": "cryo-electron tomography", "id": "EFO:0002909"})
        dataset.setdefault("development_stage", {"name": "unknown", "id": "unknown"})
        dataset.setdefault("disease", {"name": "normal", "id": "PATO:0000461"})
        for term in ("tissue", "cell_type", "cell_strain", "cell_component"):
            if isinstance(dataset.get(term), dict) and not dataset[term].get("name"):
                dataset[term]["name"] = term.replace("_", " ")
        for tomograms in config.get("tomograms", []):
            tomogram = tomograms.get("metadata") or {}
            tomogram.setdefault("authors", dataset["authors"])
            tomogram.setdefault("dates", dataset["dates"])
            tomogram.setdefault("is_visualization_default", True)
    for entry in config.get("depositions", []):
        if entry.get("metadata") is not None:
            entry["metadata"].setdefault("deposition_types", ["dataset"])
    return config


def completed_annotation_fixture(corpus: Path) -> dict[str, Any]:
    config = load(corpus, "annotations/anno_config.yaml")
    dataset = config["datasets"][0]["metadata"]
    config["version"] = "1.3.0"
    # The portal's schema rejects these values: a strain id that is a URL, and an organism without its tissue.
    dataset["cell_strain"] = {"id": "NCBITaxon:88888", "name": "Strain 1"}
    dataset["tissue"] = {"id": "BTO:0000142", "name": "brain"}
    # Deposition literals are integers, and the same id as the standardization config (see the module docstring).
    config["depositions"][0]["sources"][0]["literal"]["value"] = [20302]
    config["standardization_config"]["deposition_id"] = 20302
    # The tilt series section needs a collection_metadata section and the rawtilt and gain finders are malformed;
    # the test files hold no tilt series for this dataset anyway.
    for section in ("tiltseries", "rawtilts", "gains"):
        del config[section]
    config["runs"][0]["sources"][0]["source_glob"]["name_regex"] = r"(.*)\.rec"  # run1, not run1.rec
    common = {
        "annotation_method": "manual",
        "method_type": "manual",
        "authors": dataset["authors"],
        "dates": dataset["dates"],
        "version": 1.0,
    }
    config["annotations"] = [  # the fixture has none: two of the test files' annotations
        {
            "metadata": {**common, "annotation_ingest_id": "points-1", "annotation_object": RIBOSOME},
            "sources": [{"Point": {"file_format": "csv", "glob_string": "annotations/points.csv"}}],
        },
        {
            "metadata": {**common, "annotation_ingest_id": "mask-1", "annotation_object": MEMBRANE},
            "sources": [{"SemanticSegmentationMask": {"file_format": "mrc", "glob_string": "annotations/segmask.mrc"}}],
        },
    ]  # fmt: skip
    return with_keys_the_portal_requires(config)


def test_annotation_fixture_ingests_with_dataset_tomogram_points_and_mask(corpus: Path, tmp_path: Path) -> None:
    output, report = ingest(corpus, completed_annotation_fixture(corpus), tmp_path)
    # + key images, the precomputed points, the mask's precomputed segmentation and the Neuroglancer state (issue 14)
    assert [(run["run"], run["written"], run["error"]) for run in report["runs"]] == [("20002/run1", 9, None)]
    vs = "20002/run1/Reconstructions/VoxelSpacing1.123"
    viewers = [key for key in tree(output) if "/Images/" in key or "/NeuroglancerPrecompute/" in key]
    assert f"{vs}/Images/100/key-photo-snapshot.png" in viewers and "20002/Images/snapshot.png" in viewers
    assert f"{vs}/NeuroglancerPrecompute/100-ribosome-1.0_point/info" in viewers
    assert [key for key in tree(output) if key not in viewers] == [
        "20002/dataset_metadata.json",
        "20002/run1/Alignments/100/alignment_metadata.json",
        f"{vs}/Annotations/100/ribosome-1.0.json",
        f"{vs}/Annotations/100/ribosome-1.0_point.ndjson",
        f"{vs}/Annotations/101/membrane-1.0.json",
        f"{vs}/Annotations/101/membrane-1.0_segmentationmask.mrc",
        f"{vs}/Tomograms/100/run1.mrc",
        f"{vs}/Tomograms/100/tomogram_metadata.json",
        "20002/run1/run_metadata.json",
        "depositions_metadata/20302/deposition_metadata.json",
    ]
    dataset = metadata(output, "20002/dataset_metadata.json")
    assert dataset["deposition_id"] == 20302 and dataset["dataset_identifier"] == 20002
    assert dataset["organism"] == {"name": "Organism 1", "taxonomy_id": 9999}
    assert set(dataset["dates"]) == {"deposition_date", "release_date", "last_modified_date"}
    tomogram = metadata(output, f"{vs}/Tomograms/100/tomogram_metadata.json")
    assert set(tomogram) >= TOMOGRAM_FIELDS
    assert tomogram["size"] == {"x": 4, "y": 4, "z": 4} and tomogram["voxel_spacing"] == 1.123  # rounded as its folder
    assert [scale["x"] for scale in tomogram["scales"]] == [4, 2, 1]
    assert tomogram["alignment_metadata_path"] == "20002/run1/Alignments/100/alignment_metadata.json"
    assert tomogram["omezarr_dir"] == f"{vs}/Tomograms/100/run1.zarr" and (output / tomogram["omezarr_dir"]).is_dir()
    points = metadata(output, f"{vs}/Annotations/100/ribosome-1.0.json")
    assert points["object_count"] == 3 and points["annotation_ingest_id"] == "points-1"
    assert points["files"] == [
        {
            "format": "ndjson",
            "is_visualization_default": False,
            "path": f"{vs}/Annotations/100/ribosome-1.0_point.ndjson",
            "shape": "Point",
        }
    ]
    lines = (output / points["files"][0]["path"]).read_text().splitlines()
    assert json.loads(lines[0]) == {"type": "point", "location": {"x": 1.0, "y": 2.0, "z": 3.0}}
    mask = metadata(output, f"{vs}/Annotations/101/membrane-1.0.json")
    assert {(file["shape"], file["format"]) for file in mask["files"]} == {
        ("SegmentationMask", "mrc"),
        ("SegmentationMask", "zarr"),
    }
    alignment = metadata(output, "20002/run1/Alignments/100/alignment_metadata.json")
    assert alignment["alignment_type"] == "GLOBAL"
    assert alignment["volume_dimension"] == pytest.approx({"x": 4 * 1.123, "y": 4 * 1.123, "z": 4 * 1.123})


def completed_alignment_fixture(corpus: Path) -> dict[str, Any]:
    config = load(corpus, "alignments/alignment1.yaml")
    deposition = load(corpus, "depositions/deposition1.yaml")["depositions"][0]
    dataset = completed_annotation_fixture(corpus)["datasets"][0]["metadata"]
    config["version"] = "1.3.0"
    # Metadata the fragment leaves out: the deposition's (from deposition1.yaml, the same id 10301), a dataset's
    # (the annotation fixture's, identifier changed), and a tomogram's.
    config["depositions"] = [{"metadata": deposition["metadata"], "sources": [{"literal": {"value": [10301]}}]}]
    config["standardization_config"]["deposition_id"] = 10301
    config["datasets"][0]["metadata"] = {**dataset, "dataset_identifier": 10001}
    config["tomograms"][0]["metadata"] = {
        "fiducial_alignment_status": "NON_FIDUCIAL",
        "processing": "raw",
        "reconstruction_method": "WBP",
        "reconstruction_software": "IMOD",
        "tomogram_version": 1.0,
        "offset": {"x": 0, "y": 0, "z": 0},
    }
    return with_keys_the_portal_requires(config)


def test_alignment_fixture_ingests_both_runs_with_default_alignments(corpus: Path, tmp_path: Path) -> None:
    output, report = ingest(corpus, completed_alignment_fixture(corpus), tmp_path)
    dataset = completed_annotation_fixture(corpus)["datasets"][0]["metadata"]
    assert [run["run"] for run in report["runs"]] == ["10001/TS_run1", "10001/TS_run2"]
    assert "depositions_metadata/10301/deposition_metadata.json" in tree(output)
    for run, size in (("TS_run1", {"x": 6, "y": 8, "z": 10}), ("TS_run2", {"x": 4, "y": 4, "z": 4})):
        folder = f"10001/{run}/Reconstructions/VoxelSpacing4.123/Tomograms/100"
        assert f"{folder}/{run}.mrc" in tree(output)
        tomogram = metadata(output, f"{folder}/tomogram_metadata.json")
        assert set(tomogram) >= TOMOGRAM_FIELDS and tomogram["size"] == size
        assert tomogram["authors"] == dataset["authors"] and tomogram["deposition_id"] == 10301
        assert tomogram["alignment_metadata_path"] == f"10001/{run}/Alignments/100/alignment_metadata.json"
        assert metadata(output, f"10001/{run}/run_metadata.json")["run_name"] == run
