"""Where the config's paths may lead: every input is read under the input root (or, for ``bucket/key`` literals,
under the bucket root), never outside it.

A path written in a config (``run_data_map_file``, ``run_to_tomo_map_csv``, a literal key photo) is resolved here
before anything is opened: absolute paths, ``~``, URLs of other schemes and ``..`` segments that climb above the
root are refused with an error naming the config path, and on a local disk a symbolic link that leads outside the
root is refused too (:class:`LocalRootGuard`). Errors name paths only; nothing read from a file is ever echoed.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ingest.errors import PlanError

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
URL_PREFIXES = ("http://", "https://")


def outside_root_error(name: str, where: str, root: str) -> PlanError:
    """The error for a config path that would read outside ``root``."""
    return PlanError(
        "the path leads outside the input root; only files under it are read",
        where=where,
        expected=f"a relative path that stays under {root}",
        found=repr(name),
    )


def input_key(prefix: str, name: str, *, where: str, root: str = "the input root") -> str:
    """The storage key of ``name``, a path relative to ``{input}/{prefix}`` written in the config at ``where``.

    ``..`` may climb above the prefix but never above the input root; absolute paths, ``~`` and URLs are refused.
    """
    if not name or "\x00" in name or name.startswith(("/", "~", "\\")) or _SCHEME.match(name):
        raise outside_root_error(name, where, root)
    joined = posixpath.normpath(posixpath.join(prefix.strip("/"), name.replace("\\", "/")))
    if joined in {".", ".."} or joined.startswith("../") or joined.startswith("/"):
        raise outside_root_error(name, where, root)
    return joined


class KeyGuard(Protocol):
    """Says whether a listed key may be read (a local symbolic link may lead outside the input root)."""

    def escapes(self, key: str) -> bool:
        """Whether reading ``key`` (relative to the listed folder) would read outside the allowed root."""
        ...


class OpenGuard:
    """A :class:`KeyGuard` for storages without symbolic links (S3, memory): every listed key stays inside."""

    def escapes(self, key: str) -> bool:
        return False


@dataclass(frozen=True)
class LocalRootGuard:
    """A :class:`KeyGuard` for a local folder ``base`` (the listed folder) inside the allowed folder ``root``:
    a key escapes when its real path (symbolic links resolved) is not under the real path of ``root``."""

    base: str
    root: str

    def escapes(self, key: str) -> bool:
        return not resolves_under(f"{self.base.rstrip('/')}/{key}", self.root)


def resolves_under(path: str, root: str) -> bool:
    """Whether the real path of ``path`` (symbolic links resolved) is ``root``'s real path or below it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


class LiteralKind(StrEnum):
    """How a literal file path of the config (a key photo, ...) is read."""

    URL = "url"
    BUCKET_KEY = "bucket-key"


@dataclass(frozen=True)
class LiteralSource:
    """A literal path as the portal reads it: an ``http(s)://`` URL (downloaded), or ``bucket/key`` (read from that
    bucket: ``s3://bucket/key`` with an S3 input, ``{bucket_root}/bucket/key`` with a local input)."""

    kind: LiteralKind
    value: str

    @property
    def bucket(self) -> str:
        """The bucket of a ``bucket/key`` literal."""
        return self.value.split("/", 1)[0]

    @property
    def key(self) -> str:
        """The key inside the bucket of a ``bucket/key`` literal."""
        return self.value.split("/", 1)[1] if "/" in self.value else ""


def literal_source(value: str, *, where: str) -> LiteralSource:
    """Classify a literal path of the config; ``s3://bucket/key`` is taken as ``bucket/key``. A path that could
    lead anywhere but into a bucket (absolute, ``..``, another scheme) is refused naming ``where``."""
    if value.startswith(URL_PREFIXES):
        return LiteralSource(LiteralKind.URL, value)
    text = value.removeprefix("s3://")
    normal = input_key("", text, where=where, root="the bucket root")
    if "/" not in normal:
        raise PlanError(
            "a literal path is not of the form bucket/key",
            where=where,
            expected="bucket/key (read from that bucket), or an http(s):// URL",
            found=repr(value),
        )
    return LiteralSource(LiteralKind.BUCKET_KEY, normal)
