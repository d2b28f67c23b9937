"""Read an OME-Zarr pyramid through a :class:`TreeReader`: its NGFF model, its levels and their chunks.

Zarr v2 pyramids (NGFF 0.4, what the pipeline writes by default) are read directly: ``.zattrs`` and
``.zarray`` JSON, chunks decoded with numcodecs. That needs no zarr store, works the same for every storage,
and avoids zarr's event-loop round trip per read, which dominates on small pyramids. Zarr v3 pyramids
(NGFF 0.5) are opened with the zarr library.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numcodecs
import numpy as np
import pydantic_zarr.v2
import pydantic_zarr.v3
import zarr
from ome_zarr_models import v04, v05

from ingest.checks.tree_access import TreeReader

# ome-zarr-models leaves its group models incomplete (forward references to pydantic-zarr specs) until rebuilt.
_V2_NAMES = {"ArraySpec": pydantic_zarr.v2.ArraySpec, "GroupSpec": pydantic_zarr.v2.GroupSpec}
_V3_NAMES = {"ArraySpec": pydantic_zarr.v3.ArraySpec, "GroupSpec": pydantic_zarr.v3.GroupSpec}
v04.Image.model_rebuild(_types_namespace=_V2_NAMES)
v04.ImageLabel.model_rebuild(_types_namespace=_V2_NAMES)
v05.Image.model_rebuild(_types_namespace=_V3_NAMES)
v05.ImageLabel.model_rebuild(_types_namespace=_V3_NAMES)


class Level(Protocol):
    """One array of a pyramid."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def chunks(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype[Any]: ...

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        """The key of one chunk, relative to the pyramid's folder."""
        ...

    def read_chunk(self, coords: tuple[int, ...]) -> np.ndarray:
        """The decoded voxels of one chunk, clipped to the array's bounds."""
        ...


@dataclass(frozen=True)
class Pyramid:
    """An OME-Zarr image: its OME attributes (``multiscales``, ``image-label``) and its arrays by path."""

    ome: Mapping[str, Any]
    levels: Mapping[str, Level]

    @property
    def multiscale(self) -> Mapping[str, Any]:
        first: Mapping[str, Any] = self.ome["multiscales"][0]
        return first


def chunk_block(level: Level, coords: tuple[int, ...]) -> tuple[slice, ...]:
    """The region of the array one chunk covers."""
    return tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(coords, level.chunks, level.shape, strict=True))


def chunk_counts(level: Level) -> tuple[int, ...]:
    """How many chunks the array has along each axis."""
    return tuple(math.ceil(n / c) for n, c in zip(level.shape, level.chunks, strict=True))


@dataclass(frozen=True)
class _V2Level:
    reader: TreeReader
    key: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype[Any]
    metadata: Mapping[str, Any]

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        return str(self.metadata.get("dimension_separator") or ".").join(str(i) for i in coords)

    def read_chunk(self, coords: tuple[int, ...]) -> np.ndarray:
        block = chunk_block(self, coords)
        try:
            raw = self.reader.read_bytes(f"{self.key}/{self.chunk_key(coords)}")
        except FileNotFoundError:
            fill = self.metadata.get("fill_value") or 0
            return np.full(tuple(s.stop - s.start for s in block), fill, dtype=self.dtype)
        compressor = self.metadata.get("compressor")
        data = numcodecs.get_codec(dict(compressor)).decode(raw) if compressor else raw
        for spec in reversed(self.metadata.get("filters") or []):
            data = numcodecs.get_codec(dict(spec)).decode(data)
        flat = np.frombuffer(bytes(data), dtype=self.dtype)
        full = flat.reshape(self.chunks, order="F") if self.metadata.get("order") == "F" else flat.reshape(self.chunks)
        clipped: np.ndarray = full[tuple(slice(0, s.stop - s.start) for s in block)]
        return clipped


@dataclass(frozen=True)
class _ZarrLevel:
    array: Any

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    @property
    def chunks(self) -> tuple[int, ...]:
        return tuple(self.array.chunks)

    @property
    def dtype(self) -> np.dtype[Any]:
        dtype: np.dtype[Any] = np.dtype(self.array.dtype)
        return dtype

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        return str(self.array.metadata.encode_chunk_key(coords))

    def read_chunk(self, coords: tuple[int, ...]) -> np.ndarray:
        return np.asarray(self.array[chunk_block(self, coords)])


def open_pyramid(reader: TreeReader, key: str, keys: frozenset[str]) -> Pyramid:
    """Open and validate (ome-zarr-models) the pyramid at ``key``; ``keys`` are the tree's file keys.

    Raises ValueError (pydantic's ValidationError included) or OSError when it is not a valid NGFF image.
    """
    if f"{key}/zarr.json" in keys:
        return _open_v3(reader, key)
    if f"{key}/.zattrs" not in keys:
        raise ValueError(f"no .zattrs (NGFF 0.4) or zarr.json (NGFF 0.5) in {key}")
    group_bytes = reader.read_bytes(f"{key}/.zattrs")
    attrs = json.loads(group_bytes)
    if not isinstance(attrs, dict):
        raise ValueError(".zattrs is not a JSON object")
    members: list[tuple[str, bytes, bytes]] = []
    levels: dict[str, Level] = {}
    for dataset in (attrs.get("multiscales") or [{}])[0].get("datasets", []):
        path = str(dataset.get("path"))
        if f"{key}/{path}/.zarray" not in keys:
            continue
        array_bytes = reader.read_bytes(f"{key}/{path}/.zarray")
        attrs_bytes = reader.read_bytes(f"{key}/{path}/.zattrs") if f"{key}/{path}/.zattrs" in keys else b"{}"
        members.append((path, array_bytes, attrs_bytes))
        metadata = json.loads(array_bytes)
        levels[path] = _V2Level(
            reader,
            f"{key}/{path}",
            tuple(metadata["shape"]),
            tuple(metadata["chunks"]),
            np.dtype(metadata["dtype"]),
            metadata,
        )
    problem = _ngff_v04_problem(group_bytes, tuple(members))
    if problem is not None:
        raise ValueError(problem)
    return Pyramid(attrs, levels)


@functools.lru_cache(maxsize=512)
def _ngff_v04_problem(group_attrs: bytes, members: tuple[tuple[str, bytes, bytes], ...]) -> str | None:
    """Why this metadata is not an NGFF 0.4 image, or None; cached because ome-zarr-models builds pydantic
    classes on every validation, and the pyramids of one dataset usually share their metadata byte for byte."""
    attrs = json.loads(group_attrs)
    specs: dict[str, Any] = {}
    for path, array_bytes, attrs_bytes in members:
        metadata = {name: value for name, value in json.loads(array_bytes).items() if name != "zarr_format"}
        specs[path] = pydantic_zarr.v2.ArraySpec(**metadata, attributes=json.loads(attrs_bytes))
    model = v04.ImageLabel if "image-label" in attrs else v04.Image
    try:
        model(attributes=attrs, members=specs)
    except ValueError as error:
        return str(error)
    return None


def _open_v3(reader: TreeReader, key: str) -> Pyramid:
    group = zarr.open_group(reader.zarr_store(key), mode="r")
    ome: Any = dict(group.attrs).get("ome", {})
    (v05.ImageLabel if "image-label" in ome else v05.Image).from_zarr(group)
    paths = [str(d["path"]) for d in ome["multiscales"][0]["datasets"]]
    levels: dict[str, Level] = {path: _ZarrLevel(group[path]) for path in paths}
    return Pyramid(ome, levels)
