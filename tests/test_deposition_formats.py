"""``ingest deposition`` / ``ingest run`` ``--format github|junit``: one document on stdout in every outcome.

github: one workflow annotation per failure or finding (config findings at their line, failed runs, check findings;
refused runs: tests/test_source_checks.py); junit: one test case per run, failed runs and check findings as
failures of their run. A whole failure (invalid config, unreachable storage, usage error) is still a document.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ingest.cli import main
from ingest.pipeline.example import write_example
from tests.conftest import FAKE_AWS_ENVIRONMENT, free_port

MINIMAL = Path(__file__).parent / "data" / "configs" / "minimal.yaml"


def deposition(config: Path, output: Path | str, *extra: str) -> Result:
    args = ["deposition", str(config), "--output", str(output), "--workers", "1", "--timestamp", "2026-03-01"]
    return CliRunner().invoke(main, [*args, *extra])


def cases(xml: str) -> dict[str, str | None]:
    """Test case name → its failure's type (None: passed); asserts the totals agree with the cases."""
    root = ET.fromstring(xml)
    found = {case.get("name", ""): _failure_type(case) for case in root.iter("testcase")}
    assert root.get("tests") == str(len(found))
    assert root.get("failures") == str(sum(kind is not None for kind in found.values()))
    return found


def _failure_type(case: ET.Element) -> str | None:
    failure = case.find("failure")
    return None if failure is None else failure.get("type", "")


def failure_message(xml: str, name: str) -> str:
    (case,) = [case for case in ET.fromstring(xml).iter("testcase") if case.get("name") == name]
    failure = case.find("failure")
    assert failure is not None, name
    return failure.get("message", "")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example(folder)
    return folder


