"""The Plan: frozen, picklable tasks grouped per run, produced by :func:`ingest.plan.deposition.plan_deposition`.

A task says what to read (source keys, relative to ``{input}/{source_prefix}``), what to write (output keys from
:mod:`ingest.domain.layout`, relative to the output root) and the entity's config metadata with its templates already
rendered (:class:`Metadata`). Computed fields (sizes, scales, file paths, object counts, ``last_updated_at``) are
added by the executor; it never has to look at the config again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ingest.domain.annotation_options import AnnotationSourceOptions
from ingest.domain.entities import (
    Alignment,
    Annotation,
    Dataset,
    Deposition,
    Run,
    Shape,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
)
from ingest.errors import UsageError


@dataclass(frozen=True)
class Metadata:
    """A JSON object, frozen: the canonical text (sorted keys) of an entity's rendered config metadata."""

    text: str = "{}"

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Metadata:
        """Freeze ``values`` (JSON-able: dicts, lists, strings, numbers, booleans, None)."""
        return cls(json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False))

    def to_dict(self) -> dict[str, Any]:
        """A fresh, mutable copy of the object."""
        value: dict[str, Any] = json.loads(self.text)
        return value

    def get(self, *path: str) -> Any:
        """The value at ``path`` (``get("annotation_object", "name")``), or None when absent."""
        value: Any = self.to_dict()
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value


class Section(StrEnum):
    """The sections ``--only`` can select."""

    DEPOSITIONS = "depositions"
    DATASETS = "datasets"
    RUNS = "runs"
    TILTSERIES = "tiltseries"
    ALIGNMENTS = "alignments"
    TOMOGRAMS = "tomograms"
    ANNOTATIONS = "annotations"
    RAWTILTS = "rawtilts"
    COLLECTION_METADATA = "collection_metadata"
    GAINS = "gains"
    CTFS = "ctfs"
    FRAMES = "frames"
    KEY_IMAGES = "key_images"
    NEUROGLANCER = "neuroglancer"
    IDENTIFIED_OBJECTS = "identified_objects"


def parse_sections(text: str) -> frozenset[Section]:
    """``"tomograms,annotations"`` as sections; an unknown name is a :class:`UsageError` listing the known ones."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = {section.value: section for section in Section}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise UsageError(
            "unknown section in --only",
            expected="a comma-separated list of " + ", ".join(known),
            found=", ".join(unknown) or repr(text),
        )
    return frozenset(known[name] for name in names)


METADATA_ONLY = "metadata"
"""The ``--only`` word that asks for a metadata-only pass rather than a section."""


def parse_only(text: str) -> tuple[frozenset[Section] | None, bool]:
    """``--only`` as sections (None: all) and whether it asks for a metadata-only pass (``metadata``, alone or
    with sections: ``--only metadata,tomograms``)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    metadata_only = METADATA_ONLY in names
    rest = ",".join(name for name in names if name != METADATA_ONLY)
    if metadata_only and not rest:
        return None, True
    return parse_sections(rest if metadata_only else text), metadata_only


@dataclass(frozen=True)
class Selection:
    """Which part of the deposition to plan: runs and datasets by regex (full match), sections by name."""

    runs: tuple[str, ...] = ()
    exclude_runs: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    only: frozenset[Section] | None = None

    def wants_dataset(self, name: str) -> bool:
        """Whether dataset ``name`` is selected."""
        return not self.datasets or any(re.fullmatch(pattern, name) for pattern in self.datasets)

    def wants_run(self, name: str) -> bool:
        """Whether run ``name`` is selected (``--run`` patterns, then ``--exclude-run``)."""
        if self.runs and not any(re.fullmatch(pattern, name) for pattern in self.runs):
            return False
        return not any(re.fullmatch(pattern, name) for pattern in self.exclude_runs)

    def wants(self, section: Section) -> bool:
        """Whether tasks of ``section`` are kept."""
        return self.only is None or section in self.only


@dataclass(frozen=True)
class ImageCopy:
    """A picture copied into the tree (as PNG). ``source`` is a key under the source prefix found by a glob, or,
    when ``literal``, the path the config gives (``bucket/key`` or a URL, see :mod:`ingest.pipeline.literal_files`)."""

    kind: str
    source: str
    output_key: str
    literal: bool = False


@dataclass(frozen=True)
class DepositionTask:
    """Write ``depositions_metadata/{id}/deposition_metadata.json`` (and its key photos)."""

    deposition: Deposition
    metadata: Metadata
    metadata_key: str
    images: tuple[ImageCopy, ...] = ()


