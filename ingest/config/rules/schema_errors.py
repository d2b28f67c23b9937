"""Turn pydantic validation errors into positioned findings with stable codes and key suggestions.

A pydantic ``loc`` mixes real keys and list indices with union-member tags (``str``, ``function-after[...]``, a model
name); the tags are dropped by walking the loc alongside the data, so the config path is the one the user wrote.
Errors that several union members report about the same value are merged into one finding.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ingest.config.positioned_yaml import ConfigPath, PathPart, YamlDocument
from ingest.config.rules.located import finding_at, show
from ingest.domain.report import Finding

ModelT = TypeVar("ModelT", bound=BaseModel)

_TYPE_ERRORS = (
    "_type",
    "_parsing",
    "_from_datetime",
    "_from_date",
    "_from_float",
    "_not_finite",
    "is_instance_of",
    "model_attributes",
)
_RANGE_ERRORS = ("greater_than", "less_than", "too_short", "too_long", "multiple_of", "finite_number")
_MAX_LISTED_KEYS = 12


def validate_against(document: YamlDocument, model: type[ModelT]) -> tuple[ModelT | None, list[Finding]]:
    """Validate the document's data with ``model``; the instance (None when invalid) and the findings."""
    try:
        return model.model_validate(document.data), []
    except ValidationError as error:
        return None, findings_from_errors(document, model, error.errors(include_url=False))


def findings_from_errors(document: YamlDocument, model: type[BaseModel], errors: Sequence[Any]) -> list[Finding]:
    """One finding per distinct problem in ``errors`` (pydantic ``ErrorDetails``)."""
    grouped: dict[ConfigPath, list[Any]] = {}
    for error in errors:
        kind = str(error["type"])
        grouped.setdefault(real_path(document.data, tuple(error["loc"]), kind), []).append(error)
    findings = []
    for path, group in grouped.items():
        relevant = _numeric_branch(_value_at(document.data, path), group)
        findings.append(_finding(document, model, _group_code(relevant), path, relevant))
    return findings


def _numeric_branch(value: Any, group: list[Any]) -> list[Any]:
    """For a number refused by every member of a union (``float | "float {col}"``), the numeric member's bound
    is the reason, not the text member's type: keep only the range errors."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return group
    ranges = [error for error in group if _code(str(error["type"])) == "E-SCHEMA-RANGE"]
    return ranges or group


def _group_code(group: list[Any]) -> str:
    """One code for all errors about one value: several union members failing means no member type fits."""
    codes = list(dict.fromkeys(_code(str(error["type"])) for error in group))
    if len(codes) == 1:
        return codes[0]
    return "E-SCHEMA-TYPE" if "E-SCHEMA-TYPE" in codes else codes[0]


def real_path(data: Any, loc: tuple[Any, ...], kind: str) -> ConfigPath:
    """The config path ``loc`` points at, without union-member tags."""
    path: list[PathPart] = []
    node = data
    for index, part in enumerate(loc):
        if _has_child(node, part):
            path.append(part)
            node = node[part]
        elif index == len(loc) - 1 and kind == "missing":
            path.append(part)
    return tuple(path)


def _has_child(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _code(kind: str) -> str:
    if kind == "extra_forbidden":
        return "E-UNKNOWN-KEY"
    if kind == "missing":
        return "E-MISSING-KEY"
    if kind == "string_pattern_mismatch":
        return "E-ID-PATTERN"
    if kind in ("enum", "literal_error"):
        return "E-ENUM"
    if kind.startswith(_RANGE_ERRORS):
        return "E-SCHEMA-RANGE"
    if kind.endswith(_TYPE_ERRORS) or kind in ("model_type", "dict_type", "list_type", "union_tag_invalid"):
        return "E-SCHEMA-TYPE"
    if kind in ("value_error", "assertion_error"):
        return "E-SCHEMA-VALUE"
    return "E-SCHEMA"


def _finding(document: YamlDocument, model: type[BaseModel], code: str, path: ConfigPath, group: list[Any]) -> Finding:
    first = group[0]
    value = _value_at(document.data, path)
    if code == "E-UNKNOWN-KEY":
        key = str(path[-1])
        keys = _keys_at(model, path[:-1])
        close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        listed = ", ".join(keys[:_MAX_LISTED_KEYS]) + (", ..." if len(keys) > _MAX_LISTED_KEYS else "")
        return finding_at(
            document,
            path,
            code=code,
            message=f"unknown key `{key}`{hint}",
            expected=f"one of: {listed}" if keys else "no other keys here",
            found=f"`{key}`",
        )
    if code == "E-MISSING-KEY":
        return finding_at(
            document,
            path,
            code=code,
            message=f"missing required key `{path[-1]}`",
            expected=f"`{path[-1]}`",
            found="no such key",
        )
    return finding_at(
        document,
        path,
        code=code,
        message=_message(code, first),
        expected=_expected(code, group),
        found=show(value),
    )


def _message(code: str, error: Any) -> str:
    if code == "E-ID-PATTERN":
        return "value does not match the identifier pattern"
    if code == "E-ENUM":
        return "value is not one of the allowed values"
    if code == "E-SCHEMA-TYPE":
        return "value has the wrong type"
    return str(error["msg"])


_EXPECTED_TYPES = {
    "float": "a number",
    "int": "a whole number",
    "bool": "true or false",
    "string": "text",
    "dict": "a mapping of keys to values",
    "model": "a mapping of keys to values",
    "list": "a list",
    "tuple": "a list",
    "datetime": "a date and time (YYYY-MM-DDTHH:MM:SS)",
    "date": "a date (YYYY-MM-DD)",
}
"""pydantic's error type prefixes (``float_parsing``, ``int_from_float``, ...) → what a curator should write."""

