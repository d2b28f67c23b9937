"""What the portal's own pipeline always writes into a metadata file even when the config has no value for it,
and what its database importer reads without a fallback: one place for the writers
(:mod:`ingest.pipeline.frames_metadata`, :mod:`ingest.pipeline.execute_run`) and for ``ingest check``
(:mod:`ingest.checks.metadata_rules`).

Facts from the portal's code (chanzuckerberg/cryoet-data-portal-backend): its frame importer writes every
``frames[]`` entry of ``Frames/frames_metadata.json`` with the five keys below, ``"path": null`` when the section's
movie was not deposited and ``"is_gain_corrected": null`` when the config does not say; its database importer
(``apiv2/db_import/importers/frame.py``) reads the five with ``[]``, so a missing key fails the whole dataset
(``KeyError``), while ``null`` imports. ``frames_acquisition_file`` is read the same way. Its tilt-series importer
(``ingestion_tools/scripts/importers/tiltseries.py``) writes every ``per_section_parameter`` entry with the six CTF
values below, ``null`` when no CTF file is given or it has no row for the section, and ``"ctf_path": null`` when the
run has no CTF file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FRAME_ENTRY_KEYS = ("acquisition_order", "accumulated_dose", "exposure_dose", "is_gain_corrected", "path")
"""Keys every ``frames[]`` entry holds (the portal's database importer reads each with ``[]``)."""

FRAME_ENTRY_NULLABLE = frozenset({"is_gain_corrected", "path"})
"""Entry keys written as ``null`` when unknown: no deposited movie (``path``), gain correction not stated."""

FRAMES_FILE_KEYS = ("frames_acquisition_file", "frames")
"""Keys ``frames_metadata.json`` must hold for the importer."""

ANNOTATION_FILE_DEFAULTS = {"is_visualization_default": False}
"""Every ``files[]`` entry of an annotation's metadata: the portal's annotation sources default
``is_visualization_default`` to false and write it on every file."""

SECTION_CTF_KEYS = (
    "astigmatic_angle", "cross_correlation", "major_defocus", "max_resolution", "minor_defocus", "phase_shift",
)  # fmt: skip
"""CTF values of every ``per_section_parameter`` entry, written as ``null`` when unknown."""

SEMANTIC_MASK_OBJECT_COUNT = 0
"""The object count of a semantic segmentation mask: the portal counts points (or distinct instance ids) and
gives every other source 0; an annotation's ``object_count`` is the largest over its files."""

MESH_OBJECT_COUNT = 1
"""The object count of a mesh annotation file (TriangularMesh or a group's named mesh), as the portal's."""

MESH_FILE_SHAPE = "Mesh"
"""The ``shape`` of a mesh's ``files[]`` entry. The portal's ingestion (``importers/annotation.py``) writes
``TriangularMesh``, but the portal's database importer stores the shape in ``annotation_file_shape_type_enum``,
whose mesh value is ``Mesh`` (migration 20260306): a ``TriangularMesh`` entry makes it fail the whole dataset
(``LookupError``). The file name keeps the portal's ``_triangularmesh.glb``."""


SAMPLE_DESCRIPTORS = (
    "assay", "cell_component", "cell_strain", "cell_type", "development_stage", "disease", "organism", "tissue",
)  # fmt: skip
"""Dataset fields the portal's dataset importer always writes, each with ``name`` and ``id`` (the organism with
``name`` and ``taxonomy_id``)."""

NOT_REPORTED = "not_reported"
"""What the portal writes for a sample descriptor's missing or empty name or id."""


def with_dataset_defaults(values: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset's metadata as the portal's dataset importer writes it: every sample descriptor present, its empty
    ``name`` and ``id`` set to ``not_reported`` (the organism's missing ``taxonomy_id`` stays unset)."""
    filled = dict(values)
    for key in SAMPLE_DESCRIPTORS:
        given = filled.get(key)
        descriptor = dict(given) if isinstance(given, Mapping) else {}
        if not descriptor.get("name"):
            descriptor["name"] = NOT_REPORTED
        if key != "organism" and not descriptor.get("id"):
            descriptor["id"] = NOT_REPORTED
        filled[key] = descriptor
    return filled


def with_frame_nulls(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` (a frames metadata file without nulls) with the nullable keys of every frame entry present."""
    filled = dict(document)
    frames = document.get("frames")
    if isinstance(frames, list):
        filled["frames"] = [
            {**dict.fromkeys(sorted(FRAME_ENTRY_NULLABLE)), **entry} if isinstance(entry, Mapping) else entry
            for entry in frames
        ]
    return filled


def with_section_nulls(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` (a tilt-series metadata file without nulls) as the portal writes it when it has per-section
    parameters: every entry with the CTF values of :data:`SECTION_CTF_KEYS` (``null`` when unknown) and
    ``ctf_path`` present (``null`` without a CTF file)."""
    filled = dict(document)
    sections = document.get("per_section_parameter")
    if isinstance(sections, list) and sections:
        filled["per_section_parameter"] = [
            {**dict.fromkeys(SECTION_CTF_KEYS), **entry} if isinstance(entry, Mapping) else entry for entry in sections
        ]
        filled.setdefault("ctf_path", None)
    return filled
