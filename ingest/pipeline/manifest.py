"""Per-run manifests in ``{output}/.ingest/`` (outside the canonical tree): what each entity was written from,
what it wrote, and which numbered folders the run allocated.

An entity's fingerprint covers its task (sources, outputs, rendered metadata, options), the content fingerprints of
its source files (:meth:`ingest.storage.base.Storage.content_fingerprint`: size, times, inode and a sampled hash of
local files, the ETag on S3, so sources are never read twice; each computed once per run) and the manifest format;
``last_updated_at`` is left out, so re-running with a new timestamp but unchanged inputs rewrites nothing. With the
fingerprint the manifest records the size and SHA-256 of every file the entity published
(:mod:`ingest.storage.digests`). An entity is up to date when its fingerprint matches and its outputs still hold what
was recorded (checked quickly by default, in full with ``--verify``); otherwise it is written again, which repairs
deleted or damaged outputs. The manifest is updated after the entity's metadata file is published, so an interrupted run
redoes exactly the entities it had not finished.

*Data and metadata*: beside the whole fingerprint each entity with converted data (tilt series, tomograms,
annotations) records a *data fingerprint* covering only what its data files are made from (sources, their
content, output keys, conversion options). When only the metadata changed (a tomogram's ``processing_software``,
an author), the whole fingerprint differs but the data fingerprint matches and the data is intact: only the
metadata file is written again (a *metadata-only* rewrite; ``--only metadata`` forces one).

*Claims*: before a run publishes any data, its manifest records which identity each numbered folder (tilt series,
alignment, annotation ids) was allocated to, so that a rerun recognises the folders a killed run left without
metadata as its own (:mod:`ingest.plan.existing`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.errors import IngestError
from ingest.storage.base import Storage
from ingest.storage.digests import (
    FileDigest,
    Verification,
    damaged_outputs,
    digests_from_json,
    digests_to_json,
)

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


def _read_document(storage: Storage, key: str) -> dict[str, Any]:
    try:
        data = json.loads(storage.read_bytes(key)) if storage.exists(key) else {}
    except (IngestError, OSError, ValueError):
        data = {}
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(key): item for key, item in value.items() if isinstance(item, str)}


def read_claims(storage: Storage, scope: str, prefix: str = "") -> dict[str, str]:
    """The claims (folder -> identity text) of the manifest of ``scope`` in the tree at ``prefix``."""
    base = prefix.strip("/")
    key = f"{base}/{manifest_key(scope)}" if base else manifest_key(scope)
    return _string_map(_read_document(storage, key).get("claims"))


def recorded_outputs(storage: Storage, scope: str, prefix: str = "") -> frozenset[str]:
    """Every output key (metadata files included) the manifest of ``scope`` records digests for."""
    base = prefix.strip("/")
    key = f"{base}/{manifest_key(scope)}" if base else manifest_key(scope)
    outputs = _read_document(storage, key).get("outputs")
    if not isinstance(outputs, dict):
        return frozenset()
    return frozenset(k for values in outputs.values() if isinstance(values, dict) for k in values)


@dataclass
class Manifest:
    """Fingerprints and output digests by metadata key, and folder claims, for one run (or the deposition)."""

    key: str
    entries: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, FileDigest]] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    """Data fingerprints by metadata key (entities with converted data only)."""

    @classmethod
    def load(cls, storage: Storage, scope: str) -> Manifest:
        """The stored manifest of ``scope``; missing or unreadable manifests are empty (everything is redone)."""
        key = manifest_key(scope)
        data = _read_document(storage, key)
        outputs = data.get("outputs")
        recorded = {}
        if isinstance(outputs, dict):
            for metadata_key, values in outputs.items():
                digests = digests_from_json(values)
                if digests is not None:
                    recorded[str(metadata_key)] = digests
        entries, claims = _string_map(data.get("entries")), _string_map(data.get("claims"))
        return cls(key, entries, recorded, claims, _string_map(data.get("data")))

    def up_to_date(
        self,
        storage: Storage,
        metadata_key: str,
        print_: str,
        outputs: Iterable[str],
        *,
        sizes: Mapping[str, int] | None = None,
        verification: Verification = Verification.QUICK,
    ) -> bool:
        """Whether the entity behind ``metadata_key`` was written from the same inputs and its outputs still hold
        what was recorded (``sizes``: a listing of their folder, file key -> size, when one was made).

        Entities recorded by an older version, without digests, are checked for existence only."""
        if self.entries.get(metadata_key) != print_:
            return False
        recorded = self.outputs.get(metadata_key)
        if recorded is None:
            return all(storage.exists(key) for key in (*outputs, metadata_key))
        return not damaged_outputs(storage, recorded, sizes, verification)

    def data_intact(
        self,
        storage: Storage,
        metadata_key: str,
        data_print: str,
        *,
        sizes: Mapping[str, int] | None = None,
        verification: Verification = Verification.QUICK,
    ) -> bool:
        """Whether the data of the entity behind ``metadata_key`` was written from the same sources and options
        (``data_print``) and every output recorded for it (its metadata file included, which a metadata-only
        rewrite reads its computed fields from) still holds what was recorded."""
        recorded = self.outputs.get(metadata_key)
        if self.data.get(metadata_key) != data_print or not recorded or metadata_key not in recorded:
            return False
        return not damaged_outputs(storage, recorded, sizes, verification)

    def recorded(self, metadata_key: str) -> dict[str, FileDigest]:
        """The digests recorded for the outputs of ``metadata_key`` (empty when none)."""
        return dict(self.outputs.get(metadata_key, {}))

    def record(
        self,
        storage: Storage,
        metadata_key: str,
        print_: str,
        digests: Mapping[str, FileDigest] | None = None,
        *,
        data_print: str | None = None,
    ) -> None:
        """Remember that ``metadata_key`` was written from ``print_`` (its data from ``data_print``, when it has
        converted data), publishing ``digests``, and save the manifest atomically."""
        self.entries[metadata_key] = print_
        if data_print is not None:
            self.data[metadata_key] = data_print
        else:
            self.data.pop(metadata_key, None)
        if digests:
            self.outputs[metadata_key] = dict(digests)
        else:
            self.outputs.pop(metadata_key, None)
        self._save(storage)

    def forget(self, storage: Storage, metadata_key: str) -> None:
        """Drop every record of ``metadata_key`` (an output removed from the tree); saved only when one existed."""
        found = [records.pop(metadata_key, None) for records in (self.entries, self.data, self.outputs)]
        if any(record is not None for record in found):
            self._save(storage)

    def claim(self, storage: Storage, claims: Mapping[str, str], released: Iterable[str] = ()) -> None:
        """Record ``claims`` (folder -> identity text) and forget the ``released`` folders; saved only when
        something changed, before any data of the claimed folders is published."""
        updated = {key: value for key, value in self.claims.items() if key not in set(released)}
        updated.update(claims)
        if updated != self.claims:
            self.claims = updated
            self._save(storage)

    def _save(self, storage: Storage) -> None:
        document: dict[str, Any] = {"format": MANIFEST_FORMAT, "entries": dict(sorted(self.entries.items()))}
        if self.data:
            document["data"] = dict(sorted(self.data.items()))
        if self.claims:
            document["claims"] = dict(sorted(self.claims.items()))
        if self.outputs:
            document["outputs"] = {key: digests_to_json(self.outputs[key]) for key in sorted(self.outputs)}
        storage.publish_bytes(self.key, (json.dumps(document, indent=2) + "\n").encode())
