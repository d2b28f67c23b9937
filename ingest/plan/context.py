"""Shared state of one planning pass: inputs, scopes (template values and parent names), finder evaluation,
metadata rendering and the record of which finders matched something (a finder that never matches is an error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel

from ingest.config.input_paths import KeyGuard, OpenGuard
from ingest.config.locations import located
from ingest.config.run_data_map import RunDataMap, RunMaps
from ingest.config.template_cache import render_value
from ingest.config.templates import TemplateError
from ingest.domain.layout import Layout
from ingest.domain.tasks import Metadata
from ingest.errors import IngestError, PlanError
from ingest.plan.existing import ExistingTree
from ingest.plan.glob_vars import MAPPED_NAMES
from ingest.plan.sources import (
    FinderInputs,
    FinderResult,
    Found,
    GlobAttempt,
    HeaderReader,
    Listing,
    NameOf,
    NoHeaders,
    Origin,
    drop_excluded,
    find_by_glob,
    find_by_globs,
    find_by_header,
    find_by_multi_glob,
    find_literals,
    metadata_matches,
    nothing_matched,
    parents_allowed,
)

T = TypeVar("T")
Candidates = Sequence[tuple[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class PlanInputs:
    """What planning reads about the input: its listing (under ``{input}/{source_prefix}``), the run data map and
    older run maps, MRC headers on request, the guard that refuses listed keys leading outside the input root
    (symbolic links), and the config file's name and positioned YAML tree for messages (``file:line:col``)."""

    listing: Listing
    run_data: RunDataMap = field(default_factory=RunDataMap)
    headers: HeaderReader = field(default_factory=NoHeaders)
    config_file: str = "config"
    run_maps: RunMaps = field(default_factory=RunMaps)
    guard: KeyGuard = field(default_factory=OpenGuard)
    config_tree: yaml.Node | None = None


@dataclass(frozen=True)
class Scope:
    """Template values and parent names (for ``parent_filters``) at one level of the hierarchy."""

    values: Mapping[str, str]
    parents: Mapping[str, str]

    def within(self, kind: str, name: str, **values: str) -> Scope:
        """The scope one level down: ``kind`` named ``name``, with more template values."""
        return Scope({**self.values, **values}, {**self.parents, kind: name})


@dataclass
class _Usage:
    evaluated: int = 0
    matched: int = 0
    attempts: tuple[GlobAttempt, ...] = ()


