"""Identified objects ingested as the portal's identified-object importer does: per run, the CSV's rows of that run
(run_name column dropped) as IdentifiedObjects/identified_objects.json and identified_objects_metadata.json with
object_count, columns, file_format, source_file and identifier; no longer reported as skipped; a bad CSV fails its
run naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from ingest.cli import main
from ingest.converters.annotations.identified_objects import identified_objects_for_run
from ingest.errors import InputFileError
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest, run_counts

TABLE = (
    "run_name,object_id,object_name,x,y,z\n"
    "TS_001,GO:0022626,ribosome,1.5,2,3\n"
    "TS_002,GO:0022626,ribosome,4,5,6\n"
    "TS_001,GO:0000502,proteasome,7,8,9\n"
)


def test_rows_of_the_run_without_the_run_name_column() -> None:
    objects = identified_objects_for_run(TABLE.encode(), "TS_001", where="t.csv")
    assert objects.count == 2 and objects.columns == ("object_id", "object_name", "x", "y", "z")
    assert json.loads(objects.data) == [
        {"object_id": "GO:0022626", "object_name": "ribosome", "x": 1.5, "y": 2, "z": 3},
        {"object_id": "GO:0000502", "object_name": "proteasome", "x": 7.0, "y": 8, "z": 9},
    ]
    assert objects.data.startswith(b"[\n    {")  # pandas' records with indent 4, as the portal writes them


def test_table_without_run_name_goes_to_every_run() -> None:
    objects = identified_objects_for_run(b"a,b\n1,2\n", "anything", where="t.csv")
    assert objects.count == 1 and json.loads(objects.data) == [{"a": 1, "b": 2}]


def test_unreadable_table_names_the_file() -> None:
    with pytest.raises(InputFileError) as caught:
        identified_objects_for_run(b'a,b\n"unterminated\n', "TS_001", where="in/t.csv")
    assert caught.value.where == "in/t.csv"


def objects_example(root: Path, table: str) -> Path:
    example = root / "example"
    write_example(example)
    (example / "phantom/identified_objects.csv").write_text(table)
    config: dict[str, Any] = yaml.safe_load((example / "example.yaml").read_text())
    config["identified_objects"] = [
        {
            "metadata": {"filter_value": "{run_name}", "object_name": "particle"},
            "sources": [{"source_glob": {"list_glob": "identified_objects.csv"}}],
        }
    ]
    path = example / "example.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_identified_objects_are_written_per_run_with_their_metadata(tmp_path: Path) -> None:
    report = ingest(objects_example(tmp_path, TABLE), tmp_path / "out")
    assert report["ok"] is True and "identified_objects" not in report["skipped_sections"]
    folder = tmp_path / "out/90001/TS_002/IdentifiedObjects"
    assert sorted(path.name for path in folder.iterdir()) == [
        "identified_objects.json",
        "identified_objects_metadata.json",
    ]
    assert json.loads((folder / "identified_objects.json").read_text()) == [
        {"object_id": "GO:0022626", "object_name": "ribosome", "x": 4.0, "y": 5, "z": 6}
    ]
    metadata = json.loads((folder / "identified_objects_metadata.json").read_text())
    assert metadata == {
        "columns": ["object_id", "object_name", "x", "y", "z"],
        "deposition_id": 90000,
        "file_format": "json",
        "filter_value": "TS_002",
        "identifier": "phantom/identified_objects.csv",
        "last_updated_at": metadata["last_updated_at"],
        "object_count": 1,
        "object_name": "particle",
        "source_file": "phantom/identified_objects.csv",
    }
    assert report["checks"]["errors"] == 0
    again = ingest(tmp_path / "example/example.yaml", tmp_path / "out")
    assert all(written == 0 for written, _, _ in run_counts(again).values())


def test_only_selects_identified_objects(tmp_path: Path) -> None:
    config = str(objects_example(tmp_path, TABLE))
    counts = {}
    for only in ("identified_objects", "annotations"):
        arguments = ["deposition", config, "--dry-run", "--format", "json", "--only", only]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, result.output
        counts[only] = json.loads(result.stdout)["counts"]
    assert counts["identified_objects"]["identified_objects"] == 2 and counts["identified_objects"]["annotations"] == 0
    assert counts["annotations"]["identified_objects"] == 0 and counts["annotations"]["annotations"] > 0


def test_bad_table_fails_the_run_naming_it(tmp_path: Path) -> None:
    report = ingest(objects_example(tmp_path, 'run_name,a\n"TS_001,1\n'), tmp_path / "out")
    errors = [error for _, _, error in run_counts(report).values()]
    assert all(
        error is not None and "phantom/identified_objects.csv: not a readable CSV table" in error for error in errors
    )
    assert not list((tmp_path / "out").rglob("IdentifiedObjects"))
