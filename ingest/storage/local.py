"""The local-folder storage: publication writes temporary siblings and renames them into place.

Converted volumes are produced in :meth:`LocalStorage.scratch`, a folder under ``{root}/.ingest/tmp/`` (outside
the canonical tree, on the same filesystem as the outputs), so :meth:`~LocalStorage.move_file` and
:meth:`~LocalStorage.move_tree` publish them by renaming instead of copying gigabytes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ingest.errors import StorageError
from ingest.storage.fsspec_backend import FsspecStorage, temporary_name, tree_files
from ingest.storage.keys import TEMPORARY_MARKER, check_key, check_prefix, publication_order
from ingest.storage.publication_steps import publication_step
from ingest.storage.special_files import refuse_special_file

SAMPLE_BLOCK = 64 * 1024
SAMPLE_BLOCKS = 16
"""A local content fingerprint hashes this many blocks of this size, spread evenly over the file."""

SCRATCH_FOLDER = ".ingest/tmp"


def _swap_in(staging: Path, final: Path, retired: Path) -> None:
    """Rename ``staging`` to ``final``; an older ``final`` goes aside to ``retired`` and comes back on failure."""
    had_old = final.exists()
    if had_old:
        final.replace(retired)
    try:
        staging.replace(final)
    except BaseException:
        if had_old:
            retired.replace(final)
        raise


class LocalStorage(FsspecStorage):
    """A folder on the local filesystem: publication writes temporary siblings and renames them into place.

    Named pipes, sockets and devices among the inputs are refused before they are opened (see
    :func:`refuse_special_file`), never read or waited on.
    """

    @contextlib.contextmanager
    def fetch(self, key: str) -> Iterator[Path]:
        """The file or folder ``key`` itself: local storage needs no copy."""
        check_key(key)
        local = Path(self._path(key))
        if not local.exists():
            raise StorageError("cannot fetch a missing file", where=self.url_of(key))
        refuse_special_file(local, self.url_of(key))
        yield local

    def read_bytes(self, key: str) -> bytes:
        """The whole content of the file ``key`` (a named pipe or device is refused, not opened)."""
        refuse_special_file(Path(self._path(check_key(key))), self.url_of(key))
        return super().read_bytes(key)

    @contextlib.contextmanager
    def open_input(self, key: str) -> Iterator[BinaryIO]:
        """A binary stream over the file ``key`` (a named pipe or device is refused, not opened)."""
        refuse_special_file(Path(self._path(check_key(key))), self.url_of(key))
        with super().open_input(key) as stream:
            yield stream

    def checksum(self, key: str) -> str:
        """The SHA-256 of the file ``key`` (a named pipe or device is refused, not opened)."""
        refuse_special_file(Path(self._path(check_key(key))), self.url_of(key))
        return super().checksum(key)

    def delete_tree(self, prefix: str) -> None:
        """Delete ``prefix`` and then its parent folders left empty, as object stores would show them."""
        super().delete_tree(prefix)
        root = Path(self.root)
        parent = Path(self._path(prefix)).parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def _stage(self, key: str, write: Callable[[str], None]) -> None:
        final = Path(self._path(key))
        staging = final.with_name(temporary_name(final.name))
        publication_step("publish", key)

        def publish() -> None:
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                write(staging.as_posix())
                staging.replace(final)
            finally:
                staging.unlink(missing_ok=True)

        self._call("publishing", key, publish)

    def publish_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` to a temporary sibling of ``key``, then rename it over ``key``."""
        check_key(key)
        self._stage(key, lambda staging: self.fs.pipe_file(staging, data))

    def publish_file(self, key: str, local_path: Path) -> None:
        """Copy ``local_path`` to a temporary sibling of ``key``, then rename it over ``key``."""
        check_key(key)
        self._stage(key, lambda staging: self.fs.put_file(str(local_path), staging))

    def publish_tree(self, prefix: str, local_dir: Path) -> None:
        """Build the tree in a temporary sibling folder (data, then metadata), then swap it into place.

        An older tree at ``prefix`` is renamed aside, the new one renamed in, and the old one deleted; if the
        second rename fails the old tree is put back. Readers see the old tree or the new one, never a mixture.
        """
        prefix = check_key(prefix.removesuffix("/"))
        data, metadata = publication_order(tree_files(local_dir))
        final = Path(self._path(prefix))
        staging = final.with_name(temporary_name(final.name))
        publication_step("publish tree", prefix)
        retired = final.with_name(temporary_name(final.name + "-old"))

        def publish() -> None:
            try:
                staging.mkdir(parents=True)
                for folder in sorted({(staging / p).parent for p in data + metadata}):
                    folder.mkdir(parents=True, exist_ok=True)
                if data:
                    self.fs.put([str(local_dir / p) for p in data], [f"{staging}/{p}" for p in data])
                for relative in metadata:
                    self.fs.put_file(str(local_dir / relative), f"{staging}/{relative}")
                _swap_in(staging, final, retired)
            finally:
                for leftover in (staging, retired):
                    shutil.rmtree(leftover, ignore_errors=True)

        self._call("publishing the tree", prefix, publish)

    def discard_temporaries(self, prefix: str = "") -> list[str]:
        """Remove temporary files and folders left by an interrupted publication under ``prefix``.

        Returns their keys. Only call this when no other process is publishing under ``prefix``.
        """
        base = Path(self._path(check_prefix(prefix)))
        leftovers = sorted(p for p in base.rglob(f"{TEMPORARY_MARKER}*") if TEMPORARY_MARKER not in str(p.parent))
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return [path.relative_to(self.root).as_posix() for path in leftovers]

    def content_fingerprint(self, key: str) -> str:
        """The file's size, modification and change times, inode, and a SHA-256 of 16 blocks of 64 KiB spread over
        it (head and tail included): about 1 MiB read, however big the file.

        Hashing whole sources cost as much as a fifth of their conversion; this does not. It is safe because every
        write through the file system updates the change time (``ctime``), which, unlike the modification time,
        no user tool can set back (``touch -d`` and ``cp -p`` included); a rewrite that keeps every one of these
        values would have to happen within one timestamp tick (milliseconds) of the previous write and after our
        reading. Copying or ``chmod``-ing sources changes ``ctime`` too: that re-ingests them (safe, not wrong).
        """
        check_key(key)
        path = Path(self._path(key))
        refuse_special_file(path, self.url_of(key))
        if path.is_dir():  # an OME-Zarr source: a manifest of its files' signatures
            return self._call("fingerprinting", key, lambda: local_tree_fingerprint(path))

        def sample() -> str:
            stat = path.stat()
            digest = hashlib.sha256()
            with path.open("rb") as stream:
                for offset in sample_offsets(stat.st_size):
                    stream.seek(offset)
                    digest.update(stream.read(SAMPLE_BLOCK))
            signature = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
            return "stat:" + ":".join(str(value) for value in signature) + ":" + digest.hexdigest()

        return self._call("fingerprinting", key, sample)

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A new folder under ``{root}/.ingest/tmp/`` (same filesystem as the outputs), deleted afterwards.

        Its name carries the temporary marker, so a killed process's scratch is discarded with the other
        leftovers by :meth:`discard_temporaries`.
        """
        folder = Path(self._path(SCRATCH_FOLDER)) / temporary_name("scratch")
        self._call("creating a scratch folder in", SCRATCH_FOLDER, lambda: folder.mkdir(parents=True))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def move_file(self, key: str, local_path: Path) -> None:
        """Rename ``local_path`` over ``key`` (atomic); across filesystems, copy it like :meth:`publish_file`."""
        check_key(key)
        final = Path(self._path(key))
        publication_step("move", key)

        def rename() -> bool:
            final.parent.mkdir(parents=True, exist_ok=True)
            return _renamed(local_path, final)

        if not self._call("publishing", key, rename):
            self.publish_file(key, local_path)
            local_path.unlink(missing_ok=True)

    def move_tree(self, prefix: str, local_dir: Path) -> None:
        """Rename the complete folder ``local_dir`` to ``prefix``, swapping out an older tree as
        :meth:`publish_tree` does; across filesystems, copy it like :meth:`publish_tree`."""
        prefix = check_key(prefix.removesuffix("/"))
        tree_files(local_dir)  # refuses anything but a folder
        final = Path(self._path(prefix))
        publication_step("move tree", prefix)
        retired = final.with_name(temporary_name(final.name + "-old"))

        def rename() -> bool:
            final.parent.mkdir(parents=True, exist_ok=True)
            had_old = final.exists()
            if had_old:
                final.replace(retired)
            try:
                moved = _renamed(local_dir, final)
            except BaseException:
                if had_old:
                    retired.replace(final)
                raise
            if had_old and not moved:
                retired.replace(final)
            shutil.rmtree(retired, ignore_errors=True)
            return moved

        if not self._call("publishing the tree", prefix, rename):
            self.publish_tree(prefix, local_dir)
            shutil.rmtree(local_dir, ignore_errors=True)


def _renamed(source: Path, destination: Path) -> bool:
    """Rename ``source`` to ``destination``; False when they are on different filesystems."""
    try:
        source.replace(destination)
    except OSError as error:
        if error.errno == errno.EXDEV:
            return False
        raise
    return True


def local_tree_fingerprint(folder: Path) -> str:
    """The fingerprint of a source folder (an OME-Zarr volume): a SHA-256 over the sorted relative names, sizes,
    modification and change times and inodes of every file below it (a manifest; no content is read, as for big
    files the change time already tells a rewrite)."""
    entries = []
    pending = [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    continue
                stat = entry.stat(follow_symlinks=False)
                name = Path(entry.path).relative_to(folder).as_posix()
                entries.append(f"{name}\0{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}")
    digest = hashlib.sha256("\n".join(sorted(entries)).encode())
    return f"tree:{len(entries)}:{digest.hexdigest()}"


def sample_offsets(size: int) -> list[int]:
    """Where the sampled blocks start: the whole file when small, else evenly from head to tail."""
    if size <= SAMPLE_BLOCK * SAMPLE_BLOCKS:
        return list(range(0, size, SAMPLE_BLOCK)) or [0]
    last = size - SAMPLE_BLOCK
    return [last * index // (SAMPLE_BLOCKS - 1) for index in range(SAMPLE_BLOCKS)]
