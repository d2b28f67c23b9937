"""Safe YAML reading that remembers where every node came from.

The file is parsed once with ruamel.yaml's round-trip loader (which records the line and column of every key and
list item) and converted once into plain Python data for validation. Reading is defensive: files over a size limit
are refused before parsing, no Python objects are ever constructed (any tag outside YAML's core schema is refused),
and aliases are limited so that a "billion laughs" document cannot expand into an enormous tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ingest.errors import ConfigError

PathPart = str | int
ConfigPath = tuple[PathPart, ...]

_CORE_TAG_PREFIX = "tag:yaml.org,2002:"
_CORE_TAGS = frozenset(
    _CORE_TAG_PREFIX + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
)


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on what a config file may cost to read."""

    max_bytes: int = 4 * 1024 * 1024
    max_alias_uses: int = 50_000
    max_nodes: int = 2_000_000


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
    """A parsed YAML file: the positioned round-trip tree and the same content as plain Python data."""

    file: str
    tree: Any
    data: Any


def read_yaml(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> YamlDocument:
    """Read ``path`` safely, keeping positions; raise :class:`YamlReadError` when it cannot be read."""
    tree = read_yaml_tree(path, limits)
    return YamlDocument(file=str(path), tree=tree, data=plain_data(tree, str(path), limits))


def read_yaml_tree(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The positioned round-trip tree of ``path`` (size checked before parsing)."""
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


def plain_data(tree: Any, file: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """``tree`` as plain dicts, lists and scalars; refuses non-core tags and alias bombs."""
    return _PlainConverter(file, tree, limits).convert(tree)


def parse_yaml_text(text: str, file: str) -> Any:
    """Parse YAML text into a round-trip tree (positions kept); syntax errors name their line."""
    loader = YAML(typ="rt")
    try:
        return loader.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = None if mark is None else Position(mark.line + 1, mark.column + 1)
        problem = error.problem or error.context or "invalid YAML"
        code = "E-YAML-DUPLICATE-KEY" if "duplicate key" in problem else "E-YAML-SYNTAX"
        raise YamlReadError(f"not valid YAML: {problem}", code=code, file=file, position=position) from None
    except YAMLError as error:
        raise YamlReadError(f"not valid YAML: {error}", code="E-YAML-SYNTAX", file=file) from None


def position_of(tree: Any, path: Sequence[PathPart]) -> Position | None:
    """Where ``path`` is written: the key of a mapping entry or the dash of a list item.

    When the path leaves the tree (a missing key), the position of the deepest node that exists is returned.
    """
    node = tree
    found: Position | None = _own_position(tree)
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, column = node.lc.item(part)
        else:
            break
        found = Position(line + 1, column + 1)
        node = node[part]
    return found


def format_config_path(path: Sequence[PathPart]) -> str:
    """``("annotations", 3, "metadata")`` → ``annotations[3].metadata``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _own_position(node: Any) -> Position | None:
    if isinstance(node, CommentedMap | CommentedSeq) and node.lc.line is not None:
        return Position(node.lc.line + 1, node.lc.col + 1)
    return None


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
    """Convert a round-trip tree into plain dicts, lists and scalars, enforcing tag and alias limits."""

    def __init__(self, file: str, root: Any, limits: YamlLimits) -> None:
        self.file = file
        self.root = root
        self.limits = limits
        self.nodes = 0
        self.alias_uses = 0
        self.seen: set[int] = set()

    def convert(self, node: Any, path: ConfigPath = ()) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self._alias_error("the document expands to too many nodes", path)
        if isinstance(node, CommentedMap | CommentedSeq):
            self._check_tag(node, path)
            if id(node) in self.seen:
                self.alias_uses += 1
                if self.alias_uses > self.limits.max_alias_uses:
                    raise self._alias_error("the document uses too many aliases", path)
            self.seen.add(id(node))
            if isinstance(node, CommentedMap):
                return {key: self.convert(value, (*path, _key_part(key))) for key, value in node.items()}
            return [self.convert(item, (*path, index)) for index, item in enumerate(node)]
        if isinstance(node, TaggedScalar):
            self._check_tag(node, path)
            return node.value
        return _plain_scalar(node)

    def _check_tag(self, node: CommentedMap | CommentedSeq | TaggedScalar, path: ConfigPath) -> None:
        tag = node.tag.value if node.tag is not None else None
        if tag is None or tag in _CORE_TAGS:
            return
        raise YamlReadError(
            "YAML tags that construct objects or custom types are not allowed",
            code="E-YAML-TAG",
            file=self.file,
            position=position_of(self.root, path),
            expected="plain YAML (mappings, lists, strings, numbers, booleans, dates)",
            found=f"tag {tag} at {format_config_path(path) or 'the document root'}",
        )

    def _alias_error(self, what: str, path: ConfigPath) -> YamlReadError:
        return YamlReadError(
            f"{what} (refused as a possible alias bomb)",
            code="E-YAML-ALIAS",
            file=self.file,
            position=position_of(self.root, path),
            expected=f"at most {self.limits.max_alias_uses} alias uses and {self.limits.max_nodes} nodes",
            found=f"more, while expanding {format_config_path(path) or 'the document root'}",
        )


def _key_part(key: Any) -> PathPart:
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


def _plain_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, int):
        return int(value) if type(value).__name__ != "ScalarBoolean" else bool(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value
