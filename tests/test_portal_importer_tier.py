"""Importer tier: the portal's own database importer (``../shared/portal-importer``) loads the trees the tests write.

The README's example tree (dataset 90001, deposition 90000) and the two portal fixture depositions that
``test_portal_fixtures_ingest`` ingests (annotations: dataset 20002, deposition 20302; alignments: dataset 10001,
deposition 10301) must import with exit 0 and one row per entity of the tree. The row counts are pinned, so a
change that drops or merges rows fails here with the importer's table in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import main
from tests.portal_importer import assert_imports_one_row_per_entity, needs_portal_importer, portal_import
from tests.test_portal_fixtures_ingest import completed_alignment_fixture, completed_annotation_fixture, ingest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, needs_portal_importer, pytest.mark.timeout(1800)]  # checks queue on one lock


def rows(report: dict[str, Any]) -> dict[str, int]:
    """Rows per table in the database after the import (tables with at least one row)."""
    return {table: entry["db"] for table, entry in sorted(report["tables"].items()) if entry["db"]}


def test_example_tree_imports_one_row_per_entity(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["example", str(tmp_path / "in")]).exit_code == 0
    config = str(REPO / "configs/examples/example.yaml")
    arguments = ["deposition", config, "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")]
    result = runner.invoke(main, [*arguments, "--workers", "1", "--timestamp", "2026-01-01"])
    assert result.exit_code == 0, result.output
    report = portal_import(tmp_path / "out", 90001, 90000, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(report)
    assert report["importer_error"] is None
    expected = {
        "alignment": 2, "annotation": 6, "annotation_author": 12, "annotation_file": 10, "annotation_shape": 8,
        "dataset": 1, "dataset_author": 2, "deposition": 1, "deposition_author": 2, "deposition_type": 3,
        "frame": 42, "frame_acquisition_file": 2, "run": 2, "tiltseries": 2, "tomogram": 4, "tomogram_author": 8,
        "tomogram_voxel_spacing": 4,
    }  # fmt: skip
    assert {table: count for table, count in rows(report).items() if table in expected} == expected, report["stdout"]


def test_annotation_fixture_deposition_imports_one_row_per_entity(corpus: Path, tmp_path: Path) -> None:
    output, _ = ingest(corpus, completed_annotation_fixture(corpus), tmp_path)
    report = portal_import(output, 20002, 20302, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(report)
    assert {table: rows(report).get(table, 0) for table in ("annotation", "annotation_file", "tomogram", "run")} == {
        "annotation": 2,
        "annotation_file": 3,
        "tomogram": 1,
        "run": 1,
    }, report["stdout"]


def test_alignment_fixture_deposition_imports_one_row_per_entity(corpus: Path, tmp_path: Path) -> None:
    output, _ = ingest(corpus, completed_alignment_fixture(corpus), tmp_path)
    report = portal_import(output, 10001, 10301, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(report)
    assert {table: rows(report).get(table, 0) for table in ("alignment", "tomogram", "run", "dataset")} == {
        "alignment": 2,
        "tomogram": 2,
        "run": 2,
        "dataset": 1,
    }, report["stdout"]
