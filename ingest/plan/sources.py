"""The finders that pick source files out of one listing of the input, with the portal's semantics.

The input under ``{input}/{source_prefix}`` is listed once (:class:`~ingest.domain.listing.Listing`); every glob of the
config is then matched against that listing, never by listing the storage again, so planning is pure and fast.
Finders (docs/design.md §3) read as the portal's ``common/finders.py`` reads them: ``match_regex`` searched in the
full path, the name from group 1 of ``name_regex``, ``exclude`` matched against the name, ``parent_filters``
searched in the parents' names. What is required, and what a name means, is decided by the planner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from ingest.config.template_cache import render_text, render_value
from ingest.domain.listing import Listing as Listing
from ingest.domain.listing import base_name as base_name
from ingest.errors import PlanError
from ingest.models.ingestion_config import (
    DestinationFilter,
    DestinationGlobFinder,
    ParentFilters,
    SourceGlobFinder,
    SourceMultiGlobFinder,
    TomogramHeaderFinder,
)


@lru_cache(maxsize=4096)
def compile_regex(pattern: str, *, where: str = "config") -> re.Pattern[str]:
    """``pattern`` compiled (cached); an invalid regular expression is a :class:`PlanError` naming it."""
    try:
        return re.compile(pattern)
    except re.error as error:
        raise PlanError(
            f"invalid regular expression {pattern!r}: {error}", where=where, expected="a Python regular expression"
        ) from None


class HeaderReader(Protocol):
    """Reads one header field of a source MRC volume (the only source content planning needs)."""

    def voxel_spacing(self, key: str, header_key: str) -> float:
        """The voxel size in Å stored in ``header_key`` of the MRC header of ``key``."""
        ...


class NoHeaders:
    """A :class:`HeaderReader` for plans that must not read anything: any request is an error."""

    def voxel_spacing(self, key: str, header_key: str) -> float:
        raise PlanError(
            "a tomogram_header finder needs to read MRC headers, but no header reader was given",
            where=key,
            expected="a literal voxel spacing, or planning with access to the input files",
        )


class Origin(StrEnum):
    """Where a found item comes from."""

    SOURCE = "source"
    DESTINATION = "destination"
    LITERAL = "literal"


@dataclass(frozen=True)
class Found:
    """One item a finder found: its name and the keys it stands for (several for a multi-glob)."""

    name: str
    keys: tuple[str, ...]
    origin: Origin

    @property
    def key(self) -> str:
        """The single key of the item (the first, for a multi-glob)."""
        return self.keys[0]


@dataclass(frozen=True)
class GlobAttempt:
    """A glob as written in the config, as expanded for one parent, and the listing it was matched against."""

    template: str
    expanded: str
    listed: str


@dataclass(frozen=True)
class FinderResult:
    """What one finder found for one parent, and the globs it tried (for a clear "matched nothing" message).

    ``excluded`` is set when the finder has already applied the source's ``exclude`` per file (multi-globs)."""

    items: tuple[Found, ...]
    attempts: tuple[GlobAttempt, ...] = ()
    excluded: bool = False


class NameOf(StrEnum):
    """What the portal names each file a multi-file finder finds (what ``exclude`` is matched against)."""

    BASE_NAME = "base-name"
    """A single glob (an annotation's ``glob_string``): the file's base name."""
    FULL_PATH = "full-path"
    """Several globs (``source_multi_glob``, ``glob_strings``): the file's full path."""


@dataclass(frozen=True)
class FinderInputs:
    """Everything finders read: the input listing, the output listing, and MRC headers on request."""

    listing: Listing
    output: Listing
    headers: HeaderReader


def name_from(path: str, name_regex: str | None) -> str | None:
    """The item name of ``path`` as the portal takes it: the first group of ``name_regex`` matched at the start of
    the base name (default ``(.*)``, the whole base name); None when the regex does not match the base name.

    A ``name_regex`` without a group is a :class:`PlanError` (the portal's finders take group 1 and fail).
    """
    base = base_name(path)
    pattern = compile_regex(name_regex or "(.*)")
    if not pattern.groups:
        raise PlanError(
            f"name_regex {pattern.pattern!r} has no group to take the name from",
            expected="a regular expression with a group, e.g. '(.*)\\.mrc'",
            found=f"no group in {pattern.pattern!r}",
        )
    match = pattern.match(base)
    if match is None:
        return None
    return match.group(1) or ""


def find_by_glob(
    finder: SourceGlobFinder | DestinationGlobFinder | TomogramHeaderFinder,
    context: Mapping[str, str],
    listing: Listing,
    origin: Origin,
) -> FinderResult:
    """Items whose keys match the rendered ``list_glob``, as the portal's glob finders find them: ``match_regex``
    is searched in the full path of each match (:meth:`Listing.search_path`), the name is the first group of
    ``name_regex`` matched at the start of the base name, and one name stands for one item (the last path found
    under that name wins, as in the portal's name-to-path mapping). A ``name_regex`` that does not match the base
    name of a file ``match_regex`` accepted is a :class:`PlanError` (the portal fails there too)."""
    expanded = render_text(finder.list_glob, context)
    match_regex = compile_regex(finder.match_regex or ".*")
    matches_all = match_regex.pattern in {".*", ""}
    name_regex = None if isinstance(finder, TomogramHeaderFinder) else finder.name_regex
    named: dict[str, str] = {}
    for key in listing.glob(expanded):
        if not matches_all and not match_regex.search(listing.search_path(key)):
            continue
        if name_regex is None and isinstance(finder, TomogramHeaderFinder):
            named[key] = key
            continue
        name = name_from(key, name_regex)
        if name is None:
            raise PlanError(
                f"name_regex {name_regex or '(.*)'!r} does not match the file name {base_name(key)!r}",
                expected="a name_regex matching the start of the base name of every file match_regex accepts",
                found=f"{key!r} found by {finder.list_glob!r}",
            )
        named[name] = key
    items = tuple(Found(name, (key,), origin) for name, key in named.items())
    return FinderResult(items, (GlobAttempt(finder.list_glob, expanded, listing.root),))


