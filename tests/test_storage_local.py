"""Local storage specifics: an interrupted publication keeps the old tree and leaves nothing behind."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from ingest.errors import StorageError
from ingest.storage.base import TEMPORARY_MARKER, LocalStorage, open_storage
from tests.test_storage_contract import RecordingFilesystem, snapshot, write_tree, zarr_like_tree


def failing_on_metadata(paths: list[str]) -> None:
    if any(path.endswith(".zarray") for path in paths):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_failed_tree_publication_keeps_the_old_tree_and_no_leftovers(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "out"))
    assert isinstance(storage, LocalStorage)
    old = zarr_like_tree("old", 2)
    storage.publish_tree("run/vol.zarr", write_tree(tmp_path / "old", old))
    crashing = RecordingFilesystem(storage.fs, failing_on_metadata)
    broken = LocalStorage(crashing, storage.root, storage.url, storage.retry)
    with pytest.raises(StorageError, match=r"run/vol\.zarr: publishing the tree failed .*No space left"):
        broken.publish_tree("run/vol.zarr", write_tree(tmp_path / "new", zarr_like_tree("new", 2)))
    assert snapshot(storage, "run/vol.zarr") == {f"run/vol.zarr/{k}": v for k, v in old.items()}
    assert sorted(p.name for p in (tmp_path / "out" / "run").iterdir()) == ["vol.zarr"]


def test_leftovers_of_a_killed_process_are_hidden_and_discarded(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "out"))
    storage.publish_bytes("run/run_metadata.json", b"{}")
    leftover_file = tmp_path / "out" / "run" / f"{TEMPORARY_MARKER}abc-tomogram.mrc"
    leftover_tree = tmp_path / "out" / "run" / f"{TEMPORARY_MARKER}def-tomogram.zarr"
    leftover_file.write_bytes(b"partial")
    write_tree(leftover_tree, {"0/0/0/0": b"partial"})
    assert storage.list_keys() == ["run/run_metadata.json"]
    removed = storage.discard_temporaries()
    assert removed == [f"run/{leftover_file.name}", f"run/{leftover_tree.name}"]
    assert sorted(p.name for p in (tmp_path / "out" / "run").iterdir()) == ["run_metadata.json"]
