"""Data named on the command line: a local path, a ``file://`` URL or a storage URL (``s3://``, with options).

The converters read and write local files; this module is the edge between them and the storage layer, whose
:func:`~ingest.storage.base.open_storage` is the one URL parser:

- :func:`fetched`: a local path to an input, the file itself when local, else a temporary copy made by
  :meth:`Storage.fetch` (as the deposition reads its sources).
- :func:`published`: a local path to write an output to, the destination itself when local (the converters write
  through a temporary sibling and a rename), else a scratch folder whose files are published when the block ends
  without an error, atomically as the deposition publishes (:meth:`Storage.move_file`, :meth:`Storage.move_tree`).
- :func:`read_head`: the first bytes of an input and its size (an MRC header), without fetching the whole file.
- :func:`source_kind`: whether an input is a file or a folder (an OME-Zarr), without fetching it.

Inputs may also be ``http://`` or ``https://`` URLs (read only, no storage options): a file is downloaded to a
temporary copy, an OME-Zarr folder (its URL ends in ``.zarr``) is read in place by zarr.

Every :class:`~ingest.errors.IngestError` raised while a temporary copy or scratch folder is in use names what the
user typed instead of the temporary path. A missing input, or storage that cannot be reached, is an error with
exit status 2 naming the URL, reported within the storage retry policy's few seconds.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fsspec

from ingest.errors import StorageError, UnreachableStorageError, UsageError, naming
from ingest.storage.base import DEFAULT_RETRY, Storage, open_storage
from ingest.storage.retry import call_with_retries
from ingest.storage.special_files import refuse_special_file
from ingest.storage.staging import PARTIAL_MARK

FILE, FOLDER = "file", "folder"
T = TypeVar("T")


class UnreadableInputError(StorageError):
    """An input named on the command line is missing or cannot be read at all (exit status 2, like a bad argument)."""

    exit_code = 2


@dataclass(frozen=True)
class LocalStandIn:
    """The local ``path`` that stands for what the user named; :meth:`named` turns its temporary part back into
    the user's text in messages."""

    path: Path
    local_prefix: str = ""
    """The temporary local text that messages should not show (empty: the path is what the user named)."""
    named_as: str = ""
    """What replaces :attr:`local_prefix` in messages."""

    def named(self, text: str) -> str:
        """``text`` with the temporary local path replaced by what the user named."""
        return text.replace(self.local_prefix, self.named_as) if self.local_prefix else text


def local_path(location: str) -> Path | None:
    """The local path of a plain path or ``file://`` URL; None for any other URL."""
    protocol, path = fsspec.core.split_protocol(location)
    if protocol in (None, "file", "local"):
        return Path(path).expanduser()
    return None


def is_url(location: str) -> bool:
    """Whether ``location`` is read through a storage (any URL but ``file://``)."""
    return local_path(location) is None


def _split(location: str, options: Mapping[str, str]) -> tuple[Storage, str]:
    """The storage of the folder holding ``location``, and the key of ``location`` in it."""
    head, _, name = location.rstrip("/").rpartition("/")
    if not name or not head or head.endswith(":/") or head.endswith(":"):
        raise UsageError("the URL names no file or folder", where=location, expected="SCHEME://BUCKET/KEY")
    with naming(head, location):  # an unsupported scheme or bad options: name the URL as typed
        return open_storage(head, options or None), name


def source_kind(location: str, options: Mapping[str, str], *, what: str) -> str:
    """:data:`FILE` or :data:`FOLDER`: what ``location`` names; a missing one is :class:`UnreadableInputError`."""
    local = local_path(location)
    if local is not None:
        if not local.exists():
            raise UnreadableInputError(f"{what} does not exist", where=location)
        return FOLDER if local.is_dir() else FILE
    if is_web_url(location):
        _refuse_options(location, options)
        folder = location.rstrip("/").endswith(".zarr")
        metadata = [f"{location.rstrip('/')}/{name}" for name in (".zattrs", ".zarray", "zarr.json")]
        if not any(_web_size(url, what, required=False) is not None for url in (metadata if folder else [location])):
            raise UnreadableInputError(f"{what} does not exist", where=location, found="no such object")
        return FOLDER if folder else FILE
    storage, key = _split(location, options)
    with naming(storage.url_of(key), location):
        return _remote_kind(storage, key, what)


def _remote_kind(storage: Storage, key: str, what: str) -> str:
    try:
        keys = storage.list_keys(key)
    except UnreachableStorageError:
        raise
    except StorageError as error:
        raise UnreadableInputError(f"{what} cannot be read", where=storage.url_of(key), found=error.found) from None
    if not keys:
        raise UnreadableInputError(f"{what} does not exist", where=storage.url_of(key), found="no such object")
    return FILE if key in keys else FOLDER


def _require_file(kind: str, location: str, what: str) -> None:
    if kind != FILE:
        raise UnreadableInputError(f"{what} is a folder", where=location, expected="a file")


@contextlib.contextmanager
def fetched(location: str, options: Mapping[str, str], *, what: str, folder_ok: bool = False) -> Iterator[LocalStandIn]:
    """A local stand-in for the input ``location`` (``what`` it is, for messages), valid inside the block.

    A local file is used in place; a URL is copied to a temporary folder first (deleted afterwards), and errors of
    the block name the URL. A folder is refused unless ``folder_ok``.
    """
    kind = source_kind(location, options, what=what)
    if not folder_ok:
        _require_file(kind, location, what)
    local = local_path(location)
    if local is not None:
        refuse_special_file(local, location)
        yield LocalStandIn(local)
        return
    if is_web_url(location):
        with _web_copy(location, what) as copy, naming(str(copy), location):
            yield LocalStandIn(copy, str(copy), location)
        return
    storage, key = _split(location, options)
    with naming(storage.url_of(key), location), storage.fetch(key) as copy, naming(str(copy), location):
        yield LocalStandIn(copy, str(copy), location)


