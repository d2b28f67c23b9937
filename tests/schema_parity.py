"""Compare the portal's LinkML schemas with ours slot by slot (used by ``test_schema_parity.py``).

Both schemas are loaded with linkml's ``SchemaView``. The portal's metadata classes name their slots through
``exact_mappings: [cdp-common:<slot>]`` (its build materializes them); :func:`effective_slot` merges that common slot
in, so ranges, patterns, bounds and ``required`` are the ones the portal's generated models enforce. The walk starts
at two root classes and follows slot names, so class names need not match (the portal's ``TomogramSize`` is our
``VolumeSize``): a slot's range class on one side is compared with the range class of the same slot on the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkml_runtime.linkml_model.meta import SlotDefinition
from linkml_runtime.utils.schemaview import SchemaView

OURS = Path(__file__).resolve().parents[1] / "schema"
PORTAL_SCHEMA = "portal-schema"
# The portal's schemas import a materialized copy of the core schema that its build writes; the source is the same.
_MATERIALIZED = "../../core/v2.0.0/codegen/metadata_materialized"
_NOT_INHERITED = {"name", "exact_mappings", "domain_of", "owner", "alias", "from_schema", "is_usage_slot"}


def portal_view(corpus: Path, schema: str) -> SchemaView:
    """The portal's ``ingestion_config`` or ``metadata_files`` schema, with the core schema it imports."""
    root = corpus / PORTAL_SCHEMA
    files = {
        "ingestion_config": root / "ingestion_config/v1.0.0/ingestion_config_models.yaml",
        "metadata_files": root / "metadata_files/v2.0.0/metadata_files.yaml",
    }
    return SchemaView(str(files[schema]), importmap={_MATERIALIZED: str(root / "core/v2.0.0/metadata")})


def our_view(schema: str) -> SchemaView:
    """Our schema of that name (``schema/<name>.yaml`` with ``core.yaml``)."""
    return SchemaView(str(OURS / f"{schema}.yaml"))


@dataclass(frozen=True)
class Constraints:
    """What one slot enforces: patterns of its (union of) string types, bounds, enum values, classes."""

    patterns: frozenset[str] = frozenset()
    minimum: float | None = None
    maximum: float | None = None
    enum_values: frozenset[str] | None = None
    classes: tuple[str, ...] = ()
    required: bool = False
    scalar_ranges: frozenset[str] = field(default_factory=frozenset)


def effective_slot(view: SchemaView, slot: SlotDefinition) -> SlotDefinition:
    """``slot`` with the common slot its ``exact_mappings`` names merged underneath (the portal's materialization)."""
    for mapping in slot.exact_mappings or []:
        prefix, _, name = str(mapping).partition(":")
        base = view.get_slot(name) if prefix == "cdp-common" else None
        if base is None:
            continue
        merged = SlotDefinition(name=slot.name)
        for source in (base, slot):
            for key, value in vars(source).items():
                if key not in _NOT_INHERITED and value not in (None, [], {}):
                    setattr(merged, key, value)
        return merged
    return slot


def constraints(view: SchemaView, slot: SlotDefinition) -> Constraints:
    """The constraints ``slot`` enforces in ``view``."""
    members = [slot, *(slot.any_of or [])]
    patterns: set[str] = set()
    minimums: list[float] = []
    maximums: list[float] = []
    enum_values: set[str] | None = None
    classes: list[str] = []
    scalars: set[str] = set()
    for member in members:
        if member.pattern:
            patterns.add(member.pattern)
        if member.minimum_value is not None:
            minimums.append(float(member.minimum_value))
        if member.maximum_value is not None:
            maximums.append(float(member.maximum_value))
        if not member.range:
            continue
        name = str(member.range)
        if name in view.all_classes():
            classes.append(name)
        elif name in view.all_enums():
            enum_values = (enum_values or set()) | set(view.get_enum(name).permissible_values)
        elif name in view.all_types():
            _type_constraints(view, name, patterns, minimums, maximums, scalars)
    return Constraints(
        patterns=frozenset(patterns),
        minimum=max(minimums) if minimums else None,
        maximum=min(maximums) if maximums else None,
        enum_values=None if enum_values is None else frozenset(enum_values),
        classes=tuple(classes),
        required=bool(slot.required),
        scalar_ranges=frozenset(scalars),
    )


def _type_constraints(
    view: SchemaView, name: str, patterns: set[str], minimums: list[float], maximums: list[float], scalars: set[str]
) -> None:
    current: Any = view.get_type(name)
    while current is not None:
        if current.pattern:
            patterns.add(current.pattern)
        if current.minimum_value is not None:
            minimums.append(float(current.minimum_value))
        if current.maximum_value is not None:
            maximums.append(float(current.maximum_value))
        scalars.add(str(current.name))
        current = view.get_type(current.typeof) if current.typeof else None


@dataclass(frozen=True)
class SlotPair:
    """One slot reached by the same key path in both schemas (``ours`` None when we have no such key)."""

    path: str
    portal: Constraints
    ours: Constraints | None


def paired_slots(portal: SchemaView, ours: SchemaView, portal_class: str, our_class: str) -> Iterator[SlotPair]:
    """Every slot of the portal reachable from ``portal_class``, paired with ours by key path."""
    seen: set[tuple[str, str]] = set()
    yield from _walk(portal, ours, portal_class, our_class, "", seen)


def _walk(
    portal: SchemaView, ours: SchemaView, portal_class: str, our_class: str, path: str, seen: set[tuple[str, str]]
) -> Iterator[SlotPair]:
    if (portal_class, our_class) in seen:
        return
    seen.add((portal_class, our_class))
    our_slots = {slot.name: slot for slot in ours.class_induced_slots(our_class)}
    for raw in portal.class_induced_slots(portal_class):
        slot = effective_slot(portal, raw)
        here = f"{path}.{slot.name}" if path else str(slot.name)
        theirs = constraints(portal, slot)
        mine = our_slots.get(slot.name)
        pair = SlotPair(here, theirs, None if mine is None else constraints(ours, mine))
        yield pair
        if pair.ours is None or not theirs.classes or not pair.ours.classes:
            continue
        for portal_range in theirs.classes:
            yield from _walk(portal, ours, portal_range, pair.ours.classes[0], here, seen)


def portal_match(pattern: str, text: str) -> bool:
    """The portal's generated models test patterns with ``re.match`` (anchored at the start only)."""
    return re.match(pattern, text) is not None


def our_match(pattern: str, text: str) -> bool:
    """Ours go to pydantic, which searches; every pattern of ours is anchored at both ends."""
    return re.search(pattern, text) is not None
