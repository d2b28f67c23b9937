"""Plan one run: its tilt series, alignments, copies, frames metadata, identified objects, voxel spacings,
tomograms, annotations and what the portal shows of them (key images, Neuroglancer)."""

from __future__ import annotations

import re
from dataclasses import replace

from ingest.domain.entities import Run, TiltSeries, Tomogram, VoxelSpacing
from ingest.domain.tasks import (
    Metadata,
    RunPlan,
    Skipped,
    TiltSeriesTask,
    TomogramTask,
    VoxelSpacingPlan,
    total_skipped,
)
from ingest.errors import PlanError
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.alignments import plan_alignments
from ingest.plan.annotations import plan_annotations
from ingest.plan.context import PlanContext, Scope, entry_sources
from ingest.plan.copies import plan_copies
from ingest.plan.existing import (
    IdAllocator,
    Identity,
    relative_to_run,
    tiltseries_identity,
    tomogram_identity,
)
from ingest.plan.frames import plan_frames
from ingest.plan.glob_vars import entity_values, run_values
from ingest.plan.identified_objects import plan_identified_objects
from ingest.plan.sections import with_section_sources
from ingest.plan.sources import Origin
from ingest.plan.viewers import plan_key_images, plan_neuroglancer

_FOLDER_SPACING = re.compile(r"/VoxelSpacing([0-9.]+)/")


def run_scope(context: PlanContext, run: Run, dataset_scope: Scope, *, run_path: str | None = None) -> Scope:
    """The run's template values as the portal provides them (:func:`ingest.plan.glob_vars.run_values`): its name,
    path and output folder, its run data map columns and run-map names, then its parents' values."""
    values = run_values(
        run.name,
        path=run_path,
        output_path=context.layout.run_dir(run),
        run_data=context.inputs.run_data.values_for(run.name),
        mapped=context.inputs.run_maps.values_for(run.name),
        parents=dataset_scope.values,
    )
    return dataset_scope.within("run", run.name, **values)


def plan_run(
    config: DepositionConfig, context: PlanContext, run: Run, dataset_scope: Scope, *, run_path: str | None = None
) -> RunPlan:
    """Every task of ``run`` (found at ``run_path``, None for a literal)."""
    scope = run_scope(context, run, dataset_scope, run_path=run_path)
    tiltseries = _plan_tiltseries(config, context, run, scope)
    run_tiltseries = _run_tiltseries(context, run, tiltseries)
    tiltseries_key = context.layout.tiltseries_metadata(run_tiltseries) if run_tiltseries is not None else None
    alignments, alignment_key = plan_alignments(config, context, run, scope, tiltseries_key)
    copies = plan_copies(config, context, run, scope, run_tiltseries)
    frames = plan_frames(config, context, run, scope, copies)
    tiltseries = tuple(with_section_sources(config, context, task, copies, len(frames.copies)) for task in tiltseries)
    voxel_spacings = []
    skipped: list[Skipped] = []
    tomogram_ids = _tomogram_id_allocator(context, run, alignment_key)
    for voxel_spacing, vs_path in _find_voxel_spacings(config, context, run, scope):
        values = entity_values(
            "voxel_spacing",
            voxel_spacing.name,
            path=vs_path,
            output_path=context.layout.voxel_spacing_dir(voxel_spacing),
        )
        vs_scope = scope.within("voxel_spacing", voxel_spacing.name, **values)
        tomograms = _plan_tomograms(config, context, voxel_spacing, vs_scope, alignment_key, tomogram_ids)
        annotations, annotation_skips = plan_annotations(config, context, voxel_spacing, vs_scope, alignment_key)
        tomograms, key_images = plan_key_images(context.layout, tomograms, annotations)
        tomograms, precomputed, states = plan_neuroglancer(context.layout, tomograms, annotations)
        voxel_spacings.append(VoxelSpacingPlan(voxel_spacing, tomograms, annotations, key_images, precomputed, states))
        skipped += annotation_skips
    identified_objects = plan_identified_objects(config, context, run, scope)
    first_tomogram = next((vs.tomograms[0].metadata_key for vs in voxel_spacings if vs.tomograms), None)
    alignments = tuple(
        replace(task, size_source_key=first_tomogram) if task.metadata.get("volume_dimension") is None else task
        for task in alignments
    )
    run_dir = context.layout.run_dir(run)
    claims = tuple(sorted((k, v) for k, v in context.allocated.items() if k.startswith(run_dir + "/")))
    return RunPlan(
        run=run,
        metadata_key=_run_metadata_key(context, run),
        tiltseries=tiltseries,
        alignments=alignments,
        voxel_spacings=tuple(voxel_spacings),
        skipped=total_skipped(skipped),
        copies=(*copies, *frames.copies),
        frames=frames.metadata,
        claims=claims,
        orphans=context.existing.claimed_orphans_under(run_dir),
        identified_objects=identified_objects,
    )


