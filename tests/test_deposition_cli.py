"""README-facing behaviour of ``ingest deposition``: defaults for --input and --output, invalid configs refused
before anything is listed or written, and where ``last_updated_at`` comes from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example

RUN_METADATA = "90001/TS_001/run_metadata.json"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deposition-cli")
    write_example(folder)
    return folder / "example.yaml"


def test_input_defaults_to_the_config_folder_and_output_to_portal(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["deposition", str(example), "--only", "depositions,datasets,runs", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "portal/90001").iterdir()) == [
        "Images",  # the dataset's key photos
        "TS_001",
        "TS_002",
        "dataset_metadata.json",
    ]
    assert (tmp_path / "portal" / RUN_METADATA).is_file()


def test_invalid_config_is_refused_before_listing_or_writing(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("version: 1.3.0\nstandardization_config: {deposition_id: 1, source_prefix: x}\n")
    missing_input = tmp_path / "no-such-input"
    arguments = ["deposition", str(config), "--input", str(missing_input), "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1
    assert "the config is invalid" in result.output and "nothing was listed or written" in result.output
    assert "datasets" in result.output  # the validator's findings name the missing sections
    assert "no-such-input" not in result.output  # the input was never listed
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("environment", "option", "expected"),
    [({"SOURCE_DATE_EPOCH": "1700000000"}, None, 1700000000), ({"SOURCE_DATE_EPOCH": "5"}, "2024-06-01", 1717200000)],
)
def test_last_updated_at_comes_from_timestamp_then_source_date_epoch(
    example: Path, tmp_path: Path, environment: dict[str, str], option: str | None, expected: int
) -> None:
    arguments = [
        "deposition",
        str(example),
        "--only",
        "depositions,datasets,runs",
        "--workers",
        "1",
        "--output",
        str(tmp_path / "out"),
    ]
    arguments += ["--timestamp", option] if option else []
    result = CliRunner(env=environment).invoke(main, arguments)
    assert result.exit_code == 0, result.output
    for key in (RUN_METADATA, "90001/dataset_metadata.json", "depositions_metadata/90000/deposition_metadata.json"):
        assert json.loads((tmp_path / "out" / key).read_text())["last_updated_at"] == expected, key
