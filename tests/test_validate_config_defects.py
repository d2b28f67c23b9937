"""One invalid config per defect, built from the minimal valid config; each asserts the finding code and its line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from configs_under_test import Edit, edited, line_of, minimal_text, write_config

from ingest.domain.report import Report, Severity
from ingest.pipeline.validate import exit_code, validate_config


@dataclass(frozen=True)
class Defect:
    """A defect: the edits that introduce it, the code expected, and the line (a marker in the edited text)."""

    edits: tuple[Edit, ...]
    code: str
    marker: str
    marker_occurrence: int = 0
    exit_status: int = 1


def finding_lines(report: Report, code: str) -> list[int | None]:
    return [f.line for f in report.findings if f.code == code]


DATES = "      deposition_date: '2024-01-01'\n      release_date: '2024-02-01'\n"
DEFECTS: dict[str, Defect] = {
    "release-before-deposition": Defect(
        (Edit("release_date: '2024-02-01'", "release_date: '2023-12-01'", 1),), "E-DATE-ORDER", "release_date", 1
    ),
    "annotation-release-before-deposition": Defect(
        (Edit("release_date: '2024-02-01'", "release_date: '2023-12-01'", 2),), "E-DATE-ORDER", "release_date", 2
    ),
    "ingest-id-not-kebab-case": Defect(
        (Edit("annotation_ingest_id: ribosome-1", "annotation_ingest_id: Ribosome_1"),),
        "W-INGEST-ID-PATTERN",
        "annotation_ingest_id: Ribosome_1",
        exit_status=0,
    ),
    "ingest-id-without-number": Defect(
        (Edit("annotation_ingest_id: ribosome-1", "annotation_ingest_id: ribosome"),),
        "W-INGEST-ID-PATTERN",
        "annotation_ingest_id: ribosome",
        exit_status=0,
    ),
    "no-primary-author": Defect(
        (Edit("      primary_author_status: true", "      primary_author_status: false", 0),),
        "E-AUTHOR-PRIMARY",
        "    authors:",
        0,
    ),
    "no-corresponding-author": Defect(
        (Edit("      corresponding_author_status: true", "      corresponding_author_status: false", 1),),
        "E-AUTHOR-CORRESPONDING",
        "    authors:",
        1,
    ),
    "two-finders": Defect(
        (
            Edit(
                "  - literal:\n      value:\n      - 90001",
                "  - literal:\n      value:\n      - 90001\n    source_glob:\n      list_glob: x",
            ),
        ),
        "E-FINDER-COUNT",
        "    source_glob:",
    ),
    "no-finder": Defect(
        (
            Edit(
                "  - source_glob:\n      list_glob: runs/*\n      match_regex: .*\n      name_regex: (.*)",
                "  - exclude:\n    - tmp",
            ),
        ),
        "E-FINDER-COUNT",
        "  - exclude:",
    ),
    "dataset-literal-not-string": Defect(
        (Edit("      - '90002'", "      - 90002"),), "E-LITERAL-TYPE", "      - 90002"
    ),
    "deposition-literal-not-integer": Defect(
        (Edit("      - 90001", "      - '90001'"),), "E-LITERAL-TYPE", "      - '90001'"
    ),
    "two-shapes-in-one-entry": Defect(
        (
            Edit(
                "      columns: xyz",
                "      columns: xyz\n    OrientedPoint:\n      file_format: relion3_star\n      glob_string: a.star",
            ),
        ),
        "E-ANNOTATION-SHAPE-COUNT",
        "    OrientedPoint:",
    ),
    "annotation-entry-without-shape": Defect(
        (
            Edit(
                "  - Point:\n      file_format: csv\n      glob_string: picks/{run_name}.csv\n      columns: xyz",
                "  - exclude:\n    - x",
            ),
        ),
        "E-ANNOTATION-SHAPE-COUNT",
        "  - exclude:",
    ),
    "glob-string-and-glob-strings": Defect(
        (Edit("      columns: xyz", "      columns: xyz\n      glob_strings:\n      - other/{run_name}.csv"),),
        "E-GLOB-STRING-COUNT",
        "      glob_strings:",
    ),
    "neither-glob-string": Defect(
        (Edit("      glob_string: picks/{run_name}.csv\n", ""),), "E-GLOB-STRING-COUNT", "  - Point:"
    ),
    "same-shape-twice": Defect(
        (
            Edit(
                "      columns: xyz", "      columns: xyz\n  - Point:\n      file_format: csv\n      glob_string: b.csv"
            ),
        ),
        "E-ANNOTATION-SHAPE-REPEATED",
        "  - Point:",
        1,
    ),
    "duplicate-ingest-id": Defect(
        (
            Edit(
                "annotations:\n",
                "annotations:\n- metadata:\n    annotation_ingest_id: ribosome-1\n    annotation_object:\n"
                "      id: GO:0005840\n      name: ribosome\n    annotation_method: picking\n    authors:\n"
                "    - name: Bo\n      primary_author_status: true\n      corresponding_author_status: true\n"
                "    dates:\n" + DATES + "      last_modified_date: '2024-03-01'\n  sources:\n  - Point:\n"
                "      file_format: csv\n      glob_string: other.csv\n",
            ),
        ),
        "E-INGEST-ID-DUPLICATE",
        "annotation_ingest_id: ribosome-1",
        1,
    ),
    "precision-without-ground-truth": Defect(
        (
            Edit(
                "    ground_truth_status: false",
                "    ground_truth_status: false\n    confidence:\n      precision: 80.0",
            ),
        ),
        "E-CONFIDENCE-WITHOUT-GROUND-TRUTH",
        "      precision:",
    ),
    "recall-with-empty-ground-truth": Defect(
        (
            Edit(
                "    ground_truth_status: false",
                "    ground_truth_status: false\n    confidence:\n      ground_truth_used: ''\n      recall: 70.0",
            ),
        ),
        "E-CONFIDENCE-WITHOUT-GROUND-TRUTH",
        "      recall:",
    ),
    "automated-ground-truth": Defect(
        (Edit("    ground_truth_status: false", "    ground_truth_status: true"),),
        "E-AUTOMATED-GROUND-TRUTH",
        "ground_truth_status",
    ),
    "cell-line-without-strain": Defect(
        (Edit("    cell_strain:\n      name: K-12\n      id: NCBITaxon:83333\n", ""),),
        "E-SAMPLE-TYPE-COUPLING",
        "sample_type",
    ),
    "organism-without-tissue": Defect(
        (Edit("sample_type: cell_line", "sample_type: organism"),), "E-SAMPLE-TYPE-COUPLING", "sample_type"
    ),
    "primary-cell-culture-without-cell-type": Defect(
        (Edit("sample_type: cell_line", "sample_type: primary_cell_culture"),), "E-SAMPLE-TYPE-COUPLING", "sample_type"
    ),
    "virus-without-cell-component": Defect(
        (Edit("sample_type: cell_line", "sample_type: virus"),), "E-SAMPLE-TYPE-COUPLING", "sample_type"
    ),
    "development-stage-unknown-id-known-name": Defect(
        (Edit("    development_stage:\n      name: unknown", "    development_stage:\n      name: adult"),),
        "E-DEV-STAGE-UNKNOWN",
        "      name: adult",
    ),
    "tilt-range-min-above-max": Defect(
        (Edit("      min: float {tilt_min}\n      max: float {tilt_max}", "      min: 60.0\n      max: -60.0"),),
        "E-TILT-RANGE",
        "      min: 60.0",
    ),
    "dose-rate-zero": Defect((Edit("dose_rate: 2.5", "dose_rate: 0"),), "E-DOSE-RATE", "dose_rate"),
    "dose-rate-negative": Defect((Edit("dose_rate: 2.5", "dose_rate: -1.5"),), "E-DOSE-RATE", "dose_rate"),
    "collection-metadata-without-frames": Defect(
        (
            Edit(
                "frames:\n- metadata:\n    dose_rate: 2.5\n    is_gain_corrected: false\n  sources:\n  - source_glob:\n"
                "      list_glob: runs/{run_name}/frames/*.tiff\n",
                "",
            ),
        ),
        "E-FRAMES-MISSING",
        "collection_metadata:",
    ),
    "tiltseries-without-collection-metadata": Defect(
        (
            Edit(
                "collection_metadata:\n- sources:\n  - source_glob:\n"
                "      list_glob: runs/{run_name}/{run_name}.mdoc\n",
                "",
            ),
        ),
        "E-COLLECTION-METADATA-MISSING",
        "tiltseries:",
    ),
    "bad-go-id": Defect((Edit("id: GO:0005840", "id: GO:000000!"),), "E-ID-PATTERN", "GO:000000!"),
    "bad-orcid": Defect((Edit("ORCID: 0000-0002-1825-0097", "ORCID: 0000-0002-1825"),), "E-ID-PATTERN", "ORCID"),
    "bad-doi": Defect(
        (
            Edit(
                "    sample_type: cell_line",
                "    sample_type: cell_line\n    cross_references:\n      publications: doi:not-a-doi",
            ),
        ),
        "E-ID-PATTERN",
        "publications:",
    ),
    "bad-empiar-id": Defect(
        (
            Edit(
                "    sample_type: cell_line",
                "    sample_type: cell_line\n    cross_references:\n      related_database_entries: EMPIAR-123",
            ),
        ),
        "E-ID-PATTERN",
        "related_database_entries",
    ),
    "unknown-key-glob-sting": Defect(
        (Edit("      glob_string: picks", "      glob_sting: picks"),), "E-UNKNOWN-KEY", "glob_sting"
    ),
    "unknown-top-level-key": Defect((Edit("voxel_spacings:", "voxel_spacing:"),), "E-UNKNOWN-KEY", "voxel_spacing:"),
    "missing-required-title": Defect(
        (Edit("    deposition_title: Test deposition\n", ""),), "E-MISSING-KEY", "- metadata:", 0
    ),
    "missing-required-section": Defect(
        (
            Edit(
                "runs:\n- sources:\n  - source_glob:\n      list_glob: runs/*\n"
                "      match_regex: .*\n      name_regex: (.*)\n",
                "",
            ),
        ),
        "E-MISSING-KEY",
        "version:",
    ),
    "wrong-type-number": Defect(
        (Edit("acceleration_voltage: 300000", "acceleration_voltage: fast"),), "E-SCHEMA-TYPE", "acceleration_voltage"
    ),
    "wrong-type-authors-not-list": Defect(
        (
            Edit(
                "    authors:\n    - name: Ada Author\n      ORCID: 0000-0002-1825-0097\n"
                "      primary_author_status: true\n"
                "      corresponding_author_status: true\n",
                "    authors: Ada Author\n",
            ),
        ),
        "E-SCHEMA-TYPE",
        "authors: Ada Author",
    ),
    "wrong-enum-method-type": Defect(
        (Edit("method_type: automated", "method_type: by_hand"),), "E-ENUM", "method_type"
    ),
    "wrong-enum-sample-type": Defect((Edit("sample_type: cell_line", "sample_type: rock"),), "E-ENUM", "sample_type"),
    "template-missing-column": Defect(
        (Edit("float {tilt_min}", "float {tilt_minimum}"),), "E-TEMPLATE-COLUMN", "tilt_minimum"
    ),
    "template-attribute-access": Defect(
        (Edit("runs/{run_name}/{run_name}.mrc", "runs/{run_name.__class__}.mrc"),), "E-TEMPLATE-UNSAFE", "__class__"
    ),
    "template-indexing": Defect(
        (Edit("picks/{run_name}.csv", "picks/{run_name[0]}.csv"),), "E-TEMPLATE-UNSAFE", "run_name[0]"
    ),
    "template-unclosed-brace": Defect(
        (Edit("runs/{run_name}/{run_name}.mdoc", "runs/{run_name/x.mdoc"),), "E-TEMPLATE-SYNTAX", "{run_name/x"
    ),
    "template-without-declared-map": Defect(
        (Edit("  run_data_map_file: run_data.csv\n", ""),), "E-TEMPLATE-COLUMN", "float {tilt_min}"
    ),
    "unsupported-version": Defect((Edit("version: 1.3.0", "version: 9.9.9"),), "E-VERSION-UNSUPPORTED", "version:"),
    "malformed-yaml": Defect(
        (Edit("    tilt_step: 3.0", "    tilt_step: [3.0"),), "E-YAML-SYNTAX", "tilting_scheme", 0, exit_status=2
    ),
    "duplicate-yaml-key": Defect(
        (Edit("    tilt_step: 3.0", "    tilt_step: 3.0\n    tilt_step: 4.0"),),
        "E-YAML-DUPLICATE-KEY",
        "tilt_step: 4.0",
        exit_status=2,
    ),
    "python-object-tag": Defect(
        (Edit("    tilt_step: 3.0", "    tilt_step: !!python/object/apply:os.system ['true']"),),
        "E-YAML-TAG",
        "python/object",
        exit_status=2,
    ),
}


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_is_reported_at_its_line(name: str, tmp_path: Path) -> None:
    defect = DEFECTS[name]
    text = edited(minimal_text(), *defect.edits)
    report = validate_config(write_config(tmp_path, text))
    expected_line = line_of(text, defect.marker, defect.marker_occurrence)
    assert expected_line in finding_lines(report, defect.code), report.findings
    assert exit_code(report) == defect.exit_status


def test_minimal_config_is_valid_without_findings(tmp_path: Path) -> None:
    report = validate_config(write_config(tmp_path, minimal_text()))
    assert report.findings == ()
    assert exit_code(report) == 0


def test_unknown_key_suggests_the_closest_valid_key(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("      glob_string: picks", "      glob_sting: picks"))
    report = validate_config(write_config(tmp_path, text))
    (finding,) = [f for f in report.findings if f.code == "E-UNKNOWN-KEY"]
    assert "did you mean `glob_string`?" in finding.message
    assert finding.path == "annotations[0].sources[0].Point.glob_sting"


def test_go_id_finding_names_the_pattern(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("id: GO:0005840", "id: GO:000000!"))
    report = validate_config(write_config(tmp_path, text))
    (finding,) = [f for f in report.findings if f.code == "E-ID-PATTERN"]
    assert finding.expected is not None and r"GO:[0-9]{7}" in finding.expected
    assert finding.path == "annotations[0].metadata.annotation_object.id"


def test_template_column_error_names_missing_and_existing_columns(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("float {tilt_min}", "float {tilt_minimum}"))
    report = validate_config(write_config(tmp_path, text))
    (finding,) = [f for f in report.findings if f.code == "E-TEMPLATE-COLUMN"]
    assert "tilt_minimum" in finding.message
    assert finding.expected == "one of the columns: run_name, tilt_min, tilt_max, quality"


def test_template_value_that_is_not_a_number(tmp_path: Path) -> None:
    path = write_config(tmp_path, minimal_text())
    (tmp_path / "input" / "run_data.csv").write_text("run_name,tilt_min,tilt_max,quality\nTS_001,low,60,4\n")
    report = validate_config(path)
    assert finding_lines(report, "E-TEMPLATE-CAST") == [line_of(minimal_text(), "float {tilt_min}")]


def test_missing_run_map_is_a_warning(tmp_path: Path) -> None:
    report = validate_config(write_config(tmp_path, minimal_text(), with_run_map=False))
    assert finding_lines(report, "W-RUN-MAP-MISSING") == [line_of(minimal_text(), "run_data_map_file")]
    assert exit_code(report) == 0


def test_run_map_is_found_under_the_input_root(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    config = write_config(tmp_path / "configs", minimal_text(), with_run_map=False)
    root = tmp_path / "bucket"
    (root / "input").mkdir(parents=True)
    (root / "input" / "run_data.csv").write_text("run_name,tilt_min\nTS_001,-60\n")
    report = validate_config(config, input_root=root)
    assert finding_lines(report, "E-TEMPLATE-COLUMN") == [
        line_of(minimal_text(), "float {tilt_max}"),
        line_of(minimal_text(), "int {quality}"),
    ]


def test_last_modified_before_release_is_only_a_warning(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("last_modified_date: '2024-03-01'", "last_modified_date: '2024-01-15'", 0))
    report = validate_config(write_config(tmp_path, text))
    assert finding_lines(report, "W-DATE-ORDER") == [line_of(text, "last_modified_date", 0)]
    assert exit_code(report) == 0


def test_older_version_is_upgraded_with_a_note(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("version: 1.3.0", "version: 1.1.0"))
    report = validate_config(write_config(tmp_path, text))
    (note,) = report.findings
    assert (note.code, note.severity, note.line) == ("N-CONFIG-UPGRADED", Severity.NOTE, line_of(text, "version:"))
    assert "1.1.0" in note.message and "1.3.0" in note.message
    assert exit_code(report) == 0


def test_all_findings_are_collected_in_one_pass(tmp_path: Path) -> None:
    text = edited(
        minimal_text(),
        Edit("dose_rate: 2.5", "dose_rate: -1"),
        Edit("id: GO:0005840", "id: GO:1"),
        Edit("release_date: '2024-02-01'", "release_date: '2023-01-01'", 0),
        Edit("      glob_string: picks", "      glob_sting: picks"),
    )
    codes = set(validate_config(write_config(tmp_path, text)).codes())
    assert {"E-DOSE-RATE", "E-ID-PATTERN", "E-DATE-ORDER", "E-UNKNOWN-KEY", "E-GLOB-STRING-COUNT"} <= codes


@pytest.mark.parametrize(
    ("edit", "path", "expected"),
    [
        (Edit("min: float {tilt_min}", "min: low"), "tiltseries[0].metadata.tilt_range.min",
         'a number or a run data map template such as "float {column}"'),
        (Edit("tilt_series_quality: int {quality}", "tilt_series_quality: 4.5"),
         "tiltseries[0].metadata.tilt_series_quality", "a whole number"),
        (Edit("is_gain_corrected: false", "is_gain_corrected: nope"), "frames[0].metadata.is_gain_corrected",
         "true or false"),
        (Edit("acceleration_voltage: 300000", "acceleration_voltage: [300000]"),
         "tiltseries[0].metadata.acceleration_voltage", "a number"),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_type_says_what_to_write_in_curator_terms(
    tmp_path: Path, edit: Edit, path: str, expected: str
) -> None:
    report = validate_config(write_config(tmp_path, edited(minimal_text(), edit)))
    assert [(f.code, f.path, f.expected) for f in report.findings] == [("E-SCHEMA-TYPE", path, expected)]
