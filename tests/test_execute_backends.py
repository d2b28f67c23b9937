"""The example ingested through dask (a local cluster, or a ``dask scheduler`` with two ``dask worker`` processes on
127.0.0.1) and into S3 (a moto server on 127.0.0.1) gives the same tree as a serial run, byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example
from ingest.pipeline.ingestion_log import is_run_record
from tests.dask_processes import external_dask_cluster


def local_tree(root: Path) -> dict[str, bytes]:
    """Every file of the tree with its bytes, but the records of single invocations (logs), which differ by design."""
    files = (path for path in sorted(root.rglob("*")) if path.is_file())
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in files
        if not is_run_record(path.relative_to(root).as_posix())
    }


def checksums(tree: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in tree.items()}


def ingest(config: Path, output: str, *extra: str) -> dict[str, Any]:
    args = ["deposition", str(config), "--output", output, "--format", "json", "--timestamp", "2026-03-01", *extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def serial_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("backends")
    write_example(root / "example")
    ingest(root / "example/example.yaml", str(root / "serial"), "--workers", "1")
    return root / "example/example.yaml", local_tree(root / "serial")


def test_s3_output_equals_local_output(
    serial_tree: tuple[Path, dict[str, bytes]], s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    config, expected = serial_tree
    url = f"s3://{s3_bucket}/portal"
    report = ingest(config, url, "--workers", "1", "--storage-option", f"endpoint_url={s3_endpoint}")
    assert report["ok"] is True
    found = {}
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket, Prefix="portal/"):
        for item in page.get("Contents", []):
            name = item["Key"].removeprefix("portal/")
            if is_run_record(name):  # the log and last-ingestion summary of this invocation
                continue
            body = s3_client.get_object(Bucket=s3_bucket, Key=item["Key"])["Body"].read()
            found[name] = body
    assert sorted(found) == sorted(expected)
    assert found == expected
    again = ingest(config, url, "--workers", "1", "--storage-option", f"endpoint_url={s3_endpoint}")
    assert [run["written"] for run in again["runs"]] == [0, 0]


@pytest.mark.slow
def test_local_dask_cluster_output_equals_serial_output(
    serial_tree: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    config, expected = serial_tree
    report = ingest(config, str(tmp_path / "dask"), "--workers", "2")
    assert report["ok"] is True
    assert local_tree(tmp_path / "dask") == expected


@pytest.mark.slow
def test_external_scheduler_with_two_workers_output_equals_serial_output(
    serial_tree: tuple[Path, dict[str, bytes]], tmp_path: Path
) -> None:
    config, expected = serial_tree
    with external_dask_cluster(2) as address:
        report = ingest(config, str(tmp_path / "distributed"), "--scheduler", address)
    assert report["ok"] is True
    assert report["checks"]["ok"] is True
    assert checksums(local_tree(tmp_path / "distributed")) == checksums(expected)


def test_output_that_is_a_file_is_refused(serial_tree: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    config, _ = serial_tree
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["deposition", str(config), "--output", str(blocker), "--workers", "1"])
    assert result.exit_code == 1
    assert "not a folder" in result.output
