"""The canonical portal tree as the checker reads it: every key classified by its role.

One :class:`TreeLayout` object holds all the patterns, so a second named layout (the portal's older
``{run}/Tomograms/VoxelSpacing{vs}/CanonicalTomogram`` arrangement) is one more object, not new code paths.
Keys that match no canonical pattern are strays; strays that match a known legacy arrangement are reported
once per legacy folder instead of once per file.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import cast, get_args

from ingest.domain.entities import (
    Alignment,
    Annotation,
    AnnotationFile,
    Dataset,
    Deposition,
    Run,
    Shape,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
)
from ingest.domain.layout import DEFAULT_LAYOUT, ImageKind, KeyPhotoKind, Layout


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
    NEUROGLANCER_STATE = "neuroglancer_state"
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


_DATASET, _RUN_NAME, _ID, _SPACING = "zqdatasetzq", "zqrunzq", 987654321, 987.654
_SLUG, _VERSION, _FILE, _KIND = "zqslugzq", "zqversionzq", "zqfilezq", "zqkindzq"
"""Sentinel names: the layout renders keys of these entities, and the sentinels become the checker's groups."""

_TILTSERIES_FILE_TYPES = "mrc|rawtlt|tlt|xtilt|mdoc|txt|star|ctf"
_ALIGNMENT_FILE_TYPES = "xf|tlt|xtilt|aln|txt|com|json"


def _sample_entities() -> tuple[Deposition, Run, TiltSeries, Alignment, Tomogram, Annotation]:
    run = Run(Dataset(_DATASET), _RUN_NAME)
    tomogram = Tomogram(VoxelSpacing(run, _SPACING), _ID)
    annotation = Annotation(tomogram.voxel_spacing, _ID, _SLUG, _VERSION)
    return Deposition(_ID), run, TiltSeries(run, _ID), Alignment(run, _ID), tomogram, annotation


def _first_group(text: str, sentinel: str, name: str, pattern: str) -> str:
    """``text`` with the first ``sentinel`` a named group and the later ones back-references to it."""
    first, found, rest = text.partition(sentinel)
    if not found:
        return text
    return f"{first}(?P<{name}>{pattern}){rest.replace(sentinel, f'(?P={name})')}"


def _key_regex(key: str, *, entity_id: str = r"\d+", pieces: dict[str, str] | None = None) -> str:
    """The regex of every key the layout gives for entities like the samples: ``key`` (a key of the sample
    entities) escaped, ``pieces`` (sentinel → regex) put in, then the sentinels made groups."""
    text = re.escape(key)
    for sentinel, piece in (pieces or {}).items():
        text = text.replace(sentinel, piece)
    text = _first_group(text, _DATASET, "dataset", "(?!depositions_metadata/)[^/]+")
    text = _first_group(text, _RUN_NAME, "run", "[^/]+")
    text = _first_group(text, str(_ID), "entity_id", entity_id)
    return _first_group(text, re.escape(f"{_SPACING:.3f}"), "voxel_spacing", r"\d+\.\d{3}")


def _name_in(key: str, folder: str) -> str:
    """The part of ``key`` below ``folder`` (the layout puts it there)."""
    if not key.startswith(folder + "/"):
        raise AssertionError(f"the layout put {key} outside {folder}")
    return key[len(folder) + 1 :]


def _annotation_files(layout: Layout, annotation: Annotation, folder: str) -> str:
    """Every annotation file name the layout gives: point-like shapes as ndjson, masks as MRC or OME-Zarr."""
    names: dict[str, None] = {}
    for shape in Shape:
        for file_format in ("mrc", "zarr") if shape.is_volume else ("glb",) if shape.is_mesh else ("ndjson",):
            name = _name_in(layout.annotation_file(AnnotationFile(annotation, shape, file_format)), folder)
            names[re.escape(name) + ("/.+" if file_format == "zarr" else "")] = None
    return "(?:" + "|".join(names) + ")"


