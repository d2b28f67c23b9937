"""Plan a run's identified objects (``identified_objects:``), as the portal's identified-object importer does: the
CSV its source finds is written per run as ``IdentifiedObjects/identified_objects.json`` (the rows whose
``run_name`` is the run's, that column dropped; every row when there is no such column), with
``identified_objects_metadata.json`` beside it (the entry's metadata, templates rendered for the run, and counts).
A run has one such file: when the sources find several CSVs for a run, the portal's importers all write the same
two files and the last one wins; so does this plan, with a warning naming them."""

from __future__ import annotations

from ingest.domain.entities import Run
from ingest.domain.tasks import IdentifiedObjectsTask
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.context import PlanContext, Scope, entry_sources
from ingest.plan.sources import Origin

SECTION = "identified_objects"


def plan_identified_objects(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope
) -> tuple[IdentifiedObjectsTask, ...]:
    """The run's identified-objects task (none when no source finds a file for the run)."""
    found = [
        (index, entry, key)
        for index, entry, path, source in entry_sources(SECTION, config.identified_objects)
        for item in context.find(source, scope, path)
        if item.origin is Origin.SOURCE
        for key in item.keys
    ]
    if not found:
        return ()
    if len(found) > 1:
        context.warnings.append(
            f"run {run.name!r}: several identified-object files ({', '.join(key for _, _, key in found)}); the last "
            f"is written as {context.layout.identified_objects(run)}, as the portal does"
        )
    index, entry, key = found[-1]
    path = f"{SECTION}[{index}]"
    metadata = context.entry_frozen(path, entry.metadata, scope, deposition_id=context.deposition_id)
    return (
        IdentifiedObjectsTask(
            source_key=key,
            metadata=metadata,
            data_key=context.layout.identified_objects(run),
            metadata_key=context.layout.identified_objects_metadata(run),
        ),
    )
