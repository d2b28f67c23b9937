"""What a canonical tree holds, from one listing of it (``ingest info``): depositions, datasets, runs, tilt series,
tomograms per voxel spacing, annotations per shape, files and bytes by kind, and the last ingestion recorded in
``.ingest/`` (:mod:`ingest.pipeline.ingestion_log`). Nothing but ``.ingest/last_ingestion.json`` is read.

:func:`summarise_keys` is pure (key -> size in, :class:`TreeSummary` out); :func:`summarise_tree` lists a storage.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ingest.domain.entities import Shape
from ingest.errors import UsageError
from ingest.pipeline.ingestion_log import LOG_FOLDER, read_last_ingestion
from ingest.pipeline.manifest import MANIFEST_FOLDER
from ingest.storage.base import Storage

_DEPOSITION = re.compile(r"depositions_metadata/([^/]+)/deposition_metadata\.json")
_DATASET = re.compile(r"([^/]+)/dataset_metadata\.json")
_RUN = re.compile(r"([^/]+)/([^/]+)/run_metadata\.json")
_TILTSERIES = re.compile(r"([^/]+)/[^/]+/TiltSeries/[^/]+/tiltseries_metadata\.json")
_TOMOGRAM = re.compile(r"([^/]+)/[^/]+/Reconstructions/VoxelSpacing([^/]+)/Tomograms/[^/]+/tomogram_metadata\.json")
_ANNOTATION_FILE = re.compile(
    r"([^/]+)/[^/]+/Reconstructions/VoxelSpacing[^/]+/Annotations/([^/]+)/[^/]+_([a-z]+)\.(ndjson|mrc|zarr|glb)(/|$)"
)
_ANNOTATION = re.compile(r"([^/]+/[^/]+/Reconstructions/VoxelSpacing[^/]+/Annotations/[^/]+)/")
_KINDS = (("TiltSeries", "tiltseries"), ("Tomograms", "tomograms"), ("Annotations", "annotations"))
_SHAPES = {
    "point": "Point",
    "orientedpoint": "OrientedPoint",
    "instancesegmentation": "InstanceSegmentation",
    "segmentationmask": "SegmentationMask",
    "instancesegmentationmask": "InstanceSegmentationMask",
    "triangularmesh": "TriangularMesh",
}
assert set(_SHAPES) == {shape.suffix for shape in Shape}  # every shape's file-name suffix is known


@dataclass(frozen=True)
class DatasetSummary:
    """One dataset: its runs, tomograms and annotations, files and bytes."""

    dataset: str
    runs: int = 0
    tomograms: int = 0
    annotations: int = 0
    files: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class TreeSummary:
    """What a tree holds (see the module docstring); ``annotations`` counts annotations having each shape."""

    url: str
    depositions: tuple[str, ...] = ()
    datasets: tuple[DatasetSummary, ...] = ()
    runs: int = 0
    tiltseries: int = 0
    tomograms: dict[str, int] = field(default_factory=dict)
    annotations: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    bytes_by_kind: dict[str, int] = field(default_factory=dict)
    manifests: int = 0
    logs: int = 0
    last_ingestion: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The summary as the JSON document ``ingest info --format json`` prints (README: "ingest info")."""
        return {
            "url": self.url,
            "depositions": list(self.depositions),
            "datasets": [vars(dataset) for dataset in self.datasets],
            "runs": self.runs,
            "tiltseries": self.tiltseries,
            "tomograms": {"total": sum(self.tomograms.values()), "by_voxel_spacing": self.tomograms},
            "annotations": {"total": self.annotation_count, "by_shape": self.annotations},
            "files": self.files,
            "bytes": self.bytes,
            "bytes_by_kind": self.bytes_by_kind,
            "ingest": {"manifests": self.manifests, "logs": self.logs, "last_ingestion": self.last_ingestion},
        }

    @property
    def annotation_count(self) -> int:
        """How many annotations (metadata files of ``Annotations/{id}/``) the tree holds."""
        return sum(dataset.annotations for dataset in self.datasets)


