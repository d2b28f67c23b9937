"""Renderings of an output-tree report: text grouped by dataset and run (rich), and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ingest.domain.report import Finding, Report, Severity
from ingest.domain.tree_roles import dataset_and_run

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.NOTE: "cyan"}
_GroupKey = tuple[str, str]


def group_by_run(findings: Sequence[Finding]) -> dict[_GroupKey, list[Finding]]:
    """Findings keyed by (dataset, run); ``-`` stands for "above that level" (depositions, dataset files)."""
    groups: dict[_GroupKey, list[Finding]] = defaultdict(list)
    for finding in findings:
        dataset, run = dataset_and_run(finding.file or "")
        groups[(dataset or "-", run or "-")].append(finding)
    return dict(sorted(groups.items()))


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


def render_junit(report: Report, *, suite_name: str = "ingest check") -> str:
    """JUnit XML: one test suite per dataset, one test case per run; errors become failures."""
    groups = group_by_run(report.findings)
    root = ET.Element("testsuites", name=suite_name)
    suites: dict[str, ET.Element] = {}
    failures_total = 0
    for (dataset, run), findings in groups.items():
        suite = suites.get(dataset)
        if suite is None:
            suite = suites[dataset] = ET.SubElement(root, "testsuite", name=f"dataset {dataset}")
        case = ET.SubElement(suite, "testcase", classname=f"dataset {dataset}", name=f"run {run}")
        errors = [f for f in findings if f.severity is Severity.ERROR]
        lines = "\n".join(f"{f.location}: {f.severity.value}[{f.code}] {f.describe()}" for f in findings)
        if errors:
            failures_total += 1
            codes = ", ".join(sorted({f.code for f in errors}))
            failure = ET.SubElement(case, "failure", type=codes, message=f"{len(errors)} error(s): {codes}")
            failure.text = lines
        else:
            ET.SubElement(case, "system-out").text = lines
    if not groups:
        suite = ET.SubElement(root, "testsuite", name="tree")
        ET.SubElement(suite, "testcase", classname="tree", name="all checks")
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root.iter("testsuite"))))
    root.set("failures", str(failures_total))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
