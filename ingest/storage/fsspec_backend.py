"""The fsspec-backed storages: :class:`ObjectStorage` here, :class:`~ingest.storage.local.LocalStorage` beside it.

Both share the reading side (:class:`FsspecStorage`); they differ in how they publish. A local filesystem can
rename, so everything is written under a temporary name beside its destination and renamed into place. An
object store (S3, fsspec's ``memory://``) makes a single PUT visible all at once, so files are put directly and
trees are put data first, metadata last.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from ingest.errors import StorageError, naming
from ingest.storage.keys import TEMPORARY_MARKER, check_key, check_prefix, fitting_name, publication_order
from ingest.storage.publication_steps import publication_step
from ingest.storage.retry import RetryPolicy, call_with_retries

T = TypeVar("T")

_CHECKSUM_BLOCK = 4 * 1024 * 1024
PUT_THREADS = 16
"""Concurrent uploads of one tree's data files on object stores."""


def tree_files(local_dir: Path) -> list[str]:
    """The files of the local folder ``local_dir`` as sorted relative ``/`` paths."""
    if not local_dir.is_dir():
        raise StorageError("cannot publish a tree that is not a local folder", where=str(local_dir))
    return sorted(p.relative_to(local_dir).as_posix() for p in local_dir.rglob("*") if p.is_file())


def temporary_name(name: str) -> str:
    """A unique temporary name for ``name``, hidden from listings by the temporary marker.

    Long names are shortened (:func:`~ingest.storage.keys.fitting_name`) so that the temporary name, and one
    with a ``-old`` suffix, still fit the file system's name limit.
    """
    prefix = f"{TEMPORARY_MARKER}{uuid.uuid4().hex[:12]}-"
    return prefix + fitting_name(name, len(prefix) + len("-old"))


