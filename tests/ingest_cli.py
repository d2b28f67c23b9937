"""Running ``ingest deposition`` in process for tests: its JSON report and the per-run counts in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest.cli import main


def ingest(config: Path, output: Path | str, *extra: str) -> dict[str, Any]:
    """Run ``ingest deposition`` serially (fixed timestamp) and return its JSON report; exit 0 or 1 expected."""
    args = ["deposition", str(config), "--output", str(output), "--workers", "1", "--format", "json", *extra]
    result = CliRunner().invoke(main, [*args, "--timestamp", "2026-03-01"])
    assert result.exit_code in {0, 1}, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def run_counts(report: dict[str, Any]) -> dict[str, tuple[int, int, str | None]]:
    """Run name → (written, skipped, error) from a report."""
    return {run["run"]: (run["written"], run["skipped"], run["error"]) for run in report["runs"]}
