"""The storage contract: every backend (file://, memory://, s3:// on a real moto server) behaves the same."""

from __future__ import annotations

import hashlib
import pickle
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import StorageError
from ingest.storage.base import Storage, open_storage
from ingest.storage.fsspec_backend import FsspecStorage

BACKENDS = ["file", "memory", "s3"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def root_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty storage root on ``backend``."""
    if backend == "file":
        yield str(tmp_path / "root")
    elif backend == "memory":
        root = f"/contract-{uuid.uuid4().hex[:12]}"
        yield f"memory://{root}"
        memory = fsspec.filesystem("memory")
        if memory.exists(root):
            memory.rm(root, recursive=True)
    else:
        bucket = request.getfixturevalue("s3_bucket")
        yield f"s3://{bucket}/root"


@pytest.fixture
def options(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if backend != "s3":
        return {}
    return {"endpoint_url": request.getfixturevalue("s3_endpoint")}


@pytest.fixture
def storage(root_url: str, options: dict[str, str]) -> Storage:
    return open_storage(root_url, options)


def write_tree(folder: Path, files: dict[str, bytes]) -> Path:
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def zarr_like_tree(version: str, levels: int) -> dict[str, bytes]:
    """A multiscale-shaped tree whose every file content names its version and path."""
    names = [".zattrs", ".zgroup"]
    for level in range(levels):
        names += [f"{level}/.zarray", f"{level}/.zattrs", f"{level}/0/0/0", f"{level}/0/0/1"]
    return {name: f"{version}:{name}".encode() for name in names}


class RecordingFilesystem:
    """Wraps an fsspec filesystem and calls ``before_write(paths)`` before each write it forwards."""

    def __init__(self, inner: Any, before_write: Callable[[list[str]], None]) -> None:
        self.inner = inner
        self.before_write = before_write

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put(self, lpaths: list[str], rpaths: list[str], **kwargs: Any) -> Any:
        self.before_write(list(rpaths))
        return self.inner.put(lpaths, rpaths, **kwargs)

    def put_file(self, lpath: str, rpath: str, **kwargs: Any) -> Any:
        self.before_write([rpath])
        return self.inner.put_file(lpath, rpath, **kwargs)

    def pipe_file(self, path: str, value: bytes, **kwargs: Any) -> Any:
        self.before_write([path])
        return self.inner.pipe_file(path, value, **kwargs)


def recording(storage: Storage, before_write: Callable[[list[str]], None]) -> FsspecStorage:
    assert isinstance(storage, FsspecStorage)
    wrapped = RecordingFilesystem(storage.fs, before_write)
    return type(storage)(wrapped, storage.root, storage.url, storage.retry)


def snapshot(storage: Storage, prefix: str) -> dict[str, bytes]:
    return {key: storage.read_bytes(key) for key in storage.list_keys(prefix)}


def test_bytes_round_trip_with_size_and_checksum(storage: Storage) -> None:
    data = bytes(range(256)) * 1000
    storage.publish_bytes("a/b/c.bin", data)
    assert storage.exists("a/b/c.bin")
    assert storage.exists("a/b")
    assert storage.read_bytes("a/b/c.bin") == data
    assert storage.size("a/b/c.bin") == len(data)
    assert storage.checksum("a/b/c.bin") == hashlib.sha256(data).hexdigest()
    with storage.open_input("a/b/c.bin") as stream:
        assert stream.read(3) == bytes([0, 1, 2])


SEGMENT = st.text(alphabet="abcXYZ019_-.", min_size=1, max_size=8).filter(lambda s: s not in {".", ".."})
KEYS = st.lists(SEGMENT, min_size=1, max_size=4).map("/".join)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=KEYS, data=st.binary(max_size=64))
def test_any_safe_key_round_trips(storage: Storage, key: str, data: bytes) -> None:
    storage.publish_bytes(key, data)
    assert storage.read_bytes(key) == data
    assert key in storage.list_keys()
    storage.delete_tree(key)
    assert not storage.exists(key)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(SEGMENT, max_size=2), after=st.lists(SEGMENT, max_size=2))
def test_any_dot_dot_segment_is_refused(storage: Storage, before: list[str], after: list[str]) -> None:
    with pytest.raises(StorageError, match="refusing key"):
        storage.publish_bytes("/".join([*before, "..", *after]), b"x")


def test_storage_pickles_for_workers(storage: Storage) -> None:
    storage.publish_bytes("a/b.json", b"{}")
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.url == storage.url
    assert copy.read_bytes("a/b.json") == b"{}"


def test_publish_replaces_existing_file(storage: Storage, tmp_path: Path) -> None:
    storage.publish_bytes("x.json", b"old")
    source = tmp_path / "new.json"
    source.write_bytes(b"new content")
    storage.publish_file("x.json", source)
    assert storage.read_bytes("x.json") == b"new content"
    assert storage.list_keys() == ["x.json"]


def test_missing_key_is_absent_and_reading_it_names_the_url(storage: Storage) -> None:
    assert not storage.exists("nothing/here")
    with pytest.raises(StorageError, match="nothing/here"):
        storage.read_bytes("nothing/here")


def test_list_keys_is_recursive_sorted_and_prefix_is_a_folder(storage: Storage) -> None:
    for key in ["b/2", "a/x/1", "ab/3", "a/0", "c"]:
        storage.publish_bytes(key, key.encode())
    assert storage.list_keys() == ["a/0", "a/x/1", "ab/3", "b/2", "c"]
    assert storage.list_keys("a") == ["a/0", "a/x/1"]
    assert storage.list_keys("a/") == ["a/0", "a/x/1"]
    assert storage.list_keys("missing") == []


def test_empty_root_lists_nothing(storage: Storage) -> None:
    assert storage.list_keys() == []


def test_delete_tree_removes_only_that_folder(storage: Storage) -> None:
    for key in ["run1/a", "run1/sub/b", "run10/c"]:
        storage.publish_bytes(key, b"1")
    storage.delete_tree("run1")
    storage.delete_tree("never-existed")
    assert storage.list_keys() == ["run10/c"]
    storage.delete_tree("run10/c")
    assert not storage.exists("run10")
    storage.publish_bytes("run10", b"a file where a folder was")
    assert storage.list_keys() == ["run10"]


def test_fetch_gives_local_file_and_folder(storage: Storage, tmp_path: Path) -> None:
    storage.publish_bytes("data/volume.mrc", b"MRC!")
    storage.publish_tree("data/volume.zarr", write_tree(tmp_path / "z", zarr_like_tree("v1", 1)))
    with storage.fetch("data/volume.mrc") as path:
        assert path.read_bytes() == b"MRC!"
    with storage.fetch("data/volume.zarr") as folder:
        fetched = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert fetched == set(zarr_like_tree("v1", 1))
        assert (folder / "0/0/0/1").read_bytes() == b"v1:0/0/0/1"


def test_publish_tree_writes_data_before_metadata_root_last(storage: Storage, tmp_path: Path) -> None:
    batches: list[list[str]] = []
    recorder = recording(storage, batches.append)
    tree = zarr_like_tree("v1", 2)
    recorder.publish_tree("t/vol.zarr", write_tree(tmp_path / "src", tree))

    names = [[path.split("vol.zarr/", 1)[1] for path in batch] for batch in batches]
    kinds = [{name.rsplit("/", 1)[-1].startswith(".z") for name in batch} for batch in names]
    first_metadata = next(i for i, kind in enumerate(kinds) if True in kind)
    assert all(kind == {False} for kind in kinds[:first_metadata])
    assert all(kind == {True} for kind in kinds[first_metadata:])
    metadata_order = [name for batch in names[first_metadata:] for name in batch]
    assert metadata_order[-2:] == [".zattrs", ".zgroup"]
    assert sorted(name for batch in names for name in batch) == sorted(tree)
    assert snapshot(storage, "t/vol.zarr") == {f"t/vol.zarr/{k}": v for k, v in tree.items()}


def test_replacing_a_tree_never_shows_metadata_without_its_data(storage: Storage, backend: str, tmp_path: Path) -> None:
    old, new = zarr_like_tree("old", 2), zarr_like_tree("new", 1)
    storage.publish_tree("t/vol.zarr", write_tree(tmp_path / "old", old))
    trees = {"old": old, "new": new}
    seen: list[dict[str, bytes]] = []

    def check_visible_tree(_: list[str]) -> None:
        visible = {k.removeprefix("t/vol.zarr/"): v for k, v in snapshot(storage, "t/vol.zarr").items()}
        seen.append(visible)
        for name, content in visible.items():
            if name.rsplit("/", 1)[-1] in {".zarray", ".zattrs", ".zgroup"}:
                version = trees[content.decode().split(":")[0]]
                folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
                needed = {k for k in version if k.startswith(folder) and not k.rsplit("/", 1)[-1].startswith(".")}
                assert needed <= set(visible), f"{name} visible without its data"
        if backend == "file":
            assert visible == old, "a local reader saw a partly replaced tree"

    recording(storage, check_visible_tree).publish_tree("t/vol.zarr", write_tree(tmp_path / "new", new))
    assert len(seen) >= 2
    assert snapshot(storage, "t/vol.zarr") == {f"t/vol.zarr/{k}": v for k, v in new.items()}


def test_publication_leaves_no_temporary_names(storage: Storage, tmp_path: Path) -> None:
    storage.publish_bytes("a.json", b"{}")
    storage.publish_tree("b.zarr", write_tree(tmp_path / "b", zarr_like_tree("v", 1)))
    storage.publish_tree("b.zarr", write_tree(tmp_path / "c", zarr_like_tree("w", 1)))
    assert storage.discard_temporaries() == []
    assert all(".ingest-tmp-" not in key for key in storage.list_keys())


@pytest.mark.parametrize("key", ["../escape", "/", "/etc/passwd", "a/../../b", "a//b", "./a", "a\\b", "C:/x"])
def test_keys_escaping_the_root_are_refused(storage: Storage, key: str, tmp_path: Path) -> None:
    for attempt in [
        lambda: storage.publish_bytes(key, b"x"),
        lambda: storage.publish_tree(key, tmp_path),
        lambda: storage.read_bytes(key),
        lambda: storage.exists(key),
        lambda: storage.delete_tree(key),
        lambda: storage.list_keys(key),
    ]:
        with pytest.raises(StorageError, match="refusing key"):
            attempt()
    assert storage.list_keys() == []


def test_root_itself_cannot_be_deleted_or_replaced(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="empty"):
        storage.delete_tree("")
    with pytest.raises(StorageError, match="empty"):
        storage.publish_tree("", tmp_path)


@pytest.fixture
def unwritable_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A root that cannot be written: under a regular file (file, memory) or in a missing bucket (s3)."""
    if backend == "file":
        (tmp_path / "plain-file").write_bytes(b"")
        return str(tmp_path / "plain-file" / "out")
    if backend == "memory":
        blocker = f"/blocker-{uuid.uuid4().hex[:12]}"
        fsspec.filesystem("memory").pipe_file(blocker, b"")
        return f"memory:/{blocker}/out"
    request.getfixturevalue("s3_bucket")
    return f"s3://missing-bucket-{uuid.uuid4().hex[:12]}/out"


def test_unwritable_output_is_a_storage_error_naming_it(unwritable_url: str, options: dict[str, str]) -> None:
    storage = open_storage(unwritable_url, options)
    with pytest.raises(StorageError) as raised:
        storage.check_writable()
    assert raised.value.message.startswith(f"{unwritable_url}: the storage is not writable")
    with pytest.raises(StorageError):
        storage.publish_bytes("run/run_metadata.json", b"{}")
