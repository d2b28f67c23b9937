"""The checker on an ``s3://`` tree served by a real S3-protocol server (moto) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import FsspecTree
from ingest.cli import main
from tests.good_tree import build_good_tree

OFFLINE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_PROXY": "127.0.0.1,localhost",
}


@pytest.fixture(scope="module")
def s3_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """The good tree uploaded to ``s3://checked/tree`` with one stray file; its URL and storage options."""
    import boto3
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in OFFLINE_AWS.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{port}"
            client = boto3.client("s3", endpoint_url=endpoint)
            client.create_bucket(Bucket="checked")
            local = build_good_tree(tmp_path_factory.mktemp("s3") / "tree")
            for path in local.rglob("*"):
                if path.is_file():
                    client.put_object(Bucket="checked", Key=f"tree/{path.relative_to(local).as_posix()}",
                                      Body=path.read_bytes())  # fmt: skip
            client.put_object(Bucket="checked", Key="tree/10000/RUN2/stray.txt", Body=b"x")
            yield "s3://checked/tree", {"endpoint_url": endpoint, "use_listings_cache": False}
        finally:
            server.stop()


def test_s3_tree_checks_like_a_folder(s3_tree: tuple[str, dict[str, Any]]) -> None:
    url, options = s3_tree
    report = check_tree(FsspecTree(url, options))
    assert [(f.code, f.file) for f in report.findings] == [("C-TREE-STRAY", "10000/RUN2/stray.txt")]


def test_s3_tree_checks_in_depth_on_two_workers(s3_tree: tuple[str, dict[str, Any]]) -> None:
    url, options = s3_tree
    report = check_tree(FsspecTree(url, options), chunks=ChunkCoverage.EVERY, workers=2, runs=("RUN1",))
    assert report.findings == ()


def test_local_path_needs_no_options(tmp_path: Path) -> None:
    tree = build_good_tree(tmp_path / "tree", runs=("RUN1",), tilt_series=False)
    assert check_tree(f"file://{tree}").findings == ()


def test_cli_reads_s3_with_storage_options(s3_tree: tuple[str, dict[str, Any]]) -> None:
    url, options = s3_tree
    result = CliRunner().invoke(
        main, ["check", url, "--storage-option", f"endpoint_url={options['endpoint_url']}", "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    assert [f["file"] for f in json.loads(result.output)["findings"]] == ["10000/RUN2/stray.txt"]
