"""Storage keys: which are safe, and in which order a tree's files are published.

Keys are ``/``-separated paths relative to a storage root. Nothing here touches storage.
"""

from __future__ import annotations

import hashlib

from ingest.errors import StorageError

ZARR_METADATA_NAMES = frozenset({".zattrs", ".zgroup", ".zarray", ".zmetadata", "zarr.json"})
"""File names that describe zarr data; a tree publishes them only after all its data files."""

TEMPORARY_MARKER = ".ingest-tmp-"
"""Marks the names of files and folders still being written; listings never show them."""


NAME_MAX = 255
"""The longest file name (in bytes) of common local file systems (ext4, xfs, btrfs, tmpfs, APFS)."""


def fitting_name(name: str, room: int) -> str:
    """``name`` itself when it and ``room`` more bytes fit :data:`NAME_MAX`, else a shortened, still unique form.

    The shortened form keeps the start of the name and ends with 16 hex digits of its SHA-256, so two long names
    never share a temporary name; it is for temporary and scratch names, never for published ones.
    """
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) + room <= NAME_MAX:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:16]
    keep = encoded[: max(0, NAME_MAX - room - len(digest) - 1)].decode("utf-8", "ignore")
    return f"{keep}~{digest}"


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
