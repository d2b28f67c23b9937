"""Bounded retries with exponential backoff for storage calls that fail transiently.

Throttling (S3 ``SlowDown``, HTTP 503, ``RequestLimitExceeded``) and dropped or refused connections are worth
another attempt; everything else (missing keys, denied access, bad buckets) is reported at once.
"""

from __future__ import annotations

import errno
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ingest.errors import StorageAccessError, StorageError, UnreachableStorageError

T = TypeVar("T")

logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "500",
        "502",
        "503",
        "504",
    }
)
"""Error codes (S3 error ``Code`` or HTTP status) that mean "try again later"."""

_TRANSIENT_CLASS_NAMES = frozenset(
    {
        "ConnectionError",  # builtin, and botocore's (not a subclass of the builtin)
        "TimeoutError",
        "ClientConnectionError",
        "ClientPayloadError",
        "ServerDisconnectedError",
        "IncompleteRead",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "FSTimeoutError",
        # What s3fs's own retry loop (turned off: see without_client_retries) retried: throttling answers that
        # arrive as unparsable or malformed HTTP.
        "HTTPClientError",
        "ResponseParserError",
    }
)


_CONNECTION_CLASS_NAMES = frozenset({"ConnectionError", "ClientConnectionError", "ConnectTimeoutError"})
"""Failures to reach the endpoint (refused, unresolvable, connect timeout); botocore's ``EndpointConnectionError``
and the builtin ``ConnectionRefusedError`` derive from a ``ConnectionError``."""


_CREDENTIAL_CLASS_NAMES = frozenset({"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"})
_DENIED_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "403"}
)
CREDENTIALS_HINT = (
    "credentials allowed there: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or "
    "--storage-option anon=true for a public bucket"
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried.

    Attempt ``n`` (0-based) that fails transiently is followed by a sleep of
    ``min(max_delay, base_delay * 2**n)`` scaled by a random factor in [0.5, 1] (jitter, so that many workers
    throttled together do not come back together).
    """

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0

    def delays(self) -> Iterator[float]:
        """The sleeps between attempts: one fewer than ``attempts``."""
        for attempt in range(self.attempts - 1):
            yield min(self.max_delay, self.base_delay * 2**attempt) * random.uniform(0.5, 1.0)


def _error_chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _error_code(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    if code is None:
        code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None if code is None else str(code)


def _chain_says(error: BaseException, says: Callable[[BaseException], bool]) -> bool:
    """Whether ``says`` holds for ``error`` or anything in its cause chain before one of our own StorageErrors
    (already classified where it was raised)."""
    for link in _error_chain(error):
        if isinstance(link, StorageError):
            return False
        if says(link):
            return True
    return False


def _named(error: BaseException, names: frozenset[str]) -> bool:
    """Whether ``error``'s class or a base class has one of ``names`` (botocore, aiohttp and the builtins are
    told apart by name, without importing them)."""
    return any(cls.__name__ in names for cls in type(error).__mro__)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` (or anything in its cause chain) is throttling or a connection failure."""
    return _chain_says(
        error,
        lambda link: (
            _named(link, _TRANSIENT_CLASS_NAMES)
            or (isinstance(link, OSError) and link.errno == errno.EBUSY)  # s3fs's translation of SlowDown / 503
            or _error_code(link) in THROTTLING_CODES
        ),
    )


def is_access_failure(error: BaseException) -> bool:
    """Whether ``error`` (or its cause chain) says the storage refused us: no credentials, or access denied."""
    return _chain_says(
        error,
        lambda link: (
            _named(link, _CREDENTIAL_CLASS_NAMES)
            or isinstance(link, PermissionError)
            or _error_code(link) in _DENIED_CODES
        ),
    )


def is_connection_failure(error: BaseException) -> bool:
    """Whether ``error`` (or its cause chain) says the endpoint could not be reached at all (not throttling)."""
    return _chain_says(error, lambda link: _named(link, _CONNECTION_CLASS_NAMES))


def describe_error(error: BaseException) -> str:
    """A one-line account of a storage failure: the S3 error code when there is one, else the exception."""
    for link in _error_chain(error):
        code = _error_code(link)
        if code is not None:
            return f"{code}: {link}"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"


def retry_transient(
    operation: Callable[[], T],
    *,
    what: str,
    where: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``, retrying transient failures under ``policy`` like :func:`call_with_retries`, but
    re-raise the last error unchanged (readers that tell a missing file from an unreadable one need the type)."""
    delays = policy.delays()
    while True:
        try:
            return operation()
        except Exception as error:
            delay = next(delays, None) if is_transient(error) else None
            if delay is None:
                raise
            logger.info("%s: %s failed transiently (%s); retrying in %.2fs", where, what, error, delay)
            sleep(delay)


def call_with_retries(
    operation: Callable[[], T],
    *,
    what: str,
    where: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``, retrying transient failures under ``policy``.

    A non-transient failure, or a transient one that outlasts the policy, becomes a
    :class:`~ingest.errors.StorageError` saying ``what`` was attempted ``where`` (a URL) and what happened.
    ``StorageError`` raised by the operation itself passes through unchanged.
    """
    attempts = 0

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        return operation()

    try:
        return retry_transient(counted, what=what, where=where, policy=policy, sleep=sleep)
    except StorageError:
        raise
    except Exception as error:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if is_connection_failure(error):
            raise UnreachableStorageError(f"{what} failed{tries}", where=where, found=describe_error(error)) from error
        if is_access_failure(error):
            expected = CREDENTIALS_HINT if where.startswith("s3://") else "permission to read or write there"
            raise StorageAccessError(
                f"{what} was refused", where=where, expected=expected, found=describe_error(error)
            ) from error
        raise StorageError(f"{what} failed{tries}", where=where, found=describe_error(error)) from error


def without_client_retries(options: Mapping[str, Any]) -> dict[str, Any]:
    """s3fs keyword arguments with botocore's own retries turned off, so that :func:`call_with_retries` is the
    one retry policy (stacked retries multiplied: an unreachable endpoint took over a minute to report).

    Settings the user gave (``config_kwargs.retries...``) win. s3fs's separate retry loop is a class attribute;
    :func:`single_retry_layer` turns it off on a filesystem instance.
    """
    config = dict(options.get("config_kwargs") or {})
    config.setdefault("retries", {"total_max_attempts": 1})
    return {**options, "config_kwargs": config}


def single_retry_layer(fs: T) -> T:
    """``fs`` with s3fs's own retry loop reduced to one attempt (a no-op for other filesystems)."""
    if hasattr(fs, "retries"):
        fs.retries = 1
    return fs
