"""Storage keys: which are safe, and in which order a tree's files are published.

Keys are ``/``-separated paths relative to a storage root. Nothing here touches storage.
"""

from __future__ import annotations

from ingest.errors import StorageError

ZARR_METADATA_NAMES = frozenset({".zattrs", ".zgroup", ".zarray", ".zmetadata", "zarr.json"})
"""File names that describe zarr data; a tree publishes them only after all its data files."""

TEMPORARY_MARKER = ".ingest-tmp-"
"""Marks the names of files and folders still being written; listings never show them."""


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key (``a/b/c``), else raise :class:`StorageError`.

    Refused: empty keys, absolute paths, backslashes, and empty, ``.`` or ``..`` segments — anything that could
    name a place outside the storage root or two different places on two backends.
    """
    problem = None
    if not key:
        problem = "is empty"
    elif key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        problem = "is absolute"
    elif "\\" in key or "\0" in key:
        problem = "contains a backslash or NUL"
    elif any(segment in {"", ".", ".."} for segment in key.split("/")):
        problem = "has an empty, '.' or '..' segment"
    if problem is not None:
        raise StorageError(
            f"refusing key {key!r}: it {problem}",
            expected="a relative '/'-separated key inside the storage root",
            found=repr(key),
        )
    return key


def check_prefix(prefix: str) -> str:
    """Like :func:`check_key`, but ``""`` (the root) is allowed and one trailing ``/`` is dropped."""
    return check_key(prefix.removesuffix("/")) if prefix else ""


def publication_order(relative_paths: list[str]) -> tuple[list[str], list[str]]:
    """Split a tree's files into (data, metadata), metadata deepest first so the root's metadata comes last."""
    data = sorted(p for p in relative_paths if p.rsplit("/", 1)[-1] not in ZARR_METADATA_NAMES)
    metadata = [p for p in relative_paths if p.rsplit("/", 1)[-1] in ZARR_METADATA_NAMES]
    metadata.sort(key=lambda p: (-p.count("/"), p))
    return data, metadata
