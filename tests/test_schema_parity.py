"""Corpus tier: our schema enforces every constraint of the portal's LinkML schemas and accepts every key they accept.

Slot by slot (``schema_parity.paired_slots``) from the config root and from each metadata file: ``required``,
``minimum_value``/``maximum_value``, enum permissible values, and patterns. Patterns are compared by what they
accept: strings drawn from each portal pattern must pass ours (we refuse nothing the portal takes) and strings drawn
from ours must pass the portal's (ours is no looser). Every deliberate difference is listed below with its reason;
a listed difference that no longer exists fails the test too, so the list stays true.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from configs_under_test import Edit, edited, minimal_text, write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from linkml_runtime.utils.schemaview import SchemaView
from schema_parity import SlotPair, our_match, our_view, paired_slots, portal_match, portal_view

from ingest.pipeline.validate import exit_code, validate_config

ROOTS = {
    "ingestion_config": [("Container", "DepositionConfig")],
    "metadata_files": [
        ("AlignmentMetadata", "AlignmentMetadataFile"),
        ("AnnotationMetadata", "AnnotationMetadataFile"),
        ("DatasetMetadata", "DatasetMetadataFile"),
        ("DepositionMetadata", "DepositionMetadataFile"),
        ("RunMetadata", "RunMetadataFile"),
        ("TiltSeriesMetadata", "TiltSeriesMetadataFile"),
        ("TomogramMetadata", "TomogramMetadataFile"),
        ("FramesMetadata", "FramesMetadataFile"),
    ],
}

_PICKS = (
    "file formats are the picks-reader registry's names for the shape (ingest/converters/picks/registry.py), "
    "a superset of the portal's list: every portal format is read, and `ingest validate` refuses a name the "
    "registry lacks (E-FILE-FORMAT)"
)
_TEMPLATE = (
    "templated numbers: we also take `int {col}` (the portal's validator replaces it by an integer before "
    "validating, 10505 uses it) and need a field that is a Python identifier, as our template engine does; no "
    "corpus config uses another form"
)
_CAMERA = (
    "camera manufacturer and model are checked against the portal's lists as a warning (W-CAMERA-MODEL, "
    "ingest/config/rules/camera_models.py), as the portal's extended validator does, not refused by the schema"
)
_INGEST_ID = (
    "annotation_ingest_id: the portal's schema has a pattern and `required`, but its validator enforces neither: "
    "it ran 10009 (no id) and 10485-10489 (`byu_kaggle_flagellar_motor_10485`); we warn (W-INGEST-ID-PATTERN)"
)
_KEY_PHOTO = (
    "key photos may be paths under the input root (local inputs) as well as the URLs / s3 / bucket keys the "
    "portal's URLorS3URI pattern allows"
)
_WRITTEN = (
    "the pipeline writes deposition_id and last_updated_at into every metadata file; the models keep them optional "
    "because they also read existing trees, and the portal's own fixture trees have files without them (30001 "
    "frames, deposition 300)"
)
_RESOLVED = "metadata files hold resolved values: templates (`float {col}`, `{col}`) are resolved before writing"
_FROM_CONFIG = (
    "required where the portal's config schema requires it (the Config* classes of schema/ingestion_config.yaml); "
    "the metadata file carries the config's value, and the same models read trees written without it"
)
DELIBERATE: dict[str, str] = {
    "ingestion_config pattern annotations.metadata.annotation_ingest_id": _INGEST_ID,
    "ingestion_config required annotations.metadata.annotation_ingest_id": _INGEST_ID,
    "ingestion_config missing-key annotations.metadata.files": (
        "an annotation's files are computed from its sources and written into its metadata file; a config never "
        "lists them (no corpus config does)"
    ),
    "ingestion_config enum annotations.sources.Point.file_format": _PICKS,
    "ingestion_config enum annotations.sources.OrientedPoint.file_format": _PICKS,
    "ingestion_config enum annotations.sources.InstanceSegmentation.file_format": _PICKS,
    "ingestion_config enum annotations.sources.TriangularMesh.file_format": (
        "one mesh format list for both shapes; planning refuses `hff` for TriangularMesh (the portal's importer)"
    ),
    "ingestion_config enum annotations.sources.TriangularMeshGroup.file_format": (
        "mesh formats: one list for both mesh shapes; planning takes only `hff` for TriangularMeshGroup"
    ),
    "ingestion_config enum tiltseries.metadata.camera.manufacturer": _CAMERA,
    "ingestion_config enum tiltseries.metadata.camera.model": _CAMERA,
    "ingestion_config pattern tiltseries.metadata.camera.model": _CAMERA,
    "ingestion_config pattern dataset_keyphotos.sources.literal.value.snapshot": _KEY_PHOTO,
    "ingestion_config pattern dataset_keyphotos.sources.literal.value.thumbnail": _KEY_PHOTO,
    "ingestion_config required version": (
        "a config without `version` is read as the current format 1.3.0; the portal's own fixture configs have "
        "none and its importers read them"
    ),
    "ingestion_config pattern alignments.metadata.volume_dimension.x": _TEMPLATE,
    "ingestion_config pattern alignments.metadata.volume_dimension.y": _TEMPLATE,
    "ingestion_config pattern alignments.metadata.volume_dimension.z": _TEMPLATE,
    "ingestion_config pattern frames.metadata.dose_rate": _TEMPLATE,
    "ingestion_config pattern voxel_spacings.sources.literal.value": _TEMPLATE,
    "ingestion_config pattern tiltseries.metadata.camera.acquire_mode": _TEMPLATE,
    # metadata files (what we write into the tree; the same models read existing trees)
    "metadata_files required deposition_id": _WRITTEN,
    "metadata_files required last_updated_at": _WRITTEN,
    "metadata_files pattern volume_dimension.x": _RESOLVED,
    "metadata_files pattern volume_dimension.y": _RESOLVED,
    "metadata_files pattern volume_dimension.z": _RESOLVED,
    "metadata_files pattern camera.acquire_mode": _RESOLVED,
    "metadata_files pattern camera.model": _CAMERA,
    "metadata_files enum camera.model": _CAMERA,
    "metadata_files pattern annotation_ingest_id": _INGEST_ID,
    "metadata_files required files.is_visualization_default": _FROM_CONFIG,
    "metadata_files required key_photos": _FROM_CONFIG,
    "metadata_files required assay": _FROM_CONFIG,
    "metadata_files required development_stage": _FROM_CONFIG,
    "metadata_files required disease": _FROM_CONFIG,
    "metadata_files required deposition_types": _FROM_CONFIG,
    "metadata_files required is_aligned": _FROM_CONFIG,
    "metadata_files required tomogram_version": _FROM_CONFIG,
    "metadata_files required is_visualization_default": _FROM_CONFIG,
    "metadata_files missing-key identified_objects": (
        "the portal's identified-object importer writes them to IdentifiedObjects/identified_objects.json (where its "
        "database importer reads them), not into run_metadata.json"
    ),
    **{
        f"metadata_files pattern {name}.id": (
            "a dataset file's sample descriptor id may be `not_reported`: the portal's dataset importer writes it "
            "for a descriptor the config leaves out (issue 12 item 5); its metadata schema has no pattern for it"
        )
        for name in ("cell_strain", "cell_type", "development_stage", "disease", "tissue")
    },
    "metadata_files required frames.acquisition_order": (
        "a frame entry's acquisition order comes from the mdoc's ZValue; entries of frames without an mdoc have none"
    ),
}


@functools.cache
def views(corpus: Path, schema: str) -> tuple[SchemaView, SchemaView]:
    return portal_view(corpus, schema), our_view(schema)


def pairs(corpus: Path, schema: str) -> list[SlotPair]:
    portal, ours = views(corpus, schema)
    found: dict[str, SlotPair] = {}
    for portal_root, our_root in ROOTS[schema]:
        for pair in paired_slots(portal, ours, portal_root, our_root):
            found.setdefault(pair.path, pair)
    return list(found.values())


def structural_differences(schema: str, pair: SlotPair) -> list[str]:
    """Differences other than patterns: a key we lack, ``required``, bounds, enum values."""
    portal, ours = pair.portal, pair.ours
    if ours is None:
        return ["missing-key"]
    found = []
    if portal.required and not ours.required:
        found.append("required")
    if portal.minimum is not None and (ours.minimum is None or ours.minimum < portal.minimum):
        found.append("minimum")
    if portal.maximum is not None and (ours.maximum is None or ours.maximum > portal.maximum):
        found.append("maximum")
    if portal.enum_values is not None and portal.enum_values != ours.enum_values:
        found.append("enum")
    return found


def pattern_difference(pair: SlotPair) -> bool:
    """True when ours accepts a string the portal's patterns refuse, or refuses one they accept."""
    portal, ours = pair.portal.patterns, pair.ours.patterns if pair.ours else frozenset()
    if not portal:
        return False
    if not ours:
        return True  # any string passes ours
    return not (_all_accepted(portal, ours, our_match) and _all_accepted(ours, portal, portal_match))


