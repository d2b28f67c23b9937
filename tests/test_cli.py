"""The command-line entry point works as a module and reports its version."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from ingest.cli import main


def test_version_option_prints_the_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "ingest, version" in result.output


def test_python_dash_m_ingest_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "ingest", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "Usage:" in result.stdout
