"""Neuroglancer precomputed point annotations of one ndJSON point file, written with the ``neuroglancer``
package's ``AnnotationWriter`` as the portal's precompute step does (``cryoet_data_portal_neuroglancer``
``precompute/points.py``): coordinates in voxels with a scale of voxel spacing × 1e-10 m, and per point the
properties ``name`` (an enum of the object's name, or of one name per instance), ``diameter`` (the object's
diameter in Å / 10, 10 by default), ``point_index``, ``color`` and, for oriented points, the nine
``rot_mat_{i}_{j}`` of the rotation matrix. Unlike the portal, the ``by_id`` index is left unsharded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

PointRecord = dict[str, Any]


def write_precomputed_points(
    points: Sequence[PointRecord],
    folder: Path,
    *,
    voxel_spacing: float,
    object_name: str,
    diameter: float | None,
    oriented: bool,
    instance_colors: Sequence[tuple[int, int, int]] = ((255, 255, 255),),
) -> None:
    """Write ``points`` (ndJSON records) as a precomputed annotation folder at ``folder``; instance points get
    one name and colour per ``instance_id`` (colours cycling through ``instance_colors``)."""
    from neuroglancer import AnnotationPropertySpec, CoordinateSpace
    from neuroglancer.write_annotations import AnnotationWriter

    instances = sorted({int(p["instance_id"]) for p in points if "instance_id" in p})
    if instances:
        names = {instance: f"{object_name} {instance}" for instance in instances}
        colors = {instance: instance_colors[i % len(instance_colors)] for i, instance in enumerate(instances)}
    else:
        names, colors = {0: object_name}, {}
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
    for index, point in enumerate(points):
        location = [float(point["location"][axis]) for axis in "xyz"]
        extra: dict[str, Any] = {}
        if oriented:
            matrix = point["xyz_rotation_matrix"]
            extra = {f"rot_mat_{i}_{j}": float(matrix[i][j]) for i in range(3) for j in range(3)}
        instance = int(point.get("instance_id", 0))
        writer.add_point(
            location,
            name=instance,
            diameter=size,
            point_index=float(index),
            color=colors.get(instance, instance_colors[0]) if instances else (255, 255, 255),
            **extra,
        )
    writer.write(folder)
