"""The top-level handler: a defect becomes one line plus a log of its traceback; Ctrl-C one line and status 130."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import psutil
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example

CRASHING_CLI = """
import click
from ingest.cli import main

@main.command("crash")
def crash() -> None:
    raise ZeroDivisionError("an unforeseen defect")

main()
"""


@pytest.fixture
def crash_command() -> Iterator[str]:
    """A command of the real ``ingest`` group whose body has a bug."""

    @click.command("crash-for-test")
    def crash() -> None:
        {}["missing"]  # the defect under test

    main.add_command(crash)
    try:
        yield "crash-for-test"
    finally:
        main.commands.pop("crash-for-test")


def test_unexpected_exception_is_one_line_pointing_at_a_log(
    crash_command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_LOG_DIR", str(tmp_path / "logs"))
    result = CliRunner().invoke(main, [crash_command])
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    match = re.fullmatch(
        r"internal error: KeyError: 'missing' \(this is a bug in ingest; traceback in (\S+); --verbose shows it\)",
        line,
    )
    assert match is not None, line
    log = Path(match.group(1))
    assert log.parent == tmp_path / "logs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError: 'missing'" in text
    assert 'in crash\n    {}["missing"]' in text


def test_verbose_prints_the_traceback_instead(
    crash_command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INGEST_LOG_DIR", str(tmp_path / "logs"))
    result = CliRunner().invoke(main, ["--verbose", crash_command])
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1] == "internal error: KeyError: 'missing' (this is a bug in ingest)"
    assert not (tmp_path / "logs").exists()


def test_user_errors_keep_their_one_line_and_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["convert", "picks", __file__, str(tmp_path / "o"), "--from", "mod"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {__file__}")
    assert len(result.stderr.splitlines()) == 1


def test_handler_works_in_a_real_process(tmp_path: Path) -> None:
    environment = {**os.environ, "INGEST_LOG_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_CLI, "crash"], capture_output=True, text=True, env=environment, check=False
    )
    assert done.returncode == 3
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("internal error: ZeroDivisionError: an unforeseen defect (this is a bug in ingest; ")
    (log,) = tmp_path.glob("ingest-crash-*.log")
    assert "ZeroDivisionError: an unforeseen defect" in log.read_text()


def test_help_documents_every_exit_status() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^\s+{code}\s+\S", result.output, re.MULTILINE), code


def _spawned_children(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [child for child in process.children(recursive=True) if any("spawn" in part for part in child.cmdline())]
    except psutil.Error:
        return []


@pytest.mark.slow
def test_ctrl_c_during_cluster_start_up_is_one_line_and_the_tree_resumes(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group (as from a terminal) while the worker processes start."""
    write_example(tmp_path / "example")
    out = tmp_path / "portal"
    command = [sys.executable, "-m", "ingest", "deposition", str(tmp_path / "example" / "example.yaml")]
    command += ["--output", str(out), "--workers", "2", "--timestamp", "2026-03-01"]
    pipe = subprocess.PIPE
    process = subprocess.Popen(command, stdout=pipe, stderr=pipe, text=True, start_new_session=True)
    watched = psutil.Process(process.pid)
    deadline = time.monotonic() + 120
    while not _spawned_children(watched) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # the workers are importing distributed now
    assert process.poll() is None, "the deposition ended before its cluster started"
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert [line.split(" ", 1)[0] for line in lines[:-1]] == ["planning", "planned"]  # the early feedback
    assert lines[-1:] == [
        "interrupted: stopped by Ctrl-C; outputs are published whole, run the same command again to resume"
    ]
    assert stdout == ""
    rerun = CliRunner().invoke(main, [*command[3:7], "--workers", "1", "--timestamp", "2026-03-01"])
    assert rerun.exit_code == 0, rerun.output
    assert CliRunner().invoke(main, ["check", str(out)]).exit_code == 0