_TEMPLATE_COLUMN = re.compile(r"^\^(?P<prefix>.*?)\\\{\[A-Za-z_\]\[A-Za-z0-9_-\]\*\\\}\$$")
"""A templated-value pattern of the schema (``^(float|int) *\\{[A-Za-z_][A-Za-z0-9_-]*\\}$``): what precedes the
``{column}`` part."""


def _expected(code: str, group: list[Any]) -> str:
    texts: list[str] = []
    for error in group:
        ctx = error.get("ctx") or {}
        kind = str(error["type"])
        if "pattern" in ctx:
            text = _describe_pattern(str(ctx["pattern"]))
        elif "expected" in ctx and kind in ("enum", "literal_error"):
            text = f"one of {ctx['expected']}"
        elif _code(kind) == "E-SCHEMA-TYPE" and kind.split("_", 1)[0] in _EXPECTED_TYPES:
            text = _EXPECTED_TYPES[kind.split("_", 1)[0]]
        else:
            text = _lower_first(str(error["msg"]))
        if text not in texts:
            texts.append(text)
    if len(texts) > 1 and "text" in texts:  # a union's text member (a template) says less than its other members
        texts.remove("text")
    return " or ".join(sorted(texts, key=lambda text: text.startswith("a run data map template")))


def _describe_pattern(pattern: str) -> str:
    """A run-data-map template pattern as an example (``a run data map template such as "float {column}"``);
    any other pattern as itself."""
    match = _TEMPLATE_COLUMN.match(pattern)
    if match is None:
        return f"text matching {pattern}"
    prefix = match["prefix"].replace(" *", " ").replace("(", "").split("|", 1)[0].rstrip(")")
    example = f"{prefix.strip()} {{column}}".strip()
    return f'a run data map template such as "{example}"'


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _value_at(data: Any, path: ConfigPath) -> Any:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _keys_at(model: type[BaseModel], path: ConfigPath) -> list[str]:
    """The keys the model accepts at ``path`` (all candidates of a union)."""
    candidates: list[Any] = [model]
    for part in path:
        following: list[Any] = []
        for candidate in candidates:
            for inner in _unwrap(candidate):
                if isinstance(part, int):
                    following.extend(_items_of(inner))
                elif isinstance(inner, type) and issubclass(inner, BaseModel):
                    field = _field_for_key(inner, part)
                    if field is not None:
                        following.append(field)
        candidates = following
    keys: list[str] = []
    for candidate in candidates:
        for inner in _unwrap(candidate):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                keys.extend(k for k in _model_keys(inner) if k not in keys)
    return keys


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_for_key(model: type[BaseModel], key: PathPart) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _unwrap(annotation: Any) -> list[Any]:
    """The members of Optional/Union/Annotated annotations (lists are kept as lists)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [member for arg in typing.get_args(annotation) for member in _unwrap(arg)]
    return [annotation]


def _items_of(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset, Sequence):
        args = typing.get_args(annotation)
        return list(args[:1])
    if origin is dict:
        return list(typing.get_args(annotation)[1:2])
    return []
