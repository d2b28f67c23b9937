"""The outcome of an ingestion as github annotations, JUnit cases and JSON (ingest/cli/deposition_render.py), from
a report made by hand: every failure and finding lands in the case of its run, every run has a case."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ingest.cli.deposition_render import RunSourceFindings, outcome_cases, render_outcome, render_refusal
from ingest.domain.report import Finding, Report, Severity
from ingest.pipeline.execute import IngestReport, RunOutcome, report_to_json

SOURCE_FINDING = Finding(
    Severity.ERROR, "E-SOURCE-TILT-RANGE", "run 'C', c.mrc: tilts", file="d.yaml", line=7, column=3
)
REFUSED = (RunSourceFindings("10/C", (SOURCE_FINDING,)),)
REPORT = IngestReport(
    written=("10/dataset_metadata.json",),
    skipped=(),
    runs=(
        RunOutcome("10/A", 5, 0, None, ("a converter's remark",)),
        RunOutcome("10/B", 0, 0, "b.mrc: truncated", ()),
    ),
    skipped_sections=(),
    warnings=("deposition remark",),
    checks=Report.of([Finding(Severity.ERROR, "C-TREE-STRAY", "stray file", file="10/A/notes.txt")]),
    errors=("key photo unreadable",),
)


def test_every_run_has_a_case_holding_its_failures_and_findings() -> None:
    found = {
        (case.suite, case.name): ([f.code for f in case.findings], case.failure)
        for case in outcome_cases(REPORT, REFUSED)
    }
    assert found == {
        ("dataset -", "run -"): (["DEPOSITION-FAILED", "DEPOSITION-WARNING"], None),
        ("dataset 10", "run A"): (["RUN-WARNING", "C-TREE-STRAY"], None),
        ("dataset 10", "run B"): (["RUN-FAILED"], "10/B failed: b.mrc: truncated"),
        ("dataset 10", "run C"): (
            ["E-SOURCE-TILT-RANGE", "RUN-REFUSED"],
            "10/C refused (E-SOURCE-TILT-RANGE): its source files disagree, nothing was written for it "
            "(--skip-source-checks ingests it anyway)",
        ),
    }


def test_junit_counts_the_failing_runs() -> None:
    root = ET.fromstring(render_outcome(REPORT, REFUSED, "junit", "ingest run"))
    assert root.get("name") == "ingest run" and root.get("tests") == "4" and root.get("failures") == "4"
    types = {case.get("name"): case.find("failure").get("type") for case in root.iter("testcase")}  # type: ignore[union-attr]
    assert types == {"run -": "DEPOSITION-FAILED", "run A": "C-TREE-STRAY", "run B": "RUN-FAILED",
                     "run C": "E-SOURCE-TILT-RANGE, RUN-REFUSED"}  # fmt: skip


def test_github_is_one_annotation_per_failure_and_finding() -> None:
    lines = render_outcome(REPORT, REFUSED, "github", "ingest deposition").splitlines()
    assert lines == [
        "::error title=DEPOSITION-FAILED::key photo unreadable",
        "::warning title=DEPOSITION-WARNING::deposition remark",
        "::warning file=10/A,title=RUN-WARNING::a converter's remark",
        "::error file=10/A/notes.txt,title=C-TREE-STRAY::stray file",
        "::error file=10/B,title=RUN-FAILED::b.mrc: truncated",
        "::error file=d.yaml,line=7,col=3,title=E-SOURCE-TILT-RANGE::run 'C', c.mrc: tilts",
        "::error file=10/C,title=RUN-REFUSED::refused: its source files disagree, nothing was written for it "
        "(--skip-source-checks ingests it anyway)",
    ]


def test_json_is_the_report_with_refused_after_runs() -> None:
    document = json.loads(render_outcome(REPORT, REFUSED, "json", "ingest deposition"))
    plain = json.loads(report_to_json(REPORT))
    assert list(document) == [
        *list(plain)[: list(plain).index("runs") + 1],
        "refused",
        "source_warnings",
        *list(plain)[list(plain).index("runs") + 1 :],
    ]
    assert {key: value for key, value in document.items() if key not in ("refused", "source_warnings")} == plain
    assert document["source_warnings"] == []
    assert document["refused"] == [{"run": "10/C", "findings": [{
        "severity": "error", "code": "E-SOURCE-TILT-RANGE", "message": "run 'C', c.mrc: tilts", "file": "d.yaml",
        "line": 7, "column": 3, "path": None, "expected": None, "found": None,
    }]}]  # fmt: skip


def test_a_refused_run_alone_makes_ok_false() -> None:
    clean = IngestReport((), (), (RunOutcome("10/A", 1, 0, None, ()),), (), ())
    assert json.loads(render_outcome(clean, (), "json", "ingest deposition"))["ok"] is True
    assert json.loads(render_outcome(clean, REFUSED, "json", "ingest deposition"))["ok"] is False


def test_every_run_refused_json_is_the_failure_document_with_refused() -> None:
    document = json.loads(render_refusal("every planned run (1) ...", 1, REFUSED, "json", "ingest deposition"))
    assert document["ok"] is False and document["error"] == {"message": "every planned run (1) ...", "exit_code": 1}
    assert [f["code"] for f in document["findings"]] == ["E-SOURCE-TILT-RANGE"]
    assert [item["run"] for item in document["refused"]] == ["10/C"]