@dataclass
class PlanContext:
    """The state of one planning pass (mutable only in its bookkeeping of finder usage and warnings)."""

    inputs: PlanInputs
    existing: ExistingTree
    layout: Layout
    deposition_id: int
    warnings: list[str] = field(default_factory=list)
    allocated: dict[str, str] = field(default_factory=dict)
    """Numbered folders handed out so far (folder -> identity text), for the runs' manifest claims."""
    _usage: dict[str, _Usage] = field(default_factory=dict)
    _dumped: dict[str, tuple[dict[str, Any], bool]] = field(default_factory=dict)
    _rendered: dict[tuple[str, tuple[tuple[str, Any], ...]], dict[str, Any]] = field(default_factory=dict)
    _frozen: dict[int, Metadata] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict)
    _where: dict[str, str] = field(default_factory=dict)

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per planning pass under ``name`` (for what depends on the config alone)."""
        if name not in self._memo:
            self._memo[name] = compute()
        value: T = self._memo[name]
        return value

    @property
    def finder_inputs(self) -> FinderInputs:
        """The listings and header reader finders read."""
        return FinderInputs(self.inputs.listing, self.existing.listing, self.inputs.headers)

    def where(self, path: str) -> str:
        """A location for messages: ``config.yaml:12:5 tomograms[0].sources[1]`` (the line and column when the
        positioned config tree is known)."""
        where = self._where.get(path)
        if where is None:
            where = self._where[path] = located(self.inputs.config_file, self.inputs.config_tree, path)
        return where

    def find(
        self,
        source: BaseModel,
        scope: Scope,
        path: str,
        *,
        candidates: Candidates | None = None,
    ) -> tuple[Found, ...]:
        """Evaluate the one finder of ``source`` in ``scope`` (nothing when its ``parent_filters`` exclude the
        scope); ``candidates`` are the existing metadata files (key, content) for a ``destination_filter``.
        The finder is required: if it never matches in any scope, :meth:`check_every_finder_matched` fails."""
        items, attempts = self._find(source, scope, path, candidates)
        usage = self._usage.setdefault(path, _Usage())
        usage.evaluated += attempts is not None
        usage.matched += bool(items)
        usage.attempts = usage.attempts or attempts or ()
        return items

    def count_found(self, source: BaseModel, scope: Scope, path: str) -> int:
        """How many items the finder of ``source`` finds in ``scope``, for sections that are not ingested yet and
        to tell which entry applies to a scope (never required; a ``destination_filter`` counts as nothing)."""
        if getattr(source, "destination_filter", None) is not None:
            return 0
        items, _ = self._find(source, scope, path, None)
        return sum(max(len(item.keys), 1) for item in items)

    def find_files(
        self, source: BaseModel, globs: Sequence[str], scope: Scope, path: str, names: NameOf = NameOf.BASE_NAME
    ) -> tuple[str, ...]:
        """The input keys matching any of ``globs`` (an annotation source's ``glob_string(s)``), honouring the
        source's ``parent_filters`` and ``exclude`` (matched per file against its base name for one
        ``glob_string``, its full path for ``glob_strings``: ``names``); required like :meth:`find`."""
        evaluate = self._files_evaluator(source, globs, scope, names)
        items, attempts = self._find(source, scope, path, None, evaluate=evaluate)
        usage = self._usage.setdefault(path, _Usage())
        usage.evaluated += attempts is not None
        usage.matched += bool(items)
        usage.attempts = usage.attempts or attempts or ()
        return items[0].keys if items else ()

    def count_files(
        self, source: BaseModel, globs: Sequence[str], scope: Scope, path: str, names: NameOf = NameOf.BASE_NAME
    ) -> int:
        """How many input keys match ``globs`` in ``scope`` (for shapes that are not ingested yet)."""
        items, _ = self._find(source, scope, path, None, evaluate=self._files_evaluator(source, globs, scope, names))
        return len(items[0].keys) if items else 0

    def _files_evaluator(
        self, source: BaseModel, globs: Sequence[str], scope: Scope, names: NameOf
    ) -> Callable[[], FinderResult]:
        listing, exclude = self.inputs.listing, getattr(source, "exclude", None)
        return lambda: find_by_globs(globs, scope.values, listing, exclude=exclude, names=names)

    def entry_metadata(self, path: str, model: BaseModel | None, scope: Scope, **computed: Any) -> dict[str, Any]:
        """The config metadata of the entry at ``path``, rendered in ``scope``, with ``computed`` fields set.

        The model is dumped once per entry, and rendered once when it holds no template (then shared: callers
        must not modify the returned dict)."""
        if path not in self._dumped:
            dumped = config_metadata(model)
            self._dumped[path] = (dumped, has_templates(dumped))
        dumped, templated = self._dumped[path]
        if templated:
            return {**render_metadata(dumped, scope.values), **computed}
        cache_key = (path, tuple(sorted(computed.items())))
        if cache_key not in self._rendered:
            self._rendered[cache_key] = {**dumped, **computed}
        return self._rendered[cache_key]

    def entry_frozen(self, path: str, model: BaseModel | None, scope: Scope, **computed: Any) -> Metadata:
        """:meth:`entry_metadata` frozen; shared between scopes when the entry holds no template."""
        metadata = self.entry_metadata(path, model, scope, **computed)
        if self._dumped[path][1]:
            return Metadata.of(metadata)
        cached = self._frozen.get(id(metadata))
        if cached is None:
            cached = self._frozen[id(metadata)] = Metadata.of(metadata)
        return cached

    def _find(
        self,
        source: BaseModel,
        scope: Scope,
        path: str,
        candidates: Candidates | None,
        *,
        evaluate: Callable[[], FinderResult] | None = None,
    ) -> tuple[tuple[Found, ...], tuple[GlobAttempt, ...] | None]:
        if not parents_allowed(getattr(source, "parent_filters", None), scope.parents):
            return (), None
        try:
            result = evaluate() if evaluate is not None else self._evaluate(source, scope, path, candidates)
            result = drop_excluded(result, getattr(source, "exclude", None))
        except TemplateError as error:
            raise self._template_error(error, scope, path) from None
        except PlanError as error:
            if error.where is not None:
                raise
            raise PlanError(error.what, where=self.where(path), expected=error.expected, found=error.found) from None
        self._refuse_links_outside(result, path)
        return result.items, result.attempts

    def _refuse_links_outside(self, result: FinderResult, path: str) -> None:
        """Refuse found sources that are symbolic links leading outside the input root, and zarr folders holding
        such links (a folder read as a whole); storages without links are not checked."""
        listing, guard = self.inputs.listing, self.inputs.guard
        if isinstance(guard, OpenGuard):
            return
        for item in result.items:
            for key in item.keys if item.origin is Origin.SOURCE else ():
                inside = listing.files_under(key) if key.endswith(".zarr") and listing.is_folder(key) else ()
                if any(guard.escapes(k) for k in (key, *inside)):
                    raise PlanError(
                        "a found file is a symbolic link leading outside the input root; it is not read",
                        where=self.where(path),
                        expected="files under the input root",
                        found=repr(key),
                    )

    def _template_error(self, error: TemplateError, scope: Scope, path: str) -> IngestError:
        """``error`` located at ``path``; a run-map variable missing for the run names the map and the run."""
        setting = MAPPED_NAMES.get(error.found or "")
        run = scope.parents.get("run")
        run_map = self.inputs.run_maps.maps.get(error.found or "")
        if setting is not None and run is not None:
            where = run_map.source if run_map is not None else self.where("standardization_config")
            problem = f"has no row in {setting}" if run_map is not None else f"is not given: no {setting} is set"
            return PlanError(
                f"{{{error.found}}} of run {run!r} {problem}",
                where=f"{where} (used by {self.where(path)})",
                expected=f"a row '{run},<name>' in the run map" if run_map is not None else f"a {setting}",
                found="no such row" if run_map is not None else "none",
            )
        return PlanError(error.what, where=self.where(path), expected=error.expected, found=error.found)

    def _evaluate(self, source: BaseModel, scope: Scope, path: str, candidates: Candidates | None) -> FinderResult:
        inputs = self.finder_inputs
        finder: Any
        if (finder := getattr(source, "literal", None)) is not None:
            values = finder.value if isinstance(finder.value, list) else [finder.value]
            return find_literals(values, scope.values)
        if (finder := getattr(source, "source_glob", None)) is not None:
            return find_by_glob(finder, scope.values, inputs.listing, Origin.SOURCE)
        if (finder := getattr(source, "source_multi_glob", None)) is not None:
            return find_by_multi_glob(finder, scope.values, inputs.listing, getattr(source, "exclude", None))
        if (finder := getattr(source, "destination_glob", None)) is not None:
            return find_by_glob(finder, scope.values, inputs.output, Origin.DESTINATION)
        if (finder := getattr(source, "tomogram_header", None)) is not None:
            return find_by_header(finder, scope.values, inputs)
        if (finder := getattr(source, "destination_filter", None)) is not None:
            if candidates is None:
                raise PlanError(
                    "destination_filter is not supported for this section", where=self.where(path), expected="a glob"
                )
            return FinderResult(
                tuple(
                    Found(key.rsplit("/", 2)[-2], (key,), Origin.DESTINATION)
                    for key, metadata in candidates
                    if metadata_matches(metadata, finder.filters)
                )
            )
        raise PlanError("a source has no finder", where=self.where(path), expected="exactly one finder")

    def check_every_finder_matched(self) -> None:
        """Raise for the first finder that was evaluated but never matched anything."""
        for path, usage in self._usage.items():
            if usage.evaluated and not usage.matched:
                raise nothing_matched(path, self.inputs.config_file, usage.attempts)


class _WithSources(Protocol):
    @property
    def sources(self) -> Sequence[Any]: ...


Entry = TypeVar("Entry", bound=_WithSources)


def entry_sources(section: str, entries: Sequence[Entry] | None) -> Iterator[tuple[int, Entry, str, Any]]:
    """Each source of a config section's entries, in order, with its entry's index, the entry and the source's
    config path (``tomograms[0].sources[1]``)."""
    for index, entry in enumerate(entries or ()):
        for number, source in enumerate(entry.sources):
            yield index, entry, f"{section}[{index}].sources[{number}]", source


def config_metadata(model: BaseModel | None) -> dict[str, Any]:
    """A config metadata model as JSON-able data (dates as ``YYYY-MM-DD``, no nulls)."""
    if model is None:
        return {}
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def has_templates(value: Any) -> bool:
    """Whether any string inside ``value`` holds a ``{field}``."""
    if isinstance(value, str):
        return "{" in value
    if isinstance(value, dict):
        return any(has_templates(v) for v in value.values())
    if isinstance(value, list):
        return any(has_templates(v) for v in value)
    return False


def render_metadata(value: Any, values: Mapping[str, str]) -> Any:
    """Render every template string inside ``value``; ``float {x}`` and ``int {x}`` become numbers."""
    if isinstance(value, str):
        return render_value(value, values) if "{" in value else value
    if isinstance(value, dict):
        return {key: render_metadata(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [render_metadata(item, values) for item in value]
    return value
