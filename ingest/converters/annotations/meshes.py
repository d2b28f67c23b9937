"""Triangular meshes to glb, as the portal's mesh converter (``common/mesh_converter.py``) writes them.

A ``TriangularMesh`` source (``obj``, ``stl``, ``glb``, read with ``trimesh``; legacy ``vtk`` polydata, read with
``vtk``'s ``vtkPolyDataReader``) or one named mesh of a ``TriangularMeshGroup`` source (an EMDB-SFF ``hff`` file:
HDF5 whose ``segment_list/{i}`` groups carry ``biological_annotation/name``, an RGBA ``colour`` and a ``mesh_list`` of
base64-encoded ``vertices`` and ``triangles`` with their numpy ``mode``) becomes one binary glTF file, its
coordinates multiplied by ``scale_factor``. The several meshes of a named hff segment are concatenated into one,
coloured with the segment's colour. A file that cannot be read, a mesh without a triangle and a mesh name that the
hff file does not hold are :class:`~ingest.errors.InputFileError` naming the file.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from ingest.errors import InputFileError

MESH_FORMATS = ("obj", "stl", "vtk", "glb", "hff")
"""The source formats of mesh annotations: TriangularMesh's four and TriangularMeshGroup's ``hff``."""

_TRIMESH_FORMATS = ("obj", "stl", "glb")
_HFF_MODES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"}


def mesh_to_glb(
    path: Path, file_format: str, *, where: str, scale_factor: float = 1.0, mesh_name: str | None = None
) -> bytes:
    """The glb bytes of the mesh in ``path`` (read as ``file_format``; ``mesh_name`` selects an hff segment),
    scaled by ``scale_factor``. ``where`` names the file in errors."""
    if not math.isfinite(scale_factor) or scale_factor <= 0:
        raise InputFileError("invalid scale_factor", where=where, expected="a number > 0", found=repr(scale_factor))
    mesh = read_mesh(path, file_format, where=where, mesh_name=mesh_name)
    mesh.apply_scale(scale_factor)
    data = mesh.export(file_type="glb")
    return bytes(data)


def read_mesh(path: Path, file_format: str, *, where: str, mesh_name: str | None = None) -> Any:
    """The mesh of ``path`` as a ``trimesh`` Trimesh or Scene with at least one triangle."""
    if file_format not in MESH_FORMATS:
        raise InputFileError(
            "unknown mesh format", where=where, expected=f"one of {', '.join(MESH_FORMATS)}", found=file_format
        )
    if file_format == "hff":
        if not mesh_name:
            raise InputFileError("an hff mesh group needs a mesh name", where=where, expected="name: <mesh name>")
        mesh = _read_hff(path, mesh_name, where)
    elif file_format == "vtk":
        mesh = _read_vtk(path, where)
    else:
        mesh = _read_trimesh(path, file_format, where)
    if face_count(mesh) == 0:
        raise InputFileError(
            "the mesh has no triangle", where=where, expected=f"a triangular mesh in {file_format} format"
        )
    return mesh


def load_glb(data: bytes, *, where: str) -> Any:
    """A glb file's bytes as a ``trimesh`` Scene (an unreadable file is an :class:`InputFileError`)."""
    import trimesh

    try:
        return trimesh.load(io.BytesIO(data), file_type="glb", force="scene")
    except Exception as error:  # trimesh raises many kinds on malformed files
        raise InputFileError("not a readable glb mesh", where=where, found=_short(error)) from None


def face_count(mesh: Any) -> int:
    """The number of triangles of a Trimesh or a Scene."""
    if hasattr(mesh, "geometry"):
        return sum(len(geometry.faces) for geometry in mesh.geometry.values() if hasattr(geometry, "faces"))
    return len(mesh.faces) if hasattr(mesh, "faces") else 0


def hff_mesh_names(path: Path, *, where: str) -> list[str]:
    """The biological-annotation names of the segments of an hff file, in file order."""
    return [name for _, name in _hff_segments(path, where)]


