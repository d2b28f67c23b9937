"""Execute the Neuroglancer tasks of a run: precomputed point annotations from the ndJSON files in the output tree
(written locally, then published as a folder, ``info`` last) and the state JSON of each default tomogram."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ingest.converters.viewers.mask_mesh import mesh_level, segment_meshes
from ingest.converters.viewers.neuroglancer_meshes import write_segment_mesh
from ingest.converters.viewers.neuroglancer_points import write_precomputed_points
from ingest.converters.viewers.neuroglancer_segmentation import (
    DATA_KEY,
    MESH_KEY,
    chunk_name,
    encode_chunk,
    segmentation_info,
)
from ingest.converters.viewers.neuroglancer_state import (
    NEUROGLANCER_URL_PREFIX,
    image_layer,
    mesh_layer,
    point_layer,
    segmentation_layer,
    state,
)
from ingest.domain.entities import Shape
from ingest.domain.tasks import NeuroglancerTask, PrecomputedPointsTask, PrecomputedSegmentationTask
from ingest.domain.viewers import PALETTE
from ingest.errors import InputFileError
from ingest.pipeline.zarr_slab import chunk_boxes, read_box, read_levels
from ingest.storage.base import Storage
from ingest.storage.digests import DigestingPublisher
from ingest.storage.retry import RetryPolicy, call_with_retries


def write_precomputed(
    task: PrecomputedPointsTask | PrecomputedSegmentationTask, output: Storage, publisher: DigestingPublisher
) -> None:
    """Publish (with ``publisher``) the precomputed folder of ``task`` (annotations or a segmentation; meshes are
    written by ``ingest.pipeline.execute_meshes``)."""
    if isinstance(task, PrecomputedSegmentationTask):
        write_precomputed_segmentation(task, output, publisher)
    else:
        write_precomputed_annotations(task, output, publisher)


def write_precomputed_annotations(task: PrecomputedPointsTask, output: Storage, publisher: DigestingPublisher) -> None:
    """Publish (with ``publisher``) the precomputed annotations of ``task.points_key`` (read from ``output``) at
    ``task.folder``, its ``info`` last."""
    with output.scratch() as scratch:
        folder = scratch / "precomputed"
        write_precomputed_points(
            iter_points(output, task.points_key),
            folder,
            voxel_spacing=task.voxel_spacing,
            object_name=task.object_name,
            diameter=task.diameter,
            oriented=task.shape is Shape.ORIENTED_POINT,
            instance_colors=PALETTE,
        )
        info = (folder / "info").read_bytes()
        (folder / "info").unlink()
        publisher.move_tree(task.folder, folder)
        publisher.publish_bytes(task.info_key, info)


def write_precomputed_segmentation(
    task: PrecomputedSegmentationTask, output: Storage, publisher: DigestingPublisher
) -> None:
    """Publish (with ``publisher``) the precomputed segmentation of the mask ``task.zarr_key`` (read from
    ``output`` one chunk at a time) with the meshes of its segments under ``mesh/`` at ``task.folder``, its
    ``info`` last."""
    level, chunk, boxes = chunk_boxes(output, task.zarr_key)
    with output.scratch() as scratch:
        folder = scratch / "precomputed"
        data = folder / DATA_KEY
        data.mkdir(parents=True)
        for box in boxes:
            voxels = read_box(output, task.zarr_key, level, box)
            start = (box[0].start, box[1].start, box[2].start)
            stop = (box[0].stop, box[1].stop, box[2].stop)
            (data / chunk_name(start, stop)).write_bytes(encode_chunk(voxels))
        meshes = _write_meshes(output, task.zarr_key, task.voxel_spacing, folder / MESH_KEY)
        info = segmentation_info(level.shape, chunk, task.voxel_spacing, mesh=meshes)
        publisher.move_tree(task.folder, folder)
        publisher.publish_bytes(task.info_key, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())


def _write_meshes(output: Storage, zarr_key: str, voxel_spacing: float, mesh_dir: Path) -> bool:
    """Write the surface mesh of each segment of the mask ``zarr_key`` into ``mesh_dir``, built from the level
    :func:`~ingest.converters.viewers.mask_mesh.mesh_level` chooses (read whole: it is small); whether any segment
    has one."""
    levels = read_levels(output, zarr_key)
    chosen = levels[mesh_level([level.shape for level in levels])]
    voxels = read_box(output, zarr_key, chosen, tuple(slice(0, n) for n in chosen.shape))
    full = levels[0].shape
    scale = (
        full[0] / chosen.shape[0] * voxel_spacing,
        full[1] / chosen.shape[1] * voxel_spacing,
        full[2] / chosen.shape[2] * voxel_spacing,
    )
    meshes = segment_meshes(voxels, scale)
    for label, (vertices, faces) in sorted(meshes.items()):
        write_segment_mesh(mesh_dir, label, vertices, faces)
    return bool(meshes)


def read_points(output: Storage, key: str) -> list[dict[str, Any]]:
    """The records of the ndJSON point file ``key`` of ``output``."""
    return list(iter_points(output, key))


def iter_points(output: Storage, key: str) -> Iterator[dict[str, Any]]:
    """The records of the ndJSON point file ``key`` of ``output``, read as a stream and parsed one line at a time
    (neither the file's bytes nor its records are held: a million oriented points are 315 MiB of ndJSON)."""
    with output.open_input(key) as stream:
        for number, line in enumerate(stream, start=1):
            if not line.isspace():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    raise InputFileError(
                        "not a JSON object", where=f"{output.url_of(key)}:{number}", expected="ndJSON"
                    ) from None


def neuroglancer_state_bytes(
    task: NeuroglancerTask,
    output: Storage,
    deposition_id: int,
    stamp: int,
    url_prefix: str = NEUROGLANCER_URL_PREFIX,
) -> bytes:
    """The state JSON of ``task`` (sorted keys, indented): the image layer, then the annotation layers, their
    sources at ``url_prefix`` + output key; with ``deposition_id`` and ``last_updated_at`` as the portal's metadata
    writer adds them."""
    tomogram = json.loads(output.read_bytes(task.tomogram_metadata_key))
    size = {axis: int(tomogram["size"][axis]) for axis in "xyz"}
    scale = round(float(tomogram["voxel_spacing"]), 3) * 1e-10
    mean, rms = _mrc_statistics(output, task.mrc_key)
    layers = [image_layer(url_prefix + task.zarr_key, task.name, scale, (mean - 3 * rms, mean + 3 * rms))]
    for layer in task.layers:
        if layer.kind == "points":
            oriented = layer.shape is Shape.ORIENTED_POINT
            instances = layer.shape is Shape.INSTANCE_SEGMENTATION
            layers.append(
                point_layer(
                    url_prefix + layer.source_key,
                    layer.name,
                    scale,
                    layer.color,
                    visible=layer.visible,
                    oriented=oriented,
                    instances=instances,
                )
            )
        elif layer.kind in ("mesh", "orientedmesh"):
            layers.append(
                mesh_layer(url_prefix + layer.source_key, layer.name, scale, layer.color, visible=layer.visible)
            )
        else:
            scheme = "precomputed" if layer.kind == "segmentation" else "zarr"
            url = url_prefix + layer.source_key
            layers.append(segmentation_layer(url, layer.name, scale, layer.color, visible=layer.visible, scheme=scheme))
    document = {**state(layers, scale, size), "deposition_id": deposition_id, "last_updated_at": stamp}
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def _mrc_statistics(output: Storage, key: str) -> tuple[float, float]:
    """The mean and rms of the canonical MRC's header (words 22 and 55; our MRCs are little-endian)."""

    def read_header() -> bytes:
        with output.open_input(key) as stream:
            return bytes(stream.read(1024))

    # the stream's reads are not retried by the storage: retry the whole read (S3 throttling, 503s)
    header = call_with_retries(
        read_header, what="reading the MRC header", where=output.url_of(key), policy=RetryPolicy()
    )
    if len(header) < 1024:
        raise InputFileError("MRC header shorter than 1024 bytes", where=output.url_of(key), expected="an MRC file")
    order = "<" if header[212] == 0x44 else ">"
    (mean,) = struct.unpack(order + "f", header[84:88])
    (rms,) = struct.unpack(order + "f", header[216:220])
    return float(mean), float(rms)