@dataclass(frozen=True)
class DatasetTask:
    """Write a dataset's metadata (and its key photos). ``fallback_photos``: for the key photos the config does not
    give, the (snapshot, thumbnail) key images of the dataset's tomograms, in order; the first pair found in the
    output tree after the runs is copied into the dataset's ``Images/`` (as the portal's dataset key-photo
    importer)."""

    dataset: Dataset
    metadata: Metadata
    metadata_key: str
    images: tuple[ImageCopy, ...] = ()
    fallback_photos: tuple[tuple[str, str], ...] = ()

    @property
    def missing_photos(self) -> tuple[str, ...]:
        """The key photos (snapshot, thumbnail) that neither the config's files nor its references give."""
        given = {image.kind for image in self.images} | set(self.metadata.get("key_photos") or {})
        return tuple(kind for kind in ("snapshot", "thumbnail") if kind not in given)


@dataclass(frozen=True)
class TiltSeriesTask:
    """Convert a tilt series stack into ``{run}.mrc`` + ``{run}.zarr`` and write its metadata."""

    tiltseries: TiltSeries
    source_key: str
    metadata: Metadata
    metadata_key: str
    mrc_key: str
    zarr_key: str
    reused_id: bool = field(default=False, compare=False, repr=False)  # not part of what is written
    sections: SectionSources | None = None
    frames_count: int = 0


@dataclass(frozen=True)
class SectionSources:
    """What a tilt series' ``per_section_parameter`` is computed from: the raw tilt file, the run's mdoc and the
    CTF estimates (None: no CTF file), each source key with the key of its copy in the tree."""

    rawtlt_source_key: str
    rawtlt_key: str
    mdoc_source_key: str | None
    ctf_source_key: str | None = None
    ctf_key: str | None = None
    ctf_format: str | None = None

    def source_keys(self) -> tuple[str, ...]:
        """The source keys the fields are computed from (a change to any of them rewrites the metadata)."""
        keys = (self.rawtlt_source_key, self.mdoc_source_key, self.ctf_source_key)
        return tuple(key for key in keys if key is not None)


@dataclass(frozen=True)
class AlignmentTask:
    """Copy an alignment's files and write its metadata. ``is_default``: the identity alignment written when the
    config gives none; ``source_keys`` are the alignment files the config names, copied to ``output_keys`` (same
    order, same file names, in the alignment's folder)."""

    alignment: Alignment
    metadata: Metadata
    metadata_key: str
    source_keys: tuple[str, ...]
    is_default: bool
    reused_id: bool = field(default=False, compare=False, repr=False)  # not part of what is written
    output_keys: tuple[str, ...] = ()
    size_source_key: str | None = None
    """For an alignment without a configured volume_dimension (always the default one): the tomogram metadata
    file whose size × voxel spacing is its volume_dimension
    (written earlier in the same run, or already in the tree when ``--only`` leaves the tomograms out)."""


@dataclass(frozen=True)
class CopyTask:
    """Copy one source file, unchanged, to ``output_key`` (raw tilt angles, CTF estimates, collection metadata,
    movie frames, gains): the file has no metadata of its own; the run's manifest records it under ``output_key``."""

    section: Section
    source_key: str
    output_key: str


@dataclass(frozen=True)
class FramesTask:
    """Write a run's ``Frames/frames_metadata.json`` from its acquisition file: ``mdoc_source_key`` is read (its
    copy is at ``mdoc_key``, which the file names); ``frame_keys`` are the output keys of the run's copied frame
    files (their copies are :class:`CopyTask` of section ``frames``); ``metadata`` is the frames entry's rendered
    metadata (dose_rate, is_gain_corrected)."""

    metadata: Metadata
    metadata_key: str
    mdoc_source_key: str
    mdoc_key: str
    frame_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdentifiedObjectsTask:
    """Write the rows of the CSV ``source_key`` that belong to the run (all rows when it has no ``run_name``
    column) as ``data_key`` (JSON records), then ``metadata_key`` (the entry's metadata with the counts)."""

    source_key: str
    metadata: Metadata
    data_key: str
    metadata_key: str


@dataclass(frozen=True)
class TomogramTask:
    """Convert a source volume into ``{run}.mrc`` + ``{run}.zarr`` and write ``tomogram_metadata.json``."""

    tomogram: Tomogram
    source_key: str
    metadata: Metadata
    metadata_key: str
    mrc_key: str
    zarr_key: str
    alignment_metadata_key: str
    reused_id: bool = field(default=False, compare=False, repr=False)  # not part of what is written
    key_photo: tuple[tuple[str, str], ...] = ()
    """The key images ``tomogram_metadata.json`` names (``snapshot`` and ``thumbnail`` -> output key), written by
    the tomogram's :class:`KeyImageTask` later in the same run."""
    neuroglancer_key: str | None = None
    """The Neuroglancer state ``tomogram_metadata.json`` names, written by the :class:`NeuroglancerTask`."""


