"""Walking the top-level list sections of a config's plain data (``datasets``, ``annotations``, ...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingest.config.positioned_yaml import ConfigPath

SOURCE_FILTER_KEYS = frozenset({"parent_filters", "exclude"})


def entries(data: Any, section: str) -> Iterator[tuple[ConfigPath, dict[str, Any]]]:
    """``(path, entry)`` for each mapping entry of a top-level list section."""
    items = data.get(section) if isinstance(data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (section, index), item


def metadata_of(data: Any, section: str) -> Iterator[tuple[ConfigPath, dict[str, Any]]]:
    """``(path, metadata)`` for each entry of a section that has a metadata mapping."""
    for path, entry in entries(data, section):
        metadata = entry.get("metadata")
        if isinstance(metadata, dict):
            yield (*path, "metadata"), metadata


def sources_of(data: Any, section: str) -> Iterator[tuple[ConfigPath, dict[str, Any]]]:
    """``(path, source)`` for each mapping in the ``sources`` list of each entry of a section."""
    for path, entry in entries(data, section):
        sources = entry.get("sources")
        if isinstance(sources, list):
            for index, source in enumerate(sources):
                if isinstance(source, dict):
                    yield (*path, "sources", index), source


def list_sections(data: Any) -> list[str]:
    """Names of the top-level keys whose value is a list (the entity sections)."""
    return [key for key, value in data.items() if isinstance(value, list)] if isinstance(data, dict) else []
