"""Atomic local outputs: write under a temporary sibling name, rename into place when complete (the one
temp-file-and-rename helper for local files; storages publish through :mod:`ingest.storage`).

An interrupted conversion leaves only ``<name>.partial-<token>`` siblings (never something that looks like the
finished output); the next conversion to the same destination removes them and replaces the old output.
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from ingest.errors import StorageError, UsageError
from ingest.storage.keys import fitting_name

PARTIAL_MARK = ".partial-"


class StagedOutput:
    """One output file or folder being written at :attr:`temporary` until :meth:`publish` renames it."""

    def __init__(self, final: Path) -> None:
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        # Long names are shortened so that every sibling (``-pieces``, ``old-`` ones) fits the name limit.
        self._stem = fitting_name(final.name, len(PARTIAL_MARK) + len("old-") + 12 + len("-pieces"))
        for stale in final.parent.glob(f"{glob.escape(self._stem)}{PARTIAL_MARK}*"):
            _remove(stale)
        self.temporary = final.with_name(f"{self._stem}{PARTIAL_MARK}{uuid.uuid4().hex[:12]}")

    def publish(self) -> None:
        """Move the finished temporary output to its final name, replacing what was there."""
        if self.final.is_dir() and not self.final.is_symlink():
            retired = self.final.with_name(f"{self._stem}{PARTIAL_MARK}old-{uuid.uuid4().hex[:12]}")
            self.final.rename(retired)
            self.temporary.rename(self.final)
            _remove(retired)
        else:
            if self.temporary.is_dir() and (self.final.exists() or self.final.is_symlink()):
                self.final.unlink()  # a file or link where the folder goes: os.replace cannot swap kinds
            self.temporary.replace(self.final)

    def discard(self) -> None:
        """Remove the temporary output (after a failure)."""
        _remove(self.temporary)


def write_atomically(path: Path, data: bytes | str | Iterable[bytes]) -> None:
    """Write ``data`` (text as UTF-8, bytes, or chunks of bytes) to ``path`` through a :class:`StagedOutput`.

    An exception while chunks are produced removes the temporary file and leaves ``path`` as it was; a failing
    write is a :class:`~ingest.errors.StorageError` naming ``path``.
    """
    chunks = [data.encode("utf-8") if isinstance(data, str) else data] if isinstance(data, str | bytes) else data
    staged: StagedOutput | None = None
    try:
        staged = StagedOutput(path)
        with staged.temporary.open("wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
        staged.publish()
    except OSError as error:
        if staged is not None:
            staged.discard()
        raise StorageError("cannot write the output", where=str(path), found=str(error)) from None
    except BaseException:
        if staged is not None:
            staged.discard()
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def refuse_overwriting_sources(destinations: dict[str, Path], sources: dict[str, Path]) -> None:
    """Raise :class:`~ingest.errors.UsageError` when a destination is (or contains, or lies inside) a source.

    ``destinations`` and ``sources`` map a name for messages ("the MRC output", "the source") to the path.
    Paths are compared as the same file (hard links and symbolic links included) or by their resolved location;
    two destinations that are one file are refused too.
    """
    seen: dict[str, Path] = {}
    for name, destination in destinations.items():
        for other, path in [*sources.items(), *seen.items()]:
            if _overlaps(destination, path):
                raise UsageError(
                    f"{name} would overwrite {other}",
                    where=str(destination),
                    expected="a destination that is not an input or another output",
                    found=f"{destination} is {path}" if _same(destination, path) else f"{destination} overlaps {path}",
                )
        seen[name] = destination


def _same(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return os.path.realpath(one) == os.path.realpath(other)


def _overlaps(destination: Path, source: Path) -> bool:
    """The same file, or one of the two inside the other (a folder output replaces everything under it)."""
    if _same(destination, source):
        return True
    real_destination, real_source = Path(os.path.realpath(destination)), Path(os.path.realpath(source))
    return real_source.is_relative_to(real_destination) or real_destination.is_relative_to(real_source)
