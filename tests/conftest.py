"""Shared fixtures: the reference corpus (optional tier) and small helpers for writing test inputs."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def corpus_root() -> Path | None:
    """The reference corpus named by ``INGEST_CORPUS``, or None when it is not set or absent."""
    value = os.environ.get("INGEST_CORPUS")
    if not value:
        return None
    path = Path(value)
    return path if path.is_dir() else None


@pytest.fixture
def corpus() -> Path:
    """The reference corpus folder; tests using it are skipped when ``INGEST_CORPUS`` is not set."""
    root = corpus_root()
    if root is None:
        pytest.skip("INGEST_CORPUS is not set: the reference-corpus tier does not run")
    return root


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_PROXY": "127.0.0.1,localhost",
}
"""Credentials and settings that keep tests away from any real AWS account or proxy."""


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a real S3-protocol server (moto) on 127.0.0.1, running for the whole test session."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> Any:
    """A boto3 S3 client for the session's server, to arrange test data independently of ``ingest.storage``."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint)


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    """A new, empty bucket on the session's S3 server; its name."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The number of generated fuzz cases run (tests/fuzz_harness.py), per target and in total."""
    import sys

    harness = sys.modules.get("tests.fuzz_harness")
    cases = getattr(harness, "CASES", None)
    if cases:
        parts = ", ".join(f"{target} {count}" for target, count in sorted(cases.items()))
        terminalreporter.write_line(f"fuzz ({harness.PROFILE} profile): {sum(cases.values())} generated cases: {parts}")
