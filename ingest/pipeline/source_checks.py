"""Source checks before ingestion: the cross-file rules of ``ingest check`` run on the files a config finds.

The planner (:func:`ingest.pipeline.planning.plan_valid_config`) finds each run's tilt series, raw tilt file, mdoc,
alignment ``.tlt`` files, frames and gains; this module reads them from the input (small text files and 1024-byte MRC
headers) and applies the very functions that check a written tree (:func:`ingest.checks.acquisition.
acquisition_findings`, :func:`ingest.checks.mrc.voxel_size_findings`), so a rule has one home. Each
tree code ``C-X`` found on sources becomes ``E-SOURCE-X`` (``W-SOURCE-X`` for a warning), placed at the config
section whose finder found the file (docs/validation-codes.md, "Source checks"); the message names the run and the
source file. ``ingest validate --input DIR --deep`` reports them; ``ingest deposition`` refuses a run with an error
among them unless ``--skip-source-checks`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ingest.checks.acquisition import Acquisition, acquisition_findings
from ingest.checks.metadata import MetadataDocument
from ingest.checks.mrc import read_mrc_header, voxel_size_findings
from ingest.config.positioned_yaml import PathPart, YamlDocument
from ingest.config.rules.located import finding_at
from ingest.converters.volumes.kind import VolumeKind
from ingest.domain.report import Finding, Report, Severity
from ingest.domain.tasks import Plan, RunPlan, Section
from ingest.domain.tree_roles import Placed, Role
from ingest.errors import IngestError, InputFileError
from ingest.models.ingestion_config import DepositionConfig
from ingest.storage.base import Storage

_MRC_SUFFIXES = (".mrc", ".st", ".ali")


class SourcesRefusedError(IngestError):
    """Every planned run fails the source checks: nothing is written; ``report`` holds their findings."""

    def __init__(self, report: Report, runs: Sequence[str]) -> None:
        self.report = report
        super().__init__(
            f"every planned run ({len(runs)}) has source files that disagree; nothing was written",
            expected="sources that pass `ingest validate --input DIR --deep`, or --skip-source-checks",
            found=", ".join(runs),
        )


@dataclass(frozen=True)
class SourceReader:
    """The input storage under the source prefix, read as the checks read a tree (keys relative to the prefix)."""

    storage: Storage
    prefix: str = ""

    @property
    def location(self) -> str:
        return self.storage.url_of(self.prefix)

    def full_key(self, key: str) -> str:
        """The key under the input root."""
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    def list_keys(self) -> tuple[str, ...]:
        return tuple(self.storage.list_keys(self.prefix))

    def read_bytes(self, key: str) -> bytes:
        return self.storage.read_bytes(self.full_key(key))

    def read_range(self, key: str, start: int, length: int) -> bytes:
        with self.storage.open_input(self.full_key(key)) as stream:
            stream.seek(start)
            return stream.read(length)

    def size(self, key: str) -> int:
        return self.storage.size(self.full_key(key))

    def zarr_store(self, key: str) -> Any:
        raise NotImplementedError("source checks read no zarr store")


def check_plan_sources(
    plan: Plan,
    config: DepositionConfig,
    input_url: str,
    document: YamlDocument,
    storage_options: Mapping[str, str] | None = None,
) -> dict[str, list[Finding]]:
    """Open the input at ``input_url`` (under the config's source prefix) and check the sources of every planned
    run (:func:`source_findings`)."""
    from ingest.pipeline.planning import PlanContextLocator, source_prefix_key
    from ingest.storage.base import open_storage

    is_s3 = input_url.startswith(("s3://", "s3a://"))
    storage = open_storage(input_url, storage_options if is_s3 else None)
    prefix = source_prefix_key(config, storage, PlanContextLocator(document.file, document.tree))
    return source_findings(plan, SourceReader(storage, prefix), document)


def source_findings(plan: Plan, reader: SourceReader, document: YamlDocument) -> dict[str, list[Finding]]:
    """The source findings of each planned run, by run name (runs without a finding left out)."""
    found: dict[str, list[Finding]] = {}
    for run in plan.runs:
        findings = run_source_findings(run, reader, document)
        if findings:
            found[run.run.name] = findings
    return found


def run_source_findings(run: RunPlan, reader: SourceReader, document: YamlDocument) -> list[Finding]:
    """The findings about one run's source files, placed at the config sections that found them."""
    acquisition, sections, tree_findings = _acquisition(run, reader)
    tree_findings += acquisition_findings(reader, acquisition)
    return [_as_source(finding, run.run.name, sections, reader, document) for finding in tree_findings]


def refuse_failing_runs(plan: Plan, findings: Mapping[str, Sequence[Finding]]) -> tuple[Plan, tuple[str, ...]]:
    """The plan without the runs that have an error among their source findings, and the refused run names."""
    refused = tuple(
        sorted(name for name, found in findings.items() if any(f.severity is Severity.ERROR for f in found))
    )
    kept = tuple(run for run in plan.runs if run.run.name not in refused)
    return replace(plan, runs=kept), refused


def _acquisition(run: RunPlan, reader: SourceReader) -> tuple[Acquisition, dict[str, str], list[Finding]]:
    """The run's acquisition as its sources hold it, which config section found each file, and the findings
    about the tilt series header (pixel spacing)."""
    sections: dict[str, str] = {}
    findings: list[Finding] = []
    copies = {section: [c.source_key for c in run.copies if c.section is section] for section in Section}
    raw = next((k for k in copies[Section.RAWTILTS] if k.lower().endswith(".rawtlt")), None)
    mdocs = [k for k in copies[Section.COLLECTION_METADATA] if k.lower().endswith(".mdoc")]
    mdoc = mdocs[-1] if mdocs else None
    series: list[tuple[MetadataDocument, str | None]] = []
    for task in run.tiltseries:
        content = task.metadata.to_dict()
        sections[task.source_key] = "tiltseries"
        if task.source_key.lower().endswith(_MRC_SUFFIXES):
            try:
                header = read_mrc_header(reader, task.source_key)
            except (InputFileError, OSError):
                header = None  # the conversion reports an unreadable tilt series
            if header is not None:
                content["size"] = dict(zip("zyx", header.shape, strict=True))
                findings += voxel_size_findings(
                    header, key=task.source_key, kind=VolumeKind.TILTSERIES, spacing=_number(content, "pixel_spacing")
                )
        series.append((MetadataDocument(Placed(task.source_key, Role.TILTSERIES_METADATA), content), raw))
    tlt_files = []
    for alignment in run.alignments:
        for key in alignment.source_keys:
            sections.setdefault(key, "alignments")
            if key.lower().endswith(".tlt") and series:
                tlt_files.append((key, series[0][0]))
    frames = None
    if run.frames:
        content = run.frames[0].metadata.to_dict()
        content.pop("frames", None)  # built from the mdoc's sections when written
        frames = MetadataDocument(Placed(run.frames[0].metadata_key, Role.FRAMES_METADATA), content)
    for section, name in ((Section.RAWTILTS, "rawtilts"), (Section.COLLECTION_METADATA, "collection_metadata")):
        sections.update(dict.fromkeys(copies[section], name))
    sections.update(dict.fromkeys(copies[Section.FRAMES], "frames"))
    sections.update(dict.fromkeys(copies[Section.GAINS], "gains"))
    acquisition = Acquisition(
        tuple(series), mdoc, tuple(tlt_files), frames, tuple(copies[Section.FRAMES]), tuple(copies[Section.GAINS])
    )
    return acquisition, sections, findings


def _as_source(
    finding: Finding, run: str, sections: Mapping[str, str], reader: SourceReader, document: YamlDocument
) -> Finding:
    """A tree finding about a source file as a validation finding at the config section that found the file."""
    key = finding.file or ""
    section = sections.get(key, "frames" if finding.code.startswith("C-FRAMES") else "tiltseries")
    path: list[PathPart] = [section]
    entries = document.data.get(section) if isinstance(document.data, dict) else None
    if isinstance(entries, list) and len(entries) == 1:
        path.append(0)
        metadata = entries[0].get("metadata") if isinstance(entries[0], dict) else None
        if finding.path and isinstance(metadata, dict) and finding.path.split(".")[0] in metadata:
            path += ["metadata", *finding.path.split(".")]
    prefix = "W-SOURCE-" if finding.severity is not Severity.ERROR else "E-SOURCE-"
    shown = reader.full_key(key) if key in sections else key
    return finding_at(
        document,
        path,
        code=prefix + finding.code.removeprefix("C-"),
        severity=finding.severity,
        message=f"run {run!r}, {shown}: {finding.message}",
        expected=finding.expected,
        found=finding.found,
    )


def _number(content: Mapping[str, Any], name: str) -> float | None:
    value = content.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
