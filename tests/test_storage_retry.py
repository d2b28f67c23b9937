"""Retries: transient failures (throttling, connections) are retried with bounded backoff, others are not."""

from __future__ import annotations

import errno
import threading
import time
import uuid
from typing import Any

import botocore.exceptions
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from hypothesis import given
from hypothesis import strategies as st
from moto.server import ThreadedMotoServer

from ingest.errors import StorageAccessError, StorageError
from ingest.storage.base import open_storage
from ingest.storage.fsspec_backend import ObjectStorage
from ingest.storage.retry import RetryPolicy, is_transient
from tests.conftest import free_port

QUICK = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


class FlakyMemoryFileSystem(MemoryFileSystem):  # type: ignore[misc]
    """An in-memory filesystem whose writes and reads first raise the queued errors, one per call."""

    cachable = False

    def __init__(self, failures: list[Exception]) -> None:
        super().__init__()
        self.failures = failures

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def pipe_file(self, path: str, value: bytes, *args: Any, **kwargs: Any) -> None:
        self._maybe_fail()
        super().pipe_file(path, value, *args, **kwargs)

    def cat_file(self, path: str, *args: Any, **kwargs: Any) -> bytes:
        self._maybe_fail()
        return bytes(super().cat_file(path, *args, **kwargs))


def flaky_storage(failures: list[Exception]) -> ObjectStorage:
    root = f"/flaky-{uuid.uuid4().hex[:12]}"
    return ObjectStorage(FlakyMemoryFileSystem(failures), root, f"memory://{root}", QUICK)


def slow_down() -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "PutObject"
    )


@pytest.mark.parametrize(
    "transient",
    [
        ConnectionResetError("connection reset by peer"),
        TimeoutError("read timed out"),
        OSError(errno.EBUSY, "SlowDown (as translated by s3fs)"),
        slow_down(),
        botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
    ],
    ids=["reset", "timeout", "s3fs-busy", "slowdown", "endpoint"],
)
def test_transient_failures_are_retried_until_success(transient: Exception) -> None:
    failures = [transient, transient]
    storage = flaky_storage(failures)
    storage.publish_bytes("k", b"value")
    assert failures == []
    assert storage.read_bytes("k") == b"value"


def test_permanent_failure_is_not_retried() -> None:
    failures: list[Exception] = [PermissionError("access denied"), ConnectionResetError("never reached")]
    storage = flaky_storage(failures)
    with pytest.raises(StorageAccessError, match=r"publishing was refused \(.*found PermissionError: access denied\)"):
        storage.publish_bytes("k", b"value")
    assert len(failures) == 1


def test_transient_failure_that_outlasts_the_policy_names_the_attempts() -> None:
    storage = flaky_storage([slow_down() for _ in range(5)])
    with pytest.raises(StorageError, match=r"k: publishing failed after 3 attempts \(found SlowDown"):
        storage.publish_bytes("k", b"value")


def test_throttling_cause_chain_is_recognised() -> None:
    wrapped = OSError("s3fs gave up")
    wrapped.__cause__ = slow_down()
    assert is_transient(wrapped)
    assert not is_transient(FileNotFoundError("no such key"))
    assert not is_transient(StorageError("already reported"))


@given(
    attempts=st.integers(min_value=1, max_value=12),
    base=st.floats(min_value=0.0, max_value=5.0),
    cap=st.floats(min_value=0.0, max_value=30.0),
)
def test_backoff_is_bounded(attempts: int, base: float, cap: float) -> None:
    delays = list(RetryPolicy(attempts=attempts, base_delay=base, max_delay=cap).delays())
    assert len(delays) == attempts - 1
    assert all(0.0 <= delay <= cap for delay in delays)


def test_s3_server_that_comes_up_late_is_reached_by_retrying(s3_client: Any, s3_bucket: str) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="in/a.mrc", Body=b"MRC")
    port = free_port()
    late = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)  # shares moto's state
    delay = 1.0
    timer = threading.Timer(delay, late.start)
    started = time.monotonic()
    timer.start()
    try:
        # botocore's own retries are turned off so that the recovery is ours.
        options = {"endpoint_url": f"http://127.0.0.1:{port}", "config_kwargs.retries.max_attempts": "1"}
        storage = open_storage(f"s3://{s3_bucket}", options, retry=RetryPolicy(attempts=8, base_delay=0.2))
        assert storage.list_keys("in") == ["in/a.mrc"]
        assert time.monotonic() - started >= delay
    finally:
        timer.join()
        late.stop()


def test_s3_server_that_never_comes_up_gives_storage_error(s3_endpoint: str) -> None:
    options = {"endpoint_url": f"http://127.0.0.1:{free_port()}", "config_kwargs.retries.max_attempts": "1"}
    storage = open_storage("s3://bucket/out", options, retry=QUICK)
    with pytest.raises(StorageError, match=r"s3://bucket/out/k: reading failed after 3 attempts"):
        storage.read_bytes("k")
