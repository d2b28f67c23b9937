"""Plan the files a run gets as plain copies: raw tilt angles into its tilt series' folder, collection metadata
(``.mdoc``) into ``Frames/`` and gain references into ``Gains/``, each under its source file name."""

from __future__ import annotations

from collections.abc import Callable

from ingest.entities import Run, TiltSeries
from ingest.errors import PlanError
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan_context import PlanContext, Scope
from ingest.sources import Origin
from ingest.tasks import CopyTask, Section


def plan_copies(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope, tiltseries: TiltSeries | None
) -> tuple[CopyTask, ...]:
    """The run's copy tasks; ``tiltseries`` is the run's tilt series (planned or already in the tree), which raw
    tilt files need."""
    layout = context.layout
    tasks: list[CopyTask] = []
    claimed: dict[str, str] = {}

    def rawtilt_target(path: str) -> Callable[[str], str]:
        if tiltseries is None:
            raise PlanError(
                f"run {run.name!r} has raw tilt files but no tilt series to put them in",
                where=context.where(path),
                expected="a tilt series for the run (in the config's tiltseries section or already in the tree)",
                found="no tilt series",
            )
        return lambda name: layout.tiltseries_copy(tiltseries, name)

    sections: tuple[tuple[Section, Callable[[str], Callable[[str], str]]], ...] = (
        (Section.RAWTILTS, rawtilt_target),
        (Section.COLLECTION_METADATA, lambda _: lambda name: layout.frames_copy(run, name)),
        (Section.GAINS, lambda _: lambda name: layout.gains_copy(run, name)),
    )
    for section, target_for in sections:
        for index, entry in enumerate(getattr(config, section.value) or ()):
            for number, source in enumerate(entry.sources):
                path = f"{section.value}[{index}].sources[{number}]"
                for item in context.find(source, scope, path):
                    if item.origin is not Origin.SOURCE:
                        continue
                    target = target_for(path)
                    for key in item.keys:
                        output = target(key.rsplit("/", 1)[-1])
                        if output in claimed:
                            raise PlanError(
                                "two files would be copied to the same place",
                                where=context.where(path),
                                expected="distinct file names per folder",
                                found=f"{claimed[output]!r} and {key!r} both to {output!r}",
                            )
                        claimed[output] = key
                        tasks.append(CopyTask(section, key, output))
    return tuple(tasks)
