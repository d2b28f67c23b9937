"""Rules on source entries: one finder per entry, literal value types, one shape per annotation source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingest.config.positioned_yaml import YamlDocument
from ingest.config.rules.located import finding_at, show
from ingest.config.rules.sections import SOURCE_FILTER_KEYS, list_sections, sources_of
from ingest.domain.report import Finding
from ingest.models.ingestion_config import AnnotationSource, VoxelSpacingSource

_LITERAL_TYPES: dict[str, tuple[type, str]] = {"datasets": (str, "a string"), "depositions": (int, "an integer")}
# Keys that are not finders or shapes are the schema's to report (E-UNKNOWN-KEY); these rules count known ones only.
FINDERS = tuple(name for name in VoxelSpacingSource.model_fields if name not in SOURCE_FILTER_KEYS)
SHAPES = tuple(name for name in AnnotationSource.model_fields if name not in SOURCE_FILTER_KEYS)


def finder_findings(document: YamlDocument) -> Iterator[Finding]:
    """All source-entry findings of a config."""
    for section in list_sections(document.data):
        if section == "annotations":
            yield from _annotation_source_findings(document)
        else:
            yield from _finder_count_findings(document, section)
    yield from _literal_type_findings(document)


def _finder_count_findings(document: YamlDocument, section: str) -> Iterator[Finding]:
    for path, source in sources_of(document.data, section):
        finders = [key for key in source if key in FINDERS]
        if len(finders) == 1:
            continue
        many = len(finders) > 1
        yield finding_at(
            document,
            path if not many else (*path, finders[1]),
            code="E-FINDER-COUNT",
            message="a source entry has several finders (split it into one entry per finder)"
            if many
            else "a source entry has no finder",
            expected=f"exactly one of {', '.join(FINDERS)}",
            found=", ".join(finders) if many else f"only {', '.join(map(str, source)) or 'an empty entry'}",
        )


def _literal_type_findings(document: YamlDocument) -> Iterator[Finding]:
    for section, (wanted, described) in _LITERAL_TYPES.items():
        for path, source in sources_of(document.data, section):
            literal = source.get("literal")
            values = literal.get("value") if isinstance(literal, dict) else None
            if not isinstance(values, list):
                continue
            for index, value in enumerate(values):
                if isinstance(value, bool) or not isinstance(value, wanted):
                    yield finding_at(
                        document,
                        (*path, "literal", "value", index),
                        code="E-LITERAL-TYPE",
                        message=f"{section} literal values must each be {described}",
                        expected=described,
                        found=f"{type(value).__name__} {show(value)}",
                    )


def _annotation_source_findings(document: YamlDocument) -> Iterator[Finding]:
    shapes_seen: dict[tuple[int, str], bool] = {}
    for path, source in sources_of(document.data, "annotations"):
        shapes = [key for key in source if key in SHAPES]
        if len(shapes) != 1:
            yield finding_at(
                document,
                path if len(shapes) < 2 else (*path, shapes[1]),
                code="E-ANNOTATION-SHAPE-COUNT",
                message="an annotation source entry must have exactly one shape (split it into one entry per shape)",
                expected=f"exactly one of {', '.join(SHAPES)}",
                found=", ".join(shapes) if shapes else "no shape",
            )
        for shape in shapes:
            yield from _glob_count_findings(document, (*path, shape), source.get(shape))
        if len(shapes) == 1:
            yield from _repeated_shape(document, path, shapes[0], "parent_filters" in source, shapes_seen)


def _glob_count_findings(document: YamlDocument, path: tuple[Any, ...], options: Any) -> Iterator[Finding]:
    if not isinstance(options, dict):
        return
    has_single = options.get("glob_string") is not None
    has_many = bool(options.get("glob_strings"))
    if has_single != has_many:
        return
    yield finding_at(
        document,
        (*path, "glob_strings") if has_many else path,
        code="E-GLOB-STRING-COUNT",
        message="an annotation shape needs exactly one of glob_string and glob_strings",
        expected="glob_string: '...' or glob_strings: ['...']",
        found="both" if has_many else "neither",
    )


def _repeated_shape(
    document: YamlDocument,
    path: tuple[Any, ...],
    shape: str,
    filtered: bool,
    seen: dict[tuple[int, str], bool],
) -> Iterator[Finding]:
    """The same shape twice in one annotation needs parent_filters to tell the entries apart (portal rule)."""
    key = (int(path[1]), shape)
    if key in seen and not filtered:
        yield finding_at(
            document,
            (*path, shape),
            code="E-ANNOTATION-SHAPE-REPEATED",
            message=f"annotation has more than one {shape} source without parent_filters",
            expected=f"one {shape} source per annotation, or parent_filters selecting different parents",
            found=f"another {shape} source",
        )
    seen[key] = True
