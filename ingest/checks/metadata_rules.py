"""What a metadata file must hold: the metadata-files schema, and the portal importer's own requirements.

The schema models come from ``ingest.models.metadata_files`` (generated from LinkML). The importer
requirements (docs/design.md §4, established by mutating a valid tree one field at a time and importing it) are
narrower and stricter in places (dates exactly ``YYYY-MM-DD``, nested fields always objects, an alignment
path that is never null), so both are checked.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from ingest.domain.portal_defaults import FRAME_ENTRY_KEYS, FRAME_ENTRY_NULLABLE, FRAMES_FILE_KEYS
from ingest.domain.tree_roles import Role

_SCHEMA_MODULE = "ingest.models.metadata_files"

SCHEMA_CLASS_NAMES: dict[Role, str] = {
    Role.DEPOSITION_METADATA: "DepositionMetadataFile",
    Role.DATASET_METADATA: "DatasetMetadataFile",
    Role.RUN_METADATA: "RunMetadataFile",
    Role.TILTSERIES_METADATA: "TiltSeriesMetadataFile",
    Role.ALIGNMENT_METADATA: "AlignmentMetadataFile",
    Role.FRAMES_METADATA: "FramesMetadataFile",
    Role.IDENTIFIED_OBJECTS_METADATA: "IdentifiedObjectsMetadataFile",
    Role.TOMOGRAM_METADATA: "TomogramMetadataFile",
    Role.ANNOTATION_METADATA: "AnnotationMetadataFile",
}

_DATES = ("dates.deposition_date", "dates.release_date", "dates.last_modified_date")

IMPORTER_REQUIRED: dict[Role, tuple[str, ...]] = {
    Role.DEPOSITION_METADATA: ("deposition_title", "deposition_description", *_DATES, "deposition_identifier"),
    Role.DATASET_METADATA: (
        "dataset_title",
        "dataset_description",
        *_DATES,
        "deposition_id",
        "dataset_identifier",
        "sample_type",
    ),
    Role.RUN_METADATA: ("run_name",),
    Role.TOMOGRAM_METADATA: (
        "mrc_file",
        "omezarr_dir",
        "alignment_metadata_path",
        "scales",
        "size.x",
        "size.y",
        "size.z",
        "voxel_spacing",
        "processing",
        "offset.x",
        "offset.y",
        "offset.z",
        "deposition_id",
    ),
    Role.ANNOTATION_METADATA: (
        "annotation_object.id",
        "annotation_object.name",
        "annotation_method",
        "method_type",
        "annotation_ingest_id",
        *_DATES,
        "deposition_id",
    ),
    Role.TILTSERIES_METADATA: (
        "tilt_range.min",
        "tilt_range.max",
        "acceleration_voltage",
        "spherical_aberration_constant",
        "microscope.manufacturer",
        "microscope.model",
        "microscope_optical_setup.energy_filter",
        "camera.manufacturer",
        "camera.model",
        "tilt_step",
        "tilting_scheme",
        "tilt_axis",
        "total_flux",
        "data_acquisition_software",
        "tilt_series_quality",
        "pixel_spacing",
        "deposition_id",
    ),
}

_NESTED_OBJECTS = ("organism", "tissue", "cell_type", "cell_strain", "cell_component", "size", "offset", "dates")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DEPOSITION_TYPES = frozenset({"annotation", "dataset", "tomogram"})


def lookup(document: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``a.b.c`` in a JSON document, or None when any step is missing."""
    value: Any = document
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def importer_problems(role: Role, document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field path, problem)`` for every importer requirement this document misses."""
    for dotted in IMPORTER_REQUIRED.get(role, ()):
        if lookup(document, dotted) is None:
            yield dotted, "required by the portal importer, missing or null"
    for dotted in _DATES:
        value = lookup(document, dotted)
        if value is not None and not (isinstance(value, str) and _DATE.fullmatch(value)):
            yield dotted, f"dates must be exactly YYYY-MM-DD, found {value!r}"
    for name in _NESTED_OBJECTS:
        if name in document and document[name] is not None and not isinstance(document[name], Mapping):
            yield name, "must be an object"
        elif name in document and document[name] == {}:
            yield name, "an empty object fails the portal importer (it reads {} as the value); leave it out"
    yield from _role_specific_problems(role, document)


def _role_specific_problems(role: Role, document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if role is Role.FRAMES_METADATA:
        yield from _frames_problems(document)
    if role is Role.TOMOGRAM_METADATA:
        if "authors" not in document:
            yield "authors", "the key must be present (it may be empty)"
        scales = document.get("scales")
        if isinstance(scales, list) and len(scales) != 3:
            yield "scales", f"three scales are required, found {len(scales)}"
        key_photo = document.get("key_photo")
        if isinstance(key_photo, Mapping) and not (key_photo.get("snapshot") and key_photo.get("thumbnail")):
            yield "key_photo", "needs both snapshot and thumbnail"
    if role is Role.ANNOTATION_METADATA:
        files = document.get("files") or []
        if files and not document.get("alignment_metadata_path"):
            yield "alignment_metadata_path", "required when files is not empty"
        for index, entry in enumerate(files if isinstance(files, list) else []):
            for name in ("shape", "format", "path"):
                if not isinstance(entry, Mapping) or not entry.get(name):
                    yield f"files[{index}].{name}", "every file entry needs shape, format and path"
    if role is Role.DEPOSITION_METADATA:
        types = document.get("deposition_types") or []
        unknown = sorted(set(types) - _DEPOSITION_TYPES) if isinstance(types, list) else [str(types)]
        if unknown:
            yield "deposition_types", f"must be among annotation, dataset, tomogram; found {unknown}"
    authors = document.get("authors")
    if role is Role.DEPOSITION_METADATA and isinstance(authors, list):
        for index, author in enumerate(authors):
            if not isinstance(author, Mapping) or not author.get("name"):
                yield f"authors[{index}].name", "every author needs a name"


def _frames_problems(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The portal importer reads ``frames_acquisition_file`` and five keys of every frame entry with ``[]``."""
    for name in FRAMES_FILE_KEYS:
        if document.get(name) is None:
            yield name, "required by the portal importer, missing or null"
    frames = document.get("frames")
    for index, entry in enumerate(frames if isinstance(frames, list) else []):
        if not isinstance(entry, Mapping):
            yield f"frames[{index}]", "every frame entry must be an object"
            continue
        for key in FRAME_ENTRY_KEYS:
            if key not in entry:
                null = " (null when unknown)" if key in FRAME_ENTRY_NULLABLE else ""
                yield f"frames[{index}].{key}", f"the key must be present{null}: the portal importer fails without it"
            elif entry[key] is None and key not in FRAME_ENTRY_NULLABLE:
                yield f"frames[{index}].{key}", "required by the portal importer, null"


