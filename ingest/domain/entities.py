"""The frozen entities of a deposition's hierarchy (docs/design.md §2), each naming one place in the output.

An entity holds only what identifies it: names, numeric ids, the voxel spacing. Where it lands in a tree is
the business of :mod:`ingest.domain.layout`. Every name that becomes a path segment is checked when the entity is built,
so an entity that would escape the output root (``..``, an absolute path, a path separator) cannot exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ingest.errors import PlanError

_UNSAFE_CHARACTERS = re.compile(r"[/\\\x00-\x1f\x7f]")
MAX_NAME_BYTES = 230
"""Longest name (UTF-8 bytes): file names built from it (``{run}.zarr``, ``{run}_{format}_ctf.txt``) must fit the
255-byte limit of common file systems."""


def check_safe_name(kind: str, name: str) -> str:
    """Return ``name`` when it is safe as one path segment of the output tree; raise :class:`PlanError` otherwise.

    Refused: empty names, ``.`` and ``..``, names with ``/`` or ``\\`` (absolute paths included), control
    characters, leading or trailing whitespace, and names longer than :data:`MAX_NAME_BYTES`.
    """
    problem = None
    if not name:
        problem = "an empty name"
    elif name in {".", ".."}:
        problem = f"{name!r}, which would escape its folder"
    elif _UNSAFE_CHARACTERS.search(name):
        problem = f"{name!r}, which contains a path separator or a control character"
    elif name != name.strip():
        problem = f"{name!r}, which starts or ends with whitespace"
    elif len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        problem = f"a name of {len(name.encode('utf-8', 'surrogateescape'))} bytes, longer than {MAX_NAME_BYTES}"
    if problem is not None:
        raise PlanError(
            f"unsafe {kind} name: it would not stay one folder inside the output root",
            expected="a single path segment without '/', '\\', '..' or control characters",
            found=problem,
        )
    return name


def check_id(kind: str, value: int) -> int:
    """Return ``value`` when it is a non-negative integer id; raise :class:`PlanError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError(f"invalid {kind} id", expected="a non-negative integer", found=repr(value))
    return value


def round_voxel_spacing(value: float) -> float:
    """A voxel spacing as the portal keys it: rounded to 3 decimals (13.4801 and 13.48 are one folder)."""
    return round(float(value), 3)


@dataclass(frozen=True)
class Deposition:
    """What was submitted together; its metadata lives beside the datasets, under ``depositions_metadata/``."""

    deposition_id: int

    def __post_init__(self) -> None:
        check_id("deposition", self.deposition_id)


@dataclass(frozen=True)
class Dataset:
    """One dataset folder at the output root (its name is the dataset id, e.g. ``10001``)."""

    name: str

    def __post_init__(self) -> None:
        check_safe_name("dataset", self.name)


@dataclass(frozen=True)
class Run:
    """One physical location imaged, inside a dataset."""

    dataset: Dataset
    name: str

    def __post_init__(self) -> None:
        check_safe_name("run", self.name)


@dataclass(frozen=True)
class VoxelSpacing:
    """The tomograms and annotations of a run at one sampling (Å per voxel, 3 decimals)."""

    run: Run
    value: float

    def __post_init__(self) -> None:
        if not self.value > 0:
            raise PlanError("invalid voxel spacing", expected="a positive number of Å", found=repr(self.value))
        object.__setattr__(self, "value", round_voxel_spacing(self.value))

    @property
    def name(self) -> str:
        """The voxel spacing as it appears in folder names and templates: ``13.480``."""
        return f"{self.value:.3f}"


@dataclass(frozen=True)
class TiltSeries:
    """A run's tilt series, numbered from 100 inside the run."""

    run: Run
    tiltseries_id: int

    def __post_init__(self) -> None:
        check_id("tilt series", self.tiltseries_id)


@dataclass(frozen=True)
class Alignment:
    """An alignment of a run's tilt series, numbered from 100 inside the run."""

    run: Run
    alignment_id: int

    def __post_init__(self) -> None:
        check_id("alignment", self.alignment_id)


@dataclass(frozen=True)
class Tomogram:
    """A reconstruction at one voxel spacing, numbered from 100 inside its voxel-spacing folder (as the portal does)."""

    voxel_spacing: VoxelSpacing
    tomogram_id: int

    def __post_init__(self) -> None:
        check_id("tomogram", self.tomogram_id)

    @property
    def run(self) -> Run:
        """The run this tomogram belongs to."""
        return self.voxel_spacing.run


class Shape(StrEnum):
    """Annotation file shapes; the value is the portal's name, :attr:`suffix` the file-name suffix."""

    POINT = "Point"
    ORIENTED_POINT = "OrientedPoint"
    INSTANCE_SEGMENTATION = "InstanceSegmentation"
    SEGMENTATION_MASK = "SegmentationMask"
    SEMANTIC_SEGMENTATION_MASK = "SemanticSegmentationMask"
    INSTANCE_SEGMENTATION_MASK = "InstanceSegmentationMask"
    TRIANGULAR_MESH = "TriangularMesh"
    TRIANGULAR_MESH_GROUP = "TriangularMeshGroup"

    @property
    def output_shape(self) -> Shape:
        """The shape written to the output: a semantic mask is stored as the portal's ``SegmentationMask``, a mesh
        of a group as a ``TriangularMesh``."""
        if self is Shape.SEMANTIC_SEGMENTATION_MASK:
            return Shape.SEGMENTATION_MASK
        return Shape.TRIANGULAR_MESH if self is Shape.TRIANGULAR_MESH_GROUP else self

    @property
    def is_volume(self) -> bool:
        """Masks are volumes (MRC + OME-Zarr); meshes are glb files; the other shapes are ndJSON point files."""
        return self in _VOLUME_SHAPES

    @property
    def is_mesh(self) -> bool:
        """Meshes are written as one glb file."""
        return self in (Shape.TRIANGULAR_MESH, Shape.TRIANGULAR_MESH_GROUP)

    @property
    def suffix(self) -> str:
        """``point``, ``orientedpoint``, ``segmentationmask``, ... as used in output file names."""
        return self.output_shape.value.lower()


_VOLUME_SHAPES = frozenset(
    {Shape.SEGMENTATION_MASK, Shape.SEMANTIC_SEGMENTATION_MASK, Shape.INSTANCE_SEGMENTATION_MASK}
)


def annotation_slug(object_name: str, object_description: str | None = None) -> str:
    """The annotation slug: the object description when present and at most 50 characters, else its name;
    lower-case, every character outside ``[0-9a-z]`` replaced by ``_``."""
    text = object_description if object_description and len(object_description) <= 50 else object_name
    return re.sub(r"[^0-9a-z]", "_", text.lower())


def format_version(version: float | int | str) -> str:
    """An annotation version as it appears in file names: numbers as floats (``1`` → ``1.0``), text as is."""
    if isinstance(version, bool):
        raise PlanError("invalid annotation version", expected="a number such as 1.0", found=repr(version))
    if isinstance(version, int | float):
        return str(float(version))
    return check_safe_name("annotation version", str(version))


@dataclass(frozen=True)
class Annotation:
    """One annotation (one object type) at one voxel spacing, numbered from 100 inside the voxel-spacing folder."""

    voxel_spacing: VoxelSpacing
    annotation_id: int
    slug: str
    version: str

    def __post_init__(self) -> None:
        check_id("annotation", self.annotation_id)
        check_safe_name("annotation slug", self.slug)
        check_safe_name("annotation version", self.version)

    @property
    def run(self) -> Run:
        """The run this annotation belongs to."""
        return self.voxel_spacing.run

    @property
    def stem(self) -> str:
        """``{slug}-{version}``: the start of every file name of this annotation."""
        return f"{self.slug}-{self.version}"


@dataclass(frozen=True)
class AnnotationFile:
    """One file of an annotation: a shape in one format (``ndjson``, ``mrc``, ``zarr`` or ``glb``)."""

    annotation: Annotation
    shape: Shape
    file_format: str

    def __post_init__(self) -> None:
        if self.file_format not in {"ndjson", "mrc", "zarr", "glb"}:
            raise PlanError(
                "invalid annotation output format", expected="ndjson, mrc, zarr or glb", found=repr(self.file_format)
            )
