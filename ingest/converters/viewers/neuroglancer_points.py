"""Neuroglancer precomputed point annotations of one ndJSON point file, encoded by the ``neuroglancer``
package's ``AnnotationWriter`` as the portal's precompute step does (``cryoet_data_portal_neuroglancer``
``precompute/points.py``): coordinates in voxels with a scale of voxel spacing × 1e-10 m, and per point the
properties ``name`` (an enum of the object's name, or of one name per instance), ``diameter`` (the object's
diameter in Å / 10, 10 by default), ``point_index``, ``color`` and, for oriented points, the nine
``rot_mat_{i}_{j}`` of the rotation matrix.

The ``by_id`` index is sharded as the portal shards it (its ``encode_annotation`` default ``shard_by_id=(0, 10)``:
``identity`` hash, no preshift, one shard of 1024 minishards, gzip minishard indices; one file ``by_id/0.shard``
for any number of points) except that the annotations themselves are stored raw: gzip per annotation (the portal's
``data_encoding``) costs tens of seconds per million points and saves a few bytes of each 28-88 byte record. The
``info`` and the single spatial chunk ``spatial0/0_0_0`` are what the package's ``AnnotationWriter.write`` writes
(the writer gives the record layout and the property order; its own ``write`` would write one file per point).
"""

from __future__ import annotations

import itertools
import json
import operator
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ingest.converters.viewers.neuroglancer_sharding import ShardingSpec, write_shard_files

PointRecord = dict[str, Any]

BY_ID_SHARDING = ShardingSpec(preshift_bits=0, minishard_bits=10, shard_bits=0)
"""How the ``by_id`` index is sharded (the portal's parameters, annotations stored raw)."""

POINTS_FOLDER_FORMAT = f"precomputed points, by_id {json.dumps(BY_ID_SHARDING.to_json(), sort_keys=True)}"
"""What a point folder's fingerprint includes of how it is written (a folder written otherwise is redone)."""


@dataclass(frozen=True)
class PointColumns:
    """The columns of a point file that its precomputed annotations hold: locations ``(n, 3)``, the rotation
    matrices ``(n, 3, 3)`` of oriented points, and ``instance_id`` (0 where absent) with the distinct ids of the
    records that have one."""

    locations: NDArray[np.float64]
    rotations: NDArray[np.float64] | None
    instance_ids: NDArray[np.int64]
    instances: tuple[int, ...]


def point_columns(points: Iterable[PointRecord], *, oriented: bool, batch: int = 65536) -> PointColumns:
    """The columns of ``points`` (ndJSON records), taken ``batch`` records at a time so that a stream of records
    is never held whole (a million parsed records take gigabytes; their columns, tens of megabytes)."""
    iterator = iter(points)
    locations, rotations, ids = [], [], []
    instances: set[int] = set()
    xyz, chain = operator.itemgetter("x", "y", "z"), itertools.chain.from_iterable
    while chunk := list(itertools.islice(iterator, batch)):
        coordinates = chain(map(xyz, (p["location"] for p in chunk)))
        locations.append(np.fromiter(coordinates, np.float64, 3 * len(chunk)))
        if oriented:
            matrices = chain(chain(p["xyz_rotation_matrix"] for p in chunk))
            rotations.append(np.fromiter(matrices, np.float64, 9 * len(chunk)))
        ids.append(np.fromiter((int(p.get("instance_id", 0)) for p in chunk), np.int64, len(chunk)))
        instances.update(int(p["instance_id"]) for p in chunk if "instance_id" in p)
    return PointColumns(
        np.concatenate([np.zeros(0), *locations]).reshape(-1, 3),
        np.concatenate([np.zeros(0), *rotations]).reshape(-1, 3, 3) if oriented else None,
        np.concatenate([np.zeros(0, np.int64), *ids]),
        tuple(sorted(instances)),
    )


