"""Values the portal's data validation requires of a metadata file beyond its schema (``test_metadata`` of
``standardized/tests/test_tiltseries.py`` and ``test_dataset.py``, ``HelperTestDeposition``): non-empty titles,
descriptions and identifiers, positive optics and flux, and authors with a name, a primary and a corresponding one
(depositions, datasets, tomograms and annotations: ``basic_metadata_check``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from ingest.checks.codes import check_finding
from ingest.domain.report import Finding
from ingest.domain.tree_roles import Role

_REQUIRED: dict[Role, tuple[str, ...]] = {
    Role.DATASET_METADATA: ("dataset_title", "dataset_description", "dataset_identifier", "deposition_id"),
    Role.DEPOSITION_METADATA: ("deposition_title", "deposition_description", "deposition_identifier"),
    Role.TILTSERIES_METADATA: ("tilting_scheme",),
}
_POSITIVE: dict[Role, tuple[str, ...]] = {
    Role.TILTSERIES_METADATA: ("spherical_aberration_constant", "total_flux"),  # voltage: the schema says > 0
}
_WITH_AUTHORS = frozenset(
    {Role.DATASET_METADATA, Role.DEPOSITION_METADATA, Role.TOMOGRAM_METADATA, Role.ANNOTATION_METADATA}
)
"""The portal's ``basic_metadata_check`` (depositions, datasets, tomograms, annotations; not tilt series)."""


def value_findings(role: Role, content: Mapping[str, Any], key: str) -> list[Finding]:
    """The findings about required values of one metadata file (fields absent altogether are the schema's)."""
    findings = []
    for field in _REQUIRED.get(role, ()):
        if field in content and not content[field]:
            findings.append(_finding(key, field, "must not be empty", "a value", content[field]))
    for field in _POSITIVE.get(role, ()):
        value = content.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool) and not (math.isfinite(value) and value > 0):
            findings.append(_finding(key, field, "must be positive", "> 0", value))
    if role in _WITH_AUTHORS and "authors" in content:
        findings.extend(_author_findings(key, content["authors"]))
    return findings


def _author_findings(key: str, authors: Any) -> Iterator[Finding]:
    if not isinstance(authors, list) or not authors:
        yield _finding(key, "authors", "needs at least one author", "one or more authors", authors)
        return
    for index, author in enumerate(authors):
        if not isinstance(author, Mapping) or not author.get("name"):
            yield _finding(key, f"authors[{index}].name", "an author needs a name", "a name", author)
    people = [a for a in authors if isinstance(a, Mapping)]
    for flag in ("primary_author_status", "corresponding_author_status"):
        if not any(a.get(flag) for a in people):
            yield _finding(key, "authors", f"no author has {flag}", f"an author with {flag}: true", "none")


def _finding(key: str, path: str, message: str, expected: object, found: object) -> Finding:
    return check_finding("C-META-VALUES", message, file=key, path=path, expected=expected, found=repr(found)[:80])
