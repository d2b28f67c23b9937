"""Importer tier: a tree with meshes (TriangularMesh, TriangularMeshGroup, oriented points shown as meshes) and
identified objects loads into the portal's database with one row per entity (row counts pinned)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ingest_cli import ingest
from tests.portal_importer import assert_imports_one_row_per_entity, needs_portal_importer, portal_import
from tests.test_execute_meshes import mesh_example
from tests.test_identified_objects import TABLE

pytestmark = [pytest.mark.slow, needs_portal_importer, pytest.mark.timeout(1800)]  # checks queue on one lock


def test_tree_with_meshes_and_identified_objects_imports_one_row_per_entity(tmp_path: Path) -> None:
    config = mesh_example(tmp_path)
    (tmp_path / "example/phantom/identified_objects.csv").write_text(TABLE)
    document: dict[str, Any] = yaml.safe_load(config.read_text())
    document["identified_objects"] = [
        {
            "metadata": {"filter_value": "{run_name}"},
            "sources": [{"source_glob": {"list_glob": "identified_objects.csv"}}],
        }
    ]
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    report = ingest(config, tmp_path / "out")
    assert report["ok"] is True, report
    imported = portal_import(tmp_path / "out", 90001, 90000, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(imported)
    assert imported["importer_error"] is None
    rows = {table: entry["db"] for table, entry in imported["tables"].items()}
    counted = ("annotation", "annotation_file", "annotation_shape", "identified_object", "tomogram", "run")
    assert {table: rows[table] for table in counted} == {
        "annotation": 10,  # 6 of the example + 2 meshes × 2 runs
        "annotation_file": 14,
        "annotation_shape": 12,
        "identified_object": 3,  # TS_001: 2 rows, TS_002: 1
        "tomogram": 4,
        "run": 2,
    }, imported["stdout"]
