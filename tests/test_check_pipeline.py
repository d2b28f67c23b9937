"""The tree ``ingest deposition`` writes for the synthetic example checks clean, in depth.

Needs the pipeline (``ingest example``, ``ingest deposition``); skipped in a checkout without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from ingest.cli import main


@pytest.mark.slow
def test_example_deposition_tree_checks_clean(tmp_path: Path) -> None:
    pytest.importorskip(
        "ingest.pipeline.example", reason="the pipeline (ingest example / deposition) is not in this checkout"
    )
    runner = CliRunner()
    example = runner.invoke(main, ["example", str(tmp_path / "example")])
    assert example.exit_code == 0, example.output
    output = tmp_path / "portal"
    ingested = runner.invoke(
        main,
        ["deposition", str(tmp_path / "example" / "example.yaml"), "--output", str(output), "--workers", "1",
         "--timestamp", "1700000000"],
    )  # fmt: skip
    assert ingested.exit_code == 0, ingested.output
    report = check_tree(output, chunks=ChunkCoverage.EVERY)
    assert report.findings == (), [f"{f.code} {f.location} {f.describe()}" for f in report.findings]
