"""What the output tree already holds, and the numeric ids that follow from it.

Ids start at 100 inside their container (tomograms, tilt series and alignments per run, as DESIGN.md section 4
says; annotations per voxel-spacing folder). On re-ingestion an entity gets the id of the existing entity
with the same identity key (DESIGN.md section 4), read from its metadata file; a new entity gets the lowest free
id. :class:`ExistingTree` is built at the edge (:func:`read_existing_tree`) and is only read by the pure planner.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.errors import IngestError, PlanError
from ingest.inputs import list_input
from ingest.sources import Listing
from ingest.storage import Storage

FIRST_ID = 100
_ANNOTATION_METADATA = re.compile(r"/Annotations/\d+/[^/]*\d\.json$")

Identity = tuple[Hashable, ...]


@dataclass(frozen=True, eq=False)
class ExistingTree:
    """The output listing and the parsed metadata files found in it (by key)."""

    listing: Listing
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def empty(cls, root: str = "<empty output>") -> ExistingTree:
        """An output tree with nothing in it (a first ingestion)."""
        return cls(Listing.of((), root=root))

    def ids_in(self, folder: str) -> frozenset[int]:
        """The numeric sub-folder names of ``folder`` (ids already taken there)."""
        return frozenset(int(name) for name in self.listing.children.get(folder, ()) if name.isdigit())

    def metadata_in(self, folder: str, suffix: str) -> dict[int, dict[str, Any]]:
        """Metadata files ``folder/<id>/...<suffix>`` by id (the first such file of each id)."""
        found: dict[int, dict[str, Any]] = {}
        for entity_id in sorted(self.ids_in(folder)):
            prefix = f"{folder}/{entity_id}/"
            for name in self.listing.children.get(f"{folder}/{entity_id}", ()):
                key = prefix + name
                if key.endswith(suffix) and key in self.metadata:
                    found[entity_id] = self.metadata[key]
                    break
        return found


def is_metadata_key(key: str) -> bool:
    """Whether ``key`` is a metadata file the planner reads: ``*_metadata.json`` or an annotation's
    ``{slug}-{version}.json``."""
    return key.endswith("_metadata.json") or bool(_ANNOTATION_METADATA.search("/" + key))


def read_existing_tree(storage: Storage, prefix: str = "") -> ExistingTree:
    """List the output tree once and parse its metadata files (an empty or missing output is an empty tree)."""
    listing = list_input(storage, prefix)
    metadata: dict[str, dict[str, Any]] = {}
    for key in sorted(listing.files):
        if not is_metadata_key(key):
            continue
        full_key = f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key
        try:
            value = json.loads(storage.read_bytes(full_key))
        except (OSError, ValueError, IngestError) as error:
            raise PlanError(
                "an existing metadata file cannot be read",
                where=storage.url_of(full_key),
                expected="a JSON object",
                found=getattr(error, "message", None) or str(error),
            ) from None
        if isinstance(value, dict):
            metadata[key] = value
    return ExistingTree(listing, metadata)


def relative_to_run(path: object, run_dir: str) -> str | None:
    """A metadata path as a key: bucket prefixes before ``{dataset}/{run}/`` are dropped (older trees hold
    ``bucket/10001/TS_1/...``)."""
    if not isinstance(path, str):
        return None
    index = path.find(run_dir + "/")
    return path[index:] if index >= 0 else path


def tomogram_identity(metadata: Mapping[str, Any], alignment_key: str | None) -> Identity:
    """Voxel spacing, alignment path, reconstruction method, processing, processing software, deposition."""
    spacing = metadata.get("voxel_spacing")
    return (
        round(float(spacing), 3) if isinstance(spacing, int | float) else spacing,
        alignment_key,
        metadata.get("reconstruction_method"),
        metadata.get("processing"),
        metadata.get("processing_software"),
        metadata.get("deposition_id"),
    )


def annotation_identity(metadata: Mapping[str, Any], alignment_key: str | None) -> Identity:
    """Deposition, ``annotation_ingest_id`` and alignment path."""
    return (metadata.get("deposition_id"), metadata.get("annotation_ingest_id"), alignment_key)


def alignment_identity(metadata: Mapping[str, Any], source_names: tuple[str, ...]) -> Identity:
    """Deposition, method type, format and the names of the alignment's files."""
    return (metadata.get("deposition_id"), metadata.get("method_type"), metadata.get("format"), source_names)


def tiltseries_identity(metadata: Mapping[str, Any]) -> Identity:
    """Deposition: a run holds one tilt series per deposition."""
    return (metadata.get("deposition_id"),)


@dataclass
class IdAllocator:
    """Hands out ids inside one container: reused by identity, else the lowest free id from 100.

    Mutable while one container is planned, then discarded; two planned entities with one identity are a
    :class:`PlanError` (they would silently merge into one folder).
    """

    container: str
    taken: set[int]
    known: dict[Identity, int]
    claimed: dict[Identity, str] = field(default_factory=dict)

    def assign(self, identity: Identity, *, what: str) -> tuple[int, bool]:
        """The id for ``identity`` and whether it was reused from the existing tree."""
        if identity in self.claimed:
            raise PlanError(
                f"{what} would share one output folder with {self.claimed[identity]}",
                where=self.container,
                expected="entities that differ in their identity key (DESIGN.md section 4)",
                found=f"the same key {identity!r} twice",
            )
        self.claimed[identity] = what
        if identity in self.known:
            return self.known[identity], True
        entity_id = FIRST_ID
        while entity_id in self.taken:
            entity_id += 1
        self.taken.add(entity_id)
        return entity_id, False