def canonical_patterns(layout: Layout = DEFAULT_LAYOUT) -> tuple[tuple[Role, str], ...]:
    """The key pattern of every role, derived from ``layout`` (the one that writes the tree): each is the key the
    layout gives for sample entities, with names, ids and the voxel spacing as groups."""
    deposition, run, tiltseries, alignment, tomogram, annotation = _sample_entities()
    dataset = run.dataset
    image_kinds = "(?:" + "|".join(get_args(ImageKind)) + ")"
    photo_kinds = "(?:" + "|".join(get_args(KeyPhotoKind)) + ")"
    any_file = {_FILE: ".+"}
    tiltseries_dir = layout.tiltseries_dir(tiltseries)
    tomogram_dir = layout.tomogram_dir(tomogram)
    annotation_dir = layout.annotation_dir(annotation)
    tiltseries_zarr = re.escape(_name_in(layout.tiltseries_zarr(tiltseries), tiltseries_dir))
    tomogram_mrc = re.escape(_name_in(layout.tomogram_mrc(tomogram), tomogram_dir))
    tomogram_zarr = re.escape(_name_in(layout.tomogram_zarr(tomogram), tomogram_dir))
    photo = layout.key_photo(tomogram, cast(KeyPhotoKind, _KIND))
    photo_folder = photo.rsplit("/", 2)[0]
    states = (layout.neuroglancer_config(tomogram), *layout.former_neuroglancer_configs(tomogram))
    viewer_folder = posixpath.commonpath(
        [*states, layout.neuroglancer_precomputed(AnnotationFile(annotation, Shape.POINT, "ndjson"))]
    )
    # a state under the name the layout gives it or a name earlier versions gave it; the tomogram id is no group
    # (a state is no entity folder of its own)
    state_names = "|".join(re.escape(_name_in(state, viewer_folder)) for state in states)
    return (
        (Role.DEPOSITION_METADATA, _key_regex(layout.deposition_metadata(deposition), entity_id="[^/]+")),
        (
            Role.DEPOSITION_IMAGE,
            _key_regex(
                layout.deposition_image(deposition, cast(ImageKind, _KIND)),
                entity_id="[^/]+",
                pieces={_KIND: image_kinds},
            ),
        ),
        (Role.DATASET_METADATA, _key_regex(layout.dataset_metadata(dataset))),
        (
            Role.DATASET_IMAGE,
            _key_regex(layout.dataset_image(dataset, cast(ImageKind, _KIND)), pieces={_KIND: image_kinds}),
        ),
        (Role.RUN_METADATA, _key_regex(layout.run_metadata(run))),
        (Role.TILTSERIES_METADATA, _key_regex(layout.tiltseries_metadata(tiltseries))),
        (
            Role.TILTSERIES_FILE,
            _key_regex(
                layout.tiltseries_copy(tiltseries, _FILE),
                pieces={_FILE: rf"(?:[^/]+\.(?:{_TILTSERIES_FILE_TYPES})|{tiltseries_zarr}/.+)"},
            ),
        ),
        (Role.ALIGNMENT_METADATA, _key_regex(layout.alignment_metadata(alignment))),
        (
            Role.ALIGNMENT_FILE,
            _key_regex(layout.alignment_copy(alignment, _FILE), pieces={_FILE: rf"[^/]+\.(?:{_ALIGNMENT_FILE_TYPES})"}),
        ),
        (Role.FRAMES_METADATA, _key_regex(layout.frames_metadata(run))),
        (Role.FRAMES_FILE, _key_regex(layout.frames_copy(run, _FILE), pieces=any_file)),
        (Role.GAINS_FILE, _key_regex(layout.gains_copy(run, _FILE), pieces=any_file)),
        (Role.IDENTIFIED_OBJECTS_METADATA, _key_regex(layout.identified_objects_metadata(run))),
        (Role.IDENTIFIED_OBJECTS, _key_regex(layout.identified_objects(run))),
        (Role.TOMOGRAM_METADATA, _key_regex(layout.tomogram_metadata(tomogram))),
        (
            Role.TOMOGRAM_FILE,
            _key_regex(f"{tomogram_dir}/{_FILE}", pieces={_FILE: f"(?:{tomogram_mrc}|{tomogram_zarr}/.+)"}),
        ),
        (
            Role.ANNOTATION_METADATA,
            _key_regex(layout.annotation_metadata(annotation), pieces={_SLUG: "[0-9a-z_]+", _VERSION: r"[^/]*\d"}),
        ),
        (
            Role.ANNOTATION_FILE,
            _key_regex(
                f"{annotation_dir}/{_FILE}",
                pieces={
                    _FILE: _annotation_files(layout, annotation, annotation_dir),
                    _SLUG: "[0-9a-z_]+",
                    _VERSION: "[^/]*",
                },
            ),
        ),
        (
            # key photos of older trees sit directly in Images/, without the tomogram's id folder
            Role.KEY_PHOTO,
            _key_regex(
                f"{photo_folder}/{_FILE}",
                pieces={
                    _FILE: f"(?:{_ID}/)?"
                    + re.escape(_name_in(photo, f"{photo_folder}/{_ID}")).replace(_KIND, photo_kinds)
                },
            ),
        ),
        (
            Role.NEUROGLANCER_STATE,
            _key_regex(f"{viewer_folder}/{_FILE}", pieces={_FILE: f"(?:{state_names})", str(_ID): r"\d+"}),
        ),
        (Role.NEUROGLANCER, _key_regex(f"{viewer_folder}/{_FILE}", pieces=any_file)),
    )


CANONICAL_PATTERNS = canonical_patterns()
"""The canonical tree's patterns, as :data:`ingest.domain.layout.DEFAULT_LAYOUT` writes it."""

_RUN = _key_regex(DEFAULT_LAYOUT.run_dir(_sample_entities()[1]))
LEGACY_FOLDER_PATTERNS: tuple[str, ...] = (
    _RUN + r"/TomogramVoxelSpacing[^/]+",
    _RUN + r"/Tomograms/VoxelSpacing[^/]+",
    _RUN + r"/TiltSeries(?=/(?!\d+/))",
)
"""Folders of the portal's older arrangements (not written any more, recognised to report them once)."""


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