def find_by_multi_glob(
    finder: SourceMultiGlobFinder, context: Mapping[str, str], listing: Listing, exclude: Sequence[str] | None = None
) -> FinderResult:
    """One item holding every key matched by any of the globs (named after the first key); ``exclude`` drops each
    file whose full path it matches, as the portal names a multi-glob's files by their paths."""
    return find_by_globs(finder.list_globs, context, listing, exclude=exclude, names=NameOf.FULL_PATH)


def find_by_globs(
    globs: Sequence[str],
    context: Mapping[str, str],
    listing: Listing,
    *,
    exclude: Sequence[str] | None = None,
    names: NameOf = NameOf.FULL_PATH,
) -> FinderResult:
    """One item holding every key matched by any of ``globs`` (named after the first key), or nothing; ``exclude``
    regexes are ``re.match``ed per file against its name as the portal gives it (``names``)."""
    attempts = []
    keys: list[str] = []
    patterns = [compile_regex(pattern) for pattern in exclude or ()]
    for template in globs:
        expanded = render_text(template, context)
        attempts.append(GlobAttempt(template, expanded, listing.root))
        for key in listing.glob(expanded):
            name = base_name(key) if names is NameOf.BASE_NAME else listing.search_path(key)
            if key not in keys and not any(pattern.match(name) for pattern in patterns):
                keys.append(key)
    if not keys:
        return FinderResult((), tuple(attempts), excluded=True)
    return FinderResult((Found(base_name(keys[0]), tuple(keys), Origin.SOURCE),), tuple(attempts), excluded=True)


def find_literals(values: Sequence[object], context: Mapping[str, str]) -> FinderResult:
    """One item per literal value; text values are templates (``float {col}`` casts)."""
    items = []
    for value in values:
        rendered = render_value(value, context) if isinstance(value, str) else value
        items.append(Found(str(rendered), (), Origin.LITERAL))
    return FinderResult(tuple(items))


def find_by_header(finder: TomogramHeaderFinder, context: Mapping[str, str], inputs: FinderInputs) -> FinderResult:
    """One item per matched volume, named after the voxel size in its MRC header."""
    matched = find_by_glob(finder, context, inputs.listing, Origin.SOURCE)
    items = tuple(
        Found(str(inputs.headers.voxel_spacing(item.key, finder.header_key or "voxel_size")), item.keys, Origin.SOURCE)
        for item in matched.items
    )
    return FinderResult(items, matched.attempts)


def drop_excluded(result: FinderResult, exclude: Sequence[str] | None) -> FinderResult:
    """``result`` without the items whose name an ``exclude`` regular expression matches at its start
    (``re.match`` against the found name, as the portal applies ``exclude``; not searched in the path)."""
    if not exclude or result.excluded:
        return result
    patterns = [compile_regex(pattern) for pattern in exclude]
    kept = tuple(item for item in result.items if not any(p.match(str(item.name)) for p in patterns))
    return FinderResult(kept, result.attempts)


def parents_allowed(filters: ParentFilters | None, parents: Mapping[str, str]) -> bool:
    """Whether the parents (``{"deposition": "10300", "dataset": "10001", "run": "TS_1", "voxel_spacing":
    "13.480"}``) pass ``parent_filters`` as the portal applies them: for each kind named under ``include`` one regex
    must be found in (``re.search``) that parent's name, and no regex named under ``exclude`` may be found in it.
    Kinds that are not among the parents of the entity do not filter."""
    if filters is None:
        return True
    if filters.include is not None:
        for kind, patterns in filters.include.model_dump(exclude_none=True).items():
            if kind in parents and not any(compile_regex(p).search(parents[kind]) for p in patterns):
                return False
    if filters.exclude is not None:
        for kind, patterns in filters.exclude.model_dump(exclude_none=True).items():
            if kind in parents and any(compile_regex(p).search(parents[kind]) for p in patterns):
                return False
    return True


def metadata_matches(metadata: Mapping[str, Any], filters: Sequence[DestinationFilter]) -> bool:
    """Whether every ``destination_filter`` holds: the value at the filter's key path equals its value."""
    for condition in filters:
        value: Any = metadata
        for part in condition.key:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value != condition.value:
            return False
    return True


def nothing_matched(what: str, where: str, attempts: Sequence[GlobAttempt]) -> PlanError:
    """The error for a required finder that matched nothing: names each template, its expansion and the folder."""
    tried = "; ".join(f"{a.template!r} expanded to {a.expanded!r} in {a.listed}" for a in attempts)
    return PlanError(
        f"{what} matched nothing",
        where=where,
        expected="at least one matching file or folder",
        found=tried or "no glob to match",
    )
