"""The error and report types render what/where/expected/found."""

from __future__ import annotations

import json

from ingest.domain.report import Finding, Report, Severity, render_github, render_json, render_report_text
from ingest.errors import InputFileError


def test_error_message_names_place_expected_and_found() -> None:
    error = InputFileError("too few columns", where="picks.em: row 3", expected="20 rows", found="19")
    assert error.message == "picks.em: row 3: too few columns (expected 20 rows, found 19)"
    assert str(error) == error.message


def test_report_sorts_by_file_and_line_and_renders_every_format() -> None:
    late = Finding(Severity.WARNING, "W-LATE", "late", file="a.yaml", line=9, column=1)
    early = Finding(Severity.ERROR, "E-EARLY", "early", file="a.yaml", line=2, column=5, path="runs[0]")
    report = Report.of([late, early])
    assert report.codes() == ["E-EARLY", "W-LATE"]
    assert not report.ok
    assert render_report_text(report).splitlines()[0] == "a.yaml:2:5: error[E-EARLY] runs[0]: early"
    assert json.loads(render_json(report))["errors"] == 1
    assert render_github(report).splitlines()[0].startswith("::error file=a.yaml,line=2,col=5,title=E-EARLY::")
