"""Read-only access to a finished output tree: one listing, byte reads, byte ranges and zarr stores.

The checks never touch the file system directly; they go through a :class:`TreeReader`, so a local folder
and an ``s3://`` or ``memory://`` prefix are checked by the same code. :class:`FsspecTree` retries throttling and
connection failures (an S3 503) under the ingestion's retry policy (``ingest.storage.base.DEFAULT_RETRY``), so a
transient fault is never reported as an unreadable file. :class:`LocalTree` reads a folder
with plain file IO (fast listing, ``pread`` ranges); :class:`FsspecTree` reads any fsspec URL. Both are
picklable so that worker processes can rebuild them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ingest.errors import StorageError
from ingest.storage.base import DEFAULT_RETRY
from ingest.storage.retry import call_with_retries, retry_transient, single_retry_layer, without_client_retries

T = TypeVar("T")


class UnreadableTreeError(StorageError):
    """The output tree cannot be listed or read at all (the check exits with status 2)."""

    exit_code = 2


class TreeReader(Protocol):
    """What the checks need from a tree: keys are ``/``-separated paths relative to its root."""

    @property
    def location(self) -> str:
        """The root as the user named it (for messages)."""
        ...

    def list_keys(self) -> tuple[str, ...]:
        """Every file key under the root, sorted."""
        ...

    def read_bytes(self, key: str) -> bytes:
        """The whole content of one file."""
        ...

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """``length`` bytes of one file from ``start`` (fewer at the end of the file)."""
        ...

    def size(self, key: str) -> int:
        """The size of one file in bytes."""
        ...

    def zarr_store(self, key: str) -> Any:
        """A read-only zarr store rooted at the folder ``key``."""
        ...


@dataclass(frozen=True)
class LocalTree:
    """A tree in a local folder."""

    root: Path

    @property
    def location(self) -> str:
        return str(self.root)

    def list_keys(self) -> tuple[str, ...]:
        if not self.root.is_dir():
            raise UnreadableTreeError(
                "cannot read the output tree", where=str(self.root), expected="a folder", found="nothing there"
            )
        keys: list[str] = []
        prefix = len(str(self.root)) + 1
        for folder, _dirs, files in os.walk(self.root):
            keys.extend(f"{folder}{os.sep}{name}"[prefix:].replace(os.sep, "/") for name in files)
        return tuple(sorted(keys))

    def read_bytes(self, key: str) -> bytes:
        with open(f"{self.root}/{key}", "rb") as stream:  # noqa: PTH123  (hot path: no Path objects)
            return stream.read()

    def read_range(self, key: str, start: int, length: int) -> bytes:
        with open(f"{self.root}/{key}", "rb") as stream:  # noqa: PTH123
            stream.seek(start)
            return stream.read(length)

    def size(self, key: str) -> int:
        return os.stat(f"{self.root}/{key}").st_size  # noqa: PTH116

    def zarr_store(self, key: str) -> Any:
        from zarr.storage import LocalStore

        return LocalStore(self.root / key, read_only=True)


@dataclass(frozen=True)
class FsspecTree:
    """A tree under any fsspec URL (``s3://bucket/prefix``, ``memory://name``, ``file:///path``)."""

    url: str
    storage_options: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def _fs_and_root(self) -> tuple[Any, str]:
        import fsspec

        # One retry policy: ours (list_keys), not botocore's and s3fs's stacked under it.
        options = without_client_retries(self.storage_options) if self.url.startswith("s3") else self.storage_options
        try:
            fs, root = fsspec.core.url_to_fs(self.url, **dict(options))
        except (ImportError, ValueError, TypeError) as error:
            raise UnreadableTreeError("cannot open the output tree", where=self.url, found=str(error)) from error
        return single_retry_layer(fs), root.rstrip("/")

    @property
    def location(self) -> str:
        return self.url

    def _path(self, key: str) -> str:
        return f"{self._fs_and_root[1]}/{key}"

    def _retrying(self, what: str, key: str, operation: Callable[[], T]) -> T:
        return retry_transient(operation, what=what, where=f"{self.url}/{key}", policy=DEFAULT_RETRY)

    def list_keys(self) -> tuple[str, ...]:
        fs, root = self._fs_and_root
        try:
            found: Iterable[str] = call_with_retries(
                lambda: fs.find(root), what="listing the output tree", where=self.url, policy=DEFAULT_RETRY
            )
        except StorageError as error:
            raise UnreadableTreeError(error.what, where=self.url, expected=error.expected, found=error.found) from error
        keys = tuple(sorted(path[len(root) + 1 :] for path in found if path.startswith(root + "/")))
        if not keys and not self._retrying("listing", "", lambda: fs.isdir(root)):
            raise UnreadableTreeError("cannot read the output tree", where=self.url, found="nothing there")
        return keys

    def read_bytes(self, key: str) -> bytes:
        fs = self._fs_and_root[0]
        data: bytes = self._retrying("reading", key, lambda: fs.cat_file(self._path(key)))
        return data

    def read_range(self, key: str, start: int, length: int) -> bytes:
        fs = self._fs_and_root[0]
        data: bytes = self._retrying(
            "reading", key, lambda: fs.cat_file(self._path(key), start=start, end=start + length)
        )
        return data

    def size(self, key: str) -> int:
        fs = self._fs_and_root[0]
        return int(self._retrying("reading the size of", key, lambda: fs.size(self._path(key))))

    def zarr_store(self, key: str) -> Any:
        from zarr.storage import FsspecStore

        return FsspecStore.from_url(
            f"{self.url.rstrip('/')}/{key}", storage_options=dict(self.storage_options), read_only=True
        )

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "storage_options": dict(self.storage_options)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "url", state["url"])
        object.__setattr__(self, "storage_options", state["storage_options"])


def open_tree(location: str, storage_options: Mapping[str, Any] | None = None) -> TreeReader:
    """A reader for a local folder or an fsspec URL such as ``s3://bucket/prefix``."""
    if "://" not in location or location.startswith("file://"):
        return LocalTree(Path(location.removeprefix("file://")).resolve())
    return FsspecTree(location, dict(storage_options or {}))
