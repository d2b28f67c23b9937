"""One listing of an input or output root, indexed by folder for fast glob matching.

Globs are fnmatch-style per path segment (``*``, ``?``, ``[...]`` never cross ``/``), ``**`` spans any number of
segments, and both files and the folders implied by their keys can match (a run may be named after a folder; an
OME-Zarr source is a folder).
"""

from __future__ import annotations

import fnmatch
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice, takewhile
from typing import Any

_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True, eq=False)
class Listing:
    """Every key under one root (a folder or storage prefix), indexed by folder for fast glob matching.

    ``root`` describes where the keys were listed (for messages); keys are ``/``-separated and relative to it.
    """

    root: str
    files: frozenset[str]
    children: dict[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def of(cls, keys: Iterable[str], *, root: str = "") -> Listing:
        """The listing of ``keys`` (relative to ``root``); folders are implied by the keys."""
        files = frozenset(key.strip("/") for key in keys if key.strip("/"))
        children: dict[str, set[str]] = {}
        for key in files:
            parent, _, name = key.rpartition("/")
            children.setdefault(parent, set()).add(name)
            while parent:
                grandparent, _, folder = parent.rpartition("/")
                siblings = children.setdefault(grandparent, set())
                if folder in siblings:
                    break
                siblings.add(folder)
                parent = grandparent
        return cls(root=root, files=files, children={k: tuple(sorted(v)) for k, v in children.items()})

    def __len__(self) -> int:
        return len(self.files)

    def search_path(self, key: str) -> str:
        """``key`` as the portal's finders see it when they search a ``match_regex``: the full path of the file,
        without a URL scheme (``bucket/prefix/run/file.mrc`` on S3, ``/data/in/prefix/run/file.mrc`` locally)."""
        root = self._search_root
        return f"{root}/{key}" if root else key

    @property
    def _search_root(self) -> str:
        return (self.root.split("://", 1)[1] if "://" in self.root else self.root).rstrip("/")

    def is_folder(self, key: str) -> bool:
        """Whether ``key`` is a folder implied by the listed keys (the root ``""`` is one)."""
        return key in self.children

    def exists(self, key: str) -> bool:
        """Whether ``key`` is a listed file or an implied folder (a trailing ``/`` is ignored)."""
        key = key.rstrip("/")
        return key in self.files or key in self.children

    def is_file(self, key: str) -> bool:
        """Whether ``key`` names a listed file."""
        return key in self.files

    def files_under(self, folder: str) -> tuple[str, ...]:
        """Every file below ``folder`` (recursively), sorted."""
        found: list[str] = []
        pending = [folder.strip("/")]
        while pending:  # walks only that folder's part of the index, not every key of the listing
            current = pending.pop()
            for name in self.children.get(current, ()):
                key = f"{current}/{name}" if current else name
                if key in self.files:
                    found.append(key)
                if key in self.children:
                    pending.append(key)
        return tuple(sorted(found))

    def glob(self, pattern: str) -> tuple[str, ...]:
        """The keys (files and folders) matching ``pattern``, sorted; an empty pattern matches nothing."""
        parts = [part for part in pattern.strip("/").split("/") if part not in {"", "."}]
        if not parts:
            return ()
        found: set[str] = set()
        self._walk("", parts, 0, found)
        return tuple(sorted(found))

    def _walk(self, folder: str, parts: Sequence[str], index: int, found: set[str]) -> None:
        if index == len(parts):
            if folder:
                found.add(folder)
            return
        part = parts[index]
        if part == "**":
            self._walk(folder, parts, index + 1, found)
            for name in self.children.get(folder, ()):
                child = f"{folder}/{name}" if folder else name
                if child in self.children:
                    self._walk(child, parts, index, found)
        elif magic := _MAGIC.search(part):
            matcher = _segment_matcher(part)
            for name in _starting_with(self.children.get(folder, ()), part[: magic.start()]):
                if matcher(name):
                    self._walk(f"{folder}/{name}" if folder else name, parts, index + 1, found)
        else:
            child = f"{folder}/{part}" if folder else part
            if child in self.files or child in self.children:
                self._walk(child, parts, index + 1, found)


def _starting_with(names: tuple[str, ...], prefix: str) -> Iterator[str]:
    """The sorted ``names`` that start with ``prefix``: a contiguous run found by bisection, so that a pattern such
    as ``{run_name}_*.tif`` does not test every file of a folder holding the frames of all runs."""
    start = bisect_left(names, prefix) if prefix else 0
    return takewhile(lambda name: name.startswith(prefix), islice(names, start, None))


def base_name(key: str) -> str:
    """The last segment of a ``/``-separated key."""
    return key.rsplit("/", 1)[-1]


@lru_cache(maxsize=4096)
def _segment_matcher(segment: str) -> Any:
    return re.compile(fnmatch.translate(segment)).match
