"""Checks on OME-Zarr pyramids: NGFF validity, axes, levels, scales, dtypes, chunks against the MRC."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from pydantic import ValidationError

from ingest.checks.codes import check_finding
from ingest.checks.mrc import MrcHeader, read_mrc_block
from ingest.checks.tree_access import TreeReader
from ingest.checks.zarr_levels import Level, chunk_block, chunk_counts, open_pyramid
from ingest.converters.volumes.kind import VolumeKind
from ingest.domain.report import Finding

LEVELS = ("0", "1", "2")
SCALE_TOLERANCE = 1e-3


class ChunkCoverage(Enum):
    """Which chunks of a pyramid the checks decode."""

    SAMPLE = "sample"
    """The first chunk of every level and the last chunk of level 0."""
    EVERY = "every"
    """Every chunk of every level, comparing all level-0 voxels with the MRC."""


@dataclass(frozen=True)
class MrcTwin:
    """The canonical MRC a pyramid must agree with."""

    key: str
    header: MrcHeader


@dataclass(frozen=True)
class VolumeSample:
    """What was learnt from a pyramid: level-0 shape, distinct integer values decoded, declared labels.

    ``complete`` is true when every chunk was decoded, so ``values`` are all the values the pyramid holds.
    """

    shape: tuple[int, ...] | None
    values: frozenset[int] = frozenset()
    label_values: tuple[int, ...] | None = None
    complete: bool = False


@dataclass(frozen=True)
class ZarrCheck:
    """The findings about one pyramid and what it holds."""

    findings: tuple[Finding, ...]
    sample: VolumeSample


def check_ome_zarr(
    reader: TreeReader,
    key: str,
    *,
    keys: frozenset[str],
    kind: VolumeKind,
    voxel_spacing: float | None,
    mrc: MrcTwin | None,
    chunks: ChunkCoverage,
) -> ZarrCheck:
    """Check one OME-Zarr pyramid (``keys``: the tree's file keys); ``chunks`` says which chunks are decoded."""
    try:
        pyramid = open_pyramid(reader, key, keys)
    except (ValidationError, ValueError, TypeError, KeyError, OSError, RuntimeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ZarrCheck(
            (check_finding("C-ZARR-NGFF", "not a valid OME-NGFF image", file=key, found=message),), VolumeSample(None)
        )
    multiscale = pyramid.multiscale
    findings = list(_axes_findings(key, multiscale))
    arrays = {path: pyramid.levels[path] for path in _dataset_paths(multiscale) if path in pyramid.levels}
    findings.extend(_level_findings(key, kind, voxel_spacing, multiscale, arrays))
    level0 = arrays.get("0")
    if level0 is None:
        return ZarrCheck(tuple(findings), VolumeSample(None))
    if mrc is not None and tuple(level0.shape) != mrc.header.shape:
        findings.append(
            check_finding(
                "C-ZARR-MRC-SHAPE",
                "level 0 and the MRC differ in shape",
                file=key,
                expected=f"{mrc.header.shape} ({mrc.key})",
                found=tuple(level0.shape),
            )
        )
        mrc = None
    findings.extend(_missing_chunk_findings(key, arrays, keys))
    values: set[int] = set()
    for path, array in arrays.items():
        compare = mrc if path == "0" else None
        findings.extend(_chunk_findings(reader, key, path, array, compare, chunks, values))
    labels = _label_values(pyramid.ome)
    complete = chunks is ChunkCoverage.EVERY
    return ZarrCheck(tuple(findings), VolumeSample(tuple(level0.shape), frozenset(values), labels, complete))


def _dataset_paths(multiscale: Mapping[str, Any]) -> list[str]:
    return [str(dataset["path"]) for dataset in multiscale.get("datasets", [])]


def _axes_findings(key: str, multiscale: Mapping[str, Any]) -> Iterator[Finding]:
    axes = [(a.get("name"), a.get("type"), a.get("unit")) for a in multiscale.get("axes", [])]
    expected = [(name, "space", "angstrom") for name in "zyx"]
    if axes != expected:
        yield check_finding(
            "C-ZARR-AXES",
            "axes must be z, y, x of type space in angstrom",
            file=f"{key}/.zattrs",
            expected=expected,
            found=axes,
        )


def expected_level_shape(shape0: tuple[int, ...], level: int, kind: VolumeKind) -> tuple[int, ...]:
    """Level ``level`` of a pyramid over ``shape0``: ceil(n / 2^level), z kept for tilt series."""
    factor = 2**level
    z = math.ceil(shape0[0] / factor) if kind.halves_z else shape0[0]
    return (z, *(math.ceil(n / factor) for n in shape0[1:]))


def _level_findings(
    key: str, kind: VolumeKind, spacing: float | None, multiscale: Mapping[str, Any], arrays: Mapping[str, Level]
) -> Iterator[Finding]:
    paths = list(arrays)
    if paths != list(LEVELS):
        yield check_finding(
            "C-ZARR-LEVELS",
            "the pyramid must have the levels 0, 1, 2",
            file=f"{key}/.zattrs",
            expected=list(LEVELS),
            found=paths,
        )
    shape0 = tuple(arrays["0"].shape) if "0" in arrays else None
    for level, dataset in enumerate(multiscale.get("datasets", [])):
        path = str(dataset["path"])
        array = arrays.get(path)
        if array is None:
            continue
        if shape0 is not None and len(shape0) == 3 and tuple(array.shape) != expected_level_shape(shape0, level, kind):
            yield check_finding(
                "C-ZARR-LEVEL-SHAPE",
                f"level {path} has the wrong shape",
                file=f"{key}/{path}",
                expected=expected_level_shape(shape0, level, kind),
                found=tuple(array.shape),
            )
        if np.dtype(array.dtype) != kind.output_dtype:
            yield check_finding(
                "C-ZARR-DTYPE",
                f"dtype not allowed for a {kind.label}",
                file=f"{key}/{path}",
                expected=kind.output_dtype,
                found=array.dtype,
            )
        yield from _scale_findings(key, path, level, kind, spacing, dataset)


def _scale_findings(
    key: str, path: str, level: int, kind: VolumeKind, spacing: float | None, dataset: Mapping[str, Any]
) -> Iterator[Finding]:
    transforms = dataset.get("coordinateTransformations", [])
    if any(t.get("type") == "translation" for t in transforms):
        yield check_finding(
            "C-ZARR-SCALE",
            f"level {path} has a translation",
            file=f"{key}/.zattrs",
            expected="scale only",
            found=transforms,
        )
    if spacing is None:
        return
    scales = [t.get("scale") for t in transforms if t.get("type") == "scale"]
    factor = 2.0**level
    expected = [spacing if not kind.halves_z else spacing * factor, spacing * factor, spacing * factor]
    if (
        not scales
        or len(scales[0]) != 3
        or any(abs(s - e) > SCALE_TOLERANCE for s, e in zip(scales[0], expected, strict=True))
    ):
        yield check_finding(
            "C-ZARR-SCALE",
            f"level {path} scale is not voxel spacing × 2^{level}",
            file=f"{key}/.zattrs",
            expected=expected,
            found=scales[0] if scales else None,
        )


def _chunk_grid(array: Level, chunks: ChunkCoverage, level: str) -> list[tuple[int, ...]]:
    counts = chunk_counts(array)
    first = tuple(0 for _ in counts)
    if chunks is ChunkCoverage.EVERY:
        return list(itertools.product(*(range(n) for n in counts)))
    if level != "0":
        return [first]
    return sorted({first, tuple(n - 1 for n in counts)})


def _missing_chunk_findings(key: str, arrays: Mapping[str, Level], keys: frozenset[str]) -> Iterator[Finding]:
    """One finding per level whose chunk grid is not all in the listing (a missing chunk reads as the fill value,
    so decoding alone never notices it)."""
    for path, array in arrays.items():
        grid = itertools.product(*(range(n) for n in chunk_counts(array)))
        missing = [coords for coords in grid if f"{key}/{path}/{array.chunk_key(coords)}" not in keys]
        if missing:
            first = f"{key}/{path}/{array.chunk_key(missing[0])}"
            yield check_finding(
                "C-ZARR-CHUNK",
                f"{len(missing)} chunk(s) of level {path} are missing" if len(missing) > 1 else "the chunk is missing",
                file=first,
                expected="every chunk of the grid (the pipeline writes empty chunks too)",
                found="no such file",
            )


def _chunk_findings(
    reader: TreeReader,
    key: str,
    path: str,
    array: Level,
    mrc: MrcTwin | None,
    chunks: ChunkCoverage,
    values_seen: set[int],
) -> Iterator[Finding]:
    for coords in _chunk_grid(array, chunks, path):
        chunk_key = f"{key}/{path}/{array.chunk_key(coords)}"
        try:
            values = array.read_chunk(coords)
        except Exception as error:
            yield check_finding(
                "C-ZARR-CHUNK", "the chunk cannot be decoded", file=chunk_key, found=f"{type(error).__name__}: {error}"
            )
            continue
        if values.dtype.kind in "iub":
            values_seen.update(int(v) for v in np.unique(values))
        if mrc is not None:
            zs, ys, xs = chunk_block(array, coords)
            expected = read_mrc_block(reader, mrc.key, mrc.header, (zs, ys, xs))
            if not np.array_equal(values, expected, equal_nan=values.dtype.kind == "f"):
                differing = int(np.count_nonzero(values != expected))
                yield check_finding(
                    "C-ZARR-MRC-VOXELS",
                    "level-0 voxels differ from the MRC's",
                    file=chunk_key,
                    expected=f"the voxels of {mrc.key}",
                    found=f"{differing} differing voxel(s)",
                )


def _label_values(ome: Mapping[str, Any]) -> tuple[int, ...] | None:
    label = ome.get("image-label")
    if not isinstance(label, Mapping):
        return None
    return tuple(sorted(int(c["label-value"]) for c in label.get("colors", []) if "label-value" in c))
