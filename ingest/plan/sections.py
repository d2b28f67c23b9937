"""Plan what a tilt series' ``per_section_parameter`` is computed from: the run's raw tilt file (copied as
``{run}.rawtlt``), its acquisition file (``.mdoc``) and its CTF estimates (copied as ``{run}_{format}_ctf.txt``),
as the portal's tilt-series importer finds them; and ``frames_count``, the number of the run's frame files."""

from __future__ import annotations

from dataclasses import replace

from ingest.domain.tasks import CopyTask, Section, SectionSources, TiltSeriesTask
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.context import PlanContext


def with_section_sources(
    config: DepositionConfig, context: PlanContext, task: TiltSeriesTask, copies: tuple[CopyTask, ...], frames: int
) -> TiltSeriesTask:
    """``task`` with its section sources and frames count. A tilt series without a raw tilt file or without an
    acquisition file gets no per-section parameters and a plan warning (the portal's ingestion refuses such a tilt
    series; ``ingest check`` reports it as C-TS-NO-SECTIONS)."""
    layout = context.layout
    run = task.tiltseries.run
    rawtlt_key = layout.tiltseries_rawtlt(task.tiltseries)
    rawtlt = next((copy for copy in copies if copy.output_key == rawtlt_key), None)
    mdocs = sorted((copy for copy in copies if copy.section is Section.COLLECTION_METADATA), key=_output)
    missing = []
    if rawtlt is None:
        missing.append("raw tilt file (rawtilts, *.rawtlt)")
    if not mdocs:
        missing.append("acquisition file (collection_metadata, *.mdoc)")
    if rawtlt is None or missing:
        context.warnings.append(
            f"run {run.name!r}: {task.metadata_key} has no per_section_parameter: the run has no "
            + " and no ".join(missing)
            + " (the portal's tilt-series importer matches raw angles to mdoc sections)"
        )
        return replace(task, frames_count=frames)
    ctfs = sorted((copy for copy in copies if copy.section is Section.CTFS), key=_output)
    ctf = ctfs[0] if ctfs else None
    ctf_format = None
    if ctf is not None:
        formats = {str(getattr(e.metadata.format, "value", e.metadata.format)) for e in config.ctfs or () if e.metadata}
        ctf_format = next(
            (f for f in sorted(formats) if layout.tiltseries_ctf(task.tiltseries, f) == ctf.output_key), None
        )
    sections = SectionSources(
        rawtlt_source_key=rawtlt.source_key,
        rawtlt_key=rawtlt.output_key,
        mdoc_source_key=mdocs[0].source_key,
        ctf_source_key=ctf.source_key if ctf is not None else None,
        ctf_key=ctf.output_key if ctf is not None else None,
        ctf_format=ctf_format,
    )
    return replace(task, sections=sections, frames_count=frames)


def _output(task: CopyTask) -> str:
    return task.output_key
