"""Corpus tier: every real portal config validates; the portal's own fixtures get the verdicts their content implies.

These read the reference corpus named by INGEST_CORPUS (the ``corpus`` fixture) and are skipped without it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from ingest.models import json_schema_text
from ingest.models import metadata_files as mf
from ingest.models.ingestion_config import DepositionConfig

FIXTURES = "portal-fixtures/ingestion_tools/scripts/tests/fixtures"
TEST_FILES = "portal-fixtures/test_infra/test_files"

# Error locations (union-member suffixes dropped) each portal fixture config must produce; empty means valid.
# The fixtures are fragments for the portal's unit tests, so most lack a required section; the rest carry
# deliberately bad ids or keys of older layouts.
_URL_STRAIN = "datasets.0.metadata.cell_strain.id"  # a taxonomy-browser URL, not an id (NCBITaxon:88888 is)
_LIST_GLOB = (  # source_multi_glob written with the key of source_glob: `list_glob: []` instead of `list_globs`
    "rawtilts.0.sources.0.source_multi_glob.list_glob",
    "rawtilts.0.sources.0.source_multi_glob.list_globs",
)
_OLD_ANNOTATION = (  # older layout: no method type, shape and options at the source level (no ingest id is fine)
    "annotations.0.metadata.method_type",
    "annotations.0.sources.0.columns",
    "annotations.0.sources.0.file_format",
    "annotations.0.sources.0.glob_string",
    "annotations.0.sources.0.shape",
)
_BAD_GO = "annotations.0.metadata.annotation_object.id"  # GO:000000! (deliberately invalid)
# Keys the portal's config schema requires that these fragments omit: the dataset's assay,
# development stage and disease (ExperimentMetadata), a component's name, a tomogram's dates and
# is_visualization_default, a deposition's deposition_types.
_DATASET = (
    "datasets.0.metadata.assay",
    "datasets.0.metadata.cell_component.name",
    "datasets.0.metadata.development_stage",
    "datasets.0.metadata.disease",
)
_TOMO = ("tomograms.0.metadata.dates", "tomograms.0.metadata.is_visualization_default")
_DEP_TYPES = "depositions.0.metadata.deposition_types"
FIXTURE_VERDICTS: dict[str, set[str]] = {
    "alignments/alignment1.yaml": set(),
    "alignments/alignment2.yaml": {"voxel_spacings"},
    "alignments/alignment3.yaml": {"voxel_spacings"},
    "alignments/alignment4.yaml": {"voxel_spacings"},
    "annotations/anno_config.yaml": {_URL_STRAIN, *_LIST_GLOB, *_DATASET, *_TOMO, _DEP_TYPES},
    "dataset/keyphoto.yaml": {"standardization_config.deposition_id"},
    "dataset1.yaml": {
        _BAD_GO,
        *_OLD_ANNOTATION,
        *_DATASET,
        "datasets.0.metadata.cell_type.name",
        _TOMO[0],
        _DEP_TYPES,
    },
    "dataset2.yaml": {_BAD_GO, *_OLD_ANNOTATION, _URL_STRAIN, *_DATASET, _TOMO[0], _DEP_TYPES},
    "depositions/deposition1.yaml": {"datasets", "runs", "voxel_spacings", _DEP_TYPES},
    "depositions/deposition2.yaml": {"datasets", "runs", "voxel_spacings"},
    "frames/default.yaml": {
        "standardization_config.deposition_id",
        "voxel_spacings",
        "frames.0.metadata.is_gain_corrected",
    },
    "tiltseries/close_tilt_angles_mdoc_rawtlt.yaml": {"voxel_spacings"},
    "tiltseries/invalid_mdoc_rawtlt.yaml": {"voxel_spacings"},
    "tiltseries/test1.yaml": {"voxel_spacings"},
    "voxel_spacing/mrc_header.yaml": {_URL_STRAIN, *_LIST_GLOB, *_DATASET, *_TOMO},
    # `parent_filters` takes include and exclude only
    "voxel_spacing/overrides_by_run.yaml": {
        _URL_STRAIN,
        *_LIST_GLOB,
        *_DATASET,
        *_TOMO,
        "voxel_spacings.1.sources.0.parent_filters.require",
    },
    "voxel_spacing/tomo_metadata.yaml": {_URL_STRAIN, *_LIST_GLOB, *_DATASET, *_TOMO},
    # a bare '{run_voxel_spacing}' in a numeric slot; the templated form is 'float {run_voxel_spacing}'
    "voxel_spacing/tomo_run_data_map.yaml": {
        _URL_STRAIN,
        *_LIST_GLOB,
        *_DATASET,
        *_TOMO,
        "tomograms.0.metadata.voxel_spacing",
    },
}

# Verdicts on the portal's expected metadata files (current layout). The rejected ones hold synthetic values.
METADATA_VERDICTS: dict[str, tuple[type[BaseModel], set[str]]] = {
    "30001/dataset_metadata.json": (
        mf.DatasetMetadataFile,  # placeholder ids: integers for ontology terms, GO:123435, TEST-1243435, a ROR id
        {
            "authors.1.affiliation_identifier",
            "cell_component.id",
            "cell_strain.id",
            "cell_type.id",
            "cross_references.publications",
            "cross_references.related_database_entries",
            "tissue.id",
        },
    ),
    "30001/RUN1/run_metadata.json": (mf.RunMetadataFile, set()),
    "30001/RUN2/run_metadata.json": (mf.RunMetadataFile, set()),
    "depositions_metadata/300/deposition_metadata.json": (mf.DepositionMetadataFile, set()),
    # EMPIAR-1000 has four digits, EMDB-1001 is not an EMDB id (EMD-1001 is)
    "depositions_metadata/301/deposition_metadata.json": (
        mf.DepositionMetadataFile,
        {"cross_references.related_database_entries"},
    ),
    # test-affliation-id is not a ROR id (the portal's pattern)
    "30001/RUN1/Reconstructions/VoxelSpacing12.300/Tomograms/100/tomogram_metadata.json": (
        mf.TomogramMetadataFile,
        {"authors.1.affiliation_identifier"},
    ),
    # ctf_corrected is an empty string instead of a boolean
    "30001/RUN2/Reconstructions/VoxelSpacing3.456/Tomograms/100/tomogram_metadata.json": (
        mf.TomogramMetadataFile,
        {"ctf_corrected"},
    ),
    # EMPIAR-XYZ is not an EMPIAR id
    "30001/RUN1/TiltSeries/100/tiltseries_metadata.json": (mf.TiltSeriesMetadataFile, {"related_empiar_entry"}),
    # 10000 V is below the portal's minimum acceleration voltage (20000); no size (required by the portal's schema)
    "30001/RUN3/TiltSeries/100/tiltseries_metadata.json": (
        mf.TiltSeriesMetadataFile,
        {"acceleration_voltage", "size"},
    ),
    # a stale fixture: a flat 4-number in_plane_rotation where the portal's importer writes cryoet-alignment's 2×2
    "30001/RUN1/Alignments/100/alignment_metadata.json": (
        mf.AlignmentMetadataFile,
        {f"per_section_alignment_parameters.{s}.in_plane_rotation.{i}" for s in range(2) for i in range(4)},
    ),
    "30001/RUN1/Frames/frames_metadata.json": (mf.FramesMetadataFile, set()),
    # GO:000000 has six digits; EMPIAR-XYZ is not an EMPIAR id
    "30001/RUN1/Reconstructions/VoxelSpacing12.300/Annotations/100/foo-1.0.json": (
        mf.AnnotationMetadataFile,
        {"annotation_object.id", "annotation_publications"},
    ),
}


def error_locations(data: Any, error: ValidationError) -> set[str]:
    """Dotted error locations as written in the data: union-member tags in pydantic's ``loc`` are dropped."""
    locations = set()
    for item in error.errors():
        path, node = [], data
        for index, part in enumerate(item["loc"]):
            if (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int)):
                path.append(str(part))
                node = node[part]
            elif index == len(item["loc"]) - 1 and item["type"] == "missing":
                path.append(str(part))
        locations.add(".".join(path))
    return locations