def schema_model(role: Role) -> type[BaseModel] | None:
    """The generated pydantic model for this kind of metadata file, or None when it is not available."""
    name = SCHEMA_CLASS_NAMES.get(role)
    if name is None:
        return None
    try:
        module = importlib.import_module(_SCHEMA_MODULE)
    except ModuleNotFoundError:
        return None
    model = getattr(module, name, None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def schema_problems(role: Role, document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field path, problem)`` for every field that breaks the metadata-files schema.

    Union types make pydantic report one error per alternative; they are merged into one problem per field.
    """
    model = schema_model(role)
    if model is None:
        return
    try:
        model.model_validate(document)
    except ValidationError as error:
        problems: dict[str, list[str]] = {}
        for problem in error.errors():
            messages = problems.setdefault(_field_path(document, problem["loc"]), [])
            if problem["msg"] not in messages:
                messages.append(problem["msg"])
        for field, messages in problems.items():
            yield (
                field,
                " or ".join(messages) if len(messages) < 4 else f"{messages[0]} (or {len(messages) - 1} other forms)",
            )


def _field_path(document: Any, location: tuple[int | str, ...]) -> str:
    """The JSON path of a validation error, without pydantic's union-member tags."""
    text = ""
    node = document
    for part in location:
        if isinstance(part, int) and isinstance(node, list):
            text += f"[{part}]"
            node = node[part] if part < len(node) else None
        elif isinstance(node, Mapping):
            text += f".{part}" if text else str(part)
            node = node.get(part)
        else:
            break
    return text or "<document>"
