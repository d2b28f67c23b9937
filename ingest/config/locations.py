"""Config paths as messages name them: ``config.yaml:12:5 tomograms[0].sources[1]`` (line and column from the
positioned YAML tree when it is known)."""

from __future__ import annotations

import re

import yaml

from ingest.config.positioned_yaml import PathPart, position_of

_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]")


def config_path_parts(path: str) -> list[PathPart]:
    """``tomograms[0].sources[1]`` → ``["tomograms", 0, "sources", 1]`` (for :func:`position_of`)."""
    return [int(index) if index else name for name, index in _PATH_PART.findall(path)]


def located(config_file: str, tree: yaml.Node | None, path: str) -> str:
    """``config_file:line:col path``, or ``config_file path`` when the position is unknown."""
    position = position_of(tree, config_path_parts(path))
    if position is None:
        return f"{config_file} {path}"
    return f"{config_file}:{position.line}:{position.column} {path}"
