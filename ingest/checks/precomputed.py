"""Precomputed annotation folders (``NeuroglancerPrecompute/{id}-{stem}_{shape}/``): the ``info`` reads, and the
``by_id`` index (sharded as the portal writes it, or one file per id as older trees hold it) has an entry of the
record size for every annotation id of the spatial index. Shard files are read by their indices only (a few
ranges), never whole; segmentation and mesh folders (whose ``info`` is of another kind) are left to their layers.
"""

from __future__ import annotations

import functools
import json
import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ingest.checks.codes import check_finding
from ingest.checks.tree_access import TreeReader
from ingest.converters.viewers.neuroglancer_sharding import (
    ShardIndex,
    ShardingError,
    ShardingSpec,
    read_shard_index,
)
from ingest.domain.listing import Listing
from ingest.domain.report import Finding

ANNOTATIONS_TYPE = "neuroglancer_annotations_v1"
_PROPERTY_BYTES = {"uint8": 1, "int8": 1, "uint16": 2, "int16": 2, "uint32": 4, "int32": 4, "float32": 4}
_PROPERTY_BYTES |= {"rgb": 3, "rgba": 4}
_GEOMETRY_POSITIONS = {"point": 1, "line": 2, "axis_aligned_bounding_box": 2, "ellipsoid": 2}
_MAX_SHARD_BITS = 12  # more shard files than this are not looked for one by one


class _BrokenError(Exception):
    """What is wrong with the folder (the finding's ``found``)."""


def precomputed_annotation_findings(reader: TreeReader, listing: Listing, info_key: str) -> list[Finding]:
    """The findings about the precomputed folder whose ``info`` is ``info_key`` (none for folders that are not
    annotations)."""
    try:
        info = json.loads(reader.read_bytes(info_key))
    except OSError as error:
        return [check_finding("C-TREE-UNREADABLE", "cannot read the file", file=info_key, found=type(error).__name__)]
    except (ValueError, RecursionError):
        info = None
    if not isinstance(info, dict) or info.get("@type") != ANNOTATIONS_TYPE:
        return []  # a segmentation or mesh info (or not JSON: the layer's own loading reports it)
    folder = info_key.rpartition("/")[0]
    try:
        width = _record_size(info)
        ids = _spatial_ids(reader, listing, folder, info)
        _check_by_id(reader, listing, folder, info, ids, width)
    except _BrokenError as broken:
        return [
            check_finding(
                "C-NG-PRECOMPUTED",
                "the precomputed annotations are incomplete",
                file=folder,
                expected="an info whose spatial and by_id indices hold every annotation",
                found=str(broken),
            )
        ]
    except OSError as error:
        return [check_finding("C-TREE-UNREADABLE", "cannot read the file", file=folder, found=type(error).__name__)]
    return []


def _record_size(info: dict[str, Any]) -> int:
    """Bytes of one annotation of ``info`` without relationships (geometry, properties, padding to 4)."""
    try:
        rank = len(info["dimensions"])
        positions = _GEOMETRY_POSITIONS[str(info["annotation_type"]).lower()]
        properties = sum(_PROPERTY_BYTES[str(p["type"])] for p in info.get("properties", []))
    except (KeyError, TypeError) as error:
        raise _BrokenError(f"info without a readable {error}") from None
    size = 4 * rank * positions + properties
    return size + -size % 4


def _spatial_ids(reader: TreeReader, listing: Listing, folder: str, info: dict[str, Any]) -> NDArray[np.uint64]:
    """The ids of every annotation in the (unsharded) spatial index: each cell file is a count, the records and
    the ids (read from the cell's head and tail only)."""
    levels = info.get("spatial")
    if not isinstance(levels, list) or not levels:
        raise _BrokenError("info without a spatial index")
    ids = [np.zeros(0, np.uint64)]
    for level in levels:
        if not isinstance(level, dict) or not isinstance(level.get("key"), str) or "sharding" in level:
            raise _BrokenError(f"spatial level {level!r} (expected an unsharded level with a key)")
        cells = f"{folder}/{level['key']}"
        for key in (f"{cells}/{name}" for name in listing.children.get(cells, ())):
            if key not in listing.files:
                continue
            size = reader.size(key)
            (count,) = struct.unpack("<Q", reader.read_range(key, 0, 8)) if size >= 8 else (-1,)
            if count < 0 or size < 8 + 8 * count:
                raise _BrokenError(f"{key}: {size} bytes cannot hold its count {count}")
            tail = reader.read_range(key, size - 8 * count, 8 * count)
            ids.append(np.frombuffer(tail, dtype="<u8").astype(np.uint64))
    return np.sort(np.concatenate(ids))  # sorted, not made unique: numpy's unique hashes (seconds for 1M ids)


def _check_by_id(
    reader: TreeReader, listing: Listing, folder: str, info: dict[str, Any], ids: NDArray[np.uint64], width: int
) -> None:
    by_id = info.get("by_id")
    if not isinstance(by_id, dict) or not isinstance(by_id.get("key"), str):
        raise _BrokenError("info without a by_id key")
    prefix = f"{folder}/{by_id['key']}"
    if "sharding" not in by_id:  # one file per id
        absent = [i for i in ids.tolist() if f"{prefix}/{i}" not in listing.files]
        if absent:
            raise _BrokenError(f"{len(absent)} ids without a by_id file, e.g. {absent[:3]}")
        return
    try:
        spec = ShardingSpec.from_json(by_id["sharding"])
    except ShardingError as error:
        raise _BrokenError(f"by_id sharding: {error}") from None
    if spec.shard_bits > _MAX_SHARD_BITS:
        raise _BrokenError(f"by_id shard_bits {spec.shard_bits} (at most {_MAX_SHARD_BITS} are checked)")
    found: list[ShardIndex] = []
    for shard in range(1 << spec.shard_bits):
        key = f"{prefix}/{spec.shard_name(shard)}"
        if key not in listing.files:
            raise _BrokenError(f"no shard file {key}")
        try:
            found.append(read_shard_index(spec, reader.size(key), functools.partial(reader.read_range, key)))
        except ShardingError as error:
            raise _BrokenError(f"{key}: {error}") from None
    shard_ids = np.concatenate([index.ids for index in found])
    missing = _absent(ids, np.sort(shard_ids))
    if len(missing):
        raise _BrokenError(f"{len(missing)} ids not in the by_id shards, e.g. {missing[:3].tolist()}")
    if spec.data_encoding == "raw" and not info.get("relationships"):  # relationships make records vary
        lengths = np.concatenate([index.lengths for index in found])
        wrong = np.flatnonzero(lengths != width)
        if len(wrong):
            example = shard_ids[wrong[:3]].tolist()
            raise _BrokenError(f"by_id entries of {lengths[wrong[0]]} bytes for ids {example} (records are {width})")


def _absent(ids: NDArray[np.uint64], present: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The ``ids`` not in ``present`` (sorted)."""
    if not len(present):
        return ids
    position = np.searchsorted(present, ids).clip(0, len(present) - 1)
    absent: NDArray[np.uint64] = ids[present[position] != ids]
    return absent
