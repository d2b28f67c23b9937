"""A command line that does not parse still prints the failure document of ``--format json`` (and github, junit).

click raises these errors (unknown option, bad value, missing argument, extra argument) before the command runs;
the group prints the document of every command that offers ``--format`` when ``--format X`` or ``--format=X`` is
among the arguments, with click's exit status (2), and click's usage message on stderr as before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from ingest.cli import main
from ingest.cli.json_failures import json_failures
from ingest.cli.vocabulary import REPORT_FORMATS, SuggestingChoice, format_option


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def failure(result: Result) -> dict[str, Any]:
    """The JSON failure document on stdout, checked for its shape and click's exit status."""
    assert result.exit_code == 2, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["ok"] is False and document["findings"] == []
    assert document["error"]["exit_code"] == 2
    return document


def commands_with_json(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The command paths (e.g. ``("export", "picks")``) whose ``--format`` offers json."""
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands_with_json(command, (*prefix, name))
        elif any(
            parameter.name == "output_format" and isinstance(parameter.type, click.Choice)
            and "json" in parameter.type.choices
            for parameter in command.params
        ):  # fmt: skip
            found.append((*prefix, name))
    return found


WITH_JSON = commands_with_json(main)


def test_the_commands_with_json_are_found() -> None:
    assert {" ".join(path) for path in WITH_JSON} >= {"validate", "check", "deposition", "run", "info"}


@pytest.mark.parametrize("path", WITH_JSON, ids=" ".join)
def test_unknown_option_prints_the_json_failure(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--format", "json", "--zzz")
    message = failure(result)["error"]["message"]
    assert message.startswith("No such option") and "--zzz" in message, message
    assert result.stderr.rstrip().endswith(f"Error: {message}"), result.stderr  # click's line, as without json


@pytest.mark.parametrize("path", WITH_JSON, ids=" ".join)
def test_missing_argument_prints_the_json_failure(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--format=json")
    assert failure(result)["error"]["message"].startswith("Missing argument ")


def test_bad_workers_value_prints_the_json_failure() -> None:
    result = invoke("check", "tree", "--workers", "0", "--format", "json")
    assert failure(result)["error"]["message"] == "Invalid value for '--workers': 0 is not in the range x>=1."


def test_extra_argument_prints_the_json_failure() -> None:
    result = invoke("info", "tree", "surplus", "--format", "json")
    assert failure(result)["error"]["message"] == "Got unexpected extra argument (surplus)"


def test_stderr_is_the_same_as_without_json(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("version: 1.3.0\n")
    as_json = invoke("deposition", str(config), "--workers", "many", "--format", "json")
    as_text = invoke("deposition", str(config), "--workers", "many", "--format", "text")
    failure(as_json)
    assert as_text.exit_code == 2 and as_text.stdout == ""
    assert as_json.stderr == as_text.stderr and "'many' is not a valid integer" in as_json.stderr


def test_ingest_run_refusing_run_selection_prints_the_json_failure(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("version: 1.3.0\n")
    result = invoke("run", str(config), "TS_001", "--run", "TS_00.", "--format", "json")
    assert (
        "ingest run ingests exactly one run, RUN_NAME; --run is not an option here"
        in (failure(result)["error"]["message"])
    )


def test_a_bad_format_value_prints_no_document() -> None:
    result = invoke("check", "tree", "--format", "jsn")
    assert result.exit_code == 2 and result.stdout == ""
    assert "(did you mean 'json'?)" in result.stderr


def test_a_format_the_command_does_not_offer_prints_no_document() -> None:
    result = invoke("info", "tree", "--format", "junit", "--zzz")
    assert result.exit_code == 2 and result.stdout == ""


def test_the_last_format_counts_as_for_click() -> None:
    assert invoke("check", "tree", "--format", "json", "--format", "text", "--bogus").stdout == ""
    failure(invoke("check", "tree", "--format", "text", "--format=json", "--bogus"))


def test_text_prints_nothing_on_stdout() -> None:
    result = invoke("check", "--zzz")
    assert result.exit_code == 2 and result.stdout == ""


def test_an_option_of_the_group_itself_prints_the_document_of_the_command_named() -> None:
    result = invoke("--zzz", "check", "tree", "--format", "json")
    message = failure(result)["error"]["message"]
    assert message.startswith("No such option") and "--zzz" in message, message


def test_unknown_command_prints_no_document() -> None:
    result = invoke("chek", "tree", "--format", "json")
    assert result.exit_code == 2 and result.stdout == "" and "No such command 'chek'" in result.stderr


def test_convert_picks_format_is_the_input_format_and_prints_no_document(tmp_path: Path) -> None:
    source = tmp_path / "picks.csv"
    source.write_text("1,2,3\n")
    result = invoke("convert", "picks", str(source), str(tmp_path / "out.ndjson"), "--format", "json")
    assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize("output_format", ["github", "junit"])
def test_github_and_junit_get_their_document_too(output_format: str) -> None:
    result = invoke("check", "tree", "--workers", "0", "--format", output_format)
    assert result.exit_code == 2
    message = "Invalid value for '--workers': 0 is not in the range x>=1."
    if output_format == "github":
        assert result.stdout == f"::error title=ingest check::{message}\n"
    else:
        (case,) = ET.fromstring(result.stdout).iter("testcase")
        assert case.get("name") == "ingest check"
        element = case.find("failure")
        assert element is not None and element.get("message") == message and element.get("type") == "exit 2"


@pytest.fixture
def nested_command() -> Iterator[tuple[str, str]]:
    """A command with ``--format`` and a choice, inside a group inside the real ``ingest`` group."""

    @click.command("report")
    @click.option("--level", type=SuggestingChoice(["low", "high"]), default="low")
    @format_option(*REPORT_FORMATS)
    @json_failures
    def report(level: str, output_format: str) -> None:
        if level == "high":
            raise ZeroDivisionError("a defect under --format")
        click.echo(f"{level} {output_format}")

    group = click.Group("nested-for-test", commands=[report])
    main.add_command(group)
    try:
        yield "nested-for-test", "report"
    finally:
        main.commands.pop("nested-for-test")


def test_nested_command_bad_choice_prints_the_json_failure(nested_command: tuple[str, str]) -> None:
    result = invoke(*nested_command, "--format", "json", "--level", "medium")
    message = failure(result)["error"]["message"]
    assert message.startswith("Invalid value for '--level': 'medium' is not one of low, high"), message
    assert invoke(*nested_command, "--format", "json").stdout == "low json\n"


def test_nested_command_junit_names_the_command(nested_command: tuple[str, str]) -> None:
    result = invoke(*nested_command, "--level", "medium", "--format", "junit")
    assert result.exit_code == 2
    assert ET.fromstring(result.stdout).get("name") == "ingest nested-for-test report"


def test_internal_error_under_junit_is_a_document(
    nested_command: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_LOG_DIR", str(tmp_path))
    result = invoke(*nested_command, "--level", "high", "--format", "junit")
    assert result.exit_code == 3
    (element,) = ET.fromstring(result.stdout).iter("failure")
    assert element.get("message") == "internal error: ZeroDivisionError: a defect under --format"
    assert element.get("type") == "exit 3"


def run_ingest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_unknown_option_of_deposition_in_a_subprocess(tmp_path: Path) -> None:
    done = run_ingest("deposition", str(tmp_path / "config.yaml"), "--format", "json", "--zzz")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["exit_code"] == 2 and "--zzz" in error["message"]
    assert done.stderr == (
        "Usage: ingest deposition [OPTIONS] CONFIG\nTry 'ingest deposition --help' for help.\n\n"
        f"Error: {error['message']}\n"
    )


def test_missing_run_name_of_ingest_run_in_a_subprocess(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("version: 1.3.0\n")
    done = run_ingest("run", "--format=json", str(tmp_path / "config.yaml"))
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["message"] == "Missing argument 'RUN_NAME'."
    assert done.stderr.rstrip().endswith("Error: Missing argument 'RUN_NAME'.")


def test_completion_with_a_bad_line_prints_no_document() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "_INGEST_COMPLETE": "bash_complete", "COMP_WORDS": "ingest check --format json --ov",
             "COMP_CWORD": "4"},
    )  # fmt: skip
    assert done.returncode == 0 and '"ok"' not in done.stdout, done.stdout


@pytest.mark.parametrize("output_format", ["github", "junit"])
def test_check_of_a_missing_tree_is_a_document_in_github_and_junit(tmp_path: Path, output_format: str) -> None:
    result = invoke("check", str(tmp_path / "nowhere"), "--format", output_format)
    assert result.exit_code == 2 and str(tmp_path / "nowhere") in result.stderr
    if output_format == "github":
        (line,) = result.stdout.splitlines()
        assert line.startswith("::error title=ingest check::") and str(tmp_path / "nowhere") in line
    else:
        (element,) = ET.fromstring(result.stdout).iter("failure")
        assert element.get("type") == "exit 2" and str(tmp_path / "nowhere") in element.get("message", "")


def test_validate_usage_error_in_its_body_prints_one_document(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("version: 1.3.0\n")
    result = invoke("validate", str(config), "--deep", "--format", "json")
    assert failure(result)["error"]["message"] == "--deep reads the source files: give --input DIR"
