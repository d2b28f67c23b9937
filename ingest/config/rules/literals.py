"""Checks of the files a config names literally (dataset and deposition key photos).

A literal path must be a URL or ``bucket/key`` that stays inside its bucket (never absolute, never climbing out
with ``..``): anything else is an error without reading anything. With ``--bucket-root DIR`` (a local copy of
the buckets), ``bucket/key`` must exist as ``DIR/bucket/key``; URLs are not fetched by ``validate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.config.input_paths import LiteralKind, input_key, literal_source, resolves_under
from ingest.config.positioned_yaml import ConfigPath, YamlDocument
from ingest.config.rules.located import finding_at
from ingest.domain.report import Finding
from ingest.errors import PlanError

LITERAL_SECTIONS = ("dataset_keyphotos", "deposition_keyphotos")


def literal_paths(data: Any) -> Iterator[tuple[ConfigPath, str]]:
    """``(config path, value)`` of every literal file path of the key photo sections."""
    if not isinstance(data, dict):
        return
    for section in LITERAL_SECTIONS:
        entries = data.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            sources = entry.get("sources") if isinstance(entry, dict) else None
            for number, source in enumerate(sources if isinstance(sources, list) else ()):
                literal = source.get("literal") if isinstance(source, dict) else None
                value = literal.get("value") if isinstance(literal, dict) else None
                if not isinstance(value, dict):
                    continue
                for kind, path in value.items():
                    if isinstance(path, str) and path and "{" not in path:
                        yield (section, index, "sources", number, "literal", "value", kind), path


def _source_prefix_findings(document: YamlDocument) -> list[Finding]:
    settings = document.data.get("standardization_config") if isinstance(document.data, dict) else None
    prefix = settings.get("source_prefix") if isinstance(settings, dict) else None
    if not isinstance(prefix, str) or not prefix.strip("/"):
        return []
    try:
        input_key("", prefix.strip("/"), where="")
    except PlanError as error:
        return [
            finding_at(
                document,
                ("standardization_config", "source_prefix"),
                code="E-INPUT-OUTSIDE-ROOT",
                message="the source_prefix leads outside the input root; only files under it are read",
                expected="a folder under the input root",
                found=error.found,
            )
        ]
    return []


def literal_findings(document: YamlDocument, bucket_root: Path | None) -> list[Finding]:
    """Findings for a ``source_prefix`` leading outside the input root, and for literal file paths that lead
    outside their bucket or (with a bucket root) do not exist."""
    findings = _source_prefix_findings(document)
    for path, value in literal_paths(document.data):
        try:
            source = literal_source(value, where="")
        except PlanError as error:
            findings.append(
                finding_at(
                    document,
                    path,
                    code="E-INPUT-OUTSIDE-ROOT",
                    message=error.what,
                    expected=error.expected,
                    found=error.found,
                )
            )
            continue
        if bucket_root is None or source.kind is LiteralKind.URL:
            continue
        file = bucket_root / source.value
        if not file.is_file() or not resolves_under(str(file), str(bucket_root)):
            findings.append(
                finding_at(
                    document,
                    path,
                    code="E-LITERAL-MISSING",
                    message="the file a literal names does not exist under the bucket root",
                    expected=f"a file {file}",
                    found="no such file" if not file.exists() else "a folder or a link leading outside",
                )
            )
    return findings
