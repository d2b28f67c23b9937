"""Reading what the output tree already holds: one listing, its metadata files and the orphans our run manifests
claim, into the :class:`~ingest.plan.existing.ExistingTree` the pure planner reads (the IO edge of planning)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ingest.domain.listing import Listing
from ingest.errors import IngestError, PlanError
from ingest.pipeline.inputs import list_input
from ingest.pipeline.manifest import read_claims, recorded_outputs
from ingest.plan.existing import ExistingTree, is_metadata_key, orphan_folders
from ingest.storage.base import Storage


def read_existing_tree(storage: Storage, prefix: str = "") -> ExistingTree:
    """List the output tree once and parse its metadata files (an empty or missing output is an empty tree).

    A metadata file that cannot be parsed is an error, unless our manifests record it as one of our outputs: then
    it is damage the rerun repairs, and the planner treats it as absent."""
    listing = list_input(storage, prefix)
    metadata: dict[str, dict[str, Any]] = {}
    recorded: dict[str, frozenset[str]] = {}
    for key in sorted(listing.files):
        if not is_metadata_key(key):
            continue
        full_key = f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key
        try:
            value = json.loads(storage.read_bytes(full_key))
        except (OSError, ValueError, IngestError) as error:
            if _recorded_by_us(storage, key, prefix, recorded):
                continue
            raise PlanError(
                "an existing metadata file cannot be read",
                where=storage.url_of(full_key),
                expected="a JSON object",
                found=getattr(error, "message", None) or str(error),
            ) from None
        if isinstance(value, dict):
            metadata[key] = value
    return ExistingTree(listing, metadata, _claimed_orphans(storage, listing, metadata, prefix))


def _run_scope(key: str) -> str:
    """The manifest scope of a key inside a run: ``{dataset}/{run}``."""
    return "/".join(key.split("/", 2)[:2])


def _recorded_by_us(storage: Storage, key: str, prefix: str, cache: dict[str, frozenset[str]]) -> bool:
    for scope in (_run_scope(key), "deposition"):
        if scope not in cache:
            cache[scope] = recorded_outputs(storage, scope, prefix)
        if key in cache[scope]:
            return True
    return False


def _claimed_orphans(storage: Storage, listing: Listing, metadata: Mapping[str, object], prefix: str) -> dict[str, str]:
    """The orphan folders our run manifests claim (only the manifests of runs holding orphans are read)."""
    by_scope: dict[str, list[str]] = {}
    for folder in orphan_folders(listing, metadata):
        by_scope.setdefault(_run_scope(folder), []).append(folder)
    claims: dict[str, str] = {}
    for scope, folders in sorted(by_scope.items()):
        claimed = read_claims(storage, scope, prefix)
        claims.update({folder: claimed[folder] for folder in folders if folder in claimed})
    return claims