def _all_accepted(sources: frozenset[str], judges: frozenset[str], accepts: object) -> bool:
    verdict = {"ok": True}
    strategy = st.one_of(*(st.from_regex(_anchored(p), fullmatch=True) for p in sorted(sources)))

    @settings(max_examples=40, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def probe(text: str) -> None:
        if not any(accepts(judge, text) for judge in judges):  # type: ignore[operator]
            verdict["ok"] = False

    probe()
    return verdict["ok"]


def _anchored(pattern: str) -> str:
    return pattern if pattern.startswith("^") else "^" + pattern


@pytest.mark.parametrize("schema", sorted(ROOTS))
def test_our_schema_enforces_what_the_portal_schema_enforces(corpus: Path, schema: str) -> None:
    found: set[str] = set()
    for pair in pairs(corpus, schema):
        found.update(f"{schema} {kind} {pair.path}" for kind in structural_differences(schema, pair))
        if pair.ours is not None and pattern_difference(pair):
            found.add(f"{schema} pattern {pair.path}")
    listed = {key for key in DELIBERATE if key.startswith(schema + " ")}
    unlisted = found - listed
    assert sorted(unlisted) == [], "differences from the portal's schema that are not listed as deliberate"
    assert sorted(listed - found) == [], "listed deliberate differences that no longer exist"


def test_the_walk_reaches_every_config_section_and_the_slots_named_in_the_issue(corpus: Path) -> None:
    paths = {pair.path for pair in pairs(corpus, "ingestion_config")}
    assert {
        "voxel_spacings.sources.literal.value",
        "tomograms.metadata.voxel_spacing",
        "datasets.metadata.cell_type.id",
        "annotations.sources.OrientedPoint.mesh_source_path",
        "tiltseries.metadata.pixel_spacing",
    } <= paths
    assert len(paths) > 300


def test_picks_formats_of_the_portal_are_all_readable_for_their_shape(corpus: Path) -> None:
    """The deliberate file-format difference is a superset: every format the portal lists for a shape is ours."""
    from ingest.converters.picks.registry import known_formats

    by_path = {pair.path: pair for pair in pairs(corpus, "ingestion_config")}
    for shape in ("Point", "OrientedPoint", "InstanceSegmentation"):
        portal = by_path[f"annotations.sources.{shape}.file_format"].portal.enum_values
        assert portal is not None and portal <= set(known_formats()), shape


# --- the behaviour the issue names -----------------------------------------------------------------------------


def _voxel_spacing(value: str) -> str:
    return edited(minimal_text(), Edit("      value:\n      - 10.0", f"      value:\n      - {value}"))


@pytest.mark.parametrize("value", ["-10.0", "0.0", ".inf", "-.inf", ".nan", "0.0005"])
def test_voxel_spacing_out_of_the_portal_range_is_refused_at_its_line(tmp_path: Path, value: str) -> None:
    text = _voxel_spacing(value)
    report = validate_config(write_config(tmp_path, text))
    (finding,) = [f for f in report.errors if f.path == "voxel_spacings[0].sources[0].literal.value[0]"]
    assert (
        finding.code in ("E-SCHEMA-RANGE", "E-SCHEMA-TYPE")
        and finding.line == text.splitlines().index(f"      - {value}") + 1
    )
    assert exit_code(report) == 1


def test_annotation_version_nan_is_refused(tmp_path: Path) -> None:
    marker = "    ground_truth_status: false\n"
    text = edited(minimal_text(), Edit(marker, marker + "    version: .nan\n"))
    report = validate_config(write_config(tmp_path, text))
    (finding,) = [f for f in report.errors if f.path == "annotations[0].metadata.version"]
    assert finding.code == "E-SCHEMA-RANGE" and "finite" in finding.describe()
    assert finding.line == text.splitlines().index("    version: .nan") + 1


@pytest.mark.parametrize("term", ["WBbt:0007028", "ZFA:0009000", "FBbt:00005106", "CL:0000255"])
def test_cell_type_ids_with_every_prefix_the_portal_allows_are_accepted(tmp_path: Path, term: str) -> None:
    text = edited(
        minimal_text(),
        Edit("    cell_strain:\n", f"    cell_type:\n      name: a cell\n      id: {term}\n    cell_strain:\n"),
    )
    assert exit_code(validate_config(write_config(tmp_path, text))) == 0


def test_cell_type_id_with_another_prefix_is_refused(tmp_path: Path) -> None:
    text = edited(
        minimal_text(),
        Edit("    cell_strain:\n", "    cell_type:\n      name: a cell\n      id: XYZ:0007028\n    cell_strain:\n"),
    )
    report = validate_config(write_config(tmp_path, text))
    assert [f.code for f in report.errors] == ["E-ID-PATTERN"]
