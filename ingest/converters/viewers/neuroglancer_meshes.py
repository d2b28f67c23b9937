"""Neuroglancer precomputed meshes of mesh annotations and of oriented points shown as instances of a mesh.

The portal's precompute step (``importers/visualization_precompute.py`` with ``cryoet_data_portal_neuroglancer``)
writes, per mesh annotation file, a folder ``NeuroglancerPrecompute/{annotation_id}-{stem}_triangularmesh/`` and,
per oriented-point file whose source names a ``mesh_source_path``, ``..._orientedmesh/``: a standalone segmentation
``info`` (``neuroglancer_multiscale_volume``, ``mesh: "mesh"``, resolution 1 and the size of the mesh's bounds) with
the meshes of segment 1 under ``mesh/`` and its label (the annotation file's stem without its last suffix, as the
portal's ``string_label``) in ``segment_properties/info``. Coordinates are the glb's own, shown by the state's layer
in units of the voxel spacing; an oriented mesh is the source mesh (in Å) scaled to nm (× 0.1), then rotated by each
point's ``xyz_rotation_matrix`` and moved to its ``location``, one copy per point.

The portal encodes multi-resolution Draco meshes (with igneous and cloud-volume, which are not dependencies here);
this module writes the same folder with Neuroglancer's single-resolution (legacy) mesh format instead: ``mesh/info``
``{"@type": "neuroglancer_legacy_mesh"}``, the manifest ``mesh/1:0`` (``{"fragments": ["1:0:0"]}``) and the fragment
``mesh/1:0:0`` (little-endian: uint32 vertex count, float32 x/y/z per vertex, uint32 triangle indices).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SEGMENT_ID = 1
"""The segment the mesh of a precomputed mesh folder is (the layer shows segment 1)."""

ORIENTED_MESH_SCALE = 0.1
"""Source meshes of oriented points are in Å; their copies are placed in nm (as the portal's instance meshes)."""


def scene_arrays(scene: Any) -> tuple[np.ndarray, np.ndarray]:
    """The vertices (float64, N×3) and triangles (int64, M×3) of a ``trimesh`` Scene or Trimesh, every geometry
    moved by its scene transform and concatenated."""
    import trimesh

    geometries: list[Any]
    if isinstance(scene, trimesh.Scene):
        geometries = [geometry for geometry in scene.dump() if hasattr(geometry, "faces")]
    else:
        geometries = [scene]
    vertices, faces, offset = [], [], 0
    for geometry in geometries:
        vertices.append(np.asarray(geometry.vertices, dtype=np.float64))
        faces.append(np.asarray(geometry.faces, dtype=np.int64) + offset)
        offset += len(geometry.vertices)
    if not vertices:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(vertices), np.concatenate(faces)


def oriented_copies(
    vertices: np.ndarray, faces: np.ndarray, points: Sequence[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """One copy of the mesh per oriented point: ``R · (0.1 · v) + location`` (``R`` the point's
    ``xyz_rotation_matrix``), concatenated."""
    scaled = vertices * ORIENTED_MESH_SCALE
    count = len(points)
    rotations = np.array([point["xyz_rotation_matrix"] for point in points], dtype=np.float64).reshape(count, 3, 3)
    locations = np.array([[point["location"][axis] for axis in "xyz"] for point in points], dtype=np.float64)
    placed = np.einsum("pij,vj->pvi", rotations, scaled) + locations[:, None, :]
    offsets = (np.arange(count, dtype=np.int64) * len(vertices))[:, None, None]
    return placed.reshape(-1, 3), (faces[None, :, :] + offsets).reshape(-1, 3)


def write_precomputed_mesh(vertices: np.ndarray, faces: np.ndarray, folder: Path, *, label: str = "") -> None:
    """Write the mesh (``vertices`` N×3, ``faces`` M×3) as segment 1 of a precomputed mesh folder at ``folder``
    (see the module docstring), with ``segment_properties/info`` naming segment 1 ``label``; ``info`` is written
    last."""
    properties = folder / "segment_properties"
    properties.mkdir(parents=True, exist_ok=True)
    (properties / "info").write_bytes(
        _json(
            {
                "@type": "neuroglancer_segment_properties",
                "inline": {
                    "ids": [str(SEGMENT_ID)],
                    "properties": [{"id": "label", "type": "label", "values": [label]}],
                },
            }
        )
    )
    write_segment_mesh(folder / "mesh", SEGMENT_ID, vertices, faces)
    upper = np.ceil(vertices.max(axis=0)).astype(int) if len(vertices) else np.ones(3, dtype=int)
    size = [max(int(value), 1) for value in upper]
    info = {
        "@type": "neuroglancer_multiscale_volume",
        "data_type": "uint32",
        "mesh": "mesh",
        "num_channels": 1,
        "segment_properties": "segment_properties",
        "scales": [
            {
                "chunk_sizes": [[256, 256, 256]],
                "compressed_segmentation_block_size": [64, 64, 64],
                "encoding": "compressed_segmentation",
                "key": "data",
                "resolution": [1.0, 1.0, 1.0],
                "size": size,
            }
        ],
        "type": "segmentation",
    }
    (folder / "info").write_bytes(_json(info))


def write_segment_mesh(mesh_dir: Path, segment_id: int, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Write the mesh of segment ``segment_id`` into the legacy mesh folder ``mesh_dir`` (its fragment
    ``{id}:0:0``, its manifest ``{id}:0`` and the folder's ``info``)."""
    mesh_dir.mkdir(parents=True, exist_ok=True)
    fragment = f"{segment_id}:0:0"
    data = (
        np.uint32(len(vertices)).astype("<u4").tobytes()
        + np.asarray(vertices, dtype="<f4").tobytes()
        + np.asarray(faces, dtype="<u4").tobytes()
    )
    (mesh_dir / fragment).write_bytes(data)
    (mesh_dir / f"{segment_id}:0").write_bytes(_json({"fragments": [fragment]}))
    (mesh_dir / "info").write_bytes(_json({"@type": "neuroglancer_legacy_mesh"}))


def read_precomputed_mesh(folder: Path, segment_id: int = SEGMENT_ID) -> tuple[np.ndarray, np.ndarray]:
    """The vertices and triangles of segment ``segment_id`` (1 unless given) of a precomputed folder with a
    ``mesh`` folder written by :func:`write_segment_mesh`."""
    manifest = json.loads((folder / "mesh" / f"{segment_id}:0").read_bytes())
    data = (folder / "mesh" / manifest["fragments"][0]).read_bytes()
    count = int(np.frombuffer(data[:4], dtype="<u4")[0])
    vertices = np.frombuffer(data[4 : 4 + 12 * count], dtype="<f4").reshape(-1, 3)
    faces = np.frombuffer(data[4 + 12 * count :], dtype="<u4").reshape(-1, 3)
    return vertices.astype(np.float64), faces.astype(np.int64)


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
