"""Type an annotation source entry's rendered options
(:class:`ingest.domain.annotation_options.AnnotationSourceOptions`), once per entry and run, so that execution
reads attributes rather than keys.

The schema has already checked the entry's types; this converts (a number that a typed template such as
``int {x}`` rendered into a text option becomes its text, as the readers compare it) and refuses, naming the
config path, only what the schema cannot see: a value of the wrong kind after rendering, or an option this
version does not know how to pass on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ingest.domain.annotation_options import AnnotationSourceOptions, AxisOrder
from ingest.domain.tasks import Metadata
from ingest.errors import PlanError

_TEXT = {"filter_value", "delimiter", "columns", "mesh_source_path"}
_FLOATS = {"binning", "threshold", "scale_factor"}
_FLAGS = {"rescale", "is_visualization_default", "is_portal_standard"}
_CARRIED_ELSEWHERE = {"file_format"}  # the task's source_format
_ORDERS: tuple[AxisOrder, ...] = ("xyz", "zyx")

KNOWN_OPTIONS = frozenset({*_TEXT, *_FLOATS, *_FLAGS, *_CARRIED_ELSEWHERE, "order", "mask_label", "name"})
"""Every option of an ingested annotation shape (the shape's fields without its globs) the planner passes on."""


def source_options(values: Mapping[str, Any], where: Callable[[str], str]) -> AnnotationSourceOptions:
    """The typed options of a rendered entry ``values`` (the shape's fields without globs, None left out);
    ``where(option)`` locates an option's config path for messages."""
    typed: dict[str, Any] = {}
    for name, value in values.items():
        if name in _CARRIED_ELSEWHERE:
            continue
        if name not in KNOWN_OPTIONS:
            raise PlanError(
                f"annotation source option {name!r} is not supported by this version",
                where=where(name),
                expected="one of " + ", ".join(sorted(KNOWN_OPTIONS)),
                found=name,
            )
        field = "mesh_name" if name == "name" else name
        typed[field] = _typed(name, value, where)
    if "mesh_name" in typed and not typed["mesh_name"]:
        typed["mesh_name"] = None  # an empty name names no mesh
    return AnnotationSourceOptions(**typed, entry=Metadata.of(values).text)


def _typed(name: str, value: object, where: Callable[[str], str]) -> object:
    """``value`` as the type of option ``name``, or a :class:`PlanError` naming its config path."""
    if name in _FLAGS:
        if isinstance(value, bool):
            return value
        return _refuse(name, value, "true or false", where)
    if name == "order":
        if value in _ORDERS:
            return value
        return _refuse(name, value, " or ".join(_ORDERS), where)
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if name == "mask_label":
        if isinstance(number, int):
            return number
        return _refuse(name, value, "an integer", where)
    if name in _FLOATS:
        if number is not None:
            return float(number)
        return _refuse(name, value, "a number", where)
    if isinstance(value, str):
        return value
    if number is not None:  # rendered by a typed template (``int {x}``): the readers compare it as text
        return str(number)
    return _refuse(name, value, "a text", where)


def _refuse(name: str, value: object, expected: str, where: Callable[[str], str]) -> NoReturn:
    raise PlanError(f"invalid {name}", where=where(name), expected=expected, found=repr(value))
