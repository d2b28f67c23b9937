"""Regression tests for the defects the fuzz suite found (tests/test_fuzz_*.py), one named test each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.errors import InputFileError
from ingest.inputs import parse_run_data_map

MINIMAL = Path(__file__).parent / "data" / "configs"


def test_run_data_map_with_a_carriage_return_in_a_field_is_not_a_crash(tmp_path: Path) -> None:
    """Fuzz defect 1: ``csv.Error: new-line character seen in unquoted field`` escaped planning (exit 3)."""
    shutil.copytree(MINIMAL, tmp_path, dirs_exist_ok=True)
    (tmp_path / "input" / "run_data.csv").write_bytes(b"run_name\n\r\x80")
    result = CliRunner().invoke(
        main, ["deposition", str(tmp_path / "minimal.yaml"), "--dry-run", "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert parse_run_data_map("run_name,a\r\nTS_1,x\r\n", source="m.csv").values_for("TS_1") == {
        "run_name": "TS_1",
        "a": "x",
    }


def test_run_data_map_field_over_the_csv_limit_names_the_file_and_line() -> None:
    """Fuzz defect 1, second form: any ``csv.Error`` is a one-line input error naming the line."""
    with pytest.raises(InputFileError) as caught:
        parse_run_data_map("run_name,a\nTS_1," + "x" * 200_000 + "\n", source="m.csv")
    assert caught.value.message.startswith("m.csv:2: malformed run data map (expected CSV or TSV rows, found field")
