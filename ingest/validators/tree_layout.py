"""The canonical portal tree as the checker reads it: every key classified by its role.

One :class:`TreeLayout` object holds all the patterns, so a second named layout (the portal's older
``{run}/Tomograms/VoxelSpacing{vs}/CanonicalTomogram`` arrangement) is one more object, not new code paths.
Keys that match no canonical pattern are strays; strays that match a known legacy arrangement are reported
once per legacy folder instead of once per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key is in the canonical tree."""

    DEPOSITION_METADATA = "deposition_metadata"
    DEPOSITION_IMAGE = "deposition_image"
    DATASET_METADATA = "dataset_metadata"
    DATASET_IMAGE = "dataset_image"
    RUN_METADATA = "run_metadata"
    TILTSERIES_METADATA = "tiltseries_metadata"
    TILTSERIES_FILE = "tiltseries_file"
    ALIGNMENT_METADATA = "alignment_metadata"
    ALIGNMENT_FILE = "alignment_file"
    FRAMES_METADATA = "frames_metadata"
    FRAMES_FILE = "frames_file"
    GAINS_FILE = "gains_file"
    IDENTIFIED_OBJECTS = "identified_objects"
    IDENTIFIED_OBJECTS_METADATA = "identified_objects_metadata"
    TOMOGRAM_METADATA = "tomogram_metadata"
    TOMOGRAM_FILE = "tomogram_file"
    ANNOTATION_METADATA = "annotation_metadata"
    ANNOTATION_FILE = "annotation_file"
    KEY_PHOTO = "key_photo"
    NEUROGLANCER = "neuroglancer"


@dataclass(frozen=True)
class Placed:
    """A key with its role and the names of the containers it sits in."""

    key: str
    role: Role
    dataset: str | None = None
    run: str | None = None
    voxel_spacing: str | None = None
    entity_id: str | None = None
    entity_folder: str | None = None


_RUN = r"(?P<dataset>(?!depositions_metadata/)[^/]+)/(?P<run>[^/]+)"
_VS = _RUN + r"/Reconstructions/VoxelSpacing(?P<voxel_spacing>\d+\.\d{3})"
_ID = r"(?P<entity_id>\d+)"
_ZARR = r"(?:\.zarr/.+)"

CANONICAL_PATTERNS: tuple[tuple[Role, str], ...] = (
    (Role.DEPOSITION_METADATA, r"depositions_metadata/(?P<entity_id>[^/]+)/deposition_metadata\.json"),
    (Role.DEPOSITION_IMAGE, r"depositions_metadata/(?P<entity_id>[^/]+)/Images/(?:snapshot|thumbnail)\.png"),
    (Role.DATASET_METADATA, r"(?P<dataset>(?!depositions_metadata/)[^/]+)/dataset_metadata\.json"),
    (Role.DATASET_IMAGE, r"(?P<dataset>(?!depositions_metadata/)[^/]+)/Images/(?:snapshot|thumbnail)\.png"),
    (Role.RUN_METADATA, _RUN + r"/run_metadata\.json"),
    (Role.TILTSERIES_METADATA, _RUN + rf"/TiltSeries/{_ID}/tiltseries_metadata\.json"),
    (
        Role.TILTSERIES_FILE,
        _RUN + rf"/TiltSeries/{_ID}/(?:[^/]+\.(?:mrc|rawtlt|tlt|xtilt|mdoc|txt|star|ctf)|(?P=run){_ZARR})",
    ),
    (Role.ALIGNMENT_METADATA, _RUN + rf"/Alignments/{_ID}/alignment_metadata\.json"),
    (Role.ALIGNMENT_FILE, _RUN + rf"/Alignments/{_ID}/[^/]+\.(?:xf|tlt|xtilt|aln|txt|com|json)"),
    (Role.FRAMES_METADATA, _RUN + r"/Frames/frames_metadata\.json"),
    (Role.FRAMES_FILE, _RUN + r"/Frames/.+"),
    (Role.GAINS_FILE, _RUN + r"/Gains/.+"),
    (Role.IDENTIFIED_OBJECTS_METADATA, _RUN + r"/IdentifiedObjects/identified_objects_metadata\.json"),
    (Role.IDENTIFIED_OBJECTS, _RUN + r"/IdentifiedObjects/identified_objects\.json"),
    (Role.TOMOGRAM_METADATA, _VS + rf"/Tomograms/{_ID}/tomogram_metadata\.json"),
    (Role.TOMOGRAM_FILE, _VS + rf"/Tomograms/{_ID}/(?P=run)(?:\.mrc|{_ZARR})"),
    (Role.ANNOTATION_METADATA, _VS + rf"/Annotations/{_ID}/[0-9a-z_]+-[^/]*\d\.json"),
    (
        Role.ANNOTATION_FILE,
        _VS
        + rf"/Annotations/{_ID}/[0-9a-z_]+-[^/]*"
        + r"_(?:(?:point|orientedpoint|instancesegmentation)\.ndjson"
        + rf"|(?:segmentationmask|instancesegmentationmask)(?:\.mrc|{_ZARR})"
        + r"|triangularmesh\.glb)",
    ),
    (Role.KEY_PHOTO, _VS + r"/Images/(?:(?P<entity_id>\d+)/)?key-photo-(?:original|snapshot|thumbnail|expanded)\.png"),
    (Role.NEUROGLANCER, _VS + r"/NeuroglancerPrecompute/.+"),
)

