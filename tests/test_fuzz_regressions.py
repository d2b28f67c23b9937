"""Regression tests for the defects the fuzz suite found (tests/test_fuzz_*.py), one named test each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.errors import InputFileError
from ingest.pipeline.inputs import parse_run_data_map

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


def _imod_model(*chunks: bytes) -> bytes:
    return b"IMODV1.2" + b"\x00" * 232 + b"".join(chunks)


@pytest.mark.timeout(60)
def test_imod_model_truncated_before_its_end_marker_is_refused_not_looped_over(tmp_path: Path) -> None:
    """Fuzz defect 2: imodmodel loops forever on a model without IEOF; the command hung."""
    path = tmp_path / "cut.mod"
    path.write_bytes(_imod_model(b"OBJT" + b"\x00" * 176))
    result = CliRunner().invoke(main, ["convert", "picks", str(path), str(tmp_path / "o.ndjson"), "--from", "mod"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: not a readable IMOD model (truncated or corrupt) "
        "(expected an IEOF end marker, found the end of the file at byte 420)\n"
    )


@pytest.mark.timeout(60)
def test_imod_contour_claiming_two_billion_points_is_refused_before_allocating(tmp_path: Path) -> None:
    """Fuzz defect 2, second form: a contour header's psize became a format string of that many characters."""
    path = tmp_path / "huge.mod"
    contour = b"CONT" + (2**31 - 1).to_bytes(4, "big") + b"\x00" * 12
    path.write_bytes(_imod_model(b"OBJT" + b"\x00" * 176, contour, b"IEOF"))
    result = CliRunner().invoke(main, ["convert", "picks", str(path), str(tmp_path / "o.ndjson"), "--from", "mod"])
    assert result.exit_code == 1
    assert "b'CONT' chunk inside the file" in result.stderr


def test_json_pick_coordinate_beyond_float_range_is_not_finite(tmp_path: Path) -> None:
    """Fuzz defect 3: a 400-digit integer in an EMAN2 box raised OverflowError (exit 3)."""
    source = tmp_path / "big.json"
    source.write_text('{"boxes_3d": [[' + "9" * 400 + ', 20, 30, "manual", 0.0, 0]]}')
    result = CliRunner().invoke(
        main, ["convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--from", "eman2_json"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {source}: box 1: coordinate is not finite (expected a finite number, found a 400-digit number)\n"
    )
