"""Per-run manifests in ``{output}/.ingest/`` (outside the canonical tree): what each entity was written from.

An entity's fingerprint covers its task (sources, outputs, rendered metadata, options), the content fingerprints of
its source files (:meth:`ingest.storage.Storage.content_fingerprint`: size, times, inode and a sampled hash of local
files, the ETag on S3, so sources are never read twice; each computed once per run) and the manifest format;
``last_updated_at`` is left out, so re-running with a new timestamp but unchanged inputs rewrites nothing.
An entity is up to date when its fingerprint matches and every output exists. The manifest is updated after the
entity's metadata file is published, so an interrupted run redoes exactly the entities it had not finished.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from ingest.errors import IngestError
from ingest.storage import Storage

MANIFEST_FORMAT = "cryoet-ingest-manifest-2"
MANIFEST_FOLDER = ".ingest"


def manifest_key(scope: str) -> str:
    """Where the manifest of ``scope`` (``deposition`` or ``{dataset}/{run}``) lives in the output storage."""
    return f"{MANIFEST_FOLDER}/manifests/{scope}.json"


def fingerprint(task: object, source_checksums: Iterable[str]) -> str:
    """The SHA-256 of a task's description and its sources' content fingerprints."""
    digest = hashlib.sha256(MANIFEST_FORMAT.encode())
    digest.update(repr(task).encode())
    for checksum in source_checksums:
        digest.update(checksum.encode())
    return digest.hexdigest()


@dataclass
class Manifest:
    """Fingerprints by metadata key, for one run (or the deposition-level entities)."""

    key: str
    entries: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, storage: Storage, scope: str) -> Manifest:
        """The stored manifest of ``scope``; missing or unreadable manifests are empty (everything is redone)."""
        key = manifest_key(scope)
        try:
            data = json.loads(storage.read_bytes(key)) if storage.exists(key) else {}
        except (IngestError, OSError, ValueError):
            data = {}
        entries = data.get("entries") if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None
        return cls(key, dict(entries) if isinstance(entries, dict) else {})

    def up_to_date(self, storage: Storage, metadata_key: str, print_: str, outputs: Iterable[str]) -> bool:
        """Whether the entity behind ``metadata_key`` was written from the same inputs and is still complete."""
        if self.entries.get(metadata_key) != print_:
            return False
        return all(storage.exists(key) for key in (*outputs, metadata_key))

    def record(self, storage: Storage, metadata_key: str, print_: str) -> None:
        """Remember that ``metadata_key`` was written from ``print_`` and save the manifest atomically."""
        self.entries[metadata_key] = print_
        document = {"format": MANIFEST_FORMAT, "entries": dict(sorted(self.entries.items()))}
        storage.publish_bytes(self.key, (json.dumps(document, indent=2) + "\n").encode())