@dataclass(frozen=True)
class PrecomputedPointsTask:
    """Write an ndJSON point file (``points_key``) as Neuroglancer precomputed annotations under ``folder``
    (its ``info`` last)."""

    annotation_metadata_key: str
    points_key: str
    folder: str
    shape: Shape
    voxel_spacing: float
    object_name: str
    diameter: float | None

    @property
    def info_key(self) -> str:
        """The folder's ``info`` file (the task's record in the manifest)."""
        return f"{self.folder}/info"

    @property
    def source_key(self) -> str:
        """The output file it is made from."""
        return self.points_key


@dataclass(frozen=True)
class PrecomputedSegmentationTask:
    """Write a semantic mask's OME-Zarr (``zarr_key``) as a Neuroglancer precomputed segmentation under ``folder``
    (its ``info`` last)."""

    annotation_metadata_key: str
    zarr_key: str
    folder: str
    voxel_spacing: float

    @property
    def info_key(self) -> str:
        """The folder's ``info`` file (the task's record in the manifest)."""
        return f"{self.folder}/info"

    @property
    def source_key(self) -> str:
        """The output file it is made from."""
        return self.zarr_key


@dataclass(frozen=True)
class PrecomputedMeshTask:
    """Write a Neuroglancer precomputed mesh under ``folder`` (its ``info`` last): the glb of a mesh annotation
    (``mesh_key``, in the output tree), or one copy per oriented point of ``points_key`` (ndJSON, in the output
    tree) of the input mesh ``mesh_source_key`` (an oriented-point source's ``mesh_source_path``)."""

    annotation_metadata_key: str
    folder: str
    mesh_key: str | None = None
    mesh_source_key: str | None = None
    points_key: str | None = None
    label: str = ""
    """The segment's label (``segment_properties``)."""

    @property
    def info_key(self) -> str:
        """The folder's ``info`` file (the task's record in the manifest)."""
        return f"{self.folder}/info"

    @property
    def source_key(self) -> str:
        """The file it is made from: the glb in the output tree, or the oriented points' input mesh."""
        source = self.mesh_key or self.mesh_source_key
        assert source is not None  # planned with one of them
        return source


PrecomputedTask = PrecomputedPointsTask | PrecomputedSegmentationTask | PrecomputedMeshTask
"""A precomputed folder a Neuroglancer state reads (``--only neuroglancer`` writes them all)."""


@dataclass(frozen=True)
class NeuroglancerLayer:
    """One annotation layer of a state: ``kind`` ``points`` (source: precomputed annotations), ``segmentation``
    (source: a precomputed segmentation), ``mask`` (source: an OME-Zarr), ``mesh`` or ``orientedmesh`` (source: a
    precomputed mesh), with its name, colour (``#rrggbb``), visibility and shape."""

    kind: str
    name: str
    source_key: str
    color: str
    visible: bool
    shape: Shape
    annotation_metadata_key: str = ""
    """The metadata file of the annotation the layer shows (a failed annotation's layers are left out)."""


@dataclass(frozen=True)
class NeuroglancerTask:
    """Write a tomogram's Neuroglancer state at ``state_key``: its image layer (``zarr_key``, contrast from the
    canonical MRC's statistics at ``mrc_key``, size from ``tomogram_metadata_key``), then ``layers``."""

    tomogram: Tomogram
    state_key: str
    zarr_key: str
    mrc_key: str
    tomogram_metadata_key: str
    name: str
    layers: tuple[NeuroglancerLayer, ...] = ()
    annotation_metadata_keys: tuple[str, ...] = ()
    former_keys: tuple[str, ...] = ()
    """Where earlier versions wrote this state (:meth:`ingest.domain.layout.Layout.former_neuroglancer_configs`):
    removed, with their manifest entries, once the state is in place under ``state_key``."""


@dataclass(frozen=True)
class KeyImageTask:
    """Draw a tomogram's key images (``original``, ``thumbnail``, ``snapshot``, ``expanded`` -> output key, in
    ``images``) from the central slab of its OME-Zarr at ``zarr_key``, with the default point files
    (``point_keys``, ndJSON) and masks (``mask_keys``, OME-Zarr) of the run drawn over it, one colour each."""

    tomogram: Tomogram
    zarr_key: str
    tomogram_metadata_key: str
    images: tuple[tuple[str, str], ...]
    point_keys: tuple[str, ...] = ()
    mask_keys: tuple[str, ...] = ()
    annotation_metadata_keys: tuple[str, ...] = ()

    @property
    def last_key(self) -> str:
        """The image published last (the task's record in the manifest)."""
        return self.images[-1][1]


