"""Findings placed at a config path: the path is resolved to ``file:line:column`` through the positioned tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest.config.positioned_yaml import PathPart, YamlDocument, format_config_path, position_of
from ingest.domain.report import Finding, Severity

_MAX_FOUND = 80


def finding_at(
    document: YamlDocument,
    path: Sequence[PathPart],
    *,
    code: str,
    message: str,
    severity: Severity = Severity.ERROR,
    expected: str | None = None,
    found: str | None = None,
) -> Finding:
    """A finding about the node at ``path`` (or the deepest existing node above it)."""
    position = position_of(document.tree, path)
    return Finding(
        severity=severity,
        code=code,
        message=message,
        file=document.file,
        line=None if position is None else position.line,
        column=None if position is None else position.column,
        path=format_config_path(path) or None,
        expected=expected,
        found=found,
    )


def show(value: Any) -> str:
    """A short printable form of a config value for ``found``."""
    text = repr(value)
    return text if len(text) <= _MAX_FOUND else text[: _MAX_FOUND - 3] + "..."
