"""Meshes to glb as the portal's mesh converter writes them: every source format gives the same mesh (golden: the
portal's own fixtures and its test's identifier hash), scale_factor scales, an hff group's named mesh is picked,
bad files are errors naming the file; precomputed meshes decode back; oriented copies sit where the points say."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import trimesh

from ingest.converters.annotations.meshes import hff_mesh_names, mesh_to_glb
from ingest.converters.viewers.neuroglancer_meshes import (
    oriented_copies,
    read_precomputed_mesh,
    scene_arrays,
    write_precomputed_mesh,
)
from ingest.errors import InputFileError
from tests.mesh_files import box, write_hff, write_mesh

PORTAL_MESHES = "portal-fixtures/ingestion_tools/scripts/tests/fixtures/annotations"


def identifier(data: bytes) -> str:
    """The portal test's comparison: trimesh's identifier hash of the mesh as one Trimesh."""
    mesh = trimesh.load(io.BytesIO(data), file_type="glb", force="mesh")
    return str(trimesh.comparison.identifier_hash(trimesh.comparison.identifier_simple(mesh)))


@pytest.mark.parametrize("file_format", ["obj", "stl", "glb", "vtk"])
def test_every_format_gives_the_same_glb(tmp_path: Path, file_format: str) -> None:
    expected = identifier(box().export(file_type="glb"))
    source = write_mesh(tmp_path / f"box.{file_format}", file_format)
    data = mesh_to_glb(source, file_format, where=str(source))
    assert data[:4] == b"glTF" and identifier(data) == expected
    assert mesh_to_glb(source, file_format, where=str(source)) == data  # deterministic bytes


def test_scale_factor_multiplies_coordinates(tmp_path: Path) -> None:
    source = write_mesh(tmp_path / "box.obj", "obj")
    mesh = trimesh.load(io.BytesIO(mesh_to_glb(source, "obj", where="box.obj", scale_factor=2.5)), file_type="glb")
    assert np.allclose(mesh.bounds, [[0, 0, 0], [50, 50, 50]])


def test_hff_group_gives_the_named_mesh_with_its_parts_concatenated(tmp_path: Path) -> None:
    far = box(5.0)
    far.apply_translation((100, 0, 0))
    source = write_hff(tmp_path / "g.hff", {"membrane": [box(), far], "other": [box(1.0)]})
    assert hff_mesh_names(source, where="g.hff") == ["membrane", "other"]
    mesh = trimesh.load(io.BytesIO(mesh_to_glb(source, "hff", where="g.hff", mesh_name="membrane")), file_type="glb")
    vertices, faces = scene_arrays(mesh)
    assert len(faces) == 24 and np.allclose([vertices.min(axis=0), vertices.max(axis=0)], [[0, 0, 0], [105, 20, 20]])


def test_hff_without_the_mesh_name_names_the_file_and_the_names_it_has(tmp_path: Path) -> None:
    source = write_hff(tmp_path / "g.hff", {"membrane": [box()]})
    with pytest.raises(InputFileError) as caught:
        mesh_to_glb(source, "hff", where="in/g.hff", mesh_name="ribosome")
    assert caught.value.message == "in/g.hff: mesh name 'ribosome' not found in the hff file (found 'membrane')"


@pytest.mark.parametrize("file_format", ["obj", "stl", "glb", "vtk", "hff"])
@pytest.mark.parametrize("content", [b"", b"not a mesh at all\n"])
def test_unreadable_mesh_is_an_error_naming_the_file(tmp_path: Path, file_format: str, content: bytes) -> None:
    source = tmp_path / f"bad.{file_format}"
    source.write_bytes(content)
    with pytest.raises(InputFileError) as caught:
        mesh_to_glb(source, file_format, where=f"in/bad.{file_format}", mesh_name="x")
    assert caught.value.where == f"in/bad.{file_format}"


def test_precomputed_mesh_decodes_to_the_mesh(tmp_path: Path) -> None:
    vertices, faces = scene_arrays(box())
    write_precomputed_mesh(vertices, faces, tmp_path / "m", label="surface-1")
    decoded_vertices, decoded_faces = read_precomputed_mesh(tmp_path / "m")
    assert np.allclose(decoded_vertices, vertices) and (decoded_faces == faces).all()
    info = (tmp_path / "m/info").read_text()
    assert '"mesh": "mesh"' in info and '"type": "segmentation"' in info
    assert (tmp_path / "m/mesh/info").read_text().strip().endswith('"neuroglancer_legacy_mesh"\n}')
    properties = json.loads((tmp_path / "m/segment_properties/info").read_text())
    assert properties["inline"] == {
        "ids": ["1"],
        "properties": [{"id": "label", "type": "label", "values": ["surface-1"]}],
    }


def test_oriented_copies_are_rotated_in_nm_and_moved_to_each_point() -> None:
    vertices = np.array([[0.0, 0, 0], [10, 0, 0], [0, 20, 0]])  # Å
    faces = np.array([[0, 1, 2]])
    turn = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # 90° about z
    points = [
        {"location": {"x": 5, "y": 6, "z": 7}, "xyz_rotation_matrix": np.eye(3).tolist()},
        {"location": {"x": 50, "y": 60, "z": 70}, "xyz_rotation_matrix": turn},
    ]
    placed, placed_faces = oriented_copies(vertices, faces, points)
    assert placed.tolist() == [[5, 6, 7], [6, 6, 7], [5, 8, 7], [50, 60, 70], [50, 61, 70], [48, 60, 70]]
    assert placed_faces.tolist() == [[0, 1, 2], [3, 4, 5]]


corpus = pytest.mark.skipif(not os.environ.get("INGEST_CORPUS"), reason="INGEST_CORPUS is not set")


@corpus
@pytest.mark.parametrize("file_format", ["obj", "stl", "glb", "vtk", "hff"])
def test_portal_fixture_meshes_convert_to_the_portal_glb(file_format: str) -> None:
    """The portal's test_ingest_triangular_mesh: each fixture converts to the mesh of triangular_mesh.glb (hff:
    its mesh named ``special_name``), compared by trimesh's identifier hash as the portal's test does."""
    folder = Path(os.environ["INGEST_CORPUS"]) / PORTAL_MESHES
    expected = identifier((folder / "triangular_mesh.glb").read_bytes())
    source = folder / f"triangular_mesh.{file_format}"
    name = "special_name" if file_format == "hff" else None
    data = mesh_to_glb(source, file_format, where=str(source), mesh_name=name)
    assert identifier(data) == expected == "0087de6fecb51ddb7cedc1102bdd837ba3d20b66591cc0c5ddc97515e898ce7b"