@dataclass(frozen=True)
class AnnotationOutput:
    """One output file of an annotation source: ``file_format`` is ``ndjson``, ``mrc`` or ``zarr``."""

    file_format: str
    key: str


@dataclass(frozen=True)
class AnnotationFileTask:
    """One source entry of an annotation: read ``source_keys`` with reader ``source_format`` and write
    ``outputs``. ``options`` are the entry's options rendered for the run (binning, order, filter_value,
    mask_label, threshold, columns, delimiter, is_visualization_default, ...), typed."""

    shape: Shape
    source_format: str
    source_keys: tuple[str, ...]
    outputs: tuple[AnnotationOutput, ...]
    options: AnnotationSourceOptions
    mesh_source_key: str | None = None  # the entry's mesh_source_path, found in the input (placed per point)


@dataclass(frozen=True)
class AnnotationTask:
    """Write an annotation's files, then its ``{slug}-{version}.json`` metadata."""

    annotation: Annotation
    metadata: Metadata
    metadata_key: str
    alignment_metadata_key: str
    files: tuple[AnnotationFileTask, ...]
    reused_id: bool = field(default=False, compare=False, repr=False)  # not part of what is written


@dataclass(frozen=True)
class VoxelSpacingPlan:
    """The tasks of one voxel-spacing folder."""

    voxel_spacing: VoxelSpacing
    tomograms: tuple[TomogramTask, ...] = ()
    annotations: tuple[AnnotationTask, ...] = ()
    key_images: tuple[KeyImageTask, ...] = ()
    precomputed: tuple[PrecomputedTask, ...] = ()
    neuroglancer: tuple[NeuroglancerTask, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A section (or part of one) this version does not ingest yet, with how many items it would have had."""

    section: str
    count: int


@dataclass(frozen=True)
class RunPlan:
    """Every task of one run: the unit the executor distributes."""

    run: Run
    metadata_key: str | None
    tiltseries: tuple[TiltSeriesTask, ...] = ()
    alignments: tuple[AlignmentTask, ...] = ()
    voxel_spacings: tuple[VoxelSpacingPlan, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    copies: tuple[CopyTask, ...] = ()
    frames: tuple[FramesTask, ...] = ()
    claims: tuple[tuple[str, str], ...] = ()
    """The numbered folders the plan allocates in this run, with the identity each is for (manifest claims)."""
    orphans: tuple[str, ...] = ()
    """Folders of this run without metadata that our manifest claims (left by a killed run): deleted first."""
    identified_objects: tuple[IdentifiedObjectsTask, ...] = ()

    @property
    def tomograms(self) -> tuple[TomogramTask, ...]:
        """Every tomogram task of the run."""
        return tuple(task for vs in self.voxel_spacings for task in vs.tomograms)

    @property
    def annotations(self) -> tuple[AnnotationTask, ...]:
        """Every annotation task of the run."""
        return tuple(task for vs in self.voxel_spacings for task in vs.annotations)

    @property
    def key_images(self) -> tuple[KeyImageTask, ...]:
        """Every key-image task of the run."""
        return tuple(task for vs in self.voxel_spacings for task in vs.key_images)

    @property
    def precomputed(self) -> tuple[PrecomputedTask, ...]:
        """Every precomputed task of the run (annotations, segmentations and meshes)."""
        return tuple(task for vs in self.voxel_spacings for task in vs.precomputed)

    @property
    def neuroglancer(self) -> tuple[NeuroglancerTask, ...]:
        """Every Neuroglancer state task of the run."""
        return tuple(task for vs in self.voxel_spacings for task in vs.neuroglancer)

    @property
    def meshes(self) -> tuple[PrecomputedMeshTask, ...]:
        """Every precomputed-mesh task of the run."""
        return tuple(task for task in self.precomputed if isinstance(task, PrecomputedMeshTask))


@dataclass(frozen=True)
class Plan:
    """A whole deposition's plan: deposition and dataset tasks, tasks per run, skipped sections, warnings."""

    deposition_id: int
    layout: str
    deposition: DepositionTask | None
    datasets: tuple[DatasetTask, ...]
    runs: tuple[RunPlan, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]


def total_skipped(counts: Iterable[Skipped]) -> tuple[Skipped, ...]:
    """Counts of the same section added up, in order of first appearance; zero counts dropped."""
    totals: dict[str, int] = {}
    for item in counts:
        totals[item.section] = totals.get(item.section, 0) + item.count
    return tuple(Skipped(section, count) for section, count in totals.items() if count)
