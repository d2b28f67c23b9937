"""OME-Zarr multiscale images: the reader for zarr sources and the writer's arrays and group metadata.

Output conventions (docs/design.md §4): NGFF 0.4 on zarr format 2 (``dimension_separator`` ``/``) or NGFF 0.5
on zarr format 3 (default ``/`` chunk keys, ``dimension_names`` z, y, x); Blosc lz4 clevel 5 with byte shuffle;
axes z, y, x of type space in angstrom; one scale transform per level and no translation. The group metadata
is written last by :func:`write_multiscales_metadata`, so a group that names its arrays has them complete.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import dask.array as da
import numcodecs
import numpy as np
import zarr
from numpy.typing import NDArray
from ome_zarr_models.common.coordinate_transformations import VectorScale
from ome_zarr_models.common.image_label_types import Color, Property
from ome_zarr_models.v04 import axes as v04_axes
from ome_zarr_models.v04 import image as v04_image
from ome_zarr_models.v04 import image_label as v04_image_label
from ome_zarr_models.v04 import image_label_types as v04_label_types
from ome_zarr_models.v04 import multiscales as v04_multiscales
from ome_zarr_models.v05 import axes as v05_axes
from ome_zarr_models.v05 import image as v05_image
from ome_zarr_models.v05 import image_label as v05_image_label
from ome_zarr_models.v05 import image_label_types as v05_label_types
from ome_zarr_models.v05 import multiscales as v05_multiscales
from pydantic import BaseModel
from zarr.codecs import BloscCodec

from ingest.converters.volumes.pyramid import Pooling, PyramidGeometry
from ingest.errors import InputFileError

AXES = ("z", "y", "x")
_POOLING_TYPES = {Pooling.MEAN: "mean", Pooling.ANY: "mean then > 0", Pooling.STRIDE: "nearest"}


class NgffVersion(StrEnum):
    """The OME-NGFF version to write: 0.4 on zarr format 2 (portal default) or 0.5 on zarr format 3."""

    V04 = "0.4"
    V05 = "0.5"

    @property
    def zarr_format(self) -> int:
        """The zarr storage format this NGFF version lives on."""
        return 2 if self is NgffVersion.V04 else 3


@dataclass(frozen=True)
class ZarrSource:
    """An opened zarr source: the level-0 array as a lazy dask array (z, y, x) and what its metadata says."""

    data: da.Array
    voxel_size: tuple[float, float, float] | None
    warnings: tuple[str, ...]
    array: zarr.Array[Any]
    """The level-0 zarr array itself, for reading regions without dask (see :meth:`read`)."""

    def read(self, region: tuple[slice, slice, slice]) -> NDArray[Any]:
        """The (z, y, x) ``region`` read straight from the zarr array (leading singleton axes dropped)."""
        if self.array.ndim == 2:
            return np.asarray(self.array[region[1:]])[None]
        return np.asarray(self.array[(0,) * (self.array.ndim - 3) + region])


def create_level_arrays(
    root: Path, geometry: PyramidGeometry, dtype: np.dtype[Any], ngff: NgffVersion
) -> tuple[zarr.Array[Any], ...]:
    """Create one empty array per level under ``root`` (named ``0``, ``1``, ...) without any group metadata."""
    arrays = []
    for level in range(geometry.levels):
        options: dict[str, Any]
        if ngff is NgffVersion.V04:
            options = {
                "compressors": numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE),
                "chunk_key_encoding": {"name": "v2", "separator": "/"},
            }
        else:
            options = {
                "compressors": BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=dtype.itemsize),
                "chunk_key_encoding": {"name": "default", "separator": "/"},
                "dimension_names": AXES,
            }
        arrays.append(
            zarr.create_array(
                root / str(level),
                shape=geometry.shapes[level],
                chunks=geometry.chunks[level],
                dtype=dtype,
                fill_value=0,
                # Every chunk is written: zarr's "is this chunk empty?" test costs about as much as compressing it.
                config={"write_empty_chunks": True},
                zarr_format=ngff.zarr_format,  # type: ignore[arg-type]
                write_data=True,
                **options,
            )
        )
    return tuple(arrays)


def multiscales_attributes(
    geometry: PyramidGeometry,
    voxel_spacing: float,
    ngff: NgffVersion,
    *,
    name: str,
    pooling: Pooling,
    label_values: tuple[int, ...] | None,
) -> dict[str, Any]:
    """The group attributes of the image: ``multiscales`` (and ``image-label`` for label images, listed again in
    the multiscale's ``metadata`` as the portal writes them), built and validated as ome-zarr-models' NGFF 0.4 or
    0.5 models, returned as JSON-ready data."""
    models = _NGFF_MODELS[ngff]
    multiscale = models.multiscale(
        version="0.4" if ngff is NgffVersion.V04 else None,
        name=name,
        axes=[models.axis(name=axis, type="space", unit="angstrom") for axis in AXES],
        datasets=[
            models.dataset(
                path=str(level),
                coordinateTransformations=[
                    VectorScale(type="scale", scale=[voxel_spacing * factor for factor in geometry.scale_of(level)])
                ],
            )
            for level in range(geometry.levels)
        ],
        type=_POOLING_TYPES[pooling],
        metadata=None if label_values is None else _portal_label_metadata(label_values),
    )
    version = {"version": "0.5"} if ngff is NgffVersion.V05 else {}
    attributes: BaseModel
    if label_values is None:
        attributes = models.image(**version, multiscales=[multiscale])
    else:
        label = models.label(
            version="0.4" if ngff is NgffVersion.V04 else None,
            colors=[
                Color.model_validate({"label-value": value, "rgba": label_colour(value)}) for value in label_values
            ],
            properties=[Property.model_validate({"label-value": value}) for value in label_values],
        )
        attributes = models.image_label(**version, image_label=label, multiscales=[multiscale])
    data: dict[str, Any] = attributes.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data if ngff is NgffVersion.V04 else {"ome": data}


def _portal_label_metadata(label_values: tuple[int, ...]) -> dict[str, Any]:
    """The labels as the portal's ingestion also lists them, in the multiscale's ``metadata`` (its instance-mask
    writer stores ``{"image-label": {"version": "0.4", "colors": [{"label-value": L}, ...]}}`` there for every
    label > 0, and its data validation reads them from there and compares their count with ``object_count``)."""
    colors = [{"label-value": int(value)} for value in label_values if value > 0]
    return {"image-label": {"version": "0.4", "colors": colors}}


@dataclass(frozen=True)
class _NgffModels:
    """The ome-zarr-models classes of one NGFF version."""

    axis: Any
    dataset: Any
    multiscale: Any
    image: Any
    label: Any
    image_label: Any


_NGFF_MODELS = {
    NgffVersion.V04: _NgffModels(
        v04_axes.Axis,
        v04_multiscales.Dataset,
        v04_multiscales.Multiscale,
        v04_image.ImageAttrs,
        v04_label_types.Label,
        v04_image_label.ImageLabelAttrs,
    ),
    NgffVersion.V05: _NgffModels(
        v05_axes.Axis,
        v05_multiscales.Dataset,
        v05_multiscales.Multiscale,
        v05_image.ImageAttrs,
        v05_label_types.Label,
        v05_image_label.ImageLabelAttrs,
    ),
}


def label_colour(value: int) -> list[int]:
    """A fixed, well-spread opaque colour for a label value (same label, same colour, in every output)."""
    return [(value * 97 + 40) % 256, (value * 57 + 120) % 256, (value * 173 + 200) % 256, 255]


def write_multiscales_metadata(root: Path, attributes: dict[str, Any], ngff: NgffVersion) -> None:
    """Write the group metadata of ``root`` (its arrays already complete), deterministic bytes."""
    if ngff is NgffVersion.V04:
        (root / ".zattrs").write_text(json.dumps(attributes, indent=2, sort_keys=True) + "\n")
        (root / ".zgroup").write_text(json.dumps({"zarr_format": 2}, indent=2) + "\n")
        return
    group = {"attributes": attributes, "node_type": "group", "zarr_format": 3}
    (root / "zarr.json").write_text(json.dumps(group, indent=2, sort_keys=True) + "\n")


def read_ome_zarr(path: Path | str, storage_options: Mapping[str, Any] | None = None) -> ZarrSource:
    """Open an OME-Zarr image (or a bare zarr array) as a lazy (z, y, x) dask array.

    ``path`` is a local folder or an fsspec URL (``s3://bucket/image.zarr``, read in place with
    ``storage_options``).

    The first multiscales dataset is level 0. Leading singleton axes (t, c) are dropped; axes listed in another
    order than z, y, x are noted in ``warnings`` and the array is read as z, y, x, as the portal does.
    """
    try:
        node = zarr.open(str(path), mode="r", storage_options=dict(storage_options) if storage_options else None)
    except Exception as error:  # zarr raises several unrelated types for "not a zarr hierarchy"
        raise InputFileError(
            "not an MRC file or a zarr group", where=str(path), found=f"{type(error).__name__}: {error}"
        ) from error
    notes: list[str] = []
    voxel_size: tuple[float, float, float] | None = None
    if isinstance(node, zarr.Array):
        array = node
    else:
        attrs: dict[str, Any] = dict(node.attrs)
        multiscales = attrs.get("multiscales") or attrs.get("ome", {}).get("multiscales")
        if not multiscales:
            keys = sorted(node.array_keys())
            if not keys:
                raise InputFileError("zarr group holds no arrays", where=str(path), expected="an OME-Zarr image")
            notes.append(f"{path}: no multiscales metadata; reading array {keys[0]!r}")
            array = _array_at(node, keys[0], path)
        else:
            try:
                dataset = multiscales[0]["datasets"][0]
                dataset_path = str(dataset["path"])
            except (KeyError, IndexError, TypeError) as error:
                raise InputFileError(
                    "malformed multiscales metadata",
                    where=str(path),
                    expected="multiscales[0].datasets[0].path",
                    found=f"{type(error).__name__}: {error}",
                ) from error
            array = _array_at(node, dataset_path, path)
            names = tuple(axis["name"] if isinstance(axis, dict) else axis for axis in multiscales[0].get("axes", []))
            if names[-3:] and names[-3:] != AXES:
                notes.append(f"{path}: axes listed as {','.join(names)}; the array is read as z,y,x")
            scales = [t["scale"] for t in dataset.get("coordinateTransformations", []) if t.get("type") == "scale"]
            if scales and len(scales[0]) >= 3:
                voxel_size = (float(scales[0][-3]), float(scales[0][-2]), float(scales[0][-1]))
    _refuse_huge_chunks(array, path)
    data = da.from_zarr(array)  # type: ignore[no-untyped-call]
    while data.ndim > 3 and data.shape[0] == 1:
        data = data[0]
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3:
        raise InputFileError(
            "zarr array is not a volume", where=str(path), expected="3 axes z,y,x", found=str(data.shape)
        )
    return ZarrSource(data=data, voxel_size=voxel_size, warnings=tuple(notes), array=array)


MAX_SOURCE_CHUNK_BYTES = 1 << 30
"""Reading any region decodes whole chunks: a chunk declared bigger than this (1 GiB decoded) is refused."""


def _refuse_huge_chunks(array: zarr.Array[Any], path: Path | str) -> None:
    chunk_bytes = math.prod(int(n) for n in array.chunks) * np.dtype(array.dtype).itemsize
    if chunk_bytes > MAX_SOURCE_CHUNK_BYTES:
        raise InputFileError(
            "zarr chunks too large to read in bounded memory",
            where=str(path),
            expected=f"chunks of at most {MAX_SOURCE_CHUNK_BYTES >> 20} MiB decoded",
            found=f"chunks {'x'.join(str(n) for n in array.chunks)} of {array.dtype}: {chunk_bytes} bytes each",
        )


def _array_at(group: zarr.Group, key: str, path: Path | str) -> zarr.Array[Any]:
    try:
        node = group[key]
    except KeyError as error:
        raise InputFileError(
            "multiscales dataset names an array that is not there",
            where=f"{path}/{key}",
            expected=f"arrays {sorted(group.array_keys())}",
            found="nothing",
        ) from error
    if not isinstance(node, zarr.Array):
        raise InputFileError("multiscales dataset is not an array", where=f"{path}/{key}", found="a group")
    return node
