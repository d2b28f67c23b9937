"""JUnit XML for CI: one test case per run (grouped in one test suite per dataset), errors as failures.

``ingest check``, ``ingest validate``, ``ingest deposition`` and ``ingest run`` print it with ``--format junit``,
and so does a command that fails as a whole (one failing test case named after the command). Only the standard
library is imported here: the failure of a command line that does not parse is rendered from this module too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingest.domain.report import Finding, Report, Severity
from ingest.domain.tree_roles import dataset_and_run

GroupKey = tuple[str, str]
"""(dataset, run) of a finding; ``-`` stands for "above that level" (depositions, dataset files)."""


@dataclass(frozen=True)
class Case:
    """One test case: it fails when one of its findings is an error or when ``failure`` names why."""

    suite: str
    name: str
    findings: tuple[Finding, ...] = ()
    failure: str | None = None
    """The failure message of a case that failed as a whole (default: the count and codes of its errors)."""


def group_by_run(findings: Sequence[Finding]) -> dict[GroupKey, list[Finding]]:
    """Findings keyed by (dataset, run) of their file in the tree, sorted."""
    groups: dict[GroupKey, list[Finding]] = defaultdict(list)
    for finding in findings:
        dataset, run = dataset_and_run(finding.file or "")
        groups[(dataset or "-", run or "-")].append(finding)
    return dict(sorted(groups.items()))


def run_cases(groups: Mapping[GroupKey, Sequence[Finding]]) -> list[Case]:
    """One case per (dataset, run) group, in the suite of its dataset."""
    return [Case(f"dataset {dataset}", f"run {run}", tuple(found)) for (dataset, run), found in groups.items()]


def render_junit(report: Report, *, suite_name: str = "ingest check") -> str:
    """JUnit XML of a report: one test suite per dataset, one test case per run; errors become failures."""
    cases = run_cases(group_by_run(report.findings)) or [Case("tree", "all checks")]
    return render_cases(cases, name=suite_name)


def render_failure(message: str, exit_code: int, findings: Sequence[Finding], *, name: str) -> str:
    """JUnit XML of a command that failed as a whole: one failing case named ``name``, with the findings."""
    case = Case(name, name, tuple(findings), failure=message)
    return render_cases([case], name=name, failure_type=f"exit {exit_code}")


def render_cases(cases: Sequence[Case], *, name: str, failure_type: str = "error") -> str:
    """The XML document of ``cases`` (``failure_type``: the type of a failure without error codes)."""
    root = ET.Element("testsuites", name=name)
    suites: dict[str, ET.Element] = {}
    failures_total = 0
    for case in cases:
        suite = suites.get(case.suite)
        if suite is None:
            suite = suites[case.suite] = ET.SubElement(root, "testsuite", name=case.suite)
        element = ET.SubElement(suite, "testcase", classname=case.suite, name=case.name)
        errors = [f for f in case.findings if f.severity is Severity.ERROR]
        lines = "\n".join(f"{f.location}: {f.severity.value}[{f.code}] {f.describe()}" for f in case.findings)
        if errors or case.failure is not None:
            failures_total += 1
            codes = ", ".join(sorted({f.code for f in errors}))
            message = case.failure if case.failure is not None else f"{len(errors)} error(s): {codes}"
            failure = ET.SubElement(element, "failure", type=codes or failure_type, message=message)
            failure.text = lines
        elif lines:
            ET.SubElement(element, "system-out").text = lines
    for suite in root.iter("testsuite"):
        elements = suite.findall("testcase")
        suite.set("tests", str(len(elements)))
        suite.set("failures", str(sum(1 for element in elements if element.find("failure") is not None)))
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root.iter("testsuite"))))
    root.set("failures", str(failures_total))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
