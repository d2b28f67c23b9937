"""The text rendering of an output-tree report: findings grouped by dataset and run (rich), then a summary.

The JUnit XML rendering is :func:`ingest.cli.junit.render_junit`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ingest.cli.junit import group_by_run
from ingest.domain.report import Report, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}


def render_grouped_text(report: Report, console: Console) -> None:
    """Print the findings under one heading per dataset and run, then a summary table."""
    groups = group_by_run(report.findings)
    for (dataset, run), findings in groups.items():
        heading = "depositions" if dataset == "-" else f"dataset {dataset}" + (f" · run {run}" if run != "-" else "")
        console.rule(Text(heading, style="bold"), align="left")
        for finding in findings:
            line = Text()
            line.append(f"{finding.severity.value}[{finding.code}] ", style=_STYLE[finding.severity])
            line.append(f"{finding.location}: ", style="dim")
            line.append(finding.describe())
            console.print(line, soft_wrap=True)
    table = Table(title="ingest check summary")
    for column in ("dataset", "run", "errors", "warnings", "notes", "codes"):
        table.add_column(column, justify="right" if column in ("errors", "warnings", "notes") else "left")
    for (dataset, run), findings in groups.items():
        counts = [sum(1 for f in findings if f.severity is severity) for severity in Severity]
        codes = ", ".join(sorted({f.code for f in findings}))
        table.add_row(dataset, run, *(str(n) for n in counts), codes)
    totals = [sum(1 for f in report.findings if f.severity is severity) for severity in Severity]
    table.add_row("total", "", *(str(n) for n in totals), "", style="bold")
    console.print(table)
    verdict = "clean" if not report.findings else ("ok (no errors)" if report.ok else "FAILED")
    console.print(f"{totals[0]} error(s), {totals[1]} warning(s), {totals[2]} note(s): {verdict}")
