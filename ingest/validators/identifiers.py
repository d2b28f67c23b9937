"""Identifier patterns of DESIGN.md section 3 on the fields that hold them (ORCID, publication lists, GO ids).

The schema carries the same patterns where a field has a single identifier type; this module covers
comma-separated publication lists and gives every identifier finding the same code, ``E-ID-PATTERN``, with the
pattern named in ``expected``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ingest.positioned_yaml import ConfigPath, YamlDocument
from ingest.report import Finding
from ingest.validators.located import finding_at, show
from ingest.validators.sections import metadata_of

ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]\Z")
GO_ID = re.compile(r"GO:\d{7}\Z")
PUBLICATION_PATTERNS = {
    "DOI": re.compile(r"(doi:)?10\.\d{4,9}/[-._;()/:a-zA-Z0-9]+\Z"),
    "EMPIAR": re.compile(r"EMPIAR-\d{5}\Z"),
    "EMDB": re.compile(r"EMD-\d{4,5}\Z"),
    "PDB": re.compile(r"PDB-\w{4,8}\Z"),
}
_PUBLICATION_EXPECTED = (
    "comma-separated DOI (10.NNNN/...), EMPIAR-NNNNN, EMD-NNNN(N) or PDB-XXXX entries "
    "(patterns " + ", ".join(p.pattern for p in PUBLICATION_PATTERNS.values()) + ")"
)
_AUTHORED_SECTIONS = ("depositions", "datasets", "annotations", "tomograms")


def identifier_findings(document: YamlDocument) -> Iterator[Finding]:
    """Every identifier that does not match its pattern."""
    data = document.data
    for section in _AUTHORED_SECTIONS:
        for path, metadata in metadata_of(data, section):
            yield from _orcid_findings(document, path, metadata.get("authors"))
            references = metadata.get("cross_references")
            if isinstance(references, dict):
                for field in ("publications", "related_database_entries"):
                    yield from _publication_findings(document, (*path, "cross_references", field), references)
            yield from _publication_findings(document, (*path, "annotation_publications"), metadata)
    for path, metadata in metadata_of(data, "annotations"):
        annotation_object = metadata.get("annotation_object")
        identifier = annotation_object.get("id") if isinstance(annotation_object, dict) else None
        if isinstance(identifier, str) and identifier.startswith("GO:") and not GO_ID.match(identifier):
            yield _mismatch(document, (*path, "annotation_object", "id"), "GO id", GO_ID.pattern, identifier)
    for path, metadata in metadata_of(data, "datasets"):
        component = metadata.get("cell_component")
        identifier = component.get("id") if isinstance(component, dict) else None
        if isinstance(identifier, str) and not GO_ID.match(identifier):
            yield _mismatch(document, (*path, "cell_component", "id"), "GO id", GO_ID.pattern, identifier)


def _orcid_findings(document: YamlDocument, path: ConfigPath, authors: Any) -> Iterator[Finding]:
    if not isinstance(authors, list):
        return
    for index, author in enumerate(authors):
        orcid = author.get("ORCID") if isinstance(author, dict) else None
        if isinstance(orcid, str) and not ORCID.match(orcid):
            yield _mismatch(document, (*path, "authors", index, "ORCID"), "ORCID", ORCID.pattern, orcid)


def _publication_findings(document: YamlDocument, path: ConfigPath, holder: dict[str, Any]) -> Iterator[Finding]:
    value = holder.get(str(path[-1]))
    if not isinstance(value, str):
        return
    bad = [item for item in _split_list(value) if not any(p.match(item) for p in PUBLICATION_PATTERNS.values())]
    if bad:
        yield finding_at(
            document,
            path,
            code="E-ID-PATTERN",
            message=f"{path[-1]} has entries that are not DOI, EMPIAR, EMDB or PDB identifiers",
            expected=_PUBLICATION_EXPECTED,
            found=", ".join(show(item) for item in bad),
        )


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _mismatch(document: YamlDocument, path: ConfigPath, kind: str, pattern: str, value: str) -> Finding:
    return finding_at(
        document,
        path,
        code="E-ID-PATTERN",
        message=f"not a valid {kind}",
        expected=f"a {kind} matching {pattern}",
        found=show(value),
    )
