"""Metadata-only rewrites: the metadata file of an entity whose data is unchanged and intact, made from its
rendered config metadata and the computed fields (sizes, scales, object counts) of the metadata file it replaces,
so that no volume or point file is read or written (:mod:`ingest.pipeline.execute_run`,
:mod:`ingest.pipeline.manifest`).

Each function returns the bytes a full write would have published for the same inputs.
"""

from __future__ import annotations

from typing import Any

from ingest.domain.portal_defaults import ANNOTATION_FILE_DEFAULTS, MESH_FILE_SHAPE
from ingest.domain.tasks import AnnotationTask, TomogramTask
from ingest.pipeline.metadata import annotation_file, metadata_bytes, tomogram_file


def annotation_entries(task: AnnotationTask) -> list[dict[str, Any]]:
    """The ``files`` of an annotation's metadata: one entry per output file."""
    entries = []
    for file in task.files:
        flags = {
            "is_visualization_default": file.options.is_visualization_default,
            "is_portal_standard": file.options.is_portal_standard,
        }
        for output in file.outputs:
            shape = MESH_FILE_SHAPE if file.shape.is_mesh else file.shape.output_shape.value
            entry: dict[str, Any] = {"shape": shape, "format": output.file_format}
            entry["path"] = output.key
            entry.update(ANNOTATION_FILE_DEFAULTS)  # what the portal writes when the source does not say
            entry.update({flag: value for flag, value in flags.items() if value is not None})  # what the entry says
            entries.append(entry)
    return entries


def previous_volume_fields(previous: dict[str, Any], mrc_key: str, zarr_key: str) -> dict[str, Any]:
    """The computed volume fields of a tilt series or tomogram, sizes taken from the metadata file replaced."""
    return {"size": previous["size"], "scales": previous["scales"], "mrc_file": mrc_key, "omezarr_dir": zarr_key}


def rewrite_tomogram(
    task: TomogramTask, previous: dict[str, Any], run_name: str, stamp: int, viewer_refs: dict[str, Any] | None = None
) -> bytes:
    """``tomogram_metadata.json`` for unchanged converted volumes (``viewer_refs``: the key photo and Neuroglancer
    paths a full write would name)."""
    computed = {
        "run_name": run_name,
        "alignment_metadata_path": task.alignment_metadata_key,
        **previous_volume_fields(previous, task.mrc_key, task.zarr_key),
        **(viewer_refs or {}),
    }
    return metadata_bytes(tomogram_file(task.metadata.to_dict(), computed, stamp, key=task.metadata_key))


def rewrite_annotation(task: AnnotationTask, previous: dict[str, Any], run_name: str, stamp: int) -> bytes:
    """An annotation's ``{slug}-{version}.json`` for unchanged annotation files (``run_name`` unused: annotation
    metadata does not hold it)."""
    del run_name
    computed = {
        "files": annotation_entries(task),
        "object_count": previous.get("object_count"),
        "alignment_metadata_path": task.alignment_metadata_key,
    }
    return metadata_bytes(annotation_file(task.metadata.to_dict(), computed, stamp, key=task.metadata_key))
