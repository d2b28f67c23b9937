"""Honest exits of the command line: bad regexes, deep JSON, unreachable storage, empty trees, JSON on failure.

Every case ends in one line naming the input, what was expected and what was found, with a documented exit
status (docs/json-output.md, README "Exit codes"), and ``--format json`` prints JSON on stdout in every outcome.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ingest.cli import main
from ingest.pipeline.example import write_example
from tests.conftest import FAKE_AWS_ENVIRONMENT, free_port
from tests.good_tree import build_good_tree

MINIMAL = Path(__file__).parent / "data" / "configs" / "minimal.yaml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def error_lines(result: Result) -> list[str]:
    """The stderr lines but the early feedback of ``ingest deposition`` (``planning CONFIG ...``)."""
    return [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("planning ")]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example(folder)
    return folder


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good_tree(tmp_path_factory.mktemp("good") / "tree")


@pytest.mark.parametrize("option", ["--run", "--exclude-run", "--dataset"])
def test_deposition_regex_option_that_does_not_compile_is_a_usage_error(example: Path, option: str) -> None:
    result = invoke("deposition", str(example / "example.yaml"), "--dry-run", option, "([")
    assert result.exit_code == 2
    message = error_lines(result)[-1]
    assert message.startswith(f"Error: Invalid value for '{option}': expected a regular expression, found '(['")
    assert "unterminated character set" in message
    assert "Traceback" not in result.output


def test_check_run_regex_that_does_not_compile_is_a_usage_error(tree: Path) -> None:
    result = invoke("check", str(tree), "--run", "([")
    assert result.exit_code == 2
    assert error_lines(result)[-1].startswith("Error: Invalid value for '--run': expected a regular expression")


def test_run_command_escapes_its_run_name(example: Path, tmp_path: Path) -> None:
    result = invoke("run", str(example / "example.yaml"), "([", "--dry-run", "--output", str(tmp_path / "out"))
    assert "Traceback" not in result.output
    assert "Invalid value" not in result.output


@pytest.mark.parametrize("file_format", ["copick", "eman2_json"])
def test_deeply_nested_json_pick_file_is_one_line_naming_the_file(tmp_path: Path, file_format: str) -> None:
    source = tmp_path / "deep.json"
    source.write_text("[" * 100_000 + "]" * 100_000)
    result = invoke("convert", "picks", str(source), str(tmp_path / "out.ndjson"), "--from", file_format)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {source}: JSON nested too deeply (expected a pick file nested at most 64 levels, "
        "found more than 64 levels)"
    ]
    assert not (tmp_path / "out.ndjson").exists()


def test_moderately_nested_json_pick_file_is_refused_too(tmp_path: Path) -> None:
    source = tmp_path / "deep.json"
    source.write_text('{"points": ' + "[" * 500 + "]" * 500 + "}")
    result = invoke("convert", "picks", str(source), str(tmp_path / "out.ndjson"), "--from", "copick")
    assert result.exit_code == 1
    assert "JSON nested too deeply" in result.stderr


def test_deeply_nested_ndjson_line_is_one_line_naming_the_line(tmp_path: Path) -> None:
    source = tmp_path / "deep.ndjson"
    source.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    result = invoke("export", "picks", str(source), str(tmp_path / "out.csv"), "--to", "csv", "--voxel-spacing", "10")
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {source}:1: JSON nested too deeply (expected one flat point object, found 200000 characters)"
    ]


def test_deeply_nested_metadata_in_a_checked_tree_is_a_finding(tree: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tree, tmp_path / "tree"))
    (copy / "10000" / "RUN1" / "run_metadata.json").write_text("[" * 100_000 + "]" * 100_000)
    result = invoke("check", str(copy), "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["file"]) for f in findings] == [("C-META-JSON", "10000/RUN1/run_metadata.json")]


@pytest.fixture
def unreachable_s3(monkeypatch: pytest.MonkeyPatch) -> str:
    """An S3 endpoint on loopback where nothing listens (with fake credentials)."""
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return f"http://127.0.0.1:{free_port()}"


def test_check_of_unreachable_s3_exits_two_within_seconds_naming_the_url(unreachable_s3: str) -> None:
    start = time.monotonic()
    result = invoke("check", "s3://bucket/tree", "--storage-option", f"endpoint_url={unreachable_s3}")
    elapsed = time.monotonic() - start
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert line.startswith("error: s3://bucket/tree: listing the output tree failed after 5 attempts")
    assert unreachable_s3 in line
    assert elapsed < 15, elapsed  # our retry policy alone (about 3 s of back-off), not botocore's and s3fs's too


def test_deposition_to_unreachable_s3_exits_two_within_seconds(example: Path, unreachable_s3: str) -> None:
    start = time.monotonic()
    result = invoke(
        "deposition", str(example / "example.yaml"), "--workers", "1", "--output", "s3://bucket/portal",
        "--storage-option", f"endpoint_url={unreachable_s3}", "--format", "json",
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["error"]["exit_code"] == 2
    assert document["error"]["message"].startswith("s3://bucket/portal: listing failed after 5 attempts")
    assert len(error_lines(result)) == 1
    assert elapsed < 15, elapsed


def test_check_of_an_empty_folder_exits_two_saying_so(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: {tmp_path}: nothing to check (expected a portal tree (dataset folders), found an empty folder)"
    ]


def test_check_of_a_folder_with_only_pipeline_records_exits_two(tmp_path: Path) -> None:
    (tmp_path / ".ingest").mkdir()
    (tmp_path / ".ingest" / "manifest.json").write_text("{}")
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2
    assert "found only the pipeline's records (1 file(s) under .ingest/)" in result.stderr


def test_check_run_filter_matching_nothing_exits_two_listing_the_runs(tree: Path) -> None:
    result = invoke("check", str(tree), "--run", "TS_.*")
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: {tree}: no run matches --run (expected a run matching TS_.*, found runs RUN1, RUN2)"
    ]


def test_check_filters_that_match_still_check(tree: Path) -> None:
    assert invoke("check", str(tree), "--dataset", "10000", "--run", "RUN2").exit_code == 0


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_check_of_a_missing_tree_prints_json_on_failure(tmp_path: Path, output_format: str) -> None:
    result = invoke("check", str(tmp_path / "absent"), "--format", output_format)
    assert result.exit_code == 2
    if output_format == "json":
        message = f"{tmp_path / 'absent'}: cannot read the output tree (expected a folder, found nothing there)"
        document = json.loads(result.stdout)
        assert document == {"ok": False, "error": {"message": message, "exit_code": 2}, "findings": []}
    else:
        assert result.stdout == ""


def test_check_bad_regex_prints_json_on_failure(tree: Path) -> None:
    result = invoke("check", str(tree), "--run", "([", "--format", "json")
    assert result.exit_code == 2
    assert "expected a regular expression" in json.loads(result.stdout)["error"]["message"]


def test_deposition_invalid_config_prints_json_with_findings(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    shutil.copytree(MINIMAL.parent / "input", tmp_path / "input")
    config.write_text(MINIMAL.read_text().replace("release_date: '2024-02-01'", "release_date: '2023-02-01'", 1))
    result = invoke("deposition", str(config), "--output", str(tmp_path / "out"), "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["error"]["exit_code"] == 1
    assert "the config is invalid" in document["error"]["message"]
    assert "E-DATE-ORDER" in {finding["code"] for finding in document["findings"]}
    assert not (tmp_path / "out").exists()


def test_deposition_dry_run_json_failure_on_bad_regex(example: Path) -> None:
    result = invoke("deposition", str(example / "example.yaml"), "--dry-run", "--format", "json", "--run", "(")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_deposition_json_written_and_skipped_are_counts_at_both_levels(example: Path, tmp_path: Path) -> None:
    args = ["deposition", str(example / "example.yaml"), "--output", str(tmp_path / "out"), "--workers", "1"]
    result = invoke(*args, "--format", "json", "--timestamp", "2026-03-01", "--no-check", "--run", "TS_001")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    level = document["deposition_level"]
    assert (level["written"], level["skipped"]) == (2, 0)
    assert level["written_keys"] == [
        "depositions_metadata/90000/deposition_metadata.json",
        "90001/dataset_metadata.json",
    ]
    assert all(isinstance(run["written"], int) and isinstance(run["skipped"], int) for run in document["runs"])
