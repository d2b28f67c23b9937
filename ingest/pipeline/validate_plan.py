"""``ingest validate --input``: plan the config as the dry run does and report its refusal as a positioned finding.

The rules that need the input files (a finder that matches nothing, a literal file that does not exist, a regex
without the group a name is taken from, a template field missing from the run data map, a mesh_source_path that
does not exist, ...) live in one place, the planner; validation runs the same planning code
(:func:`ingest.pipeline.planning.plan_valid_config`) on an empty output tree (or the tree given with ``--output``) and
turns the error it raises into a finding at the line and column of the config path the error names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ingest.config.positioned_yaml import ConfigPath, PathPart, YamlDocument
from ingest.config.rules.located import finding_at
from ingest.domain.report import Finding, Severity
from ingest.errors import IngestError

PLAN_CODE = "E-PLAN"
_CONFIG_PATH = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|\[\d+\])(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*")
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_QUOTED = re.compile(r"'([^']+)'")


def planning_findings(
    document: YamlDocument,
    config_path: Path,
    input_root: str,
    output_url: str | None = None,
    storage_options: Mapping[str, str] | None = None,
    *,
    deep: bool = False,
) -> list[Finding]:
    """Plan the (schema-valid) config at ``config_path`` against ``input_root`` (a folder or a URL read with
    ``storage_options``); its refusal as one finding. With ``deep``, the planned runs' source files are then
    checked against each other (:mod:`ingest.pipeline.source_checks`: raw tilts vs mdoc, tilt range, frames, gains,
    pixel spacing)."""
    from ingest.config.load import load_config
    from ingest.pipeline.existing_tree import read_existing_tree
    from ingest.pipeline.planning import plan_valid_config
    from ingest.plan.existing import ExistingTree
    from ingest.storage.base import open_storage

    try:
        loaded = load_config(config_path)
        options = storage_options if storage_options else None
        output_options = options if output_url is not None and output_url.startswith(("s3://", "s3a://")) else None
        existing = (
            ExistingTree.empty() if output_url is None else read_existing_tree(open_storage(output_url, output_options))
        )
        plan = plan_valid_config(config_path, loaded.config, input_root, existing, storage_options=options)
        if not deep:
            return []
        from ingest.pipeline.source_checks import check_plan_sources

        by_run = check_plan_sources(plan, loaded.config, input_root, document, options)
    except IngestError as error:
        return [finding_from_error(document, error, str(config_path))]
    return [finding for findings in by_run.values() for finding in findings]


def finding_from_error(document: YamlDocument, error: IngestError, config_file: str) -> Finding:
    """A planning error as a finding: at the config path it names (in ``where`` after the config file, or at the
    start of ``what``), else at the file it names."""
    path = _config_path_of(error, config_file, document.data)
    if path is not None:
        located = finding_at(
            document, path, code=PLAN_CODE, message=error.what, expected=error.expected, found=error.found
        )
        if located.line is not None:
            return located
    return Finding(
        severity=Severity.ERROR,
        code=PLAN_CODE,
        message=error.what,
        file=error.where or config_file,
        expected=error.expected,
        found=error.found,
    )


def _config_path_of(error: IngestError, config_file: str, data: object) -> ConfigPath | None:
    where = error.where or ""
    quoted = _QUOTED.findall(f"{error.what} {error.found or ''}")  # "template 'float {x}' ...", "'{run}.rec' ..."
    after_file = re.sub(r"^:\d+:\d+", "", where[len(config_file) :]) if where.startswith(config_file) else ""
    for text in (after_file.strip(), error.what):
        match = _CONFIG_PATH.match(text)
        if match and ("[" in match.group(0) or "." in match.group(0)):
            path = parse_config_path(match.group(0))
            return _deepest_quoted(data, path, quoted) or path
    return _deepest_quoted(data, (), quoted)


def _deepest_quoted(data: object, path: ConfigPath, quoted: list[str]) -> ConfigPath | None:
    """The path of the first string under ``path`` that the error quotes (the glob that matched nothing)."""
    node = data
    for part in path:
        try:
            node = node[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    for text in quoted:
        found = _path_of_string(node, text, path)
        if found is not None:
            return found
    return None


def _path_of_string(node: object, text: str, path: ConfigPath) -> ConfigPath | None:
    """The config path of the first string value equal to ``text``."""
    if isinstance(node, str):
        return path if node == text else None
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = _path_of_string(value, text, (*path, key))
        if found is not None:
            return found
    return None


def parse_config_path(text: str) -> ConfigPath:
    """``annotations[0].sources[1].Point`` → ``("annotations", 0, "sources", 1, "Point")``."""
    parts: list[PathPart] = []
    for key, index in _PART.findall(text):
        parts.append(int(index) if index else key)
    return tuple(parts)
