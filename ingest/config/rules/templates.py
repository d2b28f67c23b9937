"""Template checks: every templated string is safe, and every field it names exists.

Templated strings are the ones the portal formats: everything under ``sources`` (except the regexes in
``match_regex``, ``name_regex``, ``exclude`` and ``parent_filters``, where braces are regex quantifiers) and the
metadata of ``tiltseries``, ``tomograms``, ``frames`` and ``alignments``. A field is known when it is one of the
names the ingestion provides (``run_name``, ``int_run_name``, ``voxel_spacing_name``, ``run_output_path``, ...) or a
column of the run data map. Typed templates (``float {col}``) are rendered for every run of the map and must give
numbers.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.config.input_paths import input_key, resolves_under
from ingest.config.positioned_yaml import ConfigPath, PathPart, YamlDocument
from ingest.config.rules.located import finding_at, show
from ingest.config.run_data_map import RunDataMap, parse_run_data_map
from ingest.config.templates import Cast, Template, TemplateError, TemplateProblem, cast_rendered, parse_template
from ingest.domain.report import Finding, Severity
from ingest.errors import InputFileError, PlanError

_ENTITY_KEYS = (
    "deposition",
    "dataset",
    "run",
    "voxel_spacing",
    "tomogram",
    "tiltseries",
    "annotation",
    "alignment",
    "frame",
    "gain",
    "ctf",
    "rawtilt",
    "collection_metadata",
    "key_image",
    "dataset_keyphoto",
    "deposition_keyphoto",
    "identified_object",
)
BUILTIN_FIELDS = frozenset(
    {f"{key}_{suffix}" for key in _ENTITY_KEYS for suffix in ("name", "path", "output_path")}
    | {f"int_{key}_name" for key in _ENTITY_KEYS}
    | {"output_path", "mapped_tomo_name", "mapped_frame_name", "mapped_ts_name"}
)
_NOT_TEMPLATED_KEYS = frozenset({"match_regex", "name_regex", "exclude", "parent_filters"})
_TEMPLATED_METADATA_SECTIONS = ("tiltseries", "tomograms", "frames", "alignments")
_MAX_MAP_BYTES = 16 * 1024 * 1024


def read_run_data_map_file(path: Path) -> RunDataMap:
    """Read the run data map at ``path`` with the one reader the planner uses too."""
    if path.stat().st_size > _MAX_MAP_BYTES:
        raise OSError(f"larger than {_MAX_MAP_BYTES} bytes")
    return parse_run_data_map(path.read_text(encoding="utf-8-sig"), source=str(path))


def locate_run_data_map(document: YamlDocument, input_root: Path) -> tuple[RunDataMap | None, list[Finding]]:
    """Find and read the map named by ``standardization_config.run_data_map_file``.

    It is looked for under ``{input_root}/{source_prefix}`` (where the portal reads it), then directly under
    ``input_root``. Not finding it is a warning: templates are then checked for syntax only.
    """
    settings = document.data.get("standardization_config") if isinstance(document.data, dict) else None
    if not isinstance(settings, dict):
        return None, []
    name = settings.get("run_data_map_file")
    if not isinstance(name, str) or not name:
        return None, []
    prefix = settings.get("source_prefix")
    prefix = prefix if isinstance(prefix, str) else ""
    here: ConfigPath = ("standardization_config", "run_data_map_file")
    try:
        if prefix.strip("/"):
            input_key("", prefix.strip("/"), where="")
    except PlanError:
        return None, []  # the source_prefix itself leads outside: reported at that key
    try:
        keys = [input_key(prefix.strip("/"), name, where="")]
    except PlanError as error:
        return None, [_outside_root(document, here, name, input_root, error)]
    with contextlib.suppress(PlanError):
        keys.append(input_key("", name, where=""))
    candidates = [input_root / key for key in dict.fromkeys(keys)]
    for index, candidate in enumerate(candidates):
        if not candidate.is_file():
            continue
        if not resolves_under(str(candidate), str(input_root)):
            return None, [_outside_root(document, here, name, input_root, None)]
        try:
            run_map = read_run_data_map_file(candidate)
        except InputFileError as error:
            problem = error.what + (f" ({error.found})" if error.found else "")
            return None, [
                _map_warning(
                    document, here, "run data map cannot be read; template columns not checked", str(candidate), problem
                )
            ]
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            return None, [
                _map_warning(
                    document,
                    here,
                    "run data map cannot be read; template columns not checked",
                    str(candidate),
                    str(error),
                )
            ]
        notes = []
        if index > 0:
            notes.append(
                finding_at(
                    document,
                    here,
                    code="N-RUN-MAP-OUTSIDE-PREFIX",
                    severity=Severity.NOTE,
                    message=f"run data map found at {candidate}, not under the source_prefix",
                    expected=str(candidates[0]),
                    found=str(candidate),
                )
            )
        return run_map, notes
    looked = " or ".join(str(c) for c in candidates)
    return None, [
        _map_warning(document, here, "run data map not found; template columns not checked", looked, "no such file")
    ]


def _outside_root(
    document: YamlDocument, here: ConfigPath, name: str, input_root: Path, error: PlanError | None
) -> Finding:
    """The finding for a run data map path leading outside the input root (nothing is read)."""
    return finding_at(
        document,
        here,
        code="E-INPUT-OUTSIDE-ROOT",
        message="the run data map path leads outside the input root; only files under it are read",
        expected=f"a relative path that stays under {input_root}",
        found=error.found if error is not None else f"{name!r} (a symbolic link leading outside)",
    )


def template_findings(document: YamlDocument, run_map: RunDataMap | None) -> list[Finding]:
    """Findings for every templated string of the config."""
    settings = document.data.get("standardization_config") if isinstance(document.data, dict) else None
    declared = isinstance(settings, dict) and bool(settings.get("run_data_map_file"))
    findings: list[Finding] = []
    for path, text in templated_strings(document.data):
        if "{" not in text and "}" not in text:
            continue
        try:
            template = parse_template(text)
        except TemplateError as error:
            unsafe = error.problem is TemplateProblem.UNSAFE
            findings.append(
                finding_at(
                    document,
                    path,
                    code="E-TEMPLATE-UNSAFE" if unsafe else "E-TEMPLATE-SYNTAX",
                    message=error.what,
                    expected=error.expected,
                    found=error.found,
                )
            )
            continue
        findings.extend(_field_findings(document, path, template, run_map, declared))
    return findings


def templated_strings(data: Any) -> Iterator[tuple[ConfigPath, str]]:
    """``(path, text)`` of every string the portal formats as a template."""
    if not isinstance(data, dict):
        return
    for section, entries in data.items():
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            yield from _strings((section, index, "sources"), entry.get("sources"))
            if section in _TEMPLATED_METADATA_SECTIONS:
                yield from _strings((section, index, "metadata"), entry.get("metadata"))


def _strings(path: ConfigPath, node: Any) -> Iterator[tuple[ConfigPath, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in _NOT_TEMPLATED_KEYS:
                yield from _strings((*path, key), value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings((*path, index), value)


def _field_findings(
    document: YamlDocument, path: tuple[PathPart, ...], template: Template, run_map: RunDataMap | None, declared: bool
) -> Iterator[Finding]:
    unknown = [field for field in template.fields if field not in BUILTIN_FIELDS]
    if run_map is None:
        if not declared:
            for field in unknown:
                yield finding_at(
                    document,
                    path,
                    code="E-TEMPLATE-COLUMN",
                    message=f"template field {{{field}}} is not a built-in field and no run data map is declared",
                    expected="a built-in field such as {run_name}, or standardization_config.run_data_map_file "
                    f"naming a map with a {field} column",
                    found=f"{{{field}}}",
                )
        return
    missing = [field for field in unknown if field not in run_map.columns]
    for field in missing:
        yield finding_at(
            document,
            path,
            code="E-TEMPLATE-COLUMN",
            message=f"template field {{{field}}} is not a column of the run data map {run_map.source}",
            expected=f"one of the columns: {', '.join(run_map.columns)}",
            found=f"{{{field}}}",
        )
    if template.cast is not Cast.STR and not missing and not any(f in BUILTIN_FIELDS for f in template.fields):
        yield from _cast_findings(document, path, template, run_map)


def _cast_findings(
    document: YamlDocument, path: tuple[PathPart, ...], template: Template, run_map: RunDataMap
) -> Iterator[Finding]:
    for row in run_map.rows.values():
        rendered = "".join(piece if i % 2 == 0 else row.get(piece, "") for i, piece in enumerate(template.pieces))
        run = row.get("run_name", "?")
        if rendered.strip() == "":
            # The portal only expands templates for runs it ingests; a run without a value may have nothing to
            # ingest here (10014 leaves such cells empty for runs without a tomogram).
            yield finding_at(
                document,
                path,
                code="W-TEMPLATE-EMPTY",
                severity=Severity.WARNING,
                message=f"template {template.text!r} renders an empty value for run {run!r}; "
                "ingesting that run will fail if it uses this value",
                expected=f"{'an' if template.cast is Cast.INT else 'a'} {template.cast.value}",
                found="''",
            )
            continue
        try:
            cast_rendered(rendered, template.cast, template=template.text)
        except TemplateError as error:
            yield finding_at(
                document,
                path,
                code="E-TEMPLATE-CAST",
                message=f"{error.what} for run {run!r}",
                expected=error.expected,
                found=show(rendered),
            )
            return


def _map_warning(document: YamlDocument, path: ConfigPath, message: str, looked: str, problem: str) -> Finding:
    return finding_at(
        document,
        path,
        code="W-RUN-MAP-MISSING",
        severity=Severity.WARNING,
        message=message,
        expected=f"a readable CSV/TSV file at {looked}",
        found=problem,
    )
