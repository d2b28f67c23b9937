"""Plan a run's movie frames: the frame files the applying ``frames`` entry finds, copied into ``Frames/`` under
their source names (beside the run's ``{run}.mdoc``), and ``Frames/frames_metadata.json`` built from the run's
acquisition file (the ``.mdoc`` its collection metadata copies) with the entry's metadata rendered in the run's
scope. A ``default`` literal source deposits no frame file; the metadata file is still written, without paths.

Doses come from the acquisition file: without one, or without a dose rate, the frames are copied and the metadata
file is left out with a warning rather than written with invented doses (a run with neither frame files nor an
acquisition file gets nothing, silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.domain.entities import Run
from ingest.domain.tasks import CopyTask, FramesTask, Metadata, Section
from ingest.errors import PlanError
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.context import PlanContext, Scope
from ingest.plan.copies import claim_output
from ingest.plan.sources import Origin


@dataclass(frozen=True)
class FramesPlan:
    """A run's frame file copies and its frames metadata task (none, or one)."""

    copies: tuple[CopyTask, ...] = ()
    metadata: tuple[FramesTask, ...] = ()


def plan_frames(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope, copies: tuple[CopyTask, ...]
) -> FramesPlan:
    """The run's frames; ``copies`` are its other planned copies, among them its acquisition file."""
    applying = _applying_entry(config, context, run, scope)
    if applying is None:
        return FramesPlan()
    path, metadata, found = applying
    claimed = {task.output_key: task.source_key for task in copies}
    frame_copies = []
    for source_path, key in found:
        output = context.layout.frames_copy(run, key.rsplit("/", 1)[-1])
        claim_output(claimed, output, key, context.where(source_path))
        frame_copies.append(CopyTask(Section.FRAMES, key, output))
    mdocs = sorted((task for task in copies if task.section is Section.COLLECTION_METADATA), key=_output)
    frame_keys = tuple(task.output_key for task in frame_copies)
    task = _metadata_task(context, run, path, metadata, mdocs, frame_keys)
    return FramesPlan(tuple(frame_copies), () if task is None else (task,))


def _metadata_task(
    context: PlanContext,
    run: Run,
    path: str,
    metadata: dict[str, Any],
    mdocs: list[CopyTask],
    frame_keys: tuple[str, ...],
) -> FramesTask | None:
    metadata_key = context.layout.frames_metadata(run)
    if not mdocs and not frame_keys:
        return None  # a `default` source and no acquisition file: nothing to describe
    if not mdocs:
        context.warnings.append(
            f"run {run.name!r}: {metadata_key} is not written: the run has no acquisition file (.mdoc) in the "
            "config's collection_metadata, and frame doses come from it"
        )
        return None
    dose_rate = metadata.get("dose_rate")
    if dose_rate is None:
        context.warnings.append(f"run {run.name!r}: {metadata_key} is not written: {path}.metadata has no dose_rate")
        return None
    if isinstance(dose_rate, bool) or not isinstance(dose_rate, int | float):
        raise PlanError(
            "a frames dose_rate is not a number",
            where=context.where(f"{path}.metadata.dose_rate"),
            expected="a number of e⁻/Å² (or a 'float {column}' template)",
            found=repr(dose_rate),
        )
    mdoc = mdocs[0]  # the one acquisition file the run's copies keep (see ingest.plan.copies)
    return FramesTask(Metadata.of(metadata), metadata_key, mdoc.source_key, mdoc.output_key, frame_keys)


def _applying_entry(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope
) -> tuple[str, dict[str, Any], list[tuple[str, str]]] | None:
    """The path and rendered metadata of the frames entries whose sources find something for the run, with the
    (source path, key) of every frame file they find; entries with different metadata for one run are refused
    (one metadata file per run)."""
    chosen: tuple[str, dict[str, Any]] | None = None
    files: list[tuple[str, str]] = []
    for index, entry in enumerate(config.frames or ()):
        path = f"frames[{index}]"
        matched = False
        for number, source in enumerate(entry.sources):
            source_path = f"{path}.sources[{number}]"
            for item in context.find(source, scope, source_path):
                matched = True
                if item.origin is Origin.SOURCE:
                    files.extend((source_path, key) for key in item.keys)
        if not matched:
            continue
        metadata = context.entry_metadata(path, entry.metadata, scope)
        if chosen is not None and chosen[1] != metadata:
            raise PlanError(
                f"two frames entries with different metadata apply to run {run.name!r}",
                where=context.where(path),
                expected="one frames entry per run (its metadata makes the run's frames_metadata.json)",
                found=f"{chosen[0]} and {path}",
            )
        chosen = chosen or (path, metadata)
    return None if chosen is None else (*chosen, files)


def _output(task: CopyTask) -> str:
    return task.output_key
