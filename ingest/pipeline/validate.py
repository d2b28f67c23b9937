"""``validate_config``: every finding about one deposition config, in one pass.

Reading (safe YAML, size and alias limits, version upgrade) → schema (generated models) → offline semantic rules →
templates against the run data map. Unreadable files give a single finding whose code is in
:data:`UNREADABLE_CODES`; :func:`exit_code` turns a report into the CLI's exit status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ingest.config.load import RawConfig, read_config
from ingest.config.positioned_yaml import DEFAULT_LIMITS, YamlLimits, YamlReadError
from ingest.config.rules.literals import literal_findings
from ingest.config.rules.located import finding_at, show
from ingest.config.rules.schema import schema_findings
from ingest.config.rules.semantic import semantic_findings
from ingest.config.rules.templates import locate_run_data_map, template_findings
from ingest.config.versions import KNOWN_CONFIG_VERSIONS
from ingest.domain.report import Finding, Report, Severity
from ingest.pipeline.validate_plan import planning_findings

UNREADABLE_CODES = frozenset(
    {
        "E-FILE-UNREADABLE",
        "E-FILE-TOO-LARGE",
        "E-YAML-SYNTAX",
        "E-YAML-DUPLICATE-KEY",
        "E-YAML-TAG",
        "E-YAML-ALIAS",
        "E-YAML-DEPTH",
    }
)


def validate_config(
    path: Path | str,
    input_root: Path | str | None = None,
    limits: YamlLimits = DEFAULT_LIMITS,
    *,
    plan: bool = False,
    output_url: str | None = None,
    bucket_root: Path | str | None = None,
    storage_options: Mapping[str, str] | None = None,
    deep: bool = False,
) -> Report:
    """All findings about the config at ``path``; templates are checked against the run data map found under
    ``input_root`` (default: the config's folder), literal ``bucket/key`` files under ``bucket_root`` when given.
    With ``plan``, a config without errors is then planned against ``input_root`` as ``ingest deposition
    --dry-run`` plans it (on the output tree at ``output_url``, default none), and a refusal becomes a finding
    (E-PLAN). ``input_root`` may be an ``s3://`` URL (read with ``storage_options``): the run data map is then
    looked for next to the config before planning, as ``ingest deposition`` does. With ``deep`` too, the planned
    runs' source files are checked against each other (E-SOURCE-*, W-SOURCE-*: :mod:`ingest.pipeline.source_checks`)."""
    try:
        raw = read_config(path, limits)
    except YamlReadError as error:
        return Report.of([unreadable_finding(error)])
    url = str(input_root) if input_root is not None and "://" in str(input_root) else None
    root = Path(input_root) if input_root is not None and url is None else Path(path).parent
    findings = _findings(raw, root)
    if isinstance(raw.document.data, dict):
        findings += literal_findings(raw.document, Path(bucket_root) if bucket_root is not None else None)
    findings = _unique(findings)
    if plan and not any(finding.severity is Severity.ERROR for finding in findings):
        findings.extend(
            planning_findings(raw.document, Path(path), url or str(root), output_url, storage_options, deep=deep)
        )
    return Report.of(findings)


def validate_configs(
    paths: Iterable[Path | str],
    input_root: Path | str | None = None,
    *,
    plan: bool = False,
    output_url: str | None = None,
    bucket_root: Path | str | None = None,
    storage_options: Mapping[str, str] | None = None,
    deep: bool = False,
) -> Report:
    """One report over several configs."""
    report = Report()
    for path in paths:
        report = report.merge(
            validate_config(
                path,
                input_root,
                plan=plan,
                output_url=output_url,
                bucket_root=bucket_root,
                storage_options=storage_options,
                deep=deep,
            )
        )
    return report


def exit_code(report: Report) -> int:
    """0 valid (warnings allowed), 1 invalid, 2 when a file could not be read."""
    if any(finding.code in UNREADABLE_CODES for finding in report.findings):
        return 2
    return 0 if report.ok else 1


def unreadable_finding(error: YamlReadError) -> Finding:
    """The finding for a file that cannot be read as safe YAML."""
    return Finding(
        severity=Severity.ERROR,
        code=error.code,
        message=error.what,
        file=error.file,
        line=None if error.position is None else error.position.line,
        column=None if error.position is None else error.position.column,
        expected=error.expected,
        found=error.found,
    )


def _findings(raw: RawConfig, input_root: Path) -> list[Finding]:
    document = raw.document
    findings: list[Finding] = []
    if raw.upgrade is not None:
        findings.append(
            finding_at(
                document,
                ("version",),
                code="N-CONFIG-UPGRADED",
                severity=Severity.NOTE,
                message=raw.upgrade.describe() + f"; `ingest migrate {raw.file}` writes the upgraded file",
            )
        )
    elif raw.declared_version is not None and raw.declared_version not in KNOWN_CONFIG_VERSIONS:
        findings.append(
            finding_at(
                document,
                ("version",),
                code="E-VERSION-UNSUPPORTED",
                message="unknown config format version",
                expected=f"one of {', '.join(KNOWN_CONFIG_VERSIONS)}",
                found=show(raw.declared_version),
            )
        )
    _, schema = schema_findings(document)
    findings.extend(schema)
    if not isinstance(document.data, dict):
        return findings
    findings.extend(semantic_findings(document))
    run_map, map_findings = locate_run_data_map(document, input_root)
    findings.extend(map_findings)
    findings.extend(template_findings(document, run_map))
    return findings


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str | None, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.code, finding.path, finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
