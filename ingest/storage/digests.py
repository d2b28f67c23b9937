"""What was published, by content: sizes and SHA-256 digests of output files, and their verification on reruns.

Every file an entity publishes is digested from the bytes or local file being published (never read back from
the output), and the run manifest records the digests (:mod:`ingest.pipeline.manifest`). A rerun verifies an entity's
outputs before calling it up to date, at one of two levels:

- :attr:`Verification.QUICK` (default): every file's size (from one listing of the run's folder), the full
  SHA-256 of files up to :data:`SMALL_FILE` (metadata JSON, small ndJSON, zarr metadata) and a sampled SHA-256
  (16 blocks of 64 KiB, head and tail included) of larger files other than zarr chunks. Zarr chunks are checked
  by presence and size only: hashing every chunk means reading the whole pyramid.
- :attr:`Verification.FULL` (``--verify``): the full SHA-256 of every file, every zarr chunk included.

An entity whose outputs differ is written again (repaired).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from ingest.errors import IngestError
from ingest.storage.base import ZARR_METADATA_NAMES, Storage
from ingest.storage.fsspec_backend import tree_files
from ingest.storage.local import SAMPLE_BLOCK, sample_offsets

SMALL_FILE = 1024 * 1024
"""Files up to this size are hashed in full by a quick verification."""

_BLOCK = 4 * 1024 * 1024


class Verification(StrEnum):
    """How thoroughly a rerun compares the outputs of up-to-date entities with the manifest."""

    QUICK = "quick"
    FULL = "full"


@dataclass(frozen=True)
class FileDigest:
    """A published file's size, SHA-256 and, for files above :data:`SMALL_FILE`, the SHA-256 of sampled blocks."""

    size: int
    sha256: str
    sample: str | None = None

    def to_json(self) -> list[object]:
        """The digest as the manifest stores it: ``[size, sha256, sample or null]``."""
        return [self.size, self.sha256, self.sample]

    @classmethod
    def from_json(cls, value: object) -> FileDigest | None:
        """A digest read back from a manifest; None when malformed."""
        if not isinstance(value, list) or len(value) != 3:
            return None
        size, sha256, sample = value
        if not isinstance(size, int) or not isinstance(sha256, str) or not isinstance(sample, str | None):
            return None
        return cls(size, sha256, sample)


def _sampled(size: int, read_at: Callable[[int], bytes]) -> str | None:
    if size <= SMALL_FILE:
        return None
    digest = hashlib.sha256()
    for offset in sample_offsets(size):
        digest.update(read_at(offset))
    return digest.hexdigest()


def digest_bytes(data: bytes) -> FileDigest:
    """The digest of bytes about to be published."""
    view = memoryview(data)
    sample = _sampled(len(data), lambda offset: view[offset : offset + SAMPLE_BLOCK].tobytes())
    return FileDigest(len(data), hashlib.sha256(data).hexdigest(), sample)


def digest_stream(stream: BinaryIO, size: int) -> FileDigest:
    """The digest of a seekable stream of ``size`` bytes (read once in full, then sampled)."""
    digest = hashlib.sha256()
    stream.seek(0)
    while block := stream.read(_BLOCK):
        digest.update(block)

    def read_at(offset: int) -> bytes:
        stream.seek(offset)
        return stream.read(SAMPLE_BLOCK)

    return FileDigest(size, digest.hexdigest(), _sampled(size, read_at))


def digest_file(path: Path) -> FileDigest:
    """The digest of a local file about to be published."""
    with path.open("rb") as stream:
        return digest_stream(stream, path.stat().st_size)


def digest_tree(local_dir: Path, prefix: str) -> dict[str, FileDigest]:
    """The digests of every file of a local folder about to be published at ``prefix``, by output key."""
    return {f"{prefix}/{name}": digest_file(local_dir / name) for name in tree_files(local_dir)}


def is_zarr_chunk(key: str) -> bool:
    """Whether ``key`` is a chunk inside a ``.zarr`` folder (not its metadata)."""
    return ".zarr/" in key and key.rpartition("/")[2] not in ZARR_METADATA_NAMES


