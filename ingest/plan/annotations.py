"""Plan the annotations of one voxel-spacing folder: their files, ids, slugs and output keys."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ingest.domain.annotation_options import AnnotationSourceOptions
from ingest.domain.entities import Annotation, AnnotationFile, Shape, VoxelSpacing, annotation_slug, format_version
from ingest.domain.tasks import AnnotationFileTask, AnnotationOutput, AnnotationTask, Skipped
from ingest.errors import PlanError
from ingest.models.ingestion_config import AnnotationSource, DepositionConfig
from ingest.plan.annotation_options import source_options
from ingest.plan.context import PlanContext, Scope, has_templates, render_metadata
from ingest.plan.existing import IdAllocator, annotation_identity, relative_to_run
from ingest.plan.sources import NameOf

_SKIPPED_SHAPES = {
    "GlobalCaption": "captions",
    "AnnotationCaption": "captions",
}
_GLOB_FIELDS = {"glob_string", "glob_strings"}
_MESH = "mesh_source_path"


@dataclass(frozen=True)
class _SourceSpec:
    """One annotation source entry, read once per plan: its shape, globs and (unrendered) options."""

    path: str
    source: AnnotationSource
    shape_name: str
    file_format: str
    globs: tuple[str, ...]
    names: NameOf
    options: dict[str, Any]
    frozen_options: AnnotationSourceOptions | None  # None when the options hold templates (rendered per scope)

    def options_in(self, scope: Scope, context: PlanContext) -> AnnotationSourceOptions:
        """The entry's options rendered for ``scope``, typed (errors name the option's config path)."""
        if self.frozen_options is not None:
            return self.frozen_options
        return source_options(render_metadata(self.options, scope.values), _option_where(context, self))

    @property
    def shape(self) -> Shape:
        """The shape as an enum (only for shapes that are ingested)."""
        return Shape(self.shape_name)


def _source_specs(config: DepositionConfig, context: PlanContext) -> list[list[_SourceSpec]]:
    specs = []
    for index, entry in enumerate(config.annotations or ()):
        entry_specs = []
        for number, source in enumerate(entry.sources):
            path = f"annotations[{index}].sources[{number}]"
            shape_name, shape = _shape_of(source, context, path)
            _check_numbers(shape, context, f"{path}.{shape_name}")
            _check_mesh(shape_name, shape, context, f"{path}.{shape_name}")
            globs = tuple(shape.glob_strings or ([shape.glob_string] if shape.glob_string else []))
            options = shape.model_dump(mode="json", exclude_none=True, exclude=_GLOB_FIELDS)
            names = NameOf.FULL_PATH if shape.glob_strings else NameOf.BASE_NAME
            spec = _SourceSpec(path, source, shape_name, str(shape.file_format), globs, names, options, None)
            if shape_name not in _SKIPPED_SHAPES and not has_templates(options):
                spec = replace(spec, frozen_options=source_options(options, _option_where(context, spec)))
            entry_specs.append(spec)
        specs.append(entry_specs)
    return specs


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
    allocator = IdAllocator.in_container(context.existing, container, known, context.allocated)
    specs = context.memo("annotation sources", lambda: _source_specs(config, context))
    tasks: list[AnnotationTask] = []
    skipped: list[Skipped] = []
    for index, entry in enumerate(config.annotations or ()):
        files: list[_FoundFiles] = []
        for spec in specs[index]:
            if spec.shape_name in _SKIPPED_SHAPES:
                count = context.count_files(spec.source, spec.globs, scope, spec.path, spec.names)
                skipped.append(Skipped(_SKIPPED_SHAPES[spec.shape_name], count))
                continue
            keys = context.find_files(spec.source, spec.globs, scope, spec.path, spec.names)
            if keys:
                options = spec.options_in(scope, context)
                mesh = _mesh_source(context, spec, options.mesh_source_path)
                files.append(_FoundFiles(spec.shape, spec.file_format, keys, options, mesh))
        if not files:
            continue
        path = f"annotations[{index}]"
        metadata = context.entry_metadata(path, entry.metadata, scope, deposition_id=context.deposition_id)
        where = context.where(path)
        identity = annotation_identity(_with_ingest_id(metadata), alignment_key)
        annotation_id, reused = allocator.assign(identity, what=path)
        annotation = Annotation(voxel_spacing, annotation_id, _slug(metadata, where), _version(metadata))
        tasks.append(
            AnnotationTask(
                annotation=annotation,
                metadata=context.entry_frozen(path, entry.metadata, scope, deposition_id=context.deposition_id),
                metadata_key=layout.annotation_metadata(annotation),
                alignment_metadata_key=alignment_key,
                files=_file_tasks(context, annotation, files, where),
                reused_id=reused,
            )
        )
    return tuple(tasks), tuple(skipped)


@dataclass(frozen=True)
class _FoundFiles:
    """The source files one annotation source entry found in a scope, with its rendered options."""

    shape: Shape
    file_format: str
    keys: tuple[str, ...]
    options: AnnotationSourceOptions
    mesh_source_key: str | None


def _option_where(context: PlanContext, spec: _SourceSpec) -> Callable[[str], str]:
    """Locates an option of ``spec``'s entry for messages (``annotations[0].sources[1].Point.binning``)."""
    return lambda option: context.where(f"{spec.path}.{spec.shape_name}.{option}")