@pytest.fixture(scope="module")
def ingested(example: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The example ingested with ``--format junit``, and what it printed."""
    output = tmp_path_factory.mktemp("ingested") / "tree"
    result = deposition(example / "example.yaml", output, "--format", "junit")
    assert result.exit_code == 0, result.output
    return output, result.stdout


def copy_of(tree: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tree, tmp_path / "tree"))


def test_junit_success_is_one_passing_case_per_run(ingested: tuple[Path, str]) -> None:
    _tree, xml = ingested
    assert cases(xml) == {"run TS_001": None, "run TS_002": None}
    assert ET.fromstring(xml).get("name") == "ingest deposition"


def test_github_success_prints_no_annotation(example: Path, ingested: tuple[Path, str], tmp_path: Path) -> None:
    result = deposition(example / "example.yaml", copy_of(ingested[0], tmp_path), "--format", "github")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_check_findings_fail_their_run(example: Path, ingested: tuple[Path, str], tmp_path: Path) -> None:
    tree = copy_of(ingested[0], tmp_path)
    (tree / "90001/TS_002/notes.txt").write_text("left behind")
    junit = deposition(example / "example.yaml", tree, "--format", "junit")
    assert junit.exit_code == 1
    assert cases(junit.stdout) == {"run TS_001": None, "run TS_002": "C-TREE-STRAY"}
    github = deposition(example / "example.yaml", tree, "--format", "github")
    assert github.exit_code == 1
    (line,) = github.stdout.splitlines()
    assert line.startswith("::error file=90001/TS_002/notes.txt,title=C-TREE-STRAY::"), line


@pytest.fixture
def truncated(example: Path, tmp_path: Path) -> Path:
    """The example whose TS_002 tomogram is truncated: run TS_002 fails, TS_001 succeeds."""
    source = Path(shutil.copytree(example, tmp_path / "example"))
    tomogram = source / "phantom/tomograms/TS_002_bin1.mrc"
    tomogram.write_bytes(tomogram.read_bytes()[:2000])
    return source


def test_junit_failed_run_is_a_failure_with_its_error(
    truncated: Path, ingested: tuple[Path, str], tmp_path: Path
) -> None:
    result = deposition(truncated / "example.yaml", copy_of(ingested[0], tmp_path), "--format", "junit", "--no-check")
    assert result.exit_code == 1
    assert cases(result.stdout) == {"run TS_001": None, "run TS_002": "RUN-FAILED"}
    message = failure_message(result.stdout, "run TS_002")
    assert message.startswith("90001/TS_002 failed: ") and "truncated MRC data block" in message, message


def test_github_failed_run_of_ingest_run_in_a_subprocess(truncated: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, "-m", "ingest", "run", str(truncated / "example.yaml"), "TS_002", "--format", "github",
            "--output", str(tmp_path / "tree"), "--workers", "1", "--no-check", "-q",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("::error file=90001/TS_002,title=RUN-FAILED::"), line
    assert "truncated MRC data block" in line


@pytest.fixture
def invalid_config(tmp_path: Path) -> Path:
    """The minimal config with its release date before its deposition date (E-DATE-ORDER)."""
    shutil.copytree(MINIMAL.parent / "input", tmp_path / "input")
    config = tmp_path / "config.yaml"
    config.write_text(MINIMAL.read_text().replace("release_date: '2024-02-01'", "release_date: '2023-02-01'", 1))
    return config


def test_github_invalid_config_annotates_the_config_lines(invalid_config: Path, tmp_path: Path) -> None:
    result = deposition(invalid_config, tmp_path / "out", "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    line = next(line for line in lines if "title=E-DATE-ORDER" in line)
    assert line.startswith(f"::error file={invalid_config},line="), line
    assert lines[-1].startswith("::error title=ingest deposition::") and "the config is invalid" in lines[-1]
    assert not (tmp_path / "out").exists()


def test_junit_invalid_config_is_one_failing_case_with_the_findings(invalid_config: Path, tmp_path: Path) -> None:
    result = deposition(invalid_config, tmp_path / "out", "--format", "junit")
    assert result.exit_code == 1
    found = cases(result.stdout)
    assert list(found) == ["ingest deposition"] and "E-DATE-ORDER" in str(found["ingest deposition"])
    assert "the config is invalid" in failure_message(result.stdout, "ingest deposition")
    (failure,) = ET.fromstring(result.stdout).iter("failure")
    assert f"{invalid_config}:" in (failure.text or "")


def test_invalid_config_junit_in_a_subprocess(invalid_config: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "deposition", str(invalid_config), "--output", str(tmp_path / "out"),
         "--format=junit"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "E-DATE-ORDER" in str(cases(done.stdout)["ingest deposition"])
    assert done.stderr.splitlines()[-1].startswith("error: "), done.stderr


@pytest.mark.parametrize("output_format", ["github", "junit"])
def test_unreachable_storage_is_a_document_naming_the_url(
    example: Path, output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = deposition(
        example / "example.yaml", "s3://bucket/portal", "--storage-option", f"endpoint_url={endpoint}",
        "--format", output_format,
    )  # fmt: skip
    assert result.exit_code == 2
    if output_format == "github":
        (line,) = result.stdout.splitlines()
        assert line.startswith("::error title=ingest deposition::s3://bucket/portal: listing failed"), line
    else:
        assert cases(result.stdout) == {"ingest deposition": "exit 2"}
        assert failure_message(result.stdout, "ingest deposition").startswith("s3://bucket/portal: listing failed")


@pytest.mark.parametrize("output_format", ["github", "junit"])
def test_dry_run_with_a_findings_format_is_a_usage_error_document(
    example: Path, output_format: str, tmp_path: Path
) -> None:
    result = deposition(example / "example.yaml", tmp_path / "out", "--dry-run", "--format", output_format)
    assert result.exit_code == 2
    assert "Error: Invalid value for '--format': --dry-run prints the plan as text or json" in result.stderr
    if output_format == "github":
        assert result.stdout.startswith("::error title=ingest deposition::Invalid value for '--format'")
    else:
        assert cases(result.stdout) == {"ingest deposition": "exit 2"}
    assert not (tmp_path / "out").exists()


def test_run_junit_usage_error_in_a_subprocess(example: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "run", str(example / "example.yaml"), "TS_001", "--workers", "0",
         "--format", "junit"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 2
    assert cases(done.stdout) == {"ingest run": "exit 2"}
    assert "'--workers': 0 is not in the range x>=1" in failure_message(done.stdout, "ingest run")
    assert done.stderr.startswith("Usage: ingest run ") and done.stderr.rstrip().endswith("x>=1."), done.stderr
