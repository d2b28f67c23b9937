"""All checks of one run: its metadata files, volumes (MRC + OME-Zarr) and annotation files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ingest.checks.acquisition import consistency_findings
from ingest.checks.annotations import (
    MASK_KINDS,
    MESH_SHAPES,
    POINT_TYPES,
    mask_findings,
    mesh_findings,
    ndjson_findings,
    object_count_finding,
    point_count,
)
from ingest.checks.codes import check_finding
from ingest.checks.metadata import MetadataDocument, metadata_findings, read_metadata
from ingest.checks.mrc import MrcHeader, mrc_findings, read_mrc_header
from ingest.checks.ome_zarr import ChunkCoverage, MrcTwin, VolumeSample, check_ome_zarr, expected_level_shape
from ingest.checks.precomputed import precomputed_annotation_findings
from ingest.checks.tiltseries import tiltseries_findings
from ingest.checks.tree import key_photo_findings, neuroglancer_findings
from ingest.checks.tree_access import TreeReader
from ingest.converters.volumes.kind import VolumeKind
from ingest.domain.listing import Listing
from ingest.domain.report import Finding, Severity
from ingest.domain.tree_roles import Placed, Role
from ingest.errors import InputFileError

METADATA_ROLES = frozenset({
    Role.DEPOSITION_METADATA, Role.DATASET_METADATA, Role.RUN_METADATA, Role.TILTSERIES_METADATA,
    Role.ALIGNMENT_METADATA, Role.FRAMES_METADATA, Role.TOMOGRAM_METADATA, Role.ANNOTATION_METADATA,
    Role.IDENTIFIED_OBJECTS_METADATA,
})  # fmt: skip
_BROKEN_LAYOUT = frozenset({"C-MRC-HEADER", "C-MRC-NSYMBT", "C-MRC-FILE-SIZE"})


@dataclass(frozen=True)
class RunToCheck:
    """One run to check: its classified keys and the entity folders already reported as empty."""

    dataset: str
    run: str
    placed: tuple[Placed, ...]
    empty_folders: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CheckedVolume:
    """The findings about one volume (MRC and/or OME-Zarr) and what could be read of it."""

    findings: tuple[Finding, ...]
    header: MrcHeader | None
    sample: VolumeSample | None

    @property
    def shape(self) -> tuple[int, int, int] | None:
        if self.header is not None:
            return self.header.shape
        if self.sample is not None and self.sample.shape is not None and len(self.sample.shape) == 3:
            z, y, x = self.sample.shape
            return (z, y, x)
        return None


def check_metadata_file(
    reader: TreeReader, listing: Listing, placed: Placed, empty: frozenset[str]
) -> tuple[list[Finding], MetadataDocument | None]:
    """The findings about one metadata file on its own, and the document when it could be read."""
    document = read_metadata(reader, placed)
    if isinstance(document, Finding):
        return [document], None
    findings = metadata_findings(document, listing, skip_folders=empty)
    findings.extend(key_photo_findings(reader, listing, document))
    return findings, document


def check_run(reader: TreeReader, listing: Listing, task: RunToCheck, *, chunks: ChunkCoverage) -> list[Finding]:
    """Every finding about one run."""
    findings: list[Finding] = []
    documents: list[MetadataDocument] = []
    for placed in task.placed:
        if placed.role in METADATA_ROLES:
            found, document = check_metadata_file(reader, listing, placed, task.empty_folders)
            findings.extend(found)
            if document is not None:
                documents.append(document)
    tomogram_shapes: dict[str | None, tuple[int, int, int]] = {}
    for document in documents:
        role = document.placed.role
        if role is Role.TILTSERIES_METADATA:
            findings.extend(tiltseries_findings(document, listing, reader))
            findings.extend(
                _check_entity_volume(
                    reader,
                    listing,
                    document,
                    VolumeKind.TILTSERIES,
                    _number(document.get("pixel_spacing")),
                    chunks,
                ).findings
            )
        elif role is Role.TOMOGRAM_METADATA:
            # the folder is the voxel spacing's record; C-META-VOXEL-SPACING reports a metadata value that differs
            spacing = _number(document.placed.voxel_spacing) or _number(document.get("voxel_spacing"))
            result = _check_entity_volume(reader, listing, document, VolumeKind.TOMOGRAM, spacing, chunks)
            findings.extend(result.findings)
            if result.shape is not None:
                tomogram_shapes.setdefault(document.placed.voxel_spacing, result.shape)
    for document in documents:
        if document.placed.role is Role.ANNOTATION_METADATA:
            shape = tomogram_shapes.get(document.placed.voxel_spacing)
            findings.extend(_check_annotation(reader, listing, document, shape, chunks))
    findings.extend(consistency_findings(reader, task.run, task.placed, documents))
    for placed in task.placed:
        if placed.role is Role.NEUROGLANCER_STATE:
            findings.extend(neuroglancer_findings(reader, placed.key))
        elif placed.role is Role.NEUROGLANCER and placed.key.endswith("/info"):
            findings.extend(precomputed_annotation_findings(reader, listing, placed.key))
    return findings


def unreadable(key: str, error: OSError) -> Finding:
    """The finding for a listed file that cannot be read."""
    return check_finding("C-TREE-UNREADABLE", "cannot read the file", file=key, found=f"{type(error).__name__}")


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def check_volume(
    reader: TreeReader,
    listing: Listing,
    *,
    mrc_key: str | None,
    zarr_key: str | None,
    kind: VolumeKind,
    spacing: float | None,
    chunks: ChunkCoverage,
) -> CheckedVolume:
    """Check an MRC and its OME-Zarr twin (either may be absent)."""
    findings: list[Finding] = []
    header: MrcHeader | None = None
    twin: MrcTwin | None = None
    if mrc_key is not None and listing.is_file(mrc_key):
        try:
            header = read_mrc_header(reader, mrc_key)
            file_size = reader.size(mrc_key)
        except InputFileError as error:
            findings.append(
                check_finding("C-MRC-HEADER", error.what, file=mrc_key, expected=error.expected, found=error.found)
            )
        except OSError as error:
            header = None
            findings.append(unreadable(mrc_key, error))
        else:
            mrc_problems = mrc_findings(header, key=mrc_key, file_size=file_size, kind=kind, voxel_spacing=spacing)
            findings.extend(mrc_problems)
            if not {f.code for f in mrc_problems} & _BROKEN_LAYOUT:
                twin = MrcTwin(mrc_key, header)
    sample = None
    if zarr_key is not None and listing.exists(zarr_key) and not listing.is_file(zarr_key):
        checked = check_ome_zarr(
            reader, zarr_key, keys=listing.files, kind=kind, voxel_spacing=spacing, mrc=twin, chunks=chunks
        )
        findings.extend(checked.findings)
        sample = checked.sample
    return CheckedVolume(tuple(findings), header, sample)


def _check_entity_volume(
    reader: TreeReader,
    listing: Listing,
    document: MetadataDocument,
    kind: VolumeKind,
    spacing: float | None,
    chunks: ChunkCoverage,
) -> CheckedVolume:
    mrc_key, zarr_key = document.get("mrc_file"), document.get("omezarr_dir")
    result = check_volume(
        reader,
        listing,
        mrc_key=mrc_key if isinstance(mrc_key, str) else None,
        zarr_key=zarr_key if isinstance(zarr_key, str) else None,
        kind=kind,
        spacing=spacing,
        chunks=chunks,
    )
    size_findings = _size_findings(document, kind, result)
    return CheckedVolume(result.findings + tuple(size_findings), result.header, result.sample)


def _size_findings(document: MetadataDocument, kind: VolumeKind, result: CheckedVolume) -> list[Finding]:
    size = document.get("size")
    if not isinstance(size, Mapping) or not all(isinstance(size.get(a), int) for a in "zyx"):
        return []
    declared = (size["z"], size["y"], size["x"])
    findings = []
    if result.shape is not None and declared != result.shape:
        findings.append(
            check_finding(
                "C-META-SIZE",
                "size differs from the volume's shape",
                file=document.key,
                path="size",
                expected=result.shape,
                found=declared,
            )
        )
    scales = document.get("scales")
    if isinstance(scales, list):
        for level, scale in enumerate(scales):
            expected = expected_level_shape(declared, level, kind)
            found = tuple(scale.get(a) for a in "zyx") if isinstance(scale, Mapping) else scale
            if found != expected:
                findings.append(
                    check_finding(
                        "C-META-SIZE",
                        f"scales[{level}] is not level {level} of size",
                        file=document.key,
                        path=f"scales[{level}]",
                        expected=expected,
                        found=found,
                    )
                )
    return findings


def _check_annotation(
    reader: TreeReader,
    listing: Listing,
    document: MetadataDocument,
    tomogram_shape: tuple[int, int, int] | None,
    chunks: ChunkCoverage,
) -> list[Finding]:
    files = [f for f in document.get("files") or [] if isinstance(f, Mapping) and isinstance(f.get("path"), str)]
    spacing = _number(document.placed.voxel_spacing)
    object_count = document.get("object_count")
    findings: list[Finding] = []
    checks_shape = any(f.get("shape") in POINT_TYPES or f.get("shape") in MASK_KINDS for f in files)
    if tomogram_shape is None and checks_shape:
        findings.append(
            check_finding(
                "C-ANN-NO-TOMOGRAM",
                "no tomogram in this voxel spacing to check against",
                file=document.key,
                severity=Severity.NOTE,
            )
        )
    masks: dict[str, dict[str, str]] = {}
    point_files = [f for f in files if f.get("shape") in POINT_TYPES and f.get("format") == "ndjson"]
    counts: dict[str, int] = {}
    for entry in files:
        path, shape, file_format = entry["path"], entry.get("shape"), entry.get("format")
        if not listing.exists(path):
            continue
        if shape in POINT_TYPES and file_format == "ndjson":
            try:
                content = reader.read_bytes(path)
            except OSError as error:
                findings.append(unreadable(path, error))
                continue
            expected = object_count
            if len(point_files) > 1:  # compared with the largest count below
                expected = counts[path] = point_count(content, shape)
            findings.extend(
                ndjson_findings(content, key=path, shape=shape, object_count=expected, tomogram_shape=tomogram_shape)
            )
        elif shape in MASK_KINDS and file_format in ("mrc", "zarr"):
            masks.setdefault(shape, {})[file_format] = path
        elif shape in MESH_SHAPES and file_format == "glb":
            try:
                findings.extend(mesh_findings(reader.read_bytes(path), key=path))
            except OSError as error:
                findings.append(unreadable(path, error))
    if counts and (count_finding := object_count_finding(object_count, counts, document.key)) is not None:
        findings.append(count_finding)
    for shape, paths in sorted(masks.items()):
        findings.extend(_check_mask(reader, listing, paths, MASK_KINDS[shape], spacing, tomogram_shape,
                                    object_count, chunks))  # fmt: skip
    return findings


def _check_mask(
    reader: TreeReader,
    listing: Listing,
    paths: Mapping[str, str],
    kind: VolumeKind,
    spacing: float | None,
    tomogram_shape: tuple[int, int, int] | None,
    object_count: Any,
    chunks: ChunkCoverage,
) -> list[Finding]:
    """One mask in its MRC and OME-Zarr forms (either may be absent): volume checks, then mask checks."""
    mrc_key, zarr_key = paths.get("mrc"), paths.get("zarr")
    result = check_volume(
        reader, listing, mrc_key=mrc_key, zarr_key=zarr_key, kind=kind, spacing=spacing, chunks=chunks
    )
    findings = list(result.findings)
    if mrc_key is not None:
        findings.extend(mask_findings(key=mrc_key, kind=kind, mrc=result.header, sample=None,
                                      tomogram_shape=tomogram_shape, object_count=object_count))  # fmt: skip
    if zarr_key is not None:
        findings.extend(mask_findings(key=zarr_key, kind=kind, mrc=None, sample=result.sample,
                                      tomogram_shape=tomogram_shape, object_count=object_count))  # fmt: skip
    return findings
