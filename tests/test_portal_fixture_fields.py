"""The portal's own metadata outputs (its test fixtures, current layout) read through our metadata-file models:
every field it writes exists in our models under the same name, type and nesting. The only values refused are the
fixtures' placeholders (identifiers that match no pattern, integers where ids are strings, an empty string for a
boolean), listed here one by one so that any other disagreement fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from ingest.models import metadata_files as mf

FIXTURES = "portal-fixtures/test_infra/test_files"
MODELS: dict[str, type[BaseModel]] = {
    "depositions_metadata/300/deposition_metadata.json": mf.DepositionMetadataFile,
    "depositions_metadata/301/deposition_metadata.json": mf.DepositionMetadataFile,
    "30001/dataset_metadata.json": mf.DatasetMetadataFile,
    **{f"30001/RUN{n}/run_metadata.json": mf.RunMetadataFile for n in range(1, 5)},
    "30001/RUN1/TiltSeries/100/tiltseries_metadata.json": mf.TiltSeriesMetadataFile,
    "30001/RUN3/TiltSeries/100/tiltseries_metadata.json": mf.TiltSeriesMetadataFile,
    "30001/RUN1/Alignments/100/alignment_metadata.json": mf.AlignmentMetadataFile,
    "30001/RUN1/Frames/frames_metadata.json": mf.FramesMetadataFile,
    "30001/RUN1/Reconstructions/VoxelSpacing12.300/Tomograms/100/tomogram_metadata.json": mf.TomogramMetadataFile,
    "30001/RUN2/Reconstructions/VoxelSpacing3.456/Tomograms/100/tomogram_metadata.json": mf.TomogramMetadataFile,
    "30001/RUN1/Reconstructions/VoxelSpacing12.300/Annotations/100/foo-1.0.json": mf.AnnotationMetadataFile,
}
PLACEHOLDERS = {
    "depositions_metadata/301/deposition_metadata.json": {"cross_references.related_database_entries"},
    "30001/dataset_metadata.json": {
        "authors.affiliation_identifier",  # test-affliation-id is not a ROR id (the portal's pattern)
        "cell_component.id",
        "cell_strain.id",
        "cell_type.id",
        "tissue.id",
        "cross_references.publications",
        "cross_references.related_database_entries",
    },
    "30001/RUN1/TiltSeries/100/tiltseries_metadata.json": {"related_empiar_entry"},
    "30001/RUN3/TiltSeries/100/tiltseries_metadata.json": {"acceleration_voltage"},  # 10000 V, below 20000
    "30001/RUN1/Reconstructions/VoxelSpacing12.300/Tomograms/100/tomogram_metadata.json": {
        "authors.affiliation_identifier"
    },
    "30001/RUN2/Reconstructions/VoxelSpacing3.456/Tomograms/100/tomogram_metadata.json": {"ctf_corrected"},
    "30001/RUN1/Reconstructions/VoxelSpacing12.300/Annotations/100/foo-1.0.json": {
        "annotation_object.id",
        "annotation_publications",
    },
}
VALUE_ERRORS = {"string_pattern_mismatch", "string_type", "bool_parsing", "greater_than_equal"}
STALE = {
    # The fixture keeps a flat 4-number in_plane_rotation; the portal's alignment importer writes cryoet-alignment's
    # 2×2 matrix (its test_alignments.py asserts [[0.029, -1.0], [1.0, 0.029]]): the code wins over the fixture.
    "30001/RUN1/Alignments/100/alignment_metadata.json": {"per_section_alignment_parameters.in_plane_rotation"},
    # The fixture has no tilt-series size; the portal's schema requires it and its tilt-series importer writes it.
    "30001/RUN3/TiltSeries/100/tiltseries_metadata.json": {"size"},
}


def refused(model: type[BaseModel], document: dict[str, object]) -> list[tuple[str, str]]:
    """(field path, error type) of every error; union branches and list indices are dropped from the path."""
    try:
        model.model_validate(document)
    except ValidationError as error:
        found = []
        for item in error.errors():
            parts = [str(part) for part in item["loc"] if isinstance(part, str) and part[:1].islower()]
            found.append((".".join(parts), item["type"]))
        return found
    return []


@pytest.mark.parametrize("key", sorted(MODELS))
def test_portal_fixture_fields_exist_in_our_models(corpus: Path, key: str) -> None:
    document = json.loads((corpus / FIXTURES / key).read_text())
    stale = STALE.get(key, set())
    errors = [(path, kind) for path, kind in refused(MODELS[key], document) if path not in stale]
    assert len(errors) < len(refused(MODELS[key], document)) or not stale  # the stale field is still refused
    assert {error_type for _, error_type in errors} <= VALUE_ERRORS, errors
    assert {path for path, _ in errors} == PLACEHOLDERS.get(key, set())


def test_every_current_layout_metadata_fixture_is_covered(corpus: Path) -> None:
    root = corpus / FIXTURES
    found = {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.json")
        if path.name.endswith("_metadata.json")
        or (path.parent.parent.name == "Annotations" and path.stem[-1:].isdigit())
    }
    assert found == set(MODELS)
