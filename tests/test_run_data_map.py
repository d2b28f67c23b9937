"""The one run data map reader: the portal's reading (header row, ``run_name`` key, tab for ``*tsv``, else comma),
plus semicolon maps and spaced headers, used alike by ``ingest validate`` and ``ingest deposition``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.config.run_data_map import parse_run_data_map
from ingest.errors import InputFileError
from ingest.pipeline.example import write_example

MAP = "phantom/run_data_map.csv"


def test_the_portal_reading_by_suffix() -> None:
    comma = parse_run_data_map("run_name,a\nTS_1,x\n", source="m.csv")
    tab = parse_run_data_map("run_name\ta,b\nTS_1\tx,y\n", source="m.tsv")
    assert (comma.columns, dict(comma.values_for("TS_1"))) == (("run_name", "a"), {"run_name": "TS_1", "a": "x"})
    assert (tab.columns, dict(tab.values_for("TS_1"))) == (("run_name", "a,b"), {"run_name": "TS_1", "a,b": "x,y"})


def test_a_comma_map_named_tsv_is_read_as_the_portal_reads_it_when_that_works() -> None:
    # The portal splits a *tsv name by tab; a one-column header "run_name" is then valid and stays so.
    assert parse_run_data_map("run_name\nTS_1\n", source="m.tsv").columns == ("run_name",)
    # A comma header under a .tsv name names no run_name column for the portal: the header decides instead.
    assert parse_run_data_map("run_name,a\nTS_1,2\n", source="m.tsv").values_for("TS_1") == {
        "run_name": "TS_1",
        "a": "2",
    }


def test_semicolon_and_spaced_headers_and_a_byte_order_mark() -> None:
    semicolon = parse_run_data_map("run_name;tilt;note\nTS_1;60;a,b\n", source="m.csv")
    spaced = parse_run_data_map("\ufeffrun_name, tilt\nTS_1, 60\n", source="m.csv")
    assert semicolon.values_for("TS_1") == {"run_name": "TS_1", "tilt": "60", "note": "a,b"}
    assert spaced.columns == ("run_name", "tilt")
    assert spaced.values_for("TS_1") == {"run_name": "TS_1", "tilt": "60"}


def test_no_run_name_column_names_the_header_line() -> None:
    with pytest.raises(InputFileError, match=r"m\.csv:1: the run data map has no run_name column"):
        parse_run_data_map("name;tilt\nTS_1;60\n", source="m.csv")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("run-map")
    write_example(directory)
    return directory


def _with_map(example: Path, text: str) -> Path:
    """The example config, its run data map replaced by ``text``."""
    (example / MAP).write_text(text, encoding="utf-8")
    return example / "example.yaml"


SEMICOLON = "run_name;tilt_series_min_tilt;tilt_series_max_tilt;tilt_series_quality\nTS_001;-60;60;4\nTS_002;-50;50;5\n"
SPACED = SEMICOLON.replace(";", ", ")


@pytest.mark.parametrize("text", [SEMICOLON, SPACED], ids=["semicolon", "spaced-header"])
def test_validate_and_deposition_accept_the_map(example: Path, tmp_path: Path, text: str) -> None:
    config = _with_map(example, text)
    runner = CliRunner()
    validated = runner.invoke(main, ["validate", str(config), "--input", str(example)])
    assert (validated.exit_code, validated.output.strip()) == (0, "0 error(s), 0 warning(s)")
    dry = runner.invoke(main, ["deposition", str(config), "--output", str(tmp_path / "dry"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not (tmp_path / "dry").exists()
    args = ["deposition", str(config), "--output", str(tmp_path / "out"), "--only", "tiltseries", "--run", "TS_002"]
    written = runner.invoke(main, [*args, "--workers", "1", "--no-check", "--timestamp", "2026-03-01"])
    assert written.exit_code == 0, written.output
    (metadata,) = (tmp_path / "out").rglob("tiltseries_metadata.json")
    values = json.loads(metadata.read_text())
    assert (values["tilt_range"], values["tilt_series_quality"]) == ({"min": -50.0, "max": 50.0}, 5)
