"""Precomputed segmentation of masks: the compressed_segmentation encoding decoded back by a reader written from
Neuroglancer's format description (block headers, lookup tables, packed values), the info, and the example tree's
mask folder decoded back to its OME-Zarr, named and laid out as the portal's."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import zarr
from numpy.typing import NDArray

from ingest.converters.viewers.mask_mesh import MAX_MESH_VOXELS, mesh_level, segment_meshes
from ingest.converters.viewers.neuroglancer_meshes import read_precomputed_mesh, write_segment_mesh
from ingest.converters.viewers.neuroglancer_segmentation import BLOCK, chunk_name, encode_chunk, segmentation_info
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest

VS10 = "90001/TS_001/Reconstructions/VoxelSpacing10.000"
FOLDER = f"{VS10}/NeuroglancerPrecompute/101-membrane-1.0_segmentationmask"
MASK = f"{VS10}/Annotations/101/membrane-1.0_segmentationmask.zarr"


def decode_chunk(raw: bytes, shape: tuple[int, int, int]) -> NDArray[np.uint32]:
    """A one-channel uint32 compressed_segmentation chunk of ``shape`` (z, y, x) as an array."""
    words = np.frombuffer(raw, dtype="<u4")
    base = int(words[0])  # the channel's data starts at this word
    grid = [-(-n // b) for n, b in zip(shape, BLOCK, strict=True)]
    out = np.zeros([g * b for g, b in zip(grid, BLOCK, strict=True)], dtype=np.uint32)
    count = BLOCK[0] * BLOCK[1] * BLOCK[2]
    for index, (z, y, x) in enumerate(np.ndindex(*grid)):
        first, second = (int(w) for w in words[base + 2 * index : base + 2 * index + 2])
        table, bits, values = first & 0xFFFFFF, first >> 24, second
        if bits == 0:
            positions = np.zeros(count, dtype=np.int64)
        else:
            per_word = 32 // bits
            packed = words[base + values : base + values + -(-count // per_word)].astype(np.int64)
            positions = ((packed[:, None] >> (np.arange(per_word) * bits)) & ((1 << bits) - 1)).reshape(-1)[:count]
        labels = words[base + table : base + table + int(positions.max()) + 1][positions]
        out[z * 64 : z * 64 + 64, y * 64 : y * 64 + 64, x * 64 : x * 64 + 64] = labels.reshape(BLOCK)
    return out[: shape[0], : shape[1], : shape[2]]


@pytest.mark.parametrize(
    ("shape", "labels"),
    [((64, 64, 64), 1), ((70, 65, 130), 2), ((3, 200, 5), 5), ((64, 64, 64), 300), ((10, 10, 10), 70000)],
    ids=["one-value", "binary-edge-blocks", "thin", "9-bit-labels", "17-bit-labels"],
)
def test_chunks_decode_to_their_labels(shape: tuple[int, int, int], labels: int) -> None:
    data = np.random.default_rng(7).integers(0, labels, size=shape).astype(np.uint32)
    assert np.array_equal(decode_chunk(encode_chunk(data), shape), data)


def test_blocks_with_the_same_labels_share_one_lookup_table() -> None:
    data = np.zeros((64, 64, 128), dtype=np.int8)
    data[:, :, ::2] = 1  # both blocks hold {0, 1}
    raw = encode_chunk(data)
    # 1 channel word + 2 blocks × 2 header words + one table of 2 labels + 2 × 64³ 1-bit values
    assert len(raw) == 4 * (1 + 4 + 2 + 2 * 64**3 // 32)
    assert struct.unpack("<I", raw[4:8])[0] & 0xFFFFFF == struct.unpack("<I", raw[12:16])[0] & 0xFFFFFF


def test_negative_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        encode_chunk(np.full((2, 2, 2), -1, dtype=np.int8))


def test_info_and_chunk_names_are_x_y_z() -> None:
    info = segmentation_info((64, 128, 130), (64, 128, 128), 13.48)
    scale = info["scales"][0]
    assert info["type"] == "segmentation" and info["data_type"] == "uint32"
    assert scale["size"] == [130, 128, 64] and scale["chunk_sizes"] == [[128, 128, 64]]
    assert scale["encoding"] == "compressed_segmentation" and scale["key"] == "data"
    assert scale["resolution"] == [13.48, 13.48, 13.48]
    assert chunk_name((0, 0, 128), (64, 128, 130)) == "128-130_0-128_0-64"


def _assert_closed_and_outward(vertices: NDArray[np.float64], faces: NDArray[np.int64]) -> float:
    """Every directed edge once and its reverse once (a closed, consistently wound surface); the enclosed volume
    (positive: the triangles face outwards)."""
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = {(int(a), int(b)) for a, b in directed}
    assert len(edges) == len(directed), "an edge is used twice in the same direction"
    assert all((b, a) in edges for a, b in edges), "an open edge"
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)


def test_a_cube_mask_meshes_to_a_closed_surface_at_its_physical_extent(tmp_path: Path) -> None:
    mask = np.zeros((8, 10, 12), dtype=np.uint8)
    mask[2:6, 3:8, 1:9] = 1  # z 2..5, y 3..7, x 1..8
    mask[:3, :2, 10:] = 1  # touches three faces of the volume: still closed
    spacing = 13.48
    meshes = segment_meshes(mask, (spacing,) * 3)
    assert set(meshes) == {1}
    write_segment_mesh(tmp_path / "mesh", 1, *meshes[1])
    assert json.loads((tmp_path / "mesh/info").read_text()) == {"@type": "neuroglancer_legacy_mesh"}
    assert json.loads((tmp_path / "mesh/1:0").read_text()) == {"fragments": ["1:0:0"]}
    vertices, faces = read_precomputed_mesh(tmp_path, 1)
    volume = _assert_closed_and_outward(vertices, faces)
    cube = vertices[vertices[:, 0] < 9.5 * spacing]  # the cube's component (x < 9.5 voxels)
    assert np.allclose(cube.min(axis=0), np.array([1, 3, 2]) * spacing, atol=1e-3)  # x, y, z
    assert np.allclose(cube.max(axis=0), np.array([9, 8, 6]) * spacing, atol=1e-3)
    assert np.allclose(vertices.max(axis=0), np.array([12, 8, 6]) * spacing, atol=1e-3)
    corner = vertices[vertices[:, 0] > 9.5 * spacing]
    assert np.allclose(corner.min(axis=0), np.array([10, 0, 0]) * spacing, atol=1e-3)
    # marching cubes bevels edges and corners: a little less than the voxels' volume
    voxels = int(mask.sum()) * spacing**3
    assert 0.8 * voxels < volume < voxels


def test_each_label_gets_its_own_mesh_and_a_coarser_level_is_scaled() -> None:
    mask = np.zeros((4, 4, 4), dtype=np.uint16)
    mask[1:3, 1:3, 1:2] = 2
    mask[1:3, 1:3, 3:4] = 7
    meshes = segment_meshes(mask, (20.0, 10.0, 10.0))  # a level 2× coarser in z only
    assert sorted(meshes) == [2, 7]
    vertices, faces = meshes[7]
    _assert_closed_and_outward(vertices, faces)
    assert np.allclose(vertices.min(axis=0), [30, 10, 20]) and np.allclose(vertices.max(axis=0), [40, 30, 60])


def test_the_mesh_is_built_from_the_finest_level_small_enough() -> None:
    big, small = (512, 512, 512), (256, 256, 256)
    assert np.prod(small) <= MAX_MESH_VOXELS < np.prod(big)
    assert mesh_level([small, (128, 128, 128)]) == 0
    assert mesh_level([big, big, small, (128, 128, 128)]) == 2
    assert mesh_level([big, big]) == 1  # none is small enough: the coarsest


def test_the_example_mask_is_precomputed_as_the_portal_names_it(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    report = ingest(tmp_path / "example/example.yaml", tmp_path / "out", "--run", "TS_001")
    assert report["ok"] is True
    out = tmp_path / "out"
    info = json.loads((out / FOLDER / "info").read_text())
    mask = np.asarray(zarr.open_array(out / MASK / "0", mode="r"))
    size = info["scales"][0]["size"]
    assert size == list(mask.shape[::-1])
    decoded = np.zeros(mask.shape, dtype=np.uint32)
    for chunk in sorted((out / FOLDER / "data").iterdir()):
        (x0, x1), (y0, y1), (z0, z1) = (tuple(int(v) for v in part.split("-")) for part in chunk.name.split("_"))
        decoded[z0:z1, y0:y1, x0:x1] = decode_chunk(chunk.read_bytes(), (z1 - z0, y1 - y0, x1 - x0))
    assert mask.any() and np.array_equal(decoded, mask)
    # the mask's segment has a closed mesh around its voxels, in the info's units (voxel spacing × voxels)
    assert info["mesh"] == "mesh"
    assert json.loads((out / FOLDER / "mesh/info").read_text()) == {"@type": "neuroglancer_legacy_mesh"}
    assert sorted(path.name for path in (out / FOLDER / "mesh").iterdir()) == ["1:0", "1:0:0", "info"]
    vertices, faces = read_precomputed_mesh(out / FOLDER, 1)
    assert _assert_closed_and_outward(vertices, faces) > 0
    spacing = info["scales"][0]["resolution"][0]
    filled = np.argwhere(mask)  # z, y, x
    assert np.allclose(vertices.min(axis=0), filled.min(axis=0)[::-1] * spacing, atol=1e-2)
    assert np.allclose(vertices.max(axis=0), (filled.max(axis=0)[::-1] + 1) * spacing, atol=1e-2)
    state = json.loads((out / f"{VS10}/NeuroglancerPrecompute/100-neuroglancer_config.json").read_text())
    layer = next(layer for layer in state["layers"] if layer["type"] == "segmentation")
    assert layer["source"]["url"].startswith("precomputed://") and layer["source"]["url"].endswith(FOLDER)
