"""Storage that refuses us (no credentials, access denied) is exit status 2 with one line naming the URL and
saying which credentials are looked for, from every command that touches storage; not a retry loop, not exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ingest.errors import StorageAccessError
from ingest.pipeline.example import write_example
from ingest.storage.base import DEFAULT_RETRY
from ingest.storage.retry import call_with_retries
from tests.conftest import FAKE_AWS_ENVIRONMENT

NO_CREDENTIALS = {
    name: value for name, value in FAKE_AWS_ENVIRONMENT.items() if not name.startswith(("AWS_ACCESS", "AWS_SECRET"))
}
NO_CREDENTIALS.pop("AWS_SESSION_TOKEN")


def ingest_without_credentials(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | NO_CREDENTIALS
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], capture_output=True, text=True, env=environment, timeout=120
    )


@pytest.mark.parametrize("command", ["deposition", "check"])
def test_no_credentials_is_one_line_and_exit_2(command: str, tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> None:
    write_example(tmp_path / "lab")
    url = f"s3://{s3_bucket}/portal"
    arguments = [str(tmp_path / "lab" / "example.yaml"), "--output", url] if command == "deposition" else [url]
    result = ingest_without_credentials(command, *arguments, "--storage-option", f"endpoint_url={s3_endpoint}")
    assert result.returncode == 2, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {url}: ") and "refused" in line
    assert "AWS_ACCESS_KEY_ID" in line and "anon=true" in line and "NoCredentialsError" in line
    assert "Traceback" not in result.stderr


def test_access_denied_is_not_retried_and_says_refused() -> None:
    calls = []

    def denied() -> None:
        calls.append(1)
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "ListObjectsV2")

    with pytest.raises(StorageAccessError) as raised:
        call_with_retries(denied, what="listing", where="s3://bucket/key", policy=DEFAULT_RETRY)
    assert len(calls) == 1
    assert raised.value.exit_code == 2
    assert raised.value.found is not None and raised.value.found.startswith("AccessDenied")