def _mesh_source(context: PlanContext, spec: _SourceSpec, mesh: str | None) -> str | None:
    """The input key of the entry's ``mesh_source_path`` (relative to the source prefix, like the globs); a path
    that is not in the input is refused, naming the config path."""
    if not mesh:
        return None
    key = mesh.strip("/")
    if not context.inputs.listing.exists(key):
        raise PlanError(
            "mesh_source_path does not exist in the input",
            where=context.where(f"{spec.path}.{spec.shape_name}.{_MESH}"),
            expected=f"a mesh file under {context.inputs.listing.root}",
            found=repr(mesh),
        )
    return key


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


def _check_numbers(shape: Any, context: PlanContext, path: str) -> None:
    """Refuse a non-finite threshold or mask label (an empty mask) and a binning that is not a positive number."""
    for name in ("threshold", "mask_label", "binning"):
        value = getattr(shape, name, None)
        if value is None or isinstance(value, str):
            continue
        positive = name == "binning"
        if math.isfinite(float(value)) and (float(value) > 0 or not positive):
            continue
        raise PlanError(
            f"invalid {name}",
            where=context.where(f"{path}.{name}"),
            expected="a finite number greater than 0" if positive else "a finite number",
            found=repr(value),
        )


_MESH_FORMATS = {"TriangularMesh": ("obj", "stl", "vtk", "glb"), "TriangularMeshGroup": ("hff",)}


def _check_mesh(shape_name: str, shape: Any, context: PlanContext, path: str) -> None:
    """A mesh source's format must be one its shape reads (as the portal's importers), a group needs a mesh name,
    and ``scale_factor`` must be a finite number greater than 0."""
    formats = _MESH_FORMATS.get(shape_name)
    if formats is None:
        return
    file_format = str(shape.file_format)
    if file_format not in formats:
        raise PlanError(
            f"{shape_name} cannot read {file_format} files",
            where=context.where(f"{path}.file_format"),
            expected=" or ".join(formats),
            found=file_format,
        )
    if shape_name == "TriangularMeshGroup" and not getattr(shape, "name", None):
        raise PlanError(
            "a TriangularMeshGroup source needs the name of its mesh in the hff file",
            where=context.where(path),
            expected="name: <mesh name>",
        )
    scale = getattr(shape, "scale_factor", None)
    if scale is not None and not isinstance(scale, str) and not (math.isfinite(float(scale)) and float(scale) > 0):
        raise PlanError(
            "invalid scale_factor",
            where=context.where(f"{path}.scale_factor"),
            expected="a finite number greater than 0",
            found=repr(scale),
        )


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
    files: list[_FoundFiles],
    where: str,
) -> tuple[AnnotationFileTask, ...]:
    tasks = []
    seen: dict[str, Shape] = {}
    for found in files:
        shape = found.shape
        formats = ("mrc", "zarr") if shape.is_volume else ("glb",) if shape.is_mesh else ("ndjson",)
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
        tasks.append(
            AnnotationFileTask(shape, found.file_format, found.keys, outputs, found.options, found.mesh_source_key)
        )
    return tuple(tasks)
