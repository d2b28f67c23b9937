"""Renderings of a :class:`~ingest.domain.tasks.Plan` for ``--dry-run``: JSON (stable, for machines and golden tests)
and a rich tree of the planned outputs (for people)."""

from __future__ import annotations

import json
from typing import Any

from rich.tree import Tree

from ingest.domain.tasks import (
    AlignmentTask,
    AnnotationTask,
    CopyTask,
    DatasetTask,
    DepositionTask,
    FramesTask,
    Plan,
    PrecomputedMeshTask,
    PrecomputedSegmentationTask,
    PrecomputedTask,
    RunPlan,
    TiltSeriesTask,
    TomogramTask,
)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-able data: every output key with its sources, ids and whether an id was reused."""
    return {
        "deposition_id": plan.deposition_id,
        "layout": plan.layout,
        "deposition": _deposition(plan.deposition),
        "datasets": [_dataset(task) for task in plan.datasets],
        "runs": [_run(run) for run in plan.runs],
        "skipped": {item.section: item.count for item in plan.skipped},
        "warnings": list(plan.warnings),
        "counts": plan_counts(plan),
    }


def render_plan_json(plan: Plan) -> str:
    """:func:`plan_to_json` as indented text ending in a newline."""
    return json.dumps(plan_to_json(plan), indent=2) + "\n"


def plan_counts(plan: Plan) -> dict[str, int]:
    """How many entities of each kind the plan writes."""
    return {
        "runs": len(plan.runs),
        "tiltseries": sum(len(run.tiltseries) for run in plan.runs),
        "alignments": sum(len(run.alignments) for run in plan.runs),
        "tomograms": sum(len(run.tomograms) for run in plan.runs),
        "annotations": sum(len(run.annotations) for run in plan.runs),
        "annotation_files": sum(len(task.files) for run in plan.runs for task in run.annotations),
        "copies": sum(len(run.copies) for run in plan.runs),
        "frames_metadata": sum(len(run.frames) for run in plan.runs),
        "key_images": sum(len(run.key_images) for run in plan.runs),
        "neuroglancer_states": sum(len(run.neuroglancer) for run in plan.runs),
        "precomputed_annotations": sum(
            _precomputed_kind(task) == "annotations" for run in plan.runs for task in run.precomputed
        ),
        "precomputed_segmentations": sum(
            _precomputed_kind(task) == "segmentation" for run in plan.runs for task in run.precomputed
        ),
        "precomputed_meshes": sum(_precomputed_kind(task) == "mesh" for run in plan.runs for task in run.precomputed),
        "identified_objects": sum(len(run.identified_objects) for run in plan.runs),
    }


def _deposition(task: DepositionTask | None) -> dict[str, Any] | None:
    if task is None:
        return None
    images = [{"kind": i.kind, "source": i.source, "output": i.output_key} for i in task.images]
    return {"id": task.deposition.deposition_id, "metadata": task.metadata_key, "images": images}


def _dataset(task: DatasetTask) -> dict[str, Any]:
    images = [{"kind": i.kind, "source": i.source, "output": i.output_key} for i in task.images]
    return {"name": task.dataset.name, "metadata": task.metadata_key, "images": images}


def _run(run: RunPlan) -> dict[str, Any]:
    return {
        "dataset": run.run.dataset.name,
        "run": run.run.name,
        "metadata": run.metadata_key,
        "tiltseries": [_tiltseries(task) for task in run.tiltseries],
        "alignments": [_alignment(task) for task in run.alignments],
        "voxel_spacings": [
            {
                "voxel_spacing": vs.voxel_spacing.name,
                "tomograms": [_tomogram(task) for task in vs.tomograms],
                "annotations": [_annotation(task) for task in vs.annotations],
                "key_images": [
                    {"tomogram": task.tomogram.tomogram_id, "outputs": [key for _, key in task.images]}
                    for task in vs.key_images
                ],
                "neuroglancer": [
                    {"tomogram": task.tomogram.tomogram_id, "outputs": [task.state_key]} for task in vs.neuroglancer
                ],
                "precomputed": [{"source": task.source_key, "outputs": [task.folder]} for task in vs.precomputed],
            }
            for vs in run.voxel_spacings
        ],
        "copies": [_copy(task) for task in run.copies],
        "frames": [_frames(task) for task in run.frames],
        **(
            {
                "identified_objects": [
                    {"source": task.source_key, "outputs": [task.data_key, task.metadata_key]}
                    for task in run.identified_objects
                ]
            }
            if run.identified_objects
            else {}
        ),
        "skipped": {item.section: item.count for item in run.skipped},
    }


def _copy(task: CopyTask) -> dict[str, Any]:
    return {"section": task.section.value, "source": task.source_key, "outputs": [task.output_key]}


def _frames(task: FramesTask) -> dict[str, Any]:
    return {
        "source": task.mdoc_source_key,
        "acquisition_file": task.mdoc_key,
        "frame_files": list(task.frame_keys),
        "outputs": [task.metadata_key],
    }


def _tiltseries(task: TiltSeriesTask) -> dict[str, Any]:
    return {
        "id": task.tiltseries.tiltseries_id,
        "reused_id": task.reused_id,
        "source": task.source_key,
        "outputs": [task.mrc_key, task.zarr_key, task.metadata_key],
    }


def _alignment(task: AlignmentTask) -> dict[str, Any]:
    return {
        "id": task.alignment.alignment_id,
        "reused_id": task.reused_id,
        "default": task.is_default,
        "sources": list(task.source_keys),
        "outputs": [*task.output_keys, task.metadata_key],
    }


def _tomogram(task: TomogramTask) -> dict[str, Any]:
    return {
        "id": task.tomogram.tomogram_id,
        "reused_id": task.reused_id,
        "source": task.source_key,
        "alignment": task.alignment_metadata_key,
        "outputs": [task.mrc_key, task.zarr_key, task.metadata_key],
    }


def _annotation(task: AnnotationTask) -> dict[str, Any]:
    return {
        "id": task.annotation.annotation_id,
        "reused_id": task.reused_id,
        "slug": task.annotation.slug,
        "version": task.annotation.version,
        "alignment": task.alignment_metadata_key,
        "files": [
            {
                "shape": file.shape.value,
                "format": file.source_format,
                "sources": list(file.source_keys),
                "outputs": [output.key for output in file.outputs],
                **({"mesh_source": file.mesh_source_key} if file.mesh_source_key else {}),
            }
            for file in task.files
        ],
        "outputs": [task.metadata_key],
    }


def plan_tree(plan: Plan) -> Tree:
    """A rich tree: deposition → datasets → runs → planned outputs (new ids marked, reused ids in dim)."""
    counts = plan_counts(plan)
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    root = Tree(f"[bold]deposition {plan.deposition_id}[/bold] ({plan.layout} layout): {summary}")
    if plan.deposition is not None:
        root.add(plan.deposition.metadata_key)
    datasets: dict[str, Tree] = {}
    for task in plan.datasets:
        datasets[task.dataset.name] = root.add(f"[bold]{task.dataset.name}[/bold]  {task.metadata_key}")
    for run in plan.runs:
        name = run.run.dataset.name
        parent = datasets.get(name) or datasets.setdefault(name, root.add(f"[bold]{name}[/bold] (existing)"))
        _add_run(parent, run)
    if plan.skipped:
        skipped = root.add("[yellow]not ingested yet (skipped)[/yellow]")
        for item in plan.skipped:
            skipped.add(f"{item.section}: {item.count}")
    for warning in plan.warnings:
        root.add(f"[yellow]warning:[/yellow] {warning}")
    return root


def _add_run(parent: Tree, run: RunPlan) -> None:
    label = f"[bold cyan]{run.run.name}[/bold cyan]" + (f"  {run.metadata_key}" if run.metadata_key else "")
    branch = parent.add(label)
    for tiltseries in run.tiltseries:
        tiltseries_id = _id(tiltseries.tiltseries.tiltseries_id, tiltseries.reused_id)
        branch.add(f"tilt series {tiltseries_id}  {tiltseries.mrc_key}  ← {tiltseries.source_key}")
    for alignment in run.alignments:
        label = "default alignment" if alignment.is_default else "alignment"
        branch.add(f"{label} {_id(alignment.alignment.alignment_id, alignment.reused_id)}  {alignment.metadata_key}")
    for copy in run.copies:
        branch.add(f"{copy.section.value} copy  {copy.output_key}  ← {copy.source_key}")
    for frames in run.frames:
        branch.add(f"frames metadata  {frames.metadata_key}  ← {frames.mdoc_source_key}")
    for objects in run.identified_objects:
        branch.add(f"identified objects  {objects.data_key}  ← {objects.source_key}")
    for vs in run.voxel_spacings:
        vs_branch = branch.add(f"VoxelSpacing{vs.voxel_spacing.name}")
        for tomogram in vs.tomograms:
            tomogram_id = _id(tomogram.tomogram.tomogram_id, tomogram.reused_id)
            vs_branch.add(f"tomogram {tomogram_id}  {tomogram.mrc_key}  ← {tomogram.source_key}")
        for annotation in vs.annotations:
            annotation_id = _id(annotation.annotation.annotation_id, annotation.reused_id)
            node = vs_branch.add(f"annotation {annotation_id}  {annotation.metadata_key}")
            for file in annotation.files:
                outputs = ", ".join(output.key.rsplit("/", 1)[-1] for output in file.outputs)
                mesh = f"  (placed per point: {file.mesh_source_key})" if file.mesh_source_key else ""
                node.add(f"{file.shape.value} ({file.source_format})  {outputs}  ← {', '.join(file.source_keys)}{mesh}")
        for images in vs.key_images:
            folder = images.images[0][1].rsplit("/", 1)[0]
            vs_branch.add(f"key images of tomogram {images.tomogram.tomogram_id}  {folder}/")
        for viewer in vs.neuroglancer:
            vs_branch.add(f"neuroglancer state of tomogram {viewer.tomogram.tomogram_id}  {viewer.state_key}")
        for points in vs.precomputed:
            vs_branch.add(f"precomputed {_precomputed_kind(points)}  {points.folder}/  ← {points.source_key}")


def _id(entity_id: int, reused: bool) -> str:
    return f"{entity_id} (reused)" if reused else str(entity_id)


def _precomputed_kind(task: PrecomputedTask) -> str:
    if isinstance(task, PrecomputedMeshTask):
        return "mesh"
    return "segmentation" if isinstance(task, PrecomputedSegmentationTask) else "annotations"
