"""Checks on the shape of the tree: strays, legacy folders, entities without metadata or data, key photos,
Neuroglancer configs with layers."""

from __future__ import annotations

import json
import struct
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ingest.checks.codes import check_finding
from ingest.checks.metadata import MetadataDocument
from ingest.checks.tree_access import TreeReader
from ingest.domain.listing import Listing
from ingest.domain.report import Finding, Severity
from ingest.domain.tree_roles import Placed, Role, TreeLayout, dataset_and_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TOMOGRAM_KEY_PHOTO_WIDTHS = {"thumbnail": 134, "snapshot": 512, "expanded": 1024}
MIN_PHOTO_SIZE = 50
"""Other key photos (datasets, depositions): at least this many pixels each way (the portal's ``check_photo_valid``)."""
"""The widths of a tomogram's cropped (4:3) key photos, as the portal's key-image importer writes them."""

_METADATA_OF: dict[Role, Role] = {
    Role.TILTSERIES_FILE: Role.TILTSERIES_METADATA,
    Role.ALIGNMENT_FILE: Role.ALIGNMENT_METADATA,
    Role.TOMOGRAM_FILE: Role.TOMOGRAM_METADATA,
    Role.ANNOTATION_FILE: Role.ANNOTATION_METADATA,
    Role.DEPOSITION_IMAGE: Role.DEPOSITION_METADATA,
}
_NEEDS_DATA = frozenset({Role.TILTSERIES_METADATA, Role.TOMOGRAM_METADATA, Role.ANNOTATION_METADATA})


@dataclass(frozen=True)
class TreeShape:
    """The findings about the tree's shape, and the entity folders that hold only metadata."""

    findings: tuple[Finding, ...]
    empty_folders: frozenset[str]


def tree_shape(keys: Iterable[str], layout: TreeLayout) -> tuple[TreeShape, tuple[Placed, ...]]:
    """Classify every key and report strays, legacy folders and entities missing metadata or data."""
    findings: list[Finding] = []
    placed_keys: list[Placed] = []
    legacy: dict[str, int] = defaultdict(int)
    all_keys = list(keys)
    for key in all_keys:
        placed = layout.place(key)
        if placed is not None:
            placed_keys.append(placed)
            continue
        folder = layout.legacy_folder(key)
        if folder is not None:
            legacy[folder] += 1
        else:
            findings.append(check_finding("C-TREE-STRAY", f"not part of the {layout.name} layout", file=key))
    for folder, count in sorted(legacy.items()):
        findings.append(
            check_finding(
                "C-TREE-LEGACY",
                f"folder in the portal's older layout ({count} file(s))",
                file=folder + "/",
                expected=f"the {layout.name} layout",
                severity=Severity.WARNING,
            )
        )
    findings.extend(_container_findings(all_keys))
    entity_findings, empty = _entity_findings(placed_keys)
    findings.extend(entity_findings)
    return TreeShape(tuple(findings), empty), tuple(placed_keys)


def _container_findings(keys: Iterable[str]) -> Iterator[Finding]:
    key_set = set(keys)
    datasets: set[str] = set()
    runs: set[tuple[str, str]] = set()
    depositions: set[str] = set()
    for key in key_set:
        parts = key.split("/")
        if parts[0] == "depositions_metadata" and len(parts) > 2:
            depositions.add(parts[1])
            continue
        dataset, run = dataset_and_run(key)
        if dataset is not None:
            datasets.add(dataset)
        if dataset is not None and run is not None:
            runs.add((dataset, run))
    for deposition in sorted(depositions):
        expected = f"depositions_metadata/{deposition}/deposition_metadata.json"
        if expected not in key_set:
            yield _no_metadata(f"depositions_metadata/{deposition}/", expected)
    for dataset in sorted(datasets):
        if f"{dataset}/dataset_metadata.json" not in key_set:
            yield _no_metadata(f"{dataset}/", f"{dataset}/dataset_metadata.json")
    for dataset, run in sorted(runs):
        if f"{dataset}/{run}/run_metadata.json" not in key_set:
            yield _no_metadata(f"{dataset}/{run}/", f"{dataset}/{run}/run_metadata.json")


def _no_metadata(folder: str, expected: str) -> Finding:
    return check_finding(
        "C-TREE-NO-METADATA", "entity folder without its metadata file", file=folder, expected=expected, found="nothing"
    )