LEGACY_FOLDER_PATTERNS: tuple[str, ...] = (
    _RUN + r"/TomogramVoxelSpacing[^/]+",
    _RUN + r"/Tomograms/VoxelSpacing[^/]+",
    _RUN + r"/TiltSeries(?=/(?!\d+/))",
)


@dataclass(frozen=True)
class TreeLayout:
    """A named set of key patterns; :data:`CANONICAL` is the one the pipeline writes."""

    name: str
    patterns: tuple[tuple[Role, re.Pattern[str]], ...]
    legacy_folders: tuple[re.Pattern[str], ...]
    bookkeeping: tuple[str, ...] = (".ingest/",)

    @classmethod
    def compile(cls, name: str, patterns: tuple[tuple[Role, str], ...], legacy: tuple[str, ...]) -> TreeLayout:
        """A layout from uncompiled patterns (each must match a whole key)."""
        return cls(
            name,
            tuple((role, re.compile(pattern)) for role, pattern in patterns),
            tuple(re.compile(pattern) for pattern in legacy),
        )

    def place(self, key: str) -> Placed | None:
        """The role of ``key``, or None for a stray."""
        for role, pattern in self.patterns:
            match = pattern.fullmatch(key)
            if match is not None:
                groups = match.groupdict()
                return Placed(
                    key,
                    role,
                    dataset=groups.get("dataset"),
                    run=groups.get("run"),
                    voxel_spacing=groups.get("voxel_spacing"),
                    entity_id=groups.get("entity_id"),
                    entity_folder=key[: match.end("entity_id")] if groups.get("entity_id") else None,
                )
        return None

    def is_bookkeeping(self, key: str) -> bool:
        """True for the pipeline's own records (``.ingest/`` manifests), which are not part of the tree."""
        return key.startswith(self.bookkeeping)

    def legacy_folder(self, key: str) -> str | None:
        """The legacy folder a stray key belongs to, when it follows a known older arrangement."""
        for pattern in self.legacy_folders:
            match = pattern.match(key)
            if match is not None:
                return match.group(0)
        return None


CANONICAL = TreeLayout.compile("canonical", CANONICAL_PATTERNS, LEGACY_FOLDER_PATTERNS)


def dataset_and_run(key: str) -> tuple[str | None, str | None]:
    """The dataset and run folder names a key sits in (None where it sits above them)."""
    parts = key.split("/")
    if parts[0] == "depositions_metadata" or len(parts) < 2:
        return None, None
    if len(parts) == 2 or parts[1] == "Images":
        return parts[0], None
    return parts[0], parts[1]
