"""Id allocation that recognises its own orphans: numbered folders without metadata that the run manifest claims."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline.existing_tree import read_existing_tree
from ingest.pipeline.manifest import MANIFEST_FORMAT, manifest_key
from ingest.plan.existing import IdAllocator, identity_text
from ingest.storage.base import open_storage

CONTAINER = "10001/TS_1/TiltSeries"


def tree_with(tmp_path: Path, folders: dict[str, str], claims: dict[str, str]) -> Path:
    """Folders (relative to the container) holding one file each, and the run manifest's claims."""
    for folder, name in folders.items():
        path = tmp_path / CONTAINER / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"deposition_id": 7}) if name.endswith("_metadata.json") else "data")
    manifest = tmp_path / manifest_key("10001/TS_1")
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"format": MANIFEST_FORMAT, "entries": {}, "claims": claims}))
    return tmp_path


def allocator(root: Path, allocated: dict[str, str] | None = None) -> IdAllocator:
    existing = read_existing_tree(open_storage(str(root)))
    return IdAllocator.in_container(existing, CONTAINER, {}, allocated)


def test_claimed_orphan_goes_back_to_its_identity(tmp_path: Path) -> None:
    root = tree_with(tmp_path, {"100": "TS_1.mrc"}, {f"{CONTAINER}/100": identity_text((7,))})
    allocated: dict[str, str] = {}
    assert allocator(root, allocated).assign((7,), what="tilt series") == (100, False)
    assert allocated == {f"{CONTAINER}/100": identity_text((7,))}
    assert read_existing_tree(open_storage(str(root))).claimed_orphans_under("10001/TS_1") == (f"{CONTAINER}/100",)


def test_unclaimed_folder_without_metadata_stays_taken(tmp_path: Path) -> None:
    root = tree_with(tmp_path, {"100": "TS_1.mrc"}, {})
    assert allocator(root).assign((7,), what="tilt series") == (101, False)


def test_orphan_claimed_for_another_identity_is_kept_for_it(tmp_path: Path) -> None:
    root = tree_with(tmp_path, {"100": "TS_1.mrc"}, {f"{CONTAINER}/100": identity_text((8,))})
    ids = allocator(root)
    assert ids.assign((7,), what="first") == (101, False)
    assert ids.assign((8,), what="second") == (100, False)


def test_folder_with_metadata_is_never_an_orphan(tmp_path: Path) -> None:
    root = tree_with(tmp_path, {"100": "tiltseries_metadata.json"}, {f"{CONTAINER}/100": identity_text((8,))})
    existing = read_existing_tree(open_storage(str(root)))
    assert existing.claims == {}
    assert existing.claimed_orphans_under("10001/TS_1") == ()
