"""How ``ingest deposition`` and ``ingest run`` print their outcome with ``--format json|github|junit``.

The outcome is the ingestion report (:class:`~ingest.pipeline.execute.IngestReport`), the runs the source checks
refused (nothing written for them) and the source checks' warnings of the runs ingested. For ``github`` and
``junit`` it becomes findings grouped by (dataset, run), the shape the renderers of ``ingest check`` and
``ingest validate`` take (:func:`ingest.domain.report.render_github`, :mod:`ingest.cli.junit`): a failed run is a
:data:`RUN_FAILED` error, a refused run its source findings (at their config lines) and a :data:`RUN_REFUSED`
error, a source warning belongs to its run, the output checks' findings belong to the run they are about, and
deposition-level failures and warnings to the ``-`` group. docs/json-output.md describes the documents.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ingest.cli.json_failures import failure_fields, failure_output
from ingest.cli.junit import Case, GroupKey, group_by_run, render_cases
from ingest.domain.report import Finding, Report, Severity, render_github

if TYPE_CHECKING:
    from ingest.pipeline.execute import IngestReport

RUN_FAILED = "RUN-FAILED"
"""The title (github) and failure type (junit) of a run whose ingestion failed."""
RUN_REFUSED = "RUN-REFUSED"
"""... of a run the source checks refused (nothing was written for it)."""
RUN_WARNING = "RUN-WARNING"
"""... of a warning of a run (a converter's remark)."""
DEPOSITION_FAILED = "DEPOSITION-FAILED"
"""... of a deposition-level failure (a key photo that cannot be read)."""
DEPOSITION_WARNING = "DEPOSITION-WARNING"
"""... of a deposition-level warning."""

REFUSAL = "its source files disagree, nothing was written for it (--skip-source-checks ingests it anyway)"
"""Why a refused run has no output (after ``refused:``)."""


@dataclass(frozen=True)
class RunSourceFindings:
    """The source checks' findings of one run: ``run`` is ``dataset/run`` as in the report. A run with an error
    among them was refused; otherwise they are warnings of a run that was ingested."""

    run: str
    findings: tuple[Finding, ...]


def render_outcome(
    report: IngestReport,
    refused: Sequence[RunSourceFindings],
    output_format: str,
    name: str,
    warned: Sequence[RunSourceFindings] = (),
) -> str:
    """The outcome of an ingestion as ``output_format`` (json, github or junit); ``name``: ``ingest COMMAND``;
    ``warned``: the source checks' warnings of runs that were ingested."""
    if output_format == "json":
        return outcome_json(report, refused, warned)
    cases = outcome_cases(report, refused, warned)
    if output_format == "junit":
        return render_cases(cases or [Case("deposition", "no runs")], name=name)
    return _annotations(cases)


def render_refusal(
    message: str, exit_code: int, refused: Sequence[RunSourceFindings], output_format: str, name: str
) -> str:
    """The failure document when every planned run was refused: the failure's ``message`` with every refused run
    (json: the failure document plus ``refused``; github: each run's annotations and one line for the failure;
    junit: one failing case per run)."""
    findings = [finding for item in refused for finding in item.findings]
    if output_format == "json":
        document = {**failure_fields(message, exit_code, findings), "refused": refused_entries(refused)}
        return json.dumps(document, indent=2, sort_keys=True)
    if output_format == "junit":
        return render_cases(outcome_cases(None, refused), name=name)
    return _annotations(outcome_cases(None, refused)) + "\n" + failure_output("github", message, exit_code, (), name)


def outcome_json(
    report: IngestReport, refused: Sequence[RunSourceFindings], warned: Sequence[RunSourceFindings] = ()
) -> str:
    """The JSON document of the ingestion (``report_to_json``) with ``refused`` and ``source_warnings`` after
    ``runs``; ``ok`` is false when a run was refused."""
    from ingest.pipeline.execute import report_document

    document: dict[str, Any] = {}
    for key, value in report_document(report).items():
        document[key] = value
        if key == "runs":
            document["refused"] = refused_entries(refused)
            document["source_warnings"] = refused_entries(warned)
    document["ok"] = bool(document["ok"]) and not refused
    return json.dumps(document, indent=2) + "\n"


def refused_entries(runs: Sequence[RunSourceFindings]) -> list[dict[str, Any]]:
    """``[{"run": "dataset/run", "findings": [...]}]`` (findings as in ``ingest validate --format json``)."""
    return [{"run": item.run, "findings": [asdict(finding) for finding in item.findings]} for item in runs]


def outcome_cases(
    report: IngestReport | None, refused: Sequence[RunSourceFindings], warned: Sequence[RunSourceFindings] = ()
) -> list[Case]:
    """One case per run (passing or not) and per other group of findings, sorted by (dataset, run); a failed or
    refused run fails with its reason as the message; a run's source warnings are among its findings."""
    groups: dict[GroupKey, list[Finding]] = {}
    reasons: dict[GroupKey, str] = {}
    if report is not None:
        deposition_level = [Finding(Severity.ERROR, DEPOSITION_FAILED, error) for error in report.errors]
        deposition_level += [Finding(Severity.WARNING, DEPOSITION_WARNING, warning) for warning in report.warnings]
        if deposition_level:
            groups[("-", "-")] = deposition_level
        for run in report.runs:
            found = groups.setdefault(_group(run.run), [])
            if run.error is not None:
                found.append(Finding(Severity.ERROR, RUN_FAILED, run.error, file=run.run))
                reasons[_group(run.run)] = f"{run.run} failed: {run.error}"
            found.extend(Finding(Severity.WARNING, RUN_WARNING, warning, file=run.run) for warning in run.warnings)
    for item in refused:
        groups.setdefault(_group(item.run), []).extend(
            (*item.findings, Finding(Severity.ERROR, RUN_REFUSED, f"refused: {REFUSAL}", file=item.run))
        )
        codes = ", ".join(sorted({f.code for f in item.findings if f.severity is Severity.ERROR}))
        reasons[_group(item.run)] = f"{item.run} refused ({codes}): {REFUSAL}"
    for item in warned:
        groups.setdefault(_group(item.run), []).extend(item.findings)
    if report is not None and report.checks is not None:
        for key, found in group_by_run(report.checks.findings).items():
            groups.setdefault(key, []).extend(found)
    return [
        Case(f"dataset {dataset}", f"run {run}", tuple(found), reasons.get((dataset, run)))
        for (dataset, run), found in sorted(groups.items())
    ]


def _annotations(cases: Sequence[Case]) -> str:
    """The GitHub workflow annotations of every finding of ``cases``, in order."""
    return render_github(Report(tuple(finding for case in cases for finding in case.findings)))


def _group(run: str) -> GroupKey:
    dataset, _, name = run.partition("/")
    return (dataset, name or "-")