class FsspecStorage:
    """Reading, listing and deleting through an fsspec filesystem; subclasses decide how to publish.

    ``root`` is the filesystem path of the storage root (no protocol); ``url`` is how messages name it.
    """

    def __init__(self, fs: Any, root: str, url: str, retry: RetryPolicy) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.url = url.rstrip("/")
        self.retry = retry

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def url_of(self, key: str) -> str:
        """The full URL of ``key``, for messages and reports."""
        return f"{self.url}/{key}" if key else self.url

    def _path(self, key: str) -> str:
        return f"{self.root}/{key}" if key else self.root

    def _call(self, what: str, key: str, operation: Callable[[], T]) -> T:
        return call_with_retries(operation, what=what, where=self.url_of(key), policy=self.retry)

    def exists(self, key: str) -> bool:
        """Whether ``key`` names a file or a folder (``""``: the root)."""
        key = check_prefix(key)
        return bool(self._call("checking existence", key, lambda: self.fs.exists(self._path(key))))

    def read_bytes(self, key: str) -> bytes:
        """The whole content of the file ``key``."""
        check_key(key)
        return cast(bytes, self._call("reading", key, lambda: self.fs.cat_file(self._path(key))))

    @contextlib.contextmanager
    def open_input(self, key: str) -> Iterator[BinaryIO]:
        """A binary stream reading the file ``key``, for readers that take streams."""
        check_key(key)
        with self._call("opening", key, lambda: self.fs.open(self._path(key), "rb")) as stream:
            yield cast(BinaryIO, stream)

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every file key under the folder ``prefix`` (recursive, sorted) in one listing call.

        A missing prefix lists as empty; names still being written are left out.
        """
        prefix = check_prefix(prefix)
        base = self._path(prefix)

        def find() -> list[str]:
            self.fs.invalidate_cache()
            return cast(list[str], self.fs.find(base, withdirs=False))

        found = self._call("listing", prefix, find)
        start = len(self.root) + 1
        return sorted(path[start:] for path in found if TEMPORARY_MARKER not in path)

    def list_sizes(self, prefix: str = "") -> dict[str, int]:
        """Every file key under the folder ``prefix`` with its size in bytes, in one listing call (like
        :meth:`list_keys`)."""
        prefix = check_prefix(prefix)
        base = self._path(prefix)

        def find() -> dict[str, Any]:
            self.fs.invalidate_cache()
            return cast(dict[str, Any], self.fs.find(base, withdirs=False, detail=True))

        found = self._call("listing", prefix, find)
        start = len(self.root) + 1
        return {
            path[start:]: int(info.get("size") or 0) for path, info in found.items() if TEMPORARY_MARKER not in path
        }

    def size(self, key: str) -> int:
        """The size of the file ``key`` in bytes."""
        check_key(key)
        return int(self._call("reading the size of", key, lambda: self.fs.size(self._path(key))))

    def checksum(self, key: str) -> str:
        """The SHA-256 of the file ``key`` as lower-case hex, streamed in blocks."""
        check_key(key)

        def digest() -> str:
            sha = hashlib.sha256()
            with self.fs.open(self._path(key), "rb") as stream:
                while block := stream.read(_CHECKSUM_BLOCK):
                    sha.update(block)
            return sha.hexdigest()

        return self._call("checksumming", key, digest)

    def delete_tree(self, prefix: str) -> None:
        """Delete the file or folder ``prefix`` and everything under it; a missing one is not an error."""
        prefix = check_key(prefix.removesuffix("/"))
        path = self._path(prefix)
        publication_step("delete", prefix)

        def delete() -> None:
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)

        self._call("deleting", prefix, delete)

    @contextlib.contextmanager
    def fetch(self, key: str) -> Iterator[Path]:
        """A local copy of the file or folder ``key`` (zarr sources), deleted when the context ends."""
        check_key(key)
        with tempfile.TemporaryDirectory(prefix="ingest-fetch-") as scratch:
            local = Path(scratch) / key.rsplit("/", 1)[-1]
            path = self._path(key)

            def download() -> None:
                if self.fs.isdir(path):
                    self.fs.get(path + "/", str(local) + "/", recursive=True)
                else:
                    self.fs.get_file(path, str(local))

            self._call("downloading", key, download)
            with naming(str(local), self.url_of(key)):  # an error about the copy names the source as stored
                yield local

    def check_writable(self) -> None:
        """Raise :class:`StorageError` now, rather than after hours of work, if the root cannot be written."""
        probe = f".ingest/{temporary_name('write-probe')}"
        try:
            self.publish_bytes(probe, b"")
        except StorageError as error:
            raise StorageError(
                "the storage is not writable",
                where=self.url,
                expected="a folder or bucket we may write to",
                found=error.found,
            ) from error
        self._call("deleting the write probe", probe, lambda: self.fs.rm_file(self._path(probe)))

    def content_fingerprint(self, key: str) -> str:
        """A string that changes whenever the content of the file ``key`` changes.

        The entity tag and size the store reports when it has one (S3 ETags are MD5-based content hashes),
        otherwise the SHA-256 of the content.
        """
        check_key(key)
        info = self._call("reading the details of", key, lambda: self.fs.info(self._path(key)))
        if info.get("type") == "directory":  # an OME-Zarr source: a manifest of its objects' entity tags
            return self._call("fingerprinting", key, lambda: self._tree_fingerprint(key))
        etag = info.get("ETag") or info.get("etag")
        if etag:
            return f"etag:{str(etag).strip(chr(34))}:{info.get('size')}"
        return f"sha256:{self.checksum(key)}"

    def _tree_fingerprint(self, key: str) -> str:
        """A SHA-256 over the sorted relative names, sizes and entity tags (or modification times) of every object
        under the folder ``key``, from one listing call."""
        base = self._path(key).rstrip("/") + "/"
        found = cast(dict[str, dict[str, Any]], self.fs.find(base, detail=True))
        entries = []
        for name, info in found.items():
            tag = info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("mtime")
            relative = name[len(base) :] if name.startswith(base) else name.removeprefix(base.lstrip("/"))
            entries.append(f"{relative}\0{info.get('size')}:{str(tag).strip(chr(34))}")
        digest = hashlib.sha256("\n".join(sorted(entries)).encode())
        return f"tree:{len(entries)}:{digest.hexdigest()}"

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A local folder for work in progress (here: the system's temporary folder), deleted afterwards."""
        with tempfile.TemporaryDirectory(prefix="ingest-scratch-") as folder:
            yield Path(folder)

    def move_file(self, key: str, local_path: Path) -> None:
        """Publish the local file ``local_path`` at ``key`` like :meth:`publish_file`, then delete it."""
        self.publish_file(key, local_path)
        local_path.unlink(missing_ok=True)

    def move_tree(self, prefix: str, local_dir: Path) -> None:
        """Publish the local folder ``local_dir`` at ``prefix`` like :meth:`publish_tree`, then delete it."""
        self.publish_tree(prefix, local_dir)
        shutil.rmtree(local_dir, ignore_errors=True)

    def publish_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` as the file ``key`` so that readers see the old content or the new, never a part."""
        raise NotImplementedError

    def publish_file(self, key: str, local_path: Path) -> None:
        """Copy the local file ``local_path`` to ``key``, atomically like :meth:`publish_bytes`."""
        raise NotImplementedError

    def publish_tree(self, prefix: str, local_dir: Path) -> None:
        """Copy the local folder ``local_dir`` to ``prefix``, replacing what was there; data before metadata."""
        raise NotImplementedError

    def discard_temporaries(self, prefix: str = "") -> list[str]:
        """Remove what an interrupted publication left under ``prefix``; return the removed paths."""
        return []


class ObjectStorage(FsspecStorage):
    """An object store (S3, ``memory://``): a single PUT is atomic, so files are put directly."""

    def publish_bytes(self, key: str, data: bytes) -> None:
        """Put ``data`` at ``key`` in one request."""
        check_key(key)
        publication_step("publish", key)
        self._call("publishing", key, lambda: self.fs.pipe_file(self._path(key), data))

    def publish_file(self, key: str, local_path: Path) -> None:
        """Upload ``local_path`` to ``key``; large files go multipart and appear only when complete."""
        check_key(key)
        publication_step("publish", key)
        self._call("publishing", key, lambda: self.fs.put_file(str(local_path), self._path(key)))

    def publish_tree(self, prefix: str, local_dir: Path) -> None:
        """Upload every data file, then the metadata deepest first, then delete keys the new tree lacks.

        Stale keys go last (stale metadata before stale data) so no metadata ever points at missing data.
        """
        prefix = check_key(prefix.removesuffix("/"))
        data, metadata = publication_order(tree_files(local_dir))
        stale = set(self.list_keys(prefix)) - {f"{prefix}/{p}" for p in data + metadata}
        stale_data, stale_metadata = publication_order(sorted(stale))
        base = self._path(prefix)
        if data:
            publication_step("publish tree data", prefix)

            def put(relative: str) -> None:
                upload = functools.partial(self.fs.put_file, str(local_dir / relative), f"{base}/{relative}")
                self._call("publishing", f"{prefix}/{relative}", upload)

            # One retry budget per file, not per batch: a batch of many chunks retried as a whole rarely gets
            # through a store that throttles a fraction of all requests.
            with ThreadPoolExecutor(max_workers=min(PUT_THREADS, len(data))) as pool:
                for _ in pool.map(put, data):
                    pass
        for relative in metadata:
            upload = functools.partial(self.fs.put_file, str(local_dir / relative), f"{base}/{relative}")
            publication_step("publish", f"{prefix}/{relative}")
            self._call("publishing", f"{prefix}/{relative}", upload)
        for group in (stale_metadata, stale_data):
            if group:
                publication_step("delete stale keys", prefix)
                delete = functools.partial(self.fs.rm, [self._path(k) for k in group])
                self._call("deleting stale keys of", prefix, delete)