def read_head(location: str, options: Mapping[str, str], count: int, *, what: str) -> tuple[bytes, int]:
    """The first ``count`` bytes of the file ``location`` and its size, in one ranged read for a URL."""
    _require_file(source_kind(location, options, what=what), location, what)
    local = local_path(location)
    if local is not None:
        refuse_special_file(local, location)
        try:
            with local.open("rb") as stream:
                return stream.read(count), local.stat().st_size
        except OSError as error:
            raise UnreadableInputError(f"{what} cannot be read", where=location, found=str(error)) from None
    if is_web_url(location):
        size = _web_size(location, what, required=True)
        assert size is not None
        head = _web_call(lambda: _web_fs().cat_file(location, start=0, end=min(count, size)), location, what)
        return bytes(head[:count]), size  # a server that ignores Range sends the whole file
    storage, key = _split(location, options)
    with naming(storage.url_of(key), location), storage.open_input(key) as stream:
        head = stream.read(count)
    with naming(storage.url_of(key), location):
        return head, storage.size(key)


@contextlib.contextmanager
def published(
    location: str, options: Mapping[str, str], *, what: str, folder_ok: bool = False
) -> Iterator[LocalStandIn]:
    """A local stand-in for the output ``location`` (``what`` it is): what the block writes there (and beside it,
    e.g. an export's companion files) is published to the storage when the block ends without error, nothing
    otherwise. An existing local folder is refused unless ``folder_ok`` (a zarr output replaces it).

    Storage that cannot be reached or written fails here, before the block does any work.
    """
    local = local_path(location)
    if local is not None:
        if local.is_dir() and not folder_ok:
            raise UsageError(f"{what} is an existing folder", where=location, expected="a file name")
        yield LocalStandIn(local)
        return
    storage, key = _split(location, options)
    parent = location.rstrip("/").rpartition("/")[0]
    with naming(storage.url, parent):
        storage.exists(key)  # an unreachable endpoint: exit 2 now, not after the conversion
        storage.check_writable()
        with storage.scratch() as scratch:
            with naming(str(scratch), parent):
                yield LocalStandIn(scratch / key, str(scratch), parent)
            for entry in sorted(scratch.iterdir()):
                if PARTIAL_MARK in entry.name:
                    continue
                if entry.is_dir():
                    storage.move_tree(entry.name, entry)
                else:
                    storage.move_file(entry.name, entry)


_WEB = ("http", "https")


def is_web_url(location: str) -> bool:
    """Whether ``location`` is an ``http://`` or ``https://`` URL (an input only)."""
    return fsspec.core.split_protocol(location)[0] in _WEB


def _refuse_options(location: str, options: Mapping[str, str]) -> None:
    if options:
        raise UsageError("storage options are only for s3:// URLs", where=location, found=", ".join(sorted(options)))


def _web_fs() -> Any:
    return fsspec.filesystem("https")


def _web_call(operation: Callable[[], T], location: str, what: str) -> T:
    """``operation`` under the storage retry policy; a missing object or a refused request is
    :class:`UnreadableInputError`, an unreachable server :class:`UnreachableStorageError` (both exit 2)."""
    try:
        return call_with_retries(operation, what=f"reading {what}", where=location, policy=DEFAULT_RETRY)
    except UnreachableStorageError:
        raise
    except StorageError as error:
        raise UnreadableInputError(f"{what} cannot be read", where=location, found=error.found) from None


def _web_size(location: str, what: str, *, required: bool) -> int | None:
    """The size of the object at ``location``; None (or :class:`UnreadableInputError` when ``required``) when the
    server has none there."""
    try:
        info = _web_call(lambda: _web_fs().info(location), location, what)
    except UnreadableInputError:
        if required:
            raise
        return None
    size = info.get("size")
    return int(size) if size is not None else 0


@contextlib.contextmanager
def _web_copy(location: str, what: str) -> Iterator[Path]:
    """A temporary local copy of the file at the web URL ``location``, deleted when the block ends."""
    with tempfile.TemporaryDirectory(prefix="ingest-fetch-") as scratch:
        copy = Path(scratch) / (location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "download")
        _web_call(lambda: _web_fs().get_file(location, str(copy)), location, what)
        yield copy


def refuse_same_locations(destinations: Mapping[str, str], sources: Mapping[str, str]) -> None:
    """Refuse a destination URL that is (or lies inside, or contains) a source URL or another destination.

    Local paths are compared by the converters themselves (as files, links included); this compares URLs as text.
    """
    seen: dict[str, str] = {}
    for name, destination in destinations.items():
        if is_url(destination):
            for other, location in [*sources.items(), *seen.items()]:
                if is_url(location) and _overlap(destination, location):
                    raise UsageError(
                        f"{name} would overwrite {other}",
                        where=destination,
                        expected="a destination that is not an input or another output",
                        found=f"{destination} overlaps {location}",
                    )
        seen[name] = destination


def _overlap(one: str, other: str) -> bool:
    one, other = one.rstrip("/"), other.rstrip("/")
    return one == other or one.startswith(other + "/") or other.startswith(one + "/")
