"""Offline rules on source entries that ingestion would otherwise refuse later: regexes, pick formats, run maps.

- Every regular expression of a source (``match_regex``, ``name_regex``, ``exclude``, ``parent_filters``) compiles
  (E-REGEX), and a ``name_regex`` has the group the item's name is taken from (E-REGEX-GROUP).
- A point-like annotation shape names a ``file_format`` the picks-reader registry reads (E-FILE-FORMAT): the
  same registry the converters read with, so validate and ingestion agree on what is known.
- ``{mapped_tomo_name}``, ``{mapped_frame_name}`` and ``{mapped_ts_name}`` come from the per-run maps of
  ``standardization_config``; a template using one without its map declared renders nothing the portal could find
  (E-TEMPLATE-RUN-MAP).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import Any

from ingest.config.positioned_yaml import ConfigPath, YamlDocument
from ingest.config.rules.located import finding_at, show
from ingest.config.rules.sections import list_sections, sources_of
from ingest.domain.report import Finding

_FINDERS_WITH_REGEXES = ("source_glob", "destination_glob", "tomogram_header")
_PICK_SHAPES = ("Point", "OrientedPoint", "InstanceSegmentation")
RUN_MAPS = {
    "mapped_tomo_name": "run_to_tomo_map_csv",
    "mapped_frame_name": "run_to_frame_map_csv",
    "mapped_ts_name": "run_to_ts_map_csv",
}
_MAPPED_FIELD = re.compile(r"\{(" + "|".join(RUN_MAPS) + r")\}")


def source_rule_findings(document: YamlDocument) -> Iterator[Finding]:
    """Every finding of the rules above."""
    for section in list_sections(document.data):
        for path, source in sources_of(document.data, section):
            yield from _regex_findings(document, path, source)
            if section == "annotations":
                yield from _format_findings(document, path, source)
    yield from _run_map_findings(document)


def _regex_findings(document: YamlDocument, path: ConfigPath, source: dict[str, Any]) -> Iterator[Finding]:
    for finder in _FINDERS_WITH_REGEXES:
        options = source.get(finder)
        if not isinstance(options, dict):
            continue
        for key in ("match_regex", "name_regex"):
            value = options.get(key)
            if isinstance(value, str):
                compiled = yield from _compiled(document, (*path, finder, key), value)
                if compiled is not None and key == "name_regex" and compiled.groups < 1:
                    yield finding_at(
                        document,
                        (*path, finder, key),
                        code="E-REGEX-GROUP",
                        message="name_regex has no group: the item's name is its first group",
                        expected="a regular expression with a group, e.g. '(.*)\\.mrc'",
                        found=show(value),
                    )
    excludes = source.get("exclude")
    if isinstance(excludes, list):
        for index, value in enumerate(excludes):
            if isinstance(value, str):
                yield from _compiled(document, (*path, "exclude", index), value)
    filters = source.get("parent_filters")
    if isinstance(filters, dict):
        for mode, kinds in filters.items():
            if not isinstance(kinds, dict):
                continue
            for kind, values in kinds.items():
                for index, value in enumerate(values if isinstance(values, list) else []):
                    if isinstance(value, str):
                        yield from _compiled(document, (*path, "parent_filters", mode, kind, index), value)


def _compiled(
    document: YamlDocument, path: ConfigPath, pattern: str
) -> Generator[Finding, None, re.Pattern[str] | None]:
    """Yield a finding when ``pattern`` does not compile; return the compiled pattern otherwise."""
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        yield finding_at(
            document,
            path,
            code="E-REGEX",
            message=f"not a valid regular expression: {error}",
            expected="a Python regular expression",
            found=show(pattern),
        )
        return None


def _format_findings(document: YamlDocument, path: ConfigPath, source: dict[str, Any]) -> Iterator[Finding]:
    from ingest.converters.picks.registry import known_formats

    for shape in _PICK_SHAPES:
        options = source.get(shape)
        value = options.get("file_format") if isinstance(options, dict) else None
        if isinstance(value, str) and value not in known_formats():
            yield finding_at(
                document,
                (*path, shape, "file_format"),
                code="E-FILE-FORMAT",
                message=f"no reader for pick file format {value!r}",
                expected="one of " + ", ".join(known_formats()),
                found=show(value),
            )


def _run_map_findings(document: YamlDocument) -> Iterator[Finding]:
    config = document.data.get("standardization_config") if isinstance(document.data, dict) else None
    declared = {key for key in RUN_MAPS.values() if isinstance(config, dict) and config.get(key)}
    for path, text in _strings(document.data, ()):
        for field in _MAPPED_FIELD.findall(text):
            if RUN_MAPS[field] not in declared:
                yield finding_at(
                    document,
                    path,
                    code="E-TEMPLATE-RUN-MAP",
                    message=f"{{{field}}} is read from standardization_config.{RUN_MAPS[field]}, which is not declared",
                    expected=f"standardization_config.{RUN_MAPS[field]}: a CSV of run_name and {field}",
                    found=show(text),
                )


def _strings(node: Any, path: ConfigPath) -> Iterator[tuple[ConfigPath, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