def _entity_findings(placed_keys: Iterable[Placed]) -> tuple[list[Finding], frozenset[str]]:
    roles: dict[str, set[Role]] = defaultdict(set)
    for placed in placed_keys:
        if placed.entity_folder is not None and placed.role is not Role.KEY_PHOTO:
            roles[placed.entity_folder].add(placed.role)
    findings: list[Finding] = []
    empty: set[str] = set()
    for folder, present in sorted(roles.items()):
        for data_role, metadata_role in _METADATA_OF.items():
            if data_role in present and metadata_role not in present:
                findings.append(_no_metadata(folder + "/", f"a {metadata_role.value.replace('_', ' ')} file"))
        if present & _NEEDS_DATA and present <= _NEEDS_DATA:
            empty.add(folder)
            findings.append(
                check_finding(
                    "C-TREE-NO-DATA",
                    "entity folder holds its metadata but no data",
                    file=folder + "/",
                    expected="data files next to the metadata",
                    found="metadata only",
                )
            )
    return findings, frozenset(empty)


def key_photo_findings(reader: TreeReader, listing: Listing, document: MetadataDocument) -> list[Finding]:
    """Key photos named by a metadata file exist, are PNG files, and the thumbnail is no larger."""
    findings: list[Finding] = []
    sizes: dict[str, tuple[int, int]] = {}
    for field in ("key_photo", "key_photos"):
        photos = document.content.get(field)
        if not isinstance(photos, Mapping):
            continue
        for name, path in sorted(photos.items()):
            where = f"{field}.{name}"
            if not isinstance(path, str) or not listing.is_file(path):
                findings.append(
                    check_finding(
                        "C-TREE-KEY-PHOTO",
                        "names a key photo that is not in the tree",
                        file=document.key,
                        path=where,
                        found=path,
                    )
                )
                continue
            try:
                head = reader.read_range(path, 0, 24)
            except OSError as error:
                findings.append(
                    check_finding("C-TREE-UNREADABLE", "cannot read the file", file=path, found=type(error).__name__)
                )
                continue
            if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
                findings.append(
                    check_finding(
                        "C-TREE-KEY-PHOTO",
                        "key photo is not a PNG image",
                        file=path,
                        expected="a PNG signature and IHDR",
                        found=head[:8],
                    )
                )
                continue
            width, height = struct.unpack(">II", head[16:24])
            sizes[name] = (width, height)
            expected_width = TOMOGRAM_KEY_PHOTO_WIDTHS.get(name) if field == "key_photo" else None
            if expected_width is None and min(width, height) < MIN_PHOTO_SIZE:
                findings.append(
                    check_finding(
                        "C-TREE-KEY-PHOTO",
                        f"key photo {name} is smaller than the portal shows",
                        file=path,
                        expected=f"at least {MIN_PHOTO_SIZE} × {MIN_PHOTO_SIZE} pixels",
                        found=f"{width}x{height}",
                        severity=Severity.WARNING,  # the portal's validation fails it; its importer takes it
                    )
                )
            if expected_width is not None and (width, abs(height * 4 - width * 3) <= 4) != (expected_width, True):
                findings.append(
                    check_finding(
                        "C-TREE-KEY-PHOTO",
                        f"tomogram key photo {name} is not the size the portal writes",
                        file=path,
                        expected=f"{expected_width} pixels wide, 4:3",
                        found=f"{width}x{height}",
                    )
                )
    snapshot, thumbnail = sizes.get("snapshot"), sizes.get("thumbnail")
    if snapshot and thumbnail and (thumbnail[0] > snapshot[0] or thumbnail[1] > snapshot[1]):
        findings.append(
            check_finding(
                "C-TREE-KEY-PHOTO",
                "thumbnail is larger than the snapshot",
                file=document.key,
                expected=f"at most {snapshot}",
                found=thumbnail,
            )
        )
    return findings


def neuroglancer_findings(reader: TreeReader, key: str) -> list[Finding]:
    """A Neuroglancer config is a JSON object with at least one layer (the portal's ``test_neuroglancer``)."""
    try:
        state = json.loads(reader.read_bytes(key))
    except OSError as error:
        return [check_finding("C-TREE-UNREADABLE", "cannot read the file", file=key, found=type(error).__name__)]
    except (ValueError, RecursionError):
        state = None
    layers = state.get("layers") if isinstance(state, dict) else None
    if isinstance(layers, list | dict) and layers:
        return []
    return [
        check_finding(
            "C-NG-LAYERS",
            "the Neuroglancer config has no layer",
            file=key,
            expected="a JSON object with a non-empty 'layers' list",
            found="not a JSON object" if not isinstance(state, dict) else repr(layers)[:40],
        )
    ]
