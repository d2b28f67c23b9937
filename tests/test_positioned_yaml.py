"""Positioned YAML: every config path maps back to the line that wrote it; scalars read like the portal's loader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from configs_under_test import MINIMAL
from hypothesis import given
from hypothesis import strategies as st

from ingest.config.positioned_yaml import (
    PathPart,
    YamlReadError,
    format_config_path,
    parse_yaml_text,
    plain_data,
    position_of,
    read_yaml,
)

DOCUMENT = read_yaml(MINIMAL)
LINES = MINIMAL.read_text().splitlines()


def key_paths(node: Any, path: tuple[PathPart, ...] = ()) -> Iterator[tuple[PathPart, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from key_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from key_paths(value, (*path, index))


ALL_PATHS = list(key_paths(DOCUMENT.data))


@given(st.sampled_from(ALL_PATHS))
def test_every_key_path_points_at_its_key(path: tuple[PathPart, ...]) -> None:
    position = position_of(DOCUMENT.tree, path)
    assert position is not None
    assert LINES[position.line - 1][position.column - 1 :].startswith(f"{path[-1]}:")


def test_list_items_point_at_the_item() -> None:
    position = position_of(DOCUMENT.tree, ("depositions", 0, "sources", 0, "literal", "value", 0))
    assert position is not None
    assert LINES[position.line - 1].strip() == "- 90001"


def test_missing_path_stops_at_the_deepest_existing_node() -> None:
    deep = position_of(DOCUMENT.tree, ("frames", 0, "metadata", "no_such_key"))
    metadata = position_of(DOCUMENT.tree, ("frames", 0, "metadata"))
    assert deep == metadata


def test_config_path_format() -> None:
    assert format_config_path(("annotations", 3, "metadata", "dates")) == "annotations[3].metadata.dates"
    assert format_config_path(()) == ""


def test_scalars_follow_the_portal_loader() -> None:
    tree = parse_yaml_text("a: yes\nb: 2024-01-02\nc: '7'\nd: 1e3\ne: ~\n", "t.yaml")
    assert plain_data(tree, "t.yaml") == {
        "a": True,
        "b": __import__("datetime").date(2024, 1, 2),
        "c": "7",
        "d": "1e3",
        "e": None,
    }


def test_alias_values_are_shared_but_positions_stay_at_the_anchor() -> None:
    tree = parse_yaml_text("a: &x\n  k: 1\nb: *x\n", "t.yaml")
    assert plain_data(tree, "t.yaml") == {"a": {"k": 1}, "b": {"k": 1}}
    position = position_of(tree, ("b", "k"))
    assert position is not None and position.line == 2


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!custom", "!!binary"])
def test_non_core_tags_are_refused_with_their_line(tag: str, tmp_path: Path) -> None:
    path = tmp_path / "tagged.yaml"
    path.write_text(f"a: 1\nb:\n- {tag} x\n")
    with pytest.raises(YamlReadError) as caught:
        read_yaml(path)
    assert caught.value.code == "E-YAML-TAG"
    assert caught.value.position is not None and caught.value.position.line == 3
