"""Findings and reports returned by validators and checks, and their renderings (text, json, github)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from ingest.errors import with_expected_found


class Severity(StrEnum):
    """How bad a finding is: errors fail the command, warnings and notes do not."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) about one place in a file.

    ``code`` is stable across releases (``E-DATE-ORDER``); ``path`` is a config path such as
    ``annotations[3].metadata.dates`` or a location inside an output tree; ``line``/``column`` are 1-based.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def location(self) -> str:
        """``file:line:column`` with whatever parts are known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def describe(self) -> str:
        """The finding as one human-readable line (without the location)."""
        text = self.message
        if self.path:
            text = f"{self.path}: {text}"
        return with_expected_found(text, self.expected, self.found)


@dataclass(frozen=True)
class Report:
    """An ordered collection of findings about one or more files."""

    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Report:
        """A report sorted by file, line and column, so output is deterministic."""
        return cls(tuple(sorted(findings, key=_sort_key)))

    def merge(self, other: Report) -> Report:
        """A report with the findings of both."""
        return Report.of((*self.findings, *other.findings))

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings and notes allowed)."""
        return not self.errors

    def codes(self) -> list[str]:
        """The finding codes in order (handy in tests)."""
        return [f.code for f in self.findings]


def _sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.file or "", finding.line or 0, finding.column or 0, finding.code)


def render_report_text(report: Report) -> str:
    """Compiler-style lines: ``file:line:col: error[E-CODE] path: message (expected ..., found ...)``."""
    lines = [f"{f.location}: {f.severity.value}[{f.code}] {f.describe()}" for f in report.findings]
    lines.append(_summary(report.findings))
    return "\n".join(lines)


def render_json(report: Report) -> str:
    """A machine-readable report: ``{"ok": bool, "errors": n, "warnings": n, "findings": [...]}``."""
    payload = {
        "ok": report.ok,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "findings": [asdict(f) for f in report.findings],
    }
    return json.dumps(payload, indent=2, sort_keys=True)


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands (``::error file=…,line=…,col=…::…``) for CI annotations."""
    out = []
    for f in report.findings:
        level = "notice" if f.severity is Severity.NOTE else f.severity.value
        props = []
        if f.file:
            props.append(f"file={_escape_property(f.file)}")
        if f.line is not None:
            props.append(f"line={f.line}")
        if f.column is not None:
            props.append(f"col={f.column}")
        props.append(f"title={f.code}")
        out.append(f"::{level} {','.join(props)}::{_escape_data(f.describe())}")
    return "\n".join(out)


def _summary(findings: Sequence[Finding]) -> str:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    return f"{errors} error(s), {warnings} warning(s)"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