def damaged_outputs(
    storage: Storage,
    recorded: Mapping[str, FileDigest],
    sizes: Mapping[str, int] | None,
    verification: Verification,
) -> list[str]:
    """The recorded outputs whose content differs from the record (missing, other size, other digest).

    ``sizes`` is a listing of the folder holding them (file key -> size) when one was made; keys it lacks are
    looked up one by one.
    """
    damaged = []
    for key, expected in sorted(recorded.items()):
        try:
            if not _intact(storage, key, expected, sizes, verification):
                damaged.append(key)
        except (IngestError, OSError):
            damaged.append(key)
    return damaged


def _intact(
    storage: Storage, key: str, expected: FileDigest, sizes: Mapping[str, int] | None, verification: Verification
) -> bool:
    if sizes is not None and key in sizes:
        size = sizes[key]
    elif storage.exists(key):
        size = storage.size(key)
    else:
        return False
    if size != expected.size:
        return False
    if verification is Verification.FULL:
        return storage.checksum(key) == expected.sha256
    if is_zarr_chunk(key):
        return True
    if size <= SMALL_FILE:
        return digest_bytes(storage.read_bytes(key)).sha256 == expected.sha256
    with storage.open_input(key) as stream:
        return digest_stream_sample(stream, size) == expected.sample


def digest_stream_sample(stream: BinaryIO, size: int) -> str | None:
    """Only the sampled digest of a stream (what a quick verification reads of a large file)."""

    def read_at(offset: int) -> bytes:
        stream.seek(offset)
        return stream.read(SAMPLE_BLOCK)

    return _sampled(size, read_at)


class DigestingPublisher:
    """Publishes into a storage and remembers the digest of everything it published (until :meth:`take`)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.digests: dict[str, FileDigest] = {}

    def publish_bytes(self, key: str, data: bytes) -> None:
        """:meth:`Storage.publish_bytes`, digested."""
        self.digests[key] = digest_bytes(data)
        self.storage.publish_bytes(key, data)

    def publish_file(self, key: str, local_path: Path) -> None:
        """:meth:`Storage.publish_file`, digested."""
        self.digests[key] = digest_file(local_path)
        self.storage.publish_file(key, local_path)

    def move_file(self, key: str, local_path: Path) -> None:
        """:meth:`Storage.move_file`, digested."""
        self.digests[key] = digest_file(local_path)
        self.storage.move_file(key, local_path)

    def publish_tree(self, prefix: str, local_dir: Path) -> None:
        """:meth:`Storage.publish_tree`, digested (every file of the tree, replacing any older digests under it)."""
        self._digest_tree(prefix, local_dir)
        self.storage.publish_tree(prefix, local_dir)

    def move_tree(self, prefix: str, local_dir: Path) -> None:
        """:meth:`Storage.move_tree`, digested like :meth:`publish_tree`."""
        self._digest_tree(prefix, local_dir)
        self.storage.move_tree(prefix, local_dir)

    def _digest_tree(self, prefix: str, local_dir: Path) -> None:
        tree = digest_tree(local_dir, prefix)
        self.digests = {k: v for k, v in self.digests.items() if not k.startswith(prefix + "/")}
        self.digests.update(tree)

    def take(self) -> dict[str, FileDigest]:
        """What was published since the last call, and forget it."""
        taken, self.digests = self.digests, {}
        return taken


def digests_from_json(values: object) -> dict[str, FileDigest] | None:
    """The recorded digests of one entity (key -> digest), or None when absent or malformed."""
    if not isinstance(values, dict):
        return None
    digests = {key: FileDigest.from_json(value) for key, value in values.items()}
    if any(digest is None for digest in digests.values()):
        return None
    return {key: digest for key, digest in digests.items() if digest is not None}


def digests_to_json(digests: Mapping[str, FileDigest]) -> dict[str, list[object]]:
    """Digests as the manifest stores them, sorted by key."""
    return {key: digests[key].to_json() for key in sorted(digests)}
