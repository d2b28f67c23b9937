"""Surface meshes of a mask's segments, for the ``mesh`` of its Neuroglancer precomputed segmentation (the portal's
``encode_segmentation(..., include_mesh=True)``).

Each non-zero label's surface is built with marching cubes (``skimage.measure.marching_cubes`` at level 0.5) over
the mask padded by one empty voxel, so the surface is closed where a segment touches the volume's edge. Vertices
are in the segmentation ``info``'s units: voxel ``i`` of the level the mask was read at spans ``[i, i + 1) ·
factor · voxel_spacing`` (Neuroglancer's convention), so a segment filling voxels ``a..b-1`` has its faces at
``a`` and ``b`` times ``factor · voxel_spacing``. Vertices are ``(x, y, z)``, triangles wound outwards.

Memory stays bounded by reading a coarser OME-Zarr level when level 0 is large: the mesh is built from the finest
level with at most :data:`MAX_MESH_VOXELS` voxels (the coarsest level when none is that small).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_MESH_VOXELS = 2**24
"""The most voxels a mask level may have to be meshed (16 Mi voxels: marching cubes holds a float32 copy, 64 MiB)."""


def mesh_level(shapes: Sequence[tuple[int, int, int]]) -> int:
    """The index of the level (``shapes`` finest first) the mesh is built from: the finest with at most
    :data:`MAX_MESH_VOXELS` voxels, else the coarsest."""
    for index, shape in enumerate(shapes):
        if int(np.prod(shape)) <= MAX_MESH_VOXELS:
            return index
    return len(shapes) - 1


def segment_meshes(
    mask: NDArray[Any], scale: tuple[float, float, float]
) -> dict[int, tuple[NDArray[np.float64], NDArray[np.int64]]]:
    """The surface of each non-zero label of ``mask`` (z, y, x) as vertices (x, y, z; N×3) and triangles (M×3),
    by label; ``scale`` (z, y, x) is the size of one voxel in the ``info``'s units."""
    from skimage.measure import marching_cubes

    meshes: dict[int, tuple[NDArray[np.float64], NDArray[np.int64]]] = {}
    for label in (int(value) for value in np.unique(mask) if value != 0):
        inside = np.pad(mask == label, 1).astype(np.float32)
        vertices, faces, _, _ = marching_cubes(inside, level=0.5, allow_degenerate=False)  # type: ignore[no-untyped-call]
        # padded index p is voxel p - 1, whose centre is at (p - 1 + 0.5) voxels
        zyx = (vertices.astype(np.float64) - 0.5) * np.asarray(scale, dtype=np.float64)
        # marching cubes winds the triangles inwards in (z, y, x); (x, y, z), a mirror image, turns them outwards
        meshes[label] = (zyx[:, ::-1].copy(), faces.astype(np.int64))
    return meshes
