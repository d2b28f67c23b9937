"""Moving converted outputs into place (renames on a local output, uploads elsewhere) and content fingerprints."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from ingest.storage.base import Storage, open_storage
from ingest.storage.keys import TEMPORARY_MARKER
from tests.test_storage_contract import write_tree, zarr_like_tree


@pytest.fixture(params=["file", "memory", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "file":
        yield open_storage(str(tmp_path / "root"))
    elif request.param == "memory":
        root = f"/moves-{uuid.uuid4().hex[:12]}"
        yield open_storage(f"memory://{root}")
        fsspec.filesystem("memory").rm(root, recursive=True)
    else:
        bucket = request.getfixturevalue("s3_bucket")
        yield open_storage(f"s3://{bucket}/root", {"endpoint_url": request.getfixturevalue("s3_endpoint")})


def test_moved_file_and_tree_are_published_and_consumed(storage: Storage) -> None:
    with storage.scratch() as scratch:
        (scratch / "v.mrc").write_bytes(b"new volume")
        tree = write_tree(scratch / "v.zarr", zarr_like_tree("new", 2))
        storage.publish_tree("a/v.zarr", write_tree(scratch / "old.zarr", zarr_like_tree("old", 3)))
        storage.move_file("a/v.mrc", scratch / "v.mrc")
        storage.move_tree("a/v.zarr", tree)
        assert not (scratch / "v.mrc").exists() and not tree.exists()
    assert storage.read_bytes("a/v.mrc") == b"new volume"
    expected = {f"a/v.zarr/{name}": content for name, content in zarr_like_tree("new", 2).items()}
    assert {key: storage.read_bytes(key) for key in storage.list_keys("a/v.zarr")} == expected


def test_content_fingerprint_follows_the_content(storage: Storage, tmp_path: Path) -> None:
    storage.publish_bytes("src/a.mrc", b"x" * 5000)
    first = storage.content_fingerprint("src/a.mrc")
    assert storage.content_fingerprint("src/a.mrc") == first
    storage.publish_bytes("src/a.mrc", b"y" * 5000)
    assert storage.content_fingerprint("src/a.mrc") != first


def test_local_scratch_lives_under_dot_ingest_and_moves_are_renames(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "root"))
    with storage.scratch() as scratch:
        assert scratch.parent == tmp_path / "root/.ingest/tmp" and TEMPORARY_MARKER in scratch.name
        (scratch / "v.mrc").write_bytes(b"volume")
        tree = write_tree(scratch / "v.zarr", zarr_like_tree("new", 1))
        inodes = ((scratch / "v.mrc").stat().st_ino, (tree / "0/0/0/0").stat().st_ino)
        storage.move_file("a/v.mrc", scratch / "v.mrc")
        storage.move_tree("a/v.zarr", tree)
    root = tmp_path / "root"
    assert ((root / "a/v.mrc").stat().st_ino, (root / "a/v.zarr/0/0/0/0").stat().st_ino) == inodes
    assert not list((root / ".ingest/tmp").iterdir())
    assert storage.list_keys() == ["a/v.mrc", *(f"a/v.zarr/{name}" for name in sorted(zarr_like_tree("new", 1)))]


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs a second filesystem (/dev/shm)")
def test_local_moves_across_filesystems_copy(tmp_path: Path) -> None:
    if Path("/dev/shm").stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("/dev/shm is on the same filesystem as the test folder")
    storage = open_storage(str(tmp_path / "root"))
    with tempfile.TemporaryDirectory(dir="/dev/shm") as elsewhere:
        (Path(elsewhere) / "v.mrc").write_bytes(b"volume")
        tree = write_tree(Path(elsewhere) / "v.zarr", zarr_like_tree("new", 1))
        storage.move_file("a/v.mrc", Path(elsewhere) / "v.mrc")
        storage.move_tree("a/v.zarr", tree)
        assert not (Path(elsewhere) / "v.mrc").exists() and not tree.exists()
    assert storage.read_bytes("a/v.mrc") == b"volume"
    assert len(storage.list_keys("a/v.zarr")) == len(zarr_like_tree("new", 1))


def test_a_killed_runs_scratch_is_discarded(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path / "root"))
    leftover = tmp_path / "root/.ingest/tmp" / f"{TEMPORARY_MARKER}dead-scratch"
    (leftover / "volume.zarr").mkdir(parents=True)
    assert storage.discard_temporaries() == [f".ingest/tmp/{leftover.name}"]
    assert not leftover.exists()


def test_an_unsampled_edit_keeping_size_and_mtime_changes_the_local_fingerprint(tmp_path: Path) -> None:
    storage = open_storage(str(tmp_path))
    source = tmp_path / "big.mrc"
    source.write_bytes(bytes(3 * 1024 * 1024))
    before, stat = storage.content_fingerprint("big.mrc"), source.stat()
    time.sleep(0.05)  # the edit comes a timestamp tick later, as any edit after an ingestion does
    with source.open("r+b") as stream:
        stream.seek(2 * 1024 * 1024 + 100 * 1024)  # between two sampled blocks
        stream.write(b"\x01")
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert storage.content_fingerprint("big.mrc") != before


def test_small_files_are_hashed_whole_large_ones_sampled_head_to_tail() -> None:
    from ingest.storage.local import SAMPLE_BLOCK, sample_offsets

    assert sample_offsets(0) == [0]
    assert sample_offsets(3 * SAMPLE_BLOCK) == [0, SAMPLE_BLOCK, 2 * SAMPLE_BLOCK]
    offsets = sample_offsets(100 * SAMPLE_BLOCK)
    assert len(offsets) == 16 and offsets[0] == 0 and offsets[-1] == 99 * SAMPLE_BLOCK
