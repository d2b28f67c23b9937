"""Metadata files: the planned config metadata merged with computed fields, validated against the metadata-file
models before anything is written, and serialised deterministically (sorted keys, fixed indentation)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from ingest.converters.volumes.types import VolumeResult
from ingest.domain.portal_defaults import with_dataset_defaults
from ingest.errors import InputFileError, UsageError
from ingest.models.metadata_files import (
    AlignmentMetadataFile,
    AnnotationMetadataFile,
    DatasetMetadataFile,
    DepositionMetadataFile,
    FramesMetadataFile,
    IdentifiedObjectsMetadataFile,
    RunMetadataFile,
    TiltSeriesMetadataFile,
    TomogramMetadataFile,
)

MetadataModel = type[BaseModel]


LATEST_TIMESTAMP = 253402300799
"""9999-12-31T23:59:59Z: the last moment a four-digit-year date (the metadata's format) can name."""


def resolve_timestamp(option: str | None, environment: Mapping[str, str] | None = None) -> int:
    """``last_updated_at`` in seconds since the epoch: ``--timestamp`` (seconds, or an ISO date/time), else
    ``SOURCE_DATE_EPOCH``, else now. Moments before 1970 or after 9999 are refused, naming where they came from."""
    environment = os.environ if environment is None else environment
    source = "--timestamp" if option is not None else "SOURCE_DATE_EPOCH"
    text = option if option is not None else environment.get("SOURCE_DATE_EPOCH")
    if text is None:
        return int(time.time())
    text = text.strip()
    expected = "seconds since 1970 or an ISO date such as 2024-06-01, from 1970 to 9999"
    if text.lstrip("-").isdigit() and len(text) <= 20:
        seconds = int(text)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError("invalid timestamp", where=source, expected=expected, found=repr(text)) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = int(moment.timestamp())
    if not 0 <= seconds <= LATEST_TIMESTAMP:
        raise UsageError("timestamp out of range", where=source, expected=expected, found=repr(text))
    return seconds


def metadata_bytes(model: BaseModel) -> bytes:
    """The JSON text of a metadata model: no nulls, sorted keys, two-space indentation, final newline."""
    return document_bytes(metadata_document(model))


def metadata_document(model: BaseModel) -> dict[str, Any]:
    """A metadata model as JSON values, without nulls and without objects left empty by them (a config's
    ``cell_component: {id: null, name: null}``): the portal's database importer reads ``{}`` as a value and fails
    the dataset, while an absent object imports as null."""
    document: dict[str, Any] = _without_empty_objects(model.model_dump(mode="json", exclude_none=True))
    return document


def _without_empty_objects(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {key: _without_empty_objects(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item != {}}
    if isinstance(value, list):
        return [_without_empty_objects(item) for item in value]
    return value


def document_bytes(document: Mapping[str, Any]) -> bytes:
    """The JSON text of a metadata document: sorted keys, two-space indentation, final newline."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def build(model: MetadataModel, values: Mapping[str, Any], *, key: str) -> BaseModel:
    """``model`` validated from ``values``; a failure names the metadata file and the first problem."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputFileError(
            f"the metadata would not validate ({error.error_count()} problem(s)); nothing was written for it",
            where=key,
            expected=f"{where}: {first['msg']}",
            found=repr(first.get("input"))[:200],
        ) from None


def volume_fields(result: VolumeResult, *, mrc_key: str, zarr_key: str) -> dict[str, Any]:
    """Sizes and paths of a converted volume, as tomogram and tilt-series metadata hold them."""
    scales = [{"z": level.shape[0], "y": level.shape[1], "x": level.shape[2]} for level in result.levels]
    return {"size": scales[0], "scales": scales, "mrc_file": mrc_key, "omezarr_dir": zarr_key}


def deposition_file(values: Mapping[str, Any], deposition_id: int, stamp: int, *, key: str) -> BaseModel:
    """``deposition_metadata.json``."""
    return build(DepositionMetadataFile, {**values, "deposition_id": deposition_id, "last_updated_at": stamp}, key=key)


def dataset_file(values: Mapping[str, Any], deposition_id: int, stamp: int, *, key: str) -> BaseModel:
    """``dataset_metadata.json``, every sample descriptor filled as the portal fills it (``not_reported``)."""
    filled = with_dataset_defaults(values)
    return build(DatasetMetadataFile, {**filled, "deposition_id": deposition_id, "last_updated_at": stamp}, key=key)


def run_file(run_name: str, deposition_id: int, stamp: int, *, key: str) -> BaseModel:
    """``run_metadata.json``."""
    values = {"run_name": run_name, "deposition_id": deposition_id, "last_updated_at": stamp}
    return build(RunMetadataFile, values, key=key)


def tiltseries_file(values: Mapping[str, Any], computed: Mapping[str, Any], stamp: int, *, key: str) -> BaseModel:
    """``tiltseries_metadata.json``."""
    return build(TiltSeriesMetadataFile, {**values, **computed, "last_updated_at": stamp}, key=key)


def tomogram_file(values: Mapping[str, Any], computed: Mapping[str, Any], stamp: int, *, key: str) -> BaseModel:
    """``tomogram_metadata.json`` (``authors`` defaults to an empty list: the portal's importer needs the key;
    ``is_portal_standard`` is also written as ``is_standardized``, the name the portal's importer reads)."""
    merged = {"authors": [], **values, **computed, "last_updated_at": stamp}
    if "is_portal_standard" in merged and "is_standardized" not in merged:
        merged["is_standardized"] = merged["is_portal_standard"]
    return build(TomogramMetadataFile, merged, key=key)


def alignment_file(values: Mapping[str, Any], computed: Mapping[str, Any], stamp: int, *, key: str) -> BaseModel:
    """``alignment_metadata.json``."""
    return build(AlignmentMetadataFile, {**values, **computed, "last_updated_at": stamp}, key=key)


def annotation_file(values: Mapping[str, Any], computed: Mapping[str, Any], stamp: int, *, key: str) -> BaseModel:
    """``{slug}-{version}.json``; an annotation with files must name its alignment (the portal's importer
    links every file to it)."""
    merged = {**values, **computed, "last_updated_at": stamp}
    if merged.get("files") and not merged.get("alignment_metadata_path"):
        raise InputFileError(
            "the metadata would not validate (1 problem(s)); nothing was written for it",
            where=key,
            expected="alignment_metadata_path: required when files is not empty",
            found="no alignment_metadata_path",
        )
    return build(AnnotationMetadataFile, merged, key=key)


def identified_objects_file(
    values: Mapping[str, Any], computed: Mapping[str, Any], stamp: int, *, key: str
) -> BaseModel:
    """``IdentifiedObjects/identified_objects_metadata.json``: the entry's metadata with ``object_count``,
    ``columns``, ``file_format``, ``source_file`` and ``identifier`` (as the portal's importer)."""
    return build(IdentifiedObjectsMetadataFile, {**values, **computed, "last_updated_at": stamp}, key=key)


def frames_file(values: Mapping[str, Any], computed: Mapping[str, Any], stamp: int, *, key: str) -> BaseModel:
    """``Frames/frames_metadata.json``: the frames entry's metadata with ``frames_acquisition_file`` and ``frames``
    (one entry per acquisition section)."""
    return build(FramesMetadataFile, {**values, **computed, "last_updated_at": stamp}, key=key)