def summarise_keys(url: str, sizes: dict[str, int]) -> TreeSummary:
    """The summary of a tree given every key under it with its size (``.ingest/`` keys included)."""
    canonical = {key: size for key, size in sizes.items() if not key.startswith(f"{MANIFEST_FOLDER}/")}
    bookkeeping = [key for key in sizes if key.startswith(f"{MANIFEST_FOLDER}/")]
    depositions = sorted(m.group(1) for key in canonical if (m := _DEPOSITION.fullmatch(key)))
    names = sorted({m.group(1) for key in canonical if (m := _DATASET.fullmatch(key))})
    runs = Counter(m.group(1) for key in canonical if (m := _RUN.fullmatch(key)))
    tomograms: Counter[str] = Counter()
    tomograms_of: Counter[str] = Counter()
    for key in canonical:
        if m := _TOMOGRAM.fullmatch(key):
            tomograms[m.group(2)] += 1
            tomograms_of[m.group(1)] += 1
    shapes: set[tuple[str, str]] = set()  # (annotation folder, shape)
    annotations_of: Counter[str] = Counter()
    for key in canonical:
        if (m := _ANNOTATION_FILE.match(key)) and m.group(3) in _SHAPES:
            folder = _ANNOTATION.match(key)
            assert folder is not None  # the file pattern implies the folder pattern
            shapes.add((folder.group(1), _SHAPES[m.group(3)]))
        elif key.endswith(".json") and (folder := _ANNOTATION.match(key)) and key.count("/") == 6:
            annotations_of[key.split("/", 1)[0]] += 1
    files_of: Counter[str] = Counter()
    bytes_of: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for key, size in canonical.items():
        top = key.split("/", 1)[0]
        files_of[top] += 1
        bytes_of[top] += size
        parts = key.split("/")
        kinds[next((kind for folder, kind in _KINDS if folder in parts), "other")] += size
    datasets = tuple(
        DatasetSummary(name, runs[name], tomograms_of[name], annotations_of[name], files_of[name], bytes_of[name])
        for name in names
    )
    return TreeSummary(
        url=url,
        depositions=tuple(depositions),
        datasets=datasets,
        runs=sum(runs.values()),
        tiltseries=sum(1 for key in canonical if _TILTSERIES.fullmatch(key)),
        tomograms=dict(sorted(tomograms.items(), key=lambda item: _spacing_order(item[0]))),
        annotations=dict(sorted(Counter(shape for _, shape in shapes).items())),
        files=len(canonical),
        bytes=sum(canonical.values()),
        bytes_by_kind={kind: kinds[kind] for kind in ("tiltseries", "tomograms", "annotations", "other")},
        manifests=sum(1 for key in bookkeeping if key.startswith(f"{MANIFEST_FOLDER}/manifests/")),
        logs=sum(1 for key in bookkeeping if key.startswith(f"{LOG_FOLDER}/")),
    )


def _spacing_order(name: str) -> tuple[float, str]:
    try:
        return float(name), name
    except ValueError:
        return float("inf"), name


def summarise_tree(storage: Storage) -> TreeSummary:
    """List ``storage`` once and summarise it; a tree holding no portal entity is a :class:`UsageError` (exit 2)
    saying what was found instead."""
    sizes = storage.list_sizes("")
    summary = summarise_keys(storage.url_of(""), sizes)
    if not summary.depositions and not summary.datasets:
        found = f"{len(sizes)} file(s) and no dataset_metadata.json" if sizes else "nothing"
        raise UsageError(
            f"{storage.url_of('')}: not a portal tree",
            expected="depositions_metadata/*/deposition_metadata.json or */dataset_metadata.json",
            found=found,
        )
    last = read_last_ingestion(storage)
    return summary if last is None else _with_last(summary, last)


def _with_last(summary: TreeSummary, last: dict[str, Any]) -> TreeSummary:
    from dataclasses import replace

    return replace(summary, last_ingestion=last)
