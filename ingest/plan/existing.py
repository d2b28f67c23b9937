"""What the output tree already holds, and the numeric ids that follow from it.

Ids start at 100 inside their container (tomograms, tilt series and alignments per run, as docs/design.md §4
says; annotations per voxel-spacing folder). On re-ingestion an entity gets the id of the existing entity
with the same identity key (docs/design.md §4), read from its metadata file; a new entity gets the lowest free
id. :class:`ExistingTree` is built at the edge (:func:`ingest.pipeline.existing_tree.read_existing_tree`) and is only
read by the pure planner.

A run killed after an entity's data was published but before its metadata leaves an *orphan*: a numbered folder
without a metadata file. Before writing any data the executor records in the run's manifest which identity each
folder was allocated to (a *claim*, see :mod:`ingest.pipeline.manifest`); an orphan our manifest claims is ours: the
next plan gives its id back to the same identity (or to any new entity) and the executor deletes its partial data first.
An orphan nobody claims (another writer's) keeps its id taken.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.domain.listing import Listing
from ingest.errors import PlanError

FIRST_ID = 100
_ANNOTATION_METADATA = re.compile(r"/Annotations/\d+/[^/]*\d\.json$")

Identity = tuple[Hashable, ...]


@dataclass(frozen=True, eq=False)
class ExistingTree:
    """The output listing and the parsed metadata files found in it (by key)."""

    listing: Listing
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    """Orphan folders (numbered, no metadata file) that our manifests claim: folder -> claimed identity."""

    @classmethod
    def empty(cls, root: str = "<empty output>") -> ExistingTree:
        """An output tree with nothing in it (a first ingestion)."""
        return cls(Listing.of((), root=root))

    def ids_in(self, folder: str) -> frozenset[int]:
        """The numeric sub-folder names of ``folder`` (ids already taken there)."""
        return frozenset(int(name) for name in self.listing.children.get(folder, ()) if name.isdigit())

    def claimed_orphans_in(self, folder: str) -> dict[int, str]:
        """The orphan sub-folders of ``folder`` that our manifests claim: id -> the identity they were claimed for."""
        prefix = folder.strip("/") + "/"
        return {
            int(key[len(prefix) :]): identity
            for key, identity in self.claims.items()
            if key.startswith(prefix) and key[len(prefix) :].isdigit()
        }

    def claimed_orphans_under(self, folder: str) -> tuple[str, ...]:
        """Every claimed orphan folder below ``folder`` (a run's folder), sorted."""
        prefix = folder.strip("/") + "/"
        return tuple(sorted(key for key in self.claims if key.startswith(prefix)))

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


def orphan_folders(listing: Listing, metadata: Mapping[str, object]) -> list[str]:
    """Numbered folders holding files but no readable metadata file of their own (what a killed run can leave)."""
    orphans = []
    for folder, names in listing.children.items():
        if not folder.rpartition("/")[2].isdigit() or folder.count("/") < 2:
            continue
        if not any(f"{folder}/{name}" in metadata for name in names):
            orphans.append(folder)
    return sorted(orphans)


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


def identity_text(identity: Identity) -> str:
    """An identity as the text a manifest claim records (``repr`` of a tuple of plain values: deterministic)."""
    return repr(identity)


@dataclass
class IdAllocator:
    """Hands out ids inside one container: reused by identity, else the lowest free id from 100.

    Mutable while one container is planned, then discarded; two planned entities with one identity are a
    :class:`PlanError` (they would silently merge into one folder). ``orphans`` are our claimed orphan folders
    (id -> claimed identity text): the identity they were claimed for gets them back, and no other entity takes
    them. Every id handed out is written to ``allocated`` (folder -> identity text) for the executor's claims.
    """

    container: str
    taken: set[int]
    known: dict[Identity, int]
    claimed: dict[Identity, str] = field(default_factory=dict)
    orphans: dict[int, str] = field(default_factory=dict)
    allocated: dict[str, str] | None = None

    @classmethod
    def in_container(
        cls,
        existing: ExistingTree,
        container: str,
        known: dict[Identity, int],
        allocated: dict[str, str] | None = None,
    ) -> IdAllocator:
        """An allocator over ``container`` of ``existing``: numbered folders are taken unless they are our
        claimed orphans."""
        orphans = existing.claimed_orphans_in(container)
        taken = set(existing.ids_in(container)) - set(orphans)
        return cls(container, taken, known, orphans=orphans, allocated=allocated)

    def assign(self, identity: Identity, *, what: str) -> tuple[int, bool]:
        """The id for ``identity`` and whether it was reused from the existing tree."""
        if identity in self.claimed:
            raise PlanError(
                f"{what} would share one output folder with {self.claimed[identity]}",
                where=self.container,
                expected="entities that differ in their identity key (docs/design.md §4)",
                found=f"the same key {identity!r} twice",
            )
        self.claimed[identity] = what
        if identity in self.known:
            entity_id, reused = self.known[identity], True
        else:
            text = identity_text(identity)
            ours = [i for i, claimed in sorted(self.orphans.items()) if claimed == text and i not in self.taken]
            entity_id, reused = (ours[0] if ours else FIRST_ID), False
            while not ours and (entity_id in self.taken or entity_id in self.orphans):
                entity_id += 1
            self.taken.add(entity_id)
        if self.allocated is not None:
            self.allocated[f"{self.container}/{entity_id}"] = identity_text(identity)
        return entity_id, reused