def _run_metadata_key(context: PlanContext, run: Run) -> str | None:
    """Where the run's metadata goes; None when the run already belongs to another deposition (referenced)."""
    key = context.layout.run_metadata(run)
    existing = context.existing.metadata.get(key)
    if existing is not None and existing.get("deposition_id") not in {None, context.deposition_id}:
        return None
    return key


def _plan_tiltseries(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope
) -> tuple[TiltSeriesTask, ...]:
    layout = context.layout
    container = layout.tiltseries_container(run)
    existing = context.existing.metadata_in(container, "tiltseries_metadata.json")
    found = []
    candidates = [(layout.tiltseries_metadata(TiltSeries(run, i)), m) for i, m in existing.items()]
    for index, entry, path, source in entry_sources("tiltseries", config.tiltseries):
        for item in context.find(source, scope, path, candidates=candidates):
            if item.origin is Origin.SOURCE:
                metadata = context.entry_metadata(
                    f"tiltseries[{index}]", entry.metadata, scope, deposition_id=context.deposition_id
                )
                found.append((path, item.key, metadata))
    if len(found) > 1:
        raise PlanError(
            f"run {run.name!r} would get {len(found)} tilt series",
            where=context.where(found[1][0]),
            expected="one tilt series per run",
            found=", ".join(repr(key) for _, key, _ in found),
        )
    if not found:
        return ()
    path, key, metadata = found[0]
    known = {tiltseries_identity(m): i for i, m in existing.items()}
    if existing and tiltseries_identity(metadata) not in known:
        raise PlanError(
            f"run {run.name!r} already holds a tilt series of another deposition; this one would be a second",
            where=context.where(path),
            expected="one tilt series per run (the portal's importer reads only one)",
            found=", ".join(layout.tiltseries_metadata(TiltSeries(run, i)) for i in sorted(existing)),
        )
    allocator = IdAllocator.in_container(context.existing, container, known, context.allocated)
    tiltseries_id, reused = allocator.assign(tiltseries_identity(metadata), what=f"{path} ({key})")
    tiltseries = TiltSeries(run, tiltseries_id)
    return (
        TiltSeriesTask(
            tiltseries=tiltseries,
            source_key=key,
            metadata=Metadata.of(metadata),
            metadata_key=layout.tiltseries_metadata(tiltseries),
            mrc_key=layout.tiltseries_mrc(tiltseries),
            zarr_key=layout.tiltseries_zarr(tiltseries),
            reused_id=reused,
        ),
    )


def _run_tiltseries(context: PlanContext, run: Run, planned: tuple[TiltSeriesTask, ...]) -> TiltSeries | None:
    """The run's tilt series: the planned one, else the one already in the tree."""
    if planned:
        return planned[0].tiltseries
    existing = context.existing.metadata_in(context.layout.tiltseries_container(run), "tiltseries_metadata.json")
    return TiltSeries(run, min(existing)) if existing else None


