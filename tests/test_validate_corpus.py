"""The reference corpus: every real portal config validates; the portal's own fixtures get the verdicts they imply."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.domain.report import Report
from ingest.pipeline.validate import exit_code, validate_config

FIXTURES = Path("portal-fixtures/ingestion_tools/scripts/tests/fixtures")


def real_configs(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "configs").rglob("*.yaml") if p.name != "template.yaml")


def test_every_real_config_validates(corpus: Path) -> None:
    configs = real_configs(corpus)
    assert len(configs) >= 30
    failures = {}
    for config in configs:
        report = validate_config(config)
        if exit_code(report) != 0:
            failures[config.name] = [f"{f.location} {f.code} {f.describe()}" for f in report.errors]
    assert failures == {}


def portal_configs(corpus: Path) -> list[Path]:
    """The portal's whole config corpus (with gjensen/), without the skeleton and the draft stubs."""
    folder = corpus / "portal-configs"
    return sorted(
        p
        for p in [*folder.glob("*.yaml"), *folder.glob("gjensen/*.yaml")]
        if p.name != "template.yaml" and not p.name.endswith("_draft.yaml")
    )


def test_every_portal_config_validates(corpus: Path) -> None:
    """The portal ran every one of these configs; refusing one would be our defect."""
    configs = portal_configs(corpus)
    assert len(configs) >= 380
    failures = {}
    for config in configs:
        report = validate_config(config)
        if exit_code(report) != 0:
            failures[str(config.relative_to(corpus))] = [f"{f.location} {f.code} {f.describe()}" for f in report.errors]
    assert failures == {}


def test_portal_configs_that_use_the_portals_newer_keys_validate_without_warnings_about_them(corpus: Path) -> None:
    """mesh_source_path (10441, 10456), WBbt cell types (10477), underscored ingest ids (10485, a warning only)."""
    folder = corpus / "portal-configs"
    for name in ("10441.yaml", "10456.yaml", "10477.yaml"):
        assert validate_config(folder / name).errors == (), name
    codes = [f.code for f in validate_config(folder / "10485.yaml").findings if f.code.startswith(("E-", "W-ING"))]
    assert codes == ["W-INGEST-ID-PATTERN"]


def test_template_is_not_yaml_and_the_error_names_its_line(corpus: Path) -> None:
    report = validate_config(corpus / "configs" / "template.yaml")
    (finding,) = report.findings
    assert (finding.code, finding.line) == ("E-YAML-SYNTAX", 3)
    assert exit_code(report) == 2


def test_older_corpus_configs_are_upgraded_with_a_note(corpus: Path) -> None:
    report = validate_config(corpus / "configs" / "10490.yaml")
    notes = [f for f in report.findings if f.code == "N-CONFIG-UPGRADED"]
    assert [(f.line, "version 1.0.0" in f.message) for f in notes] == [(1, True)]


def has(report: Report, code: str, line: int) -> bool:
    return any(f.code == code and f.line == line for f in report.findings)


# (fixture, code, line): what each portal fixture's content implies. They are fragments written for the portal's
# importer unit tests, not complete configs, so every one is rejected; the listed finding is the reason its content
# gives (the first three are the defects the fixtures were written to exercise).
VERDICTS = [
    ("dataset1.yaml", "E-ID-PATTERN", 5),  # annotation_object id GO:000000!
    ("dataset2.yaml", "E-ID-PATTERN", 78),  # cell_strain id is a URL, not an id
    ("voxel_spacing/tomo_run_data_map.yaml", "E-SCHEMA-TYPE", 126),  # voxel_spacing '{col}' without float
    ("dataset1.yaml", "E-AUTHOR-CORRESPONDING", 9),
    ("dataset1.yaml", "E-ANNOTATION-SHAPE-COUNT", 22),  # old `shape: Point` entry layout
    ("dataset1.yaml", "E-UNKNOWN-KEY", 25),
    ("alignments/alignment1.yaml", "E-LITERAL-TYPE", 10),  # deposition literal '10301' is a string
    ("alignments/alignment2.yaml", "E-MISSING-KEY", 1),
    ("alignments/alignment3.yaml", "E-MISSING-KEY", 1),
    ("alignments/alignment4.yaml", "E-MISSING-KEY", 1),
    ("annotations/anno_config.yaml", "E-UNKNOWN-KEY", 61),  # list_glob in a source_multi_glob
    ("dataset/keyphoto.yaml", "E-MISSING-KEY", 16),  # no deposition_id
    ("depositions/deposition1.yaml", "E-MISSING-KEY", 1),
    ("depositions/deposition2.yaml", "E-MISSING-KEY", 1),
    ("frames/default.yaml", "E-MISSING-KEY", 29),
    ("tiltseries/test1.yaml", "E-FRAMES-MISSING", 1),
    ("tiltseries/invalid_mdoc_rawtlt.yaml", "E-FRAMES-MISSING", 1),
    ("tiltseries/close_tilt_angles_mdoc_rawtlt.yaml", "E-FRAMES-MISSING", 1),
    ("voxel_spacing/mrc_header.yaml", "E-COLLECTION-METADATA-MISSING", 64),
    ("voxel_spacing/tomo_metadata.yaml", "E-COLLECTION-METADATA-MISSING", 64),
    ("voxel_spacing/overrides_by_run.yaml", "E-UNKNOWN-KEY", 140),  # parent_filters.require
]


@pytest.mark.parametrize(("fixture", "code", "line"), VERDICTS)
def test_portal_fixture_verdict(corpus: Path, fixture: str, code: str, line: int) -> None:
    report = validate_config(corpus / FIXTURES / fixture)
    assert has(report, code, line), [f"{f.line} {f.code}" for f in report.findings]
    assert exit_code(report) == 1


def test_every_portal_fixture_has_a_verdict(corpus: Path) -> None:
    listed = {fixture for fixture, _, _ in VERDICTS}
    present = {str(p.relative_to(corpus / FIXTURES)) for p in (corpus / FIXTURES).rglob("*.yaml")}
    assert present == listed


def test_bad_go_id_names_the_go_pattern(corpus: Path) -> None:
    report = validate_config(corpus / FIXTURES / "dataset1.yaml")
    (finding,) = [f for f in report.findings if f.code == "E-ID-PATTERN"]
    assert finding.found == "'GO:000000!'"
    assert finding.expected is not None and r"^GO:[0-9]{7}$" in finding.expected