def _read_trimesh(path: Path, file_format: str, where: str) -> Any:
    import trimesh

    try:
        return trimesh.load(str(path), file_type=file_format)
    except Exception as error:  # trimesh raises many kinds on malformed files
        raise InputFileError(
            f"not a readable {file_format} mesh",
            where=where,
            expected=f"a triangular mesh in {file_format} format",
            found=_short(error),
        ) from None


def _read_vtk(path: Path, where: str) -> Any:
    import trimesh
    from vtkmodules.vtkCommonCore import vtkObject
    from vtkmodules.vtkIOLegacy import vtkPolyDataReader

    vtkObject.GlobalWarningDisplayOff()  # the reader's own messages: the error below names the file instead
    reader = vtkPolyDataReader()
    reader.SetFileName(str(path))
    reader.ReadAllScalarsOff()
    if not reader.IsFilePolyData():
        raise InputFileError("not a readable vtk mesh", where=where, expected="a legacy VTK POLYDATA file")
    reader.Update()
    polydata = reader.GetOutput()
    points = polydata.GetPoints()
    if points is None or polydata.GetNumberOfCells() == 0:
        raise InputFileError("the mesh has no triangle", where=where, expected="a VTK polydata mesh of polygons")
    vertices = np.array([points.GetPoint(i) for i in range(points.GetNumberOfPoints())], dtype=np.float64)
    faces: list[list[int]] = []
    for index in range(polydata.GetNumberOfCells()):
        cell = polydata.GetCell(index)
        ids = [cell.GetPointId(j) for j in range(cell.GetNumberOfPoints())]
        faces.extend([ids[0], ids[k], ids[k + 1]] for k in range(1, len(ids) - 1))  # a polygon as a fan
    if not faces or int(np.max(faces)) >= len(vertices):
        raise InputFileError("the mesh has no valid triangle", where=where, expected="polygons of the mesh's points")
    return trimesh.Trimesh(vertices=vertices, faces=np.asarray(faces, dtype=np.int64))


def _hff_segments(path: Path, where: str) -> list[tuple[str, str]]:
    import h5py

    try:
        with h5py.File(path, "r") as hff:
            segments = []
            for key in hff["segment_list"]:
                name = hff.get(f"segment_list/{key}/biological_annotation/name")
                value = name[()] if name is not None else b""
                segments.append((str(key), value.decode() if isinstance(value, bytes) else str(value)))
            return segments
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise InputFileError(
            "not a readable hff mesh file",
            where=where,
            expected="an EMDB-SFF HDF5 file with a segment_list",
            found=_short(error),
        ) from None


def _read_hff(path: Path, mesh_name: str, where: str) -> Any:
    import h5py
    import trimesh

    segments = _hff_segments(path, where)
    keys = [key for key, name in segments if name == mesh_name]
    if not keys:
        names = ", ".join(repr(name) for _, name in segments if name) or "none"
        raise InputFileError(f"mesh name {mesh_name!r} not found in the hff file", where=where, found=names)
    try:
        with h5py.File(path, "r") as hff:
            segment = hff[f"segment_list/{keys[0]}"]
            color = np.asarray(segment["colour"][()]) if "colour" in segment else None
            meshes = []
            for part in segment["mesh_list"]:
                vertices = _hff_array(segment[f"mesh_list/{part}/vertices"], where)
                triangles = _hff_array(segment[f"mesh_list/{part}/triangles"], where)
                meshes.append(trimesh.Trimesh(vertices=vertices, faces=triangles, face_colors=color))
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise InputFileError(
            f"mesh {mesh_name!r} of the hff file is unreadable", where=where, found=_short(error)
        ) from None
    if not meshes:
        raise InputFileError(f"mesh {mesh_name!r} of the hff file has no mesh_list entry", where=where)
    return trimesh.util.concatenate(meshes)


def _hff_array(group: Any, where: str) -> np.ndarray:
    mode = group["mode"][()]
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode not in _HFF_MODES:
        raise InputFileError("unsupported hff data mode", where=where, expected="a numeric mode", found=mode)
    data = base64.b64decode(group["data"][()])
    return np.frombuffer(data, dtype=np.dtype(mode)).reshape(-1, 3)


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]
