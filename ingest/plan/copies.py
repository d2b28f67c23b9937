"""Plan the files a run gets as plain copies: raw tilt angles (as ``{run}.rawtlt``) and CTF estimates (as
``{run}_{format}_ctf.txt``) into its tilt series' folder, the acquisition file (``.mdoc``) as
``Frames/{run}.mdoc`` and gain references into ``Gains/`` under their source names (a ``.dm4`` gain as
``{stem}.mrc``, converted when it is written), the names the portal's importers give them (movie frames, also
copied into ``Frames/``, are planned with their metadata in :mod:`ingest.plan.frames`).

A run has one acquisition file: when the collection metadata finds several for a run, the portal keeps the last one
its finders return (each is written to the same ``{run}.mdoc``); so does this plan, with a warning naming them."""

from __future__ import annotations

from typing import Any

from ingest.converters.acquisition.ctf_estimates import known_ctf_format
from ingest.domain.entities import Run, TiltSeries
from ingest.domain.tasks import CopyTask, Section
from ingest.errors import PlanError
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.context import PlanContext, Scope, entry_sources
from ingest.plan.sources import Origin

COPIED_SECTIONS = (Section.RAWTILTS, Section.COLLECTION_METADATA, Section.GAINS, Section.CTFS)
"""The config sections whose files are copied unchanged (their config key is the section's name)."""


def plan_copies(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope, tiltseries: TiltSeries | None
) -> tuple[CopyTask, ...]:
    """The run's copy tasks; ``tiltseries`` is the run's tilt series (planned or already in the tree), the folder
    raw tilt and CTF files go into."""
    tasks: list[CopyTask] = []
    claimed: dict[str, str] = {}
    for section in COPIED_SECTIONS:
        found = [
            (path, key, _ctf_format(entry) if section is Section.CTFS else None)
            for _, entry, path, source in entry_sources(section.value, getattr(config, section.value))
            for item in context.find(source, scope, path)
            if item.origin is Origin.SOURCE
            for key in item.keys
        ]
        if section is Section.COLLECTION_METADATA and len(found) > 1:
            context.warnings.append(
                f"run {run.name!r}: several acquisition files ({', '.join(key for _, key, _ in found)}); the last "
                f"is copied as {context.layout.collection_metadata(run)}, as the portal does"
            )
            found = found[-1:]
        for path, key, ctf_format in found:
            output = _copy_key(context, section, run, tiltseries, path, key, ctf_format)
            claim_output(claimed, output, key, context.where(path))
            tasks.append(CopyTask(section, key, output))
    return tuple(tasks)


def claim_output(claimed: dict[str, str], output: str, key: str, where: str) -> None:
    """Record that source ``key`` is copied to ``output``; a second source for one output is a :class:`PlanError`."""
    if output in claimed:
        raise PlanError(
            "two files would be copied to the same place",
            where=where,
            expected="distinct file names per folder",
            found=f"{claimed[output]!r} and {key!r} both to {output!r}",
        )
    claimed[output] = key


def _ctf_format(entry: Any) -> str:
    metadata = getattr(entry, "metadata", None)
    value = getattr(metadata, "format", None)
    return str(getattr(value, "value", value)) if value is not None else ""


def _copy_key(
    context: PlanContext,
    section: Section,
    run: Run,
    tiltseries: TiltSeries | None,
    path: str,
    key: str,
    ctf_format: str | None,
) -> str:
    """Where a copied file goes: raw tilts (``.rawtlt``) as ``{run}.rawtlt``, CTF estimates as
    ``{run}_{format}_ctf.txt`` and the mdoc as ``Frames/{run}.mdoc`` (the names the portal's importers write), other
    files under their source name (a ``.dm4`` gain as ``{stem}.mrc``)."""
    layout = context.layout
    file_name = key.rsplit("/", 1)[-1]
    if section is Section.GAINS:
        return layout.gains_copy(run, file_name)
    if section is Section.COLLECTION_METADATA:
        return layout.collection_metadata(run)
    if tiltseries is None:
        raise PlanError(
            f"run {run.name!r} has {section.value} files but no tilt series to put them in",
            where=context.where(path),
            expected="a tilt series for the run (in the config's tiltseries section or already in the tree)",
            found="no tilt series",
        )
    if section is Section.RAWTILTS and file_name.lower().endswith(".rawtlt"):
        return layout.tiltseries_rawtlt(tiltseries)
    if section is Section.CTFS:
        if not known_ctf_format(ctf_format):
            raise PlanError(
                "a CTF file in an unknown format",
                where=f"{context.where(path)}: {key}",
                expected="ctfs[].metadata.format one of CTFFIND, Gctf, IMOD (the formats the portal reads)",
                found=repr(ctf_format or None),
            )
        return layout.tiltseries_ctf(tiltseries, ctf_format or "")
    return layout.tiltseries_copy(tiltseries, file_name)