def write_precomputed_points(
    points: Iterable[PointRecord] | PointColumns,
    folder: Path,
    *,
    voxel_spacing: float,
    object_name: str,
    diameter: float | None,
    oriented: bool,
    instance_colors: Sequence[tuple[int, int, int]] = ((255, 255, 255),),
) -> None:
    """Write ``points`` (ndJSON records, read once, or their columns) as a precomputed annotation folder at
    ``folder``; instance points get one name and colour per ``instance_id`` (colours cycling through
    ``instance_colors``)."""
    from neuroglancer import AnnotationPropertySpec, CoordinateSpace
    from neuroglancer.write_annotations import AnnotationWriter

    columns = points if isinstance(points, PointColumns) else point_columns(points, oriented=oriented)
    if oriented and columns.rotations is None:
        raise ValueError("oriented points need their rotations")
    instances = columns.instances
    names = {instance: f"{object_name} {instance}" for instance in instances} if instances else {0: object_name}
    properties = [
        AnnotationPropertySpec(
            id="name",
            type="uint8" if len(names) < 2**8 else "uint16" if len(names) < 2**16 else "uint32",
            enum_values=list(names),
            enum_labels=list(names.values()),
        ),
        AnnotationPropertySpec(id="diameter", type="float32"),
        AnnotationPropertySpec(id="point_index", type="float32"),
        AnnotationPropertySpec(id="color", type="rgb"),
    ]
    if oriented:
        rotation = [f"rot_mat_{i}_{j}" for i in range(3) for j in range(3)]
        properties += [AnnotationPropertySpec(id=name, type="float32") for name in rotation]
    scale = voxel_spacing * 1e-10
    space = CoordinateSpace(names=["x", "y", "z"], units=["m", "m", "m"], scales=[scale, scale, scale])
    writer = AnnotationWriter(coordinate_space=space, annotation_type="point", properties=properties)
    size = (diameter if diameter is not None else 100.0) / 10
    count = len(columns.locations)
    values: dict[str, Any] = {
        "name": columns.instance_ids,
        "diameter": size,
        "point_index": np.arange(count, dtype=np.float64),
        "color": _instance_colors(columns, instance_colors) if instances else (255, 255, 255),
    }
    if columns.rotations is not None:
        values.update({f"rot_mat_{i}_{j}": columns.rotations[:, i, j] for i in range(3) for j in range(3)})
    records = encode_points(writer, columns.locations, values)
    write_annotation_folder(writer, records, folder)


def _instance_colors(columns: PointColumns, palette: Sequence[tuple[int, int, int]]) -> NDArray[np.uint8]:
    """Each point's colour: the ``i``-th distinct instance id takes ``palette[i % len(palette)]``; a point
    without an ``instance_id`` (id 0 when 0 is no instance) takes the first colour."""
    known = np.asarray(columns.instances, dtype=np.int64)
    table = np.array([palette[i % len(palette)] for i in range(len(known))], dtype=np.uint8).reshape(-1, 3)
    position = np.searchsorted(known, columns.instance_ids).clip(0, len(known) - 1)
    found = known[position] == columns.instance_ids
    colors = np.empty((len(columns.instance_ids), 3), dtype=np.uint8)
    colors[:] = palette[0]
    colors[found] = table[position[found]]
    return colors


def encode_points(writer: Any, locations: NDArray[np.float64], values: dict[str, Any]) -> NDArray[Any]:
    """What ``writer.add_point(location, **values)`` encodes for each row, for all rows at once (the writer's own
    dtype: geometry, then ``property{i}`` in the writer's property order), with the writer's bounds widened as
    ``add_point`` widens them. Per point, ``add_point`` costs tens of microseconds (a structured scalar filled field
    by field); the ids are the row numbers, as ``add_point`` numbers them."""
    records = np.zeros(len(locations), dtype=writer.get_dtype())
    records["geometry"] = locations
    for index, spec in enumerate(writer.properties):
        records[f"property{index}"] = values[spec.id]
    if len(locations):
        writer.lower_bound = np.minimum(writer.lower_bound, locations.min(axis=0))
        writer.upper_bound = np.maximum(writer.upper_bound, locations.max(axis=0))
    return records


def annotation_info(writer: Any, count: int) -> dict[str, Any]:
    """The ``info`` of ``count`` annotations (ids ``0..count-1``) of ``writer``: what ``AnnotationWriter.write``
    writes (a single spatial chunk holding every annotation), with the ``by_id`` index sharded."""
    return {
        "@type": "neuroglancer_annotations_v1",
        "dimensions": writer.coordinate_space.to_json(),
        "lower_bound": [float(x) for x in writer.lower_bound],
        "upper_bound": [float(x) for x in writer.upper_bound],
        "annotation_type": writer.annotation_type,
        "properties": [p.to_json() for p in writer.properties],
        "relationships": [],
        "by_id": {"key": "by_id", "sharding": BY_ID_SHARDING.to_json()},
        "spatial": [
            {
                "key": "spatial0",
                "grid_shape": [1] * writer.rank,
                "chunk_size": [max(1, float(x)) for x in writer.upper_bound - writer.lower_bound],
                "limit": count,
            },
        ],
    }


def write_annotation_folder(writer: Any, records: NDArray[Any], folder: Path) -> None:
    """Write ``records`` (annotations without relationships, ids ``0..n-1``, encoded in ``writer``'s dtype) as a
    precomputed annotation folder: ``info``, ``spatial0/0_0_0`` (the count, every record, every id) and the
    sharded ``by_id`` index (each id's record)."""
    if writer.relationships:
        raise ValueError("annotations with relationships are not written here")
    count = len(records)
    ids = np.arange(count, dtype=np.uint64)
    rows = np.ascontiguousarray(records).view(np.uint8).reshape(count, records.dtype.itemsize)
    for name in ("spatial0", "by_id"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "info").write_text(json.dumps(annotation_info(writer, count)))
    with (folder / "spatial0" / "_".join("0" * writer.rank)).open("wb") as spatial:
        spatial.write(struct.pack("<Q", count))
        spatial.write(rows.reshape(-1).data)
        spatial.write(ids.astype("<u8").tobytes())
    write_shard_files(BY_ID_SHARDING, ids, rows, folder / "by_id")
