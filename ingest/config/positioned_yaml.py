"""Safe YAML reading that remembers where every node came from.

The file is composed once into a YAML node graph (libyaml's composer through PyYAML when available, which keeps the
line and column of every node and is an order of magnitude faster than a round-trip loader) and converted once into
plain Python data for validation, with the same scalar rules as the portal's own loader (PyYAML ``safe_load``).
Reading is defensive: files over a size limit are refused before parsing, no Python objects are ever constructed
(any tag outside YAML's core schema is refused), and aliases are limited so that a "billion laughs" document cannot
expand into an enormous tree. Writing a config back with its comments (``ingest migrate``) uses ruamel.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import ConfigError

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathPart = str | int
ConfigPath = tuple[PathPart, ...]

_CORE_TAG_PREFIX = "tag:yaml.org,2002:"
_CORE_TAGS = frozenset(
    _CORE_TAG_PREFIX + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
)
_MERGE_TAG = _CORE_TAG_PREFIX + "merge"


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on what a config file may cost to read."""

    max_bytes: int = 4 * 1024 * 1024
    max_alias_uses: int = 100_000
    max_nodes: int = 1_000_000


DEFAULT_LIMITS = YamlLimits()


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    column: int


class YamlReadError(ConfigError):
    """The file cannot be read as a safe YAML document; ``code`` names the reason (``E-YAML-SYNTAX``, ...)."""

    exit_code = 2

    def __init__(
        self,
        what: str,
        *,
        code: str,
        file: str,
        position: Position | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.code = code
        self.file = file
        self.position = position
        where = file if position is None else f"{file}:{position.line}:{position.column}"
        super().__init__(what, where=where, expected=expected, found=found)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: the positioned node graph and the same content as plain Python data."""

    file: str
    tree: yaml.Node | None
    data: Any


def read_yaml(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> YamlDocument:
    """Read ``path`` safely, keeping positions; raise :class:`YamlReadError` when it cannot be read."""
    tree = read_yaml_tree(path, limits)
    return YamlDocument(file=str(path), tree=tree, data=plain_data(tree, str(path), limits))


def read_yaml_tree(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> yaml.Node | None:
    """The positioned node graph of ``path`` (size checked before parsing; None for an empty file)."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise YamlReadError(
                "config file is too large to read",
                code="E-FILE-TOO-LARGE",
                file=file,
                expected=f"at most {limits.max_bytes} bytes",
                found=f"{size} bytes",
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlReadError(
            "config file cannot be read", code="E-FILE-UNREADABLE", file=file, found=_reason(error)
        ) from None
    return parse_yaml_text(text, file)


def plain_data(tree: yaml.Node | None, file: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """``tree`` as plain dicts, lists and scalars; refuses non-core tags and alias bombs."""
    converter = _PlainConverter(file, tree, limits)
    try:
        converter.check_expansion()
        return converter.convert(tree)
    except RecursionError:
        raise YamlReadError(
            "the document is nested too deeply", code="E-YAML-DEPTH", file=file, expected="a config-shaped document"
        ) from None


def parse_yaml_text(text: str, file: str) -> yaml.Node | None:
    """Compose YAML text into a node graph (positions kept); syntax errors name their line."""
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = None if mark is None else Position(mark.line + 1, mark.column + 1)
        problem = error.problem or error.context or "invalid YAML"
        raise YamlReadError(f"not valid YAML: {problem}", code="E-YAML-SYNTAX", file=file, position=position) from None
    except yaml.YAMLError as error:
        raise YamlReadError(f"not valid YAML: {error}", code="E-YAML-SYNTAX", file=file) from None
    finally:
        loader.dispose()


def position_of(tree: yaml.Node | None, path: Sequence[PathPart]) -> Position | None:
    """Where ``path`` is written: the key of a mapping entry or the start of a list item.

    When the path leaves the tree (a missing key), the position of the deepest node that exists is returned.
    """
    if tree is None:
        return None
    node: yaml.Node = tree
    found = _mark_position(tree)
    for part in path:
        step = _step(node, part)
        if step is None:
            break
        found, node = step
    return found


def _step(node: yaml.Node, part: PathPart) -> tuple[Position, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in reversed(_flattened(node)):
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return _mark_position(key), value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item = node.value[part]
        return _mark_position(item), item
    return None


def _flattened(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """Mapping pairs with ``<<`` merge keys expanded (explicit keys listed last, so they win)."""
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    explicit: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if key.tag == _MERGE_TAG:
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    merged.extend(_flattened(source))
        else:
            explicit.append((key, value))
    return merged + explicit


def _mark_position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def format_config_path(path: Sequence[PathPart]) -> str:
    """``("annotations", 3, "metadata")`` → ``annotations[3].metadata``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "a directory"
    if isinstance(error, UnicodeDecodeError):
        return "bytes that are not UTF-8 text"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return type(error).__name__


class _PlainConverter:
    """Convert a node graph into plain dicts, lists and scalars, enforcing tag and alias limits."""

    def __init__(self, file: str, root: yaml.Node | None, limits: YamlLimits) -> None:
        self.file = file
        self.root = root
        self.limits = limits
        self.nodes = 0
        self.alias_uses = 0
        self.seen: set[int] = set()
        self.scalars = _Loader("")

    def check_expansion(self) -> None:
        """Refuse a document whose aliases would expand it beyond the limits, without expanding it."""
        sizes: dict[int, int] = {}
        total = 1
        pairs = self.root.value if isinstance(self.root, yaml.MappingNode) else []
        for key, value in pairs:
            total += self._expanded_size(key, sizes) + self._expanded_size(value, sizes)
            if total > self.limits.max_nodes or self.alias_uses > self.limits.max_alias_uses:
                raise self._alias_error("the document expands to too many nodes through aliases", (str(key.value),))
        self.alias_uses = 0

    def _expanded_size(self, node: yaml.Node, sizes: dict[int, int]) -> int:
        if id(node) in sizes:
            if not isinstance(node, yaml.ScalarNode):
                self.alias_uses += 1
            return sizes[id(node)]
        size = 1
        if isinstance(node, yaml.MappingNode):
            size += sum(self._expanded_size(k, sizes) + self._expanded_size(v, sizes) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size += sum(self._expanded_size(item, sizes) for item in node.value)
        sizes[id(node)] = size
        return size

    def convert(self, node: yaml.Node | None, path: ConfigPath = ()) -> Any:
        """``node`` as plain data; ``path`` is where it sits, for error positions."""
        if node is None:
            return None
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self._alias_error("the document expands to too many nodes", path)
        if node.tag not in _CORE_TAGS:
            raise self._tag_error(node, path)
        if isinstance(node, yaml.ScalarNode):
            return _plain_scalar(self.scalars.construct_object(node))
        if id(node) in self.seen:
            self.alias_uses += 1
            if self.alias_uses > self.limits.max_alias_uses:
                raise self._alias_error("the document uses too many aliases", path)
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]

    def _mapping(self, node: yaml.MappingNode, path: ConfigPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        explicit: set[Any] = set()
        for key_node, value_node in _flattened(node):
            key = self.convert(key_node, path)
            if isinstance(key, dict | list):
                raise YamlReadError(
                    "mapping keys must be plain scalars",
                    code="E-YAML-SYNTAX",
                    file=self.file,
                    position=_mark_position(key_node),
                    found=f"a {type(key).__name__} used as a key",
                )
            is_merged = not any(key_node is k for k, _ in node.value)
            if key in explicit and not is_merged:
                raise YamlReadError(
                    f"duplicate key {key!r} in one mapping",
                    code="E-YAML-DUPLICATE-KEY",
                    file=self.file,
                    position=_mark_position(key_node),
                    expected="each key once per mapping",
                    found=f"{key!r} again",
                )
            if not is_merged:
                explicit.add(key)
            result[key] = self.convert(value_node, (*path, _key_part(key)))
        return result

    def _tag_error(self, node: yaml.Node, path: ConfigPath) -> YamlReadError:
        return YamlReadError(
            "YAML tags that construct objects or custom types are not allowed",
            code="E-YAML-TAG",
            file=self.file,
            position=_mark_position(node),
            expected="plain YAML (mappings, lists, strings, numbers, booleans, dates)",
            found=f"tag {node.tag} at {format_config_path(path) or 'the document root'}",
        )

    def _alias_error(self, what: str, path: ConfigPath) -> YamlReadError:
        return YamlReadError(
            f"{what} (refused as a possible alias bomb)",
            code="E-YAML-ALIAS",
            file=self.file,
            # Inside an expansion every aliased node points back at its anchor; the top-level key is what to fix.
            position=position_of(self.root, path[:1]),
            expected=f"at most {self.limits.max_alias_uses} alias uses and {self.limits.max_nodes} nodes",
            found=f"more, while expanding {format_config_path(path) or 'the document root'}",
        )


def _key_part(key: Any) -> PathPart:
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
