"""``ingest check`` and the deposition's own check on S3 with injected 503s: the checker reads through the
ingestion's retry policy, so transient faults are retried, never reported as unreadable files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import FsspecTree
from ingest.cli import main
from ingest.pipeline.example import write_example
from tests.faulty_s3_proxy import faulty_s3_proxy
from tests.good_tree import build_good_tree

NO_BOTOCORE_RETRIES = "config_kwargs.retries.max_attempts=0"
CREDENTIALS = {"key": "testing", "secret": "testing"}
"""Given explicitly: check workers may come from a process pool started before the test set the environment."""


def upload(client: Any, bucket: str, local: Path, prefix: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(local).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


@pytest.mark.parametrize("workers", [1, 2])
def test_check_through_503s_is_clean(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str, workers: int
) -> None:
    upload(s3_client, s3_bucket, build_good_tree(tmp_path / "tree"), "tree")
    with faulty_s3_proxy(s3_endpoint) as (proxy, faults):
        options = {"endpoint_url": proxy, "config_kwargs": {"retries": {"max_attempts": 0}}, **CREDENTIALS}
        report = check_tree(FsspecTree(f"s3://{s3_bucket}/tree", options), workers=workers)
    assert faults.failed > 5
    assert report.findings == ()


def test_check_cli_with_two_workers_through_503s(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str
) -> None:
    upload(s3_client, s3_bucket, build_good_tree(tmp_path / "tree"), "tree")
    with faulty_s3_proxy(s3_endpoint) as (proxy, faults):
        args = ["check", f"s3://{s3_bucket}/tree", "--workers", "2", "--format", "json",
                "--storage-option", f"endpoint_url={proxy}", "--storage-option", NO_BOTOCORE_RETRIES,
                *(f"--storage-option={name}={value}" for name, value in CREDENTIALS.items())]  # fmt: skip
        result = CliRunner().invoke(main, args)
    assert faults.failed > 5
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["findings"] == []


@pytest.mark.slow
def test_deposition_on_s3_through_503s_checks_clean(tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> None:
    write_example(tmp_path / "example")
    with faulty_s3_proxy(s3_endpoint, every=5) as (proxy, faults):
        args = ["deposition", str(tmp_path / "example/example.yaml"), "--output", f"s3://{s3_bucket}/out",
                "--workers", "1", "--timestamp", "2026-03-01", "--run", "TS_001", "--format", "json",
                "--storage-option", f"endpoint_url={proxy}", "--storage-option", NO_BOTOCORE_RETRIES]  # fmt: skip
        result = CliRunner().invoke(main, args)
    assert faults.failed > 5
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"]["findings"] == []
