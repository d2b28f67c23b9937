"""Checks on metadata files: JSON, schema, importer requirements, named paths, ids against folders."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.checks.codes import check_finding
from ingest.checks.metadata_rules import importer_problems, lookup, schema_problems
from ingest.checks.metadata_values import value_findings
from ingest.checks.tree_access import TreeReader
from ingest.domain.entities import annotation_slug
from ingest.domain.listing import Listing
from ingest.domain.report import Finding
from ingest.domain.tree_roles import Placed, Role

_PATH_KEYS = re.compile(r"(?:.*_path|.*_file|.*_dir|path)")
_KEY_PHOTO_FIELDS = frozenset({"key_photo", "key_photos"})
_INPUT_PATH_FIELDS = frozenset({"source_file"})  # identified objects name their source CSV, not a tree path


@dataclass(frozen=True)
class MetadataDocument:
    """A metadata file as read from the tree, with its place in the layout."""

    placed: Placed
    content: Mapping[str, Any]

    @property
    def key(self) -> str:
        return self.placed.key

    def get(self, dotted: str) -> Any:
        """The value at a dotted path (``size.x``), or None."""
        return lookup(self.content, dotted)


def read_metadata(reader: TreeReader, placed: Placed) -> MetadataDocument | Finding:
    """The parsed metadata file, or the finding that says why it cannot be read."""
    try:
        content = json.loads(reader.read_bytes(placed.key))
    except (OSError, UnicodeDecodeError) as error:
        return check_finding(
            "C-TREE-UNREADABLE", "cannot read the metadata file", file=placed.key, found=type(error).__name__
        )
    except json.JSONDecodeError as error:
        return check_finding(
            "C-META-JSON", f"not valid JSON (line {error.lineno}, column {error.colno})", file=placed.key
        )
    except RecursionError:
        return check_finding("C-META-JSON", "not valid metadata JSON (nested too deeply to parse)", file=placed.key)
    if not isinstance(content, dict):
        return check_finding(
            "C-META-JSON", "a metadata file must hold one JSON object", file=placed.key, found=type(content).__name__
        )
    return MetadataDocument(placed, content)


def metadata_findings(
    document: MetadataDocument, listing: Listing, *, skip_folders: frozenset[str] = frozenset()
) -> list[Finding]:
    """Every finding about one metadata file that needs nothing but the file and the listing.

    Paths inside ``skip_folders`` are not reported as missing (a folder already reported as holding
    no data explains them).
    """
    findings: list[Finding] = []
    role = document.placed.role
    for field, problem in schema_problems(role, document.content):
        findings.append(check_finding("C-META-SCHEMA", problem, file=document.key, path=field))
    for field, problem in importer_problems(role, document.content):
        findings.append(check_finding("C-META-IMPORTER", problem, file=document.key, path=field))
    for field, path in named_paths(document.content):
        if not listing.exists(path) and not any(path.startswith(folder + "/") for folder in skip_folders):
            findings.append(
                check_finding(
                    "C-META-PATH-MISSING",
                    "names a path that is not in the tree",
                    file=document.key,
                    path=field,
                    found=path,
                )
            )
    findings.extend(_id_findings(document))
    findings.extend(_deposition_findings(document, listing))
    findings.extend(value_findings(role, document.content, document.key))
    return findings


def named_paths(content: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(field path, value)`` for every tree path a metadata document names (key photos excluded)."""
    for name, value in content.items():
        here = f"{prefix}.{name}" if prefix else name
        if name in _KEY_PHOTO_FIELDS or name in _INPUT_PATH_FIELDS:
            continue
        if isinstance(value, str) and _PATH_KEYS.fullmatch(name) and value and "://" not in value:
            yield here, value
        elif isinstance(value, Mapping):
            yield from named_paths(value, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from named_paths(item, f"{here}[{index}]")
                elif name == "files" and isinstance(item, str):
                    yield f"{here}[{index}]", item


def _document_slug(content: Mapping[str, Any]) -> str:
    """The slug :func:`ingest.domain.entities.annotation_slug` gives the annotation object of a metadata document."""
    description = lookup(content, "annotation_object.description")
    name = lookup(content, "annotation_object.name")
    return annotation_slug(str(name or ""), description if isinstance(description, str) else None)


def _id_findings(document: MetadataDocument) -> Iterator[Finding]:
    placed = document.placed
    checks: list[tuple[str, Any, str | None]] = []
    if placed.role is Role.DEPOSITION_METADATA:
        checks.append(("deposition_identifier", document.get("deposition_identifier"), placed.entity_id))
    elif placed.role is Role.DATASET_METADATA:
        checks.append(("dataset_identifier", document.get("dataset_identifier"), placed.dataset))
    elif placed.run is not None and document.get("run_name") is not None:
        checks.append(("run_name", document.get("run_name"), placed.run))
    for field, value, folder in checks:
        if value is None or str(value) != folder:
            yield check_finding(
                "C-META-ID-FOLDER",
                f"{field} disagrees with the folder name",
                file=document.key,
                path=field,
                expected=folder,
                found=value,
            )
    if placed.role is Role.ANNOTATION_METADATA:
        expected_name = f"{_document_slug(document.content)}-{document.get('version')}.json"
        actual_name = placed.key.rsplit("/", 1)[-1]
        if actual_name != expected_name:
            yield check_finding(
                "C-META-ID-FOLDER",
                "file name is not {slug}-{version}.json",
                file=document.key,
                expected=expected_name,
                found=actual_name,
            )
    if placed.role is Role.TOMOGRAM_METADATA and placed.voxel_spacing is not None:
        spacing = document.get("voxel_spacing")
        if isinstance(spacing, int | float) and f"{spacing:.3f}" != placed.voxel_spacing:
            yield check_finding(
                "C-META-VOXEL-SPACING",
                "voxel_spacing differs from its VoxelSpacing folder",
                file=document.key,
                path="voxel_spacing",
                expected=placed.voxel_spacing,
                found=spacing,
            )
    yield from _own_folder_findings(document)


def _own_folder_findings(document: MetadataDocument) -> Iterator[Finding]:
    """Data paths of tomograms, tilt series and annotations must sit in the entity's own folder."""
    folder = document.placed.entity_folder
    if folder is None or document.placed.role not in (
        Role.TOMOGRAM_METADATA,
        Role.TILTSERIES_METADATA,
        Role.ANNOTATION_METADATA,
    ):
        return
    fields = [("mrc_file", document.get("mrc_file")), ("omezarr_dir", document.get("omezarr_dir"))]
    files = document.get("files")
    if document.placed.role is Role.ANNOTATION_METADATA and isinstance(files, list):
        fields = [(f"files[{i}].path", lookup(f, "path")) for i, f in enumerate(files) if isinstance(f, Mapping)]
    for field, path in fields:
        if isinstance(path, str) and not path.startswith(folder + "/"):
            yield check_finding(
                "C-META-ID-FOLDER",
                "a data path points outside the entity's folder",
                file=document.key,
                path=field,
                expected=f"{folder}/...",
                found=path,
            )


def _deposition_findings(document: MetadataDocument, listing: Listing) -> Iterator[Finding]:
    deposition_id = document.get("deposition_id")
    if deposition_id is None:
        return
    key = f"depositions_metadata/{deposition_id}/deposition_metadata.json"
    if not listing.is_file(key):
        yield check_finding(
            "C-META-DEPOSITION",
            "the deposition has no metadata in the tree",
            file=document.key,
            path="deposition_id",
            expected=key,
            found="nothing",
        )
