"""object_count of an annotation with several point files is what the portal computes: the largest count of its
files (``importers/annotation.py``: ``max`` over the annotation's sources); ``ingest check`` agrees."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import LocalTree
from ingest.cli import main
from ingest.pipeline.example import write_example

ANNOTATION = "90001/TS_001/Reconstructions/VoxelSpacing10.000/Annotations/100"


def ingest_with_one_point_fewer_in_the_csv(tmp_path: Path) -> tuple[Path, int]:
    write_example(tmp_path / "example")
    csv = tmp_path / "example/phantom/picks/TS_001_ribosome.csv"
    lines = csv.read_text().splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]))
    args = ["deposition", str(tmp_path / "example/example.yaml"), "--output", str(tmp_path / "out"),
            "--workers", "1", "--timestamp", "2026-03-01", "--run", "TS_001"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output  # the run's own check included
    return tmp_path / "out", len(lines) - 1


def test_two_point_files_of_different_counts_check_clean(tmp_path: Path) -> None:
    output, points = ingest_with_one_point_fewer_in_the_csv(tmp_path)
    folder = output / ANNOTATION
    oriented = (folder / "cytosolic_ribosome-1.0_orientedpoint.ndjson").read_text().splitlines()
    assert len((folder / "cytosolic_ribosome-1.0_point.ndjson").read_text().splitlines()) == points
    assert len(oriented) == points + 1
    assert json.loads((folder / "cytosolic_ribosome-1.0.json").read_text())["object_count"] == points + 1
    assert check_tree(LocalTree(output)).findings == ()


def test_object_count_that_is_not_the_largest_count_is_reported(tmp_path: Path) -> None:
    output, points = ingest_with_one_point_fewer_in_the_csv(tmp_path)
    metadata = output / ANNOTATION / "cytosolic_ribosome-1.0.json"
    document = json.loads(metadata.read_text())
    metadata.write_text(json.dumps({**document, "object_count": points}, indent=2))
    findings = check_tree(LocalTree(output)).findings
    assert [(f.code, f.file, f.path) for f in findings] == [
        ("C-NDJSON-COUNT", f"{ANNOTATION}/cytosolic_ribosome-1.0.json", "object_count")
    ]