def _find_voxel_spacings(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope
) -> list[tuple[VoxelSpacing, str | None]]:
    found: dict[str, tuple[VoxelSpacing, str | None]] = {}
    for _, _, path, source in entry_sources("voxel_spacings", config.voxel_spacings):
        for item in context.find(source, scope, path):
            try:
                voxel_spacing = VoxelSpacing(run, float(item.name))
            except ValueError:
                raise PlanError(
                    "a voxel spacing is not a number",
                    where=context.where(path),
                    expected="a number of Å such as 13.48",
                    found=f"{item.name!r}" + (f" from {item.key!r}" if item.keys else ""),
                ) from None
            found.setdefault(voxel_spacing.name, (voxel_spacing, item.key if item.keys else None))
    return list(found.values())


def _tomogram_id_allocator(context: PlanContext, run: Run, alignment_key: str) -> IdAllocator:
    """Tomogram ids count per run, across all its voxel spacings (docs/design.md §4); existing tomograms of the
    run keep their ids by identity (whose key includes the voxel spacing). As the portal's tomogram importer
    does, an existing metadata file without a voxel spacing, alignment path or deposition counts as having its
    folder's spacing, the run's alignment and this deposition."""
    run_dir = context.layout.run_dir(run)
    taken: set[int] = set()
    known: dict[Identity, int] = {}
    for key in context.existing.listing.files_under(run_dir):
        metadata = context.existing.metadata.get(key) if key.endswith("/tomogram_metadata.json") else None
        entity_id = key.rsplit("/", 2)[-2]
        if metadata is not None and entity_id.isdigit():
            taken.add(int(entity_id))
            folder_spacing = _FOLDER_SPACING.search(key)
            defaults = {
                "voxel_spacing": float(folder_spacing.group(1)) if folder_spacing else None,
                "deposition_id": context.deposition_id,
            }
            metadata = {**defaults, **{name: value for name, value in metadata.items() if value is not None}}
            path = metadata.get("alignment_metadata_path")
            alignment = relative_to_run(path, run_dir) if path is not None else alignment_key
            known[tomogram_identity(metadata, alignment)] = int(entity_id)
    return IdAllocator(f"{run_dir} (tomograms)", taken, known)


def _plan_tomograms(
    config: DepositionConfig,
    context: PlanContext,
    voxel_spacing: VoxelSpacing,
    scope: Scope,
    alignment_key: str,
    allocator: IdAllocator,
) -> tuple[TomogramTask, ...]:
    layout = context.layout
    container = layout.tomogram_container(voxel_spacing)
    existing = context.existing.metadata_in(container, "tomogram_metadata.json")
    tasks: list[TomogramTask] = []
    candidates = [(layout.tomogram_metadata(Tomogram(voxel_spacing, i)), m) for i, m in existing.items()]
    for index, entry in enumerate(config.tomograms or ()):
        configured = entry.metadata.voxel_spacing if entry.metadata is not None else None
        metadata = context.entry_metadata(
            f"tomograms[{index}]", entry.metadata, scope, deposition_id=context.deposition_id
        )
        spacing = metadata.get("voxel_spacing") if configured is not None else None
        if isinstance(spacing, int | float) and round(float(spacing), 3) != voxel_spacing.value:
            continue  # this entry belongs to another voxel spacing of the run
        metadata = {**metadata, "voxel_spacing": voxel_spacing.value}
        frozen = Metadata.of(metadata)
        for number, source in enumerate(entry.sources):
            path = f"tomograms[{index}].sources[{number}]"
            for item in context.find(source, scope, path, candidates=candidates):
                if item.origin is not Origin.SOURCE:
                    continue
                identity = tomogram_identity(metadata, alignment_key)
                what = f"{path} ({item.key})"
                tomogram_id, reused = allocator.assign(identity, what=what)
                tomogram = Tomogram(voxel_spacing, tomogram_id)
                tasks.append(
                    TomogramTask(
                        tomogram=tomogram,
                        source_key=item.key,
                        metadata=frozen,
                        metadata_key=layout.tomogram_metadata(tomogram),
                        mrc_key=layout.tomogram_mrc(tomogram),
                        zarr_key=layout.tomogram_zarr(tomogram),
                        alignment_metadata_key=alignment_key,
                        reused_id=reused,
                    )
                )
    return tuple(tasks)
