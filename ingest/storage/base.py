"""Where inputs are read and outputs written: one :class:`Storage` protocol over fsspec, opened by URL.

Supported URLs: plain paths and ``file://`` (a local folder), ``memory://`` (fsspec's in-process store, for
tests) and ``s3://bucket/prefix`` (s3fs; endpoint, profile and credentials come from the usual AWS settings and
environment variables, or from storage options such as ``endpoint_url=http://127.0.0.1:5000``).

Keys are ``/``-separated paths relative to the storage root; keys that would escape it are refused. Every call
retries throttling and connection failures with backoff and reports anything else as a
:class:`~ingest.errors.StorageError` naming the URL. Publication is atomic: a reader sees a file's old content or
its new content, and a published tree's zarr metadata only once all of its data is there.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

import fsspec

from ingest.errors import StorageError, UsageError
from ingest.storage.fsspec_backend import FsspecStorage, ObjectStorage
from ingest.storage.keys import TEMPORARY_MARKER, ZARR_METADATA_NAMES, check_key, check_prefix
from ingest.storage.local import LocalStorage
from ingest.storage.retry import RetryPolicy, single_retry_layer, without_client_retries

__all__ = [
    "TEMPORARY_MARKER",
    "ZARR_METADATA_NAMES",
    "FsspecStorage",
    "LocalStorage",
    "ObjectStorage",
    "RetryPolicy",
    "Storage",
    "StorageError",
    "check_key",
    "check_prefix",
    "open_storage",
    "parse_storage_options",
    "typed_storage_options",
]

SUPPORTED_URLS = "a local path, file://PATH, memory://PATH or s3://BUCKET[/PREFIX]"

DEFAULT_RETRY = RetryPolicy()
"""Five attempts over about three seconds: enough to ride out S3 throttling bursts and brief outages."""

_STRING_OPTIONS = frozenset(
    {"key", "secret", "token", "session_token", "profile", "endpoint_url", "region_name", "username", "password"}
)
"""Options whose values stay strings even when they look like numbers or booleans (a profile named ``1``)."""

_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


class Storage(Protocol):
    """A tree of files addressed by relative keys; see the module docstring for the guarantees."""

    url: str

    def url_of(self, key: str) -> str:
        """The full URL of ``key``, for messages and reports."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` names a file or a folder (``""``: the root)."""

    def read_bytes(self, key: str) -> bytes:
        """The whole content of the file ``key``."""

    def open_input(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A binary stream reading the file ``key``."""

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every file key under the folder ``prefix`` (recursive, sorted) in one listing call."""

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        """Every file key under the folder ``prefix`` with its size, in one listing call."""

    def size(self, key: str) -> int:
        """The size of the file ``key`` in bytes."""

    def checksum(self, key: str) -> str:
        """The SHA-256 of the file ``key`` as lower-case hex."""

    def content_fingerprint(self, key: str) -> str:
        """A string that changes whenever the content of ``key`` changes, cheaper than :meth:`checksum`."""

    def scratch(self) -> contextlib.AbstractContextManager[Path]:
        """A local folder for work in progress, from which :meth:`move_file`/:meth:`move_tree` publish cheaply."""

    def move_file(self, key: str, local_path: Path) -> None:
        """Publish the local file ``local_path`` at ``key`` atomically, consuming it (renamed when possible)."""

    def move_tree(self, prefix: str, local_dir: Path) -> None:
        """Publish the local folder ``local_dir`` at ``prefix`` like :meth:`publish_tree`, consuming it."""

    def delete_tree(self, prefix: str) -> None:
        """Delete the file or folder ``prefix`` and everything under it (missing: no error)."""

    def fetch(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """A local path to the file or folder ``key`` (the file itself locally, a temporary copy otherwise)."""

    def check_writable(self) -> None:
        """Raise :class:`StorageError` if the root cannot be written."""

    def publish_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` to ``key`` atomically."""

    def publish_file(self, key: str, local_path: Path) -> None:
        """Copy the local file ``local_path`` to ``key`` atomically."""

    def publish_tree(self, prefix: str, local_dir: Path) -> None:
        """Copy the local folder ``local_dir`` to ``prefix``, replacing it; data files before zarr metadata."""

    def discard_temporaries(self, prefix: str = "") -> list[str]:
        """Remove leftovers of interrupted publications under ``prefix``; return what was removed."""


def parse_storage_options(pairs: Iterable[str]) -> dict[str, str]:
    """Parse command-line ``key=value`` strings into a mapping (values stay strings; see :func:`open_storage`)."""
    options: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise UsageError("malformed storage option", expected="KEY=VALUE", found=repr(pair))
        if name in options:
            raise UsageError(f"storage option {name!r} is given twice", found=f"{options[name]!r} and {value!r}")
        options[name] = value
    return options


def _typed_value(name: str, value: str) -> object:
    if name.rsplit(".", 1)[-1] in _STRING_OPTIONS:
        return value
    lowered = value.lower()
    if lowered in {"true", "yes"}:
        return True
    if lowered in {"false", "no"}:
        return False
    if lowered in {"none", "null"}:
        return None
    if _INTEGER.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


def typed_storage_options(options: Mapping[str, str]) -> dict[str, object]:
    """Turn string options into fsspec keyword arguments.

    Values become booleans (``true``/``false``), ``None`` (``none``), integers or floats when they look like
    one, except credentials, names and URLs, which stay strings. Dotted names nest:
    ``client_kwargs.region_name=eu-west-1`` becomes ``{"client_kwargs": {"region_name": "eu-west-1"}}``.
    """
    typed: dict[str, object] = {}
    for name, value in sorted(options.items()):
        *parents, leaf = name.split(".")
        level = typed
        for depth, parent in enumerate(parents):
            child = level.setdefault(parent, {})
            if not isinstance(child, dict):
                clash = ".".join(parents[: depth + 1])
                raise UsageError(f"storage option {name!r} nests inside {clash!r}, which has a value")
            level = child
        if isinstance(level.get(leaf), dict):
            raise UsageError(f"storage option {name!r} has a value and also nested options")
        level[leaf] = _typed_value(name, value)
    return typed


def open_storage(
    url: str,
    options: Mapping[str, str] | None = None,
    *,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> Storage:
    """Open the storage rooted at ``url`` (nothing is created until something is published).

    ``options`` are fsspec/s3fs settings as strings (``endpoint_url``, ``profile``, ``anon=true``,
    ``client_kwargs.region_name``...); they apply to ``s3://`` only.
    """
    protocol, path = fsspec.core.split_protocol(url)
    protocol = protocol or "file"
    options = dict(options or {})
    if protocol not in {"file", "local", "memory", "s3", "s3a"}:
        raise UsageError(f"unsupported storage URL {url!r}", expected=SUPPORTED_URLS, found=f"{protocol}://")
    if options and protocol not in {"s3", "s3a"}:
        raise UsageError(f"storage options are only for s3:// URLs, not {url!r}", found=", ".join(sorted(options)))
    if protocol in {"file", "local"}:
        root = Path(path).expanduser().absolute().as_posix()
        if Path(root).is_file():
            raise StorageError("the storage root is a file, not a folder", where=root)
        return LocalStorage(fsspec.filesystem("file", auto_mkdir=True), root, root, retry)
    if protocol == "memory":
        fs = fsspec.filesystem("memory")
        root = fs._strip_protocol(url).rstrip("/")
        return ObjectStorage(fs, root, f"memory://{root.lstrip('/')}", retry)
    bucket_and_prefix = path.strip("/")
    if not bucket_and_prefix:
        raise UsageError(f"S3 URL without a bucket: {url!r}", expected="s3://BUCKET[/PREFIX]")
    # s3fs (with aiobotocore) is slow to import; only S3 users pay for it.
    import s3fs

    kwargs = without_client_retries({"use_listings_cache": False, **typed_storage_options(options)})
    try:
        fs = single_retry_layer(s3fs.S3FileSystem(**kwargs))
    except Exception as error:
        raise StorageError("cannot set up S3 access", where=url, found=str(error)) from error
    return ObjectStorage(fs, bucket_and_prefix, f"s3://{bucket_and_prefix}", retry)