def locations_rejected(model: type[BaseModel], data: Any) -> set[str]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        return error_locations(data, error)
    return set()


@functools.cache
def load_yaml(path: Path) -> Any:
    """Parse once per session with libyaml's safe loader when present (the pure-Python one is slow)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def real_configs(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "configs").rglob("*.yaml") if p.name != "template.yaml")


def test_every_real_config_validates(corpus: Path) -> None:
    configs = real_configs(corpus)
    assert len(configs) >= 35
    assert corpus / "configs/gjensen/10014.yaml" in configs
    rejected = {
        str(path.relative_to(corpus)): sorted(locs)
        for path in configs
        if (locs := locations_rejected(DepositionConfig, load_yaml(path)))
    }
    assert rejected == {}


def test_template_yaml_is_not_yaml(corpus: Path) -> None:
    with pytest.raises(yaml.YAMLError, match="line 3"):
        yaml.safe_load((corpus / "configs/template.yaml").read_text(encoding="utf-8"))


def test_every_real_config_validates_against_the_json_schema(corpus: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft201909Validator(json.loads(json_schema_text("ingestion_config")))
    rejected = {}
    for path in real_configs(corpus):
        errors = list(validator.iter_errors(load_yaml(path)))
        if errors:
            rejected[path.name] = [error.message for error in errors[:3]]
    assert rejected == {}


def test_portal_fixture_configs_get_the_verdicts_their_content_implies(corpus: Path) -> None:
    root = corpus / FIXTURES
    found = {str(p.relative_to(root)) for p in root.rglob("*.yaml")}
    assert found == set(FIXTURE_VERDICTS)
    verdicts = {name: locations_rejected(DepositionConfig, load_yaml(root / name)) for name in sorted(found)}
    assert verdicts == FIXTURE_VERDICTS


def test_bad_go_id_in_portal_fixture_names_the_go_pattern(corpus: Path) -> None:
    data = load_yaml(corpus / FIXTURES / "dataset1.yaml")
    with pytest.raises(ValidationError) as caught:
        DepositionConfig.model_validate(data)
    messages = [e["msg"] for e in caught.value.errors() if e["input"] == "GO:000000!"]
    assert any(r"^GO:[0-9]{7}$" in message for message in messages)


def test_portal_metadata_files_get_the_verdicts_their_content_implies(corpus: Path) -> None:
    verdicts = {
        name: locations_rejected(model, json.loads((corpus / TEST_FILES / name).read_text(encoding="utf-8")))
        for name, (model, _) in METADATA_VERDICTS.items()
    }
    assert verdicts == {name: expected for name, (_, expected) in METADATA_VERDICTS.items()}


def test_portal_annotation_metadata_validates_once_its_placeholder_ids_are_real(corpus: Path) -> None:
    path = corpus / TEST_FILES / "30001/RUN1/Reconstructions/VoxelSpacing12.300/Annotations/100/foo-1.0.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["annotation_object"]["id"] = "GO:0000000"
    data["annotation_publications"] = "EMPIAR-10000"
    annotation = mf.AnnotationMetadataFile.model_validate(data)
    assert annotation.files is not None
    assert {entry.shape for entry in annotation.files} >= {"Point", "SegmentationMask", "InstanceSegmentationMask"}


def test_portal_tomogram_metadata_round_trips_through_the_model(corpus: Path) -> None:
    path = corpus / TEST_FILES / "30001/RUN1/Reconstructions/VoxelSpacing12.300/Tomograms/100/tomogram_metadata.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["authors"][1]["affiliation_identifier"] = "05a28rw58"  # a ROR id instead of the placeholder
    tomogram = mf.TomogramMetadataFile.model_validate(data)
    assert tomogram.voxel_spacing == 12.3
    assert tomogram.size.x == 980
    dumped = tomogram.model_dump(mode="json", exclude_none=True)
    assert dumped == data
