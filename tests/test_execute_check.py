"""``ingest deposition`` checks the runs it has just written (by default) and reports the findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ingest.cli import main
from ingest.pipeline.example import write_example


def deposit(config: Path, output: Path, *extra: str) -> Result:
    args = ["deposition", str(config), "--output", str(output), "--workers", "1", "--timestamp", "2026-03-01"]
    return CliRunner().invoke(main, [*args, *extra])


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config, output) of the example ingested once, checks included."""
    root = tmp_path_factory.mktemp("execute-check")
    write_example(root / "example")
    result = deposit(root / "example/example.yaml", root / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["checks"]["ok"] is True
    assert report["checks"]["findings"] == []
    return root / "example/example.yaml", root / "out"


def copy_of(output: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    return copy


def test_manifests_in_dot_ingest_are_not_stray_files(ingested: tuple[Path, Path]) -> None:
    config, output = ingested
    assert any((output / ".ingest/manifests").rglob("*.json"))
    result = deposit(config, output)
    assert result.exit_code == 0, result.output
    assert "output checks: 0 error(s), 0 warning(s): clean" in result.stdout


def test_a_stray_file_in_a_written_run_fails_the_ingestion(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, output = ingested
    output = copy_of(output, tmp_path)
    (output / "90001/TS_001/notes.txt").write_text("left behind")
    result = deposit(config, output, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [run["error"] for run in report["runs"]] == [None, None]
    assert report["ok"] is False
    assert [(f["code"], f["file"]) for f in report["checks"]["findings"]] == [
        ("C-TREE-STRAY", "90001/TS_001/notes.txt")
    ]


def test_text_report_names_the_finding(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, output = ingested
    output = copy_of(output, tmp_path)
    (output / "90001/TS_002/notes.txt").write_text("left behind")
    result = deposit(config, output)
    assert result.exit_code == 1
    assert "check error[C-TREE-STRAY] 90001/TS_002/notes.txt" in result.stdout
    assert "output checks: 1 error(s), 0 warning(s): FAILED" in result.stdout


def test_no_check_skips_the_checks(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, output = ingested
    output = copy_of(output, tmp_path)
    (output / "90001/TS_001/notes.txt").write_text("left behind")
    result = deposit(config, output, "--format", "json", "--no-check")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"] is None


def test_only_the_runs_just_written_are_checked(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, output = ingested
    output = copy_of(output, tmp_path)
    (output / "90001/TS_002/notes.txt").write_text("not this ingestion's business")
    result = deposit(config, output, "--format", "json", "--run", "TS_001")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [run["run"] for run in report["runs"]] == ["90001/TS_001"]
    assert report["checks"]["findings"] == []


def test_failed_runs_are_not_checked(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, _ = ingested
    example = tmp_path / "example"
    shutil.copytree(config.parent, example)
    source = example / "phantom/tomograms/TS_002_bin1.mrc"
    source.write_bytes(source.read_bytes()[:2000])
    result = deposit(example / config.name, tmp_path / "fresh", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [run["error"] is None for run in report["runs"]] == [True, False]
    assert report["checks"]["findings"] == []
