"""Plan the annotations of one voxel-spacing folder: their files, ids, slugs and output keys."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ingest.entities import Annotation, AnnotationFile, Shape, VoxelSpacing, annotation_slug, format_version
from ingest.errors import PlanError
from ingest.existing import IdAllocator, annotation_identity, relative_to_run
from ingest.models.ingestion_config import AnnotationSource, DepositionConfig
from ingest.plan_context import PlanContext, Scope, render_metadata
from ingest.tasks import AnnotationFileTask, AnnotationOutput, AnnotationTask, Metadata, Skipped

_SKIPPED_SHAPES = {
    "TriangularMesh": "meshes",
    "TriangularMeshGroup": "meshes",
    "GlobalCaption": "captions",
    "AnnotationCaption": "captions",
}
_GLOB_FIELDS = {"glob_string", "glob_strings"}


def plan_annotations(
    config: DepositionConfig, context: PlanContext, voxel_spacing: VoxelSpacing, scope: Scope, alignment_key: str
) -> tuple[tuple[AnnotationTask, ...], tuple[Skipped, ...]]:
    """The annotation tasks of ``voxel_spacing`` and the counts of source files of shapes not ingested yet."""
    layout = context.layout
    run_dir = layout.run_dir(voxel_spacing.run)
    container = layout.annotation_container(voxel_spacing)
    existing = context.existing.metadata_in(container, ".json")
    known = {
        annotation_identity(m, relative_to_run(m.get("alignment_metadata_path"), run_dir)): i
        for i, m in existing.items()
    }
    allocator = IdAllocator(container, set(context.existing.ids_in(container)), known)
    tasks: list[AnnotationTask] = []
    skipped: list[Skipped] = []
    for index, entry in enumerate(config.annotations or ()):
        files: list[tuple[Shape, str, tuple[str, ...], Metadata]] = []
        for number, source in enumerate(entry.sources):
            path = f"annotations[{index}].sources[{number}]"
            shape_name, shape = _shape_of(source, context, path)
            globs = shape.glob_strings or ([shape.glob_string] if shape.glob_string else [])
            if shape_name in _SKIPPED_SHAPES:
                skipped.append(Skipped(_SKIPPED_SHAPES[shape_name], context.count_files(source, globs, scope, path)))
                continue
            keys = context.find_files(source, globs, scope, path)
            if keys:
                files.append((Shape(shape_name), str(shape.file_format), keys, _options(shape, scope)))
        if not files:
            continue
        metadata = context.entry_metadata(
            f"annotations[{index}]", entry.metadata, scope, deposition_id=context.deposition_id
        )
        where = context.where(f"annotations[{index}]")
        identity = annotation_identity(_with_ingest_id(metadata), alignment_key)
        annotation_id, reused = allocator.assign(identity, what=f"annotations[{index}]")
        annotation = Annotation(voxel_spacing, annotation_id, _slug(metadata, where), _version(metadata))
        tasks.append(
            AnnotationTask(
                annotation=annotation,
                metadata=Metadata.of(metadata),
                metadata_key=layout.annotation_metadata(annotation),
                alignment_metadata_key=alignment_key,
                files=_file_tasks(context, annotation, files, where),
                reused_id=reused,
            )
        )
    return tuple(tasks), tuple(skipped)


def _shape_of(source: AnnotationSource, context: PlanContext, path: str) -> tuple[str, Any]:
    shapes = [
        (name, value) for name, value in source if value is not None and name not in {"exclude", "parent_filters"}
    ]
    if len(shapes) != 1:
        raise PlanError(
            "an annotation source needs exactly one shape",
            where=context.where(path),
            expected="one of Point, OrientedPoint, InstanceSegmentation, SegmentationMask, ...",
            found=", ".join(name for name, _ in shapes) or "none",
        )
    return shapes[0]


def _options(shape: BaseModel, scope: Scope) -> Metadata:
    """The source entry's reading options, templates rendered (``filter_value: '{run_name}'``)."""
    options = shape.model_dump(mode="json", exclude_none=True, exclude=_GLOB_FIELDS)
    return Metadata.of(render_metadata(options, scope.values))


def _with_ingest_id(metadata: dict[str, Any]) -> dict[str, Any]:
    """Older configs have no ``annotation_ingest_id``: the object name and version stand in for it."""
    if metadata.get("annotation_ingest_id"):
        return metadata
    obj = metadata.get("annotation_object") or {}
    return {**metadata, "annotation_ingest_id": f"{obj.get('name')}-{metadata.get('version')}"}


def _slug(metadata: dict[str, Any], where: str) -> str:
    obj = metadata.get("annotation_object") or {}
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        raise PlanError("an annotation has no object name", where=where, expected="annotation_object.name")
    return annotation_slug(name, obj.get("description"))


def _version(metadata: dict[str, Any]) -> str:
    version = metadata.get("version")
    return format_version(version if isinstance(version, int | float | str) else 1.0)


def _file_tasks(
    context: PlanContext,
    annotation: Annotation,
    files: list[tuple[Shape, str, tuple[str, ...], Metadata]],
    where: str,
) -> tuple[AnnotationFileTask, ...]:
    tasks = []
    seen: dict[str, Shape] = {}
    for shape, source_format, keys, options in files:
        formats = ("mrc", "zarr") if shape.is_volume else ("ndjson",)
        outputs = tuple(
            AnnotationOutput(fmt, context.layout.annotation_file(AnnotationFile(annotation, shape, fmt)))
            for fmt in formats
        )
        for output in outputs:
            if output.key in seen:
                raise PlanError(
                    f"two sources of one annotation would both write {output.key!r}",
                    where=where,
                    expected="at most one source per shape in an annotation",
                    found=f"{seen[output.key].value} and {shape.value}",
                )
            seen[output.key] = shape
        tasks.append(AnnotationFileTask(shape, source_format, keys, outputs, options))
    return tuple(tasks)
