"""Plan a run's ``Frames/frames_metadata.json``: the frames entry that applies to the run (its metadata rendered in
the run's scope), the run's acquisition file (the ``.mdoc`` its collection metadata copies into ``Frames/``) and
the frame files copied beside it. The frame files themselves are copies (:mod:`ingest.plan_copies`); a ``default``
literal source deposits none, and the metadata file is still written, without paths.

Doses come from the acquisition file: without one, or without a dose rate, the frames are copied and the metadata
file is left out with a warning rather than written with invented doses (a run with neither frame files nor an
acquisition file gets nothing, silently).
"""

from __future__ import annotations

from typing import Any

from ingest.entities import Run
from ingest.errors import PlanError
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan_context import PlanContext, Scope
from ingest.tasks import CopyTask, FramesTask, Metadata, Section


def plan_frames(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope, copies: tuple[CopyTask, ...]
) -> tuple[FramesTask, ...]:
    """The run's frames metadata task (none when no frames entry finds anything for the run); ``copies`` are the
    run's planned copies, among them its frame files and acquisition file."""
    applying = _applying_entry(config, context, run, scope)
    if applying is None:
        return ()
    path, metadata = applying
    mdocs = sorted((task for task in copies if task.section is Section.COLLECTION_METADATA), key=_output)
    frame_keys = tuple(task.output_key for task in copies if task.section is Section.FRAMES)
    metadata_key = context.layout.frames_metadata(run)
    if not mdocs and not frame_keys:
        return ()  # a `default` source and no acquisition file: nothing to describe
    if not mdocs:
        context.warnings.append(
            f"run {run.name!r}: {metadata_key} is not written: the run has no acquisition file (.mdoc) in the "
            "config's collection_metadata, and frame doses come from it"
        )
        return ()
    dose_rate = metadata.get("dose_rate")
    if dose_rate is None:
        context.warnings.append(f"run {run.name!r}: {metadata_key} is not written: {path}.metadata has no dose_rate")
        return ()
    if isinstance(dose_rate, bool) or not isinstance(dose_rate, int | float):
        raise PlanError(
            "a frames dose_rate is not a number",
            where=context.where(f"{path}.metadata.dose_rate"),
            expected="a number of e⁻/Å² (or a 'float {column}' template)",
            found=repr(dose_rate),
        )
    if len(mdocs) > 1:
        context.warnings.append(
            f"run {run.name!r}: several acquisition files ({', '.join(task.output_key for task in mdocs)}); "
            f"{metadata_key} is computed from the first"
        )
    mdoc = mdocs[0]
    return (FramesTask(Metadata.of(metadata), metadata_key, mdoc.source_key, mdoc.output_key, frame_keys),)


def _applying_entry(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope
) -> tuple[str, dict[str, Any]] | None:
    """The path and rendered metadata of the frames entry whose sources find something for the run; two entries
    with different metadata for one run are refused (one metadata file per run)."""
    chosen: tuple[str, dict[str, Any]] | None = None
    for index, entry in enumerate(config.frames or ()):
        path = f"frames[{index}]"
        found = sum(
            context.count_found(source, scope, f"{path}.sources[{number}]")
            for number, source in enumerate(entry.sources)
        )
        if not found:
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
    return chosen


def _output(task: CopyTask) -> str:
    return task.output_key
