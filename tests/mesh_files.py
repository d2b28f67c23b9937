"""Small mesh source files made in tests: a box as obj, stl, glb, legacy VTK polydata and an EMDB-SFF hff group."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import trimesh


def box(extent: float = 20.0) -> Any:
    """A closed box of 12 triangles, ``extent`` Å on each side, its corner at the origin."""
    mesh = trimesh.creation.box(extents=(extent, extent, extent))
    mesh.apply_translation((extent / 2, extent / 2, extent / 2))
    return mesh


def write_mesh(path: Path, file_format: str, mesh: Any | None = None) -> Path:
    """Write ``mesh`` (a box by default) to ``path`` as ``obj``, ``stl``, ``glb`` or ``vtk`` (ASCII polydata)."""
    mesh = box() if mesh is None else mesh
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "vtk":
        lines = ["# vtk DataFile Version 3.0", "test mesh", "ASCII", "DATASET POLYDATA"]
        lines.append(f"POINTS {len(mesh.vertices)} float")
        lines += [" ".join(f"{c:.6f}" for c in vertex) for vertex in mesh.vertices]
        lines.append(f"POLYGONS {len(mesh.faces)} {4 * len(mesh.faces)}")
        lines += ["3 " + " ".join(str(int(i)) for i in face) for face in mesh.faces]
        path.write_text("\n".join(lines) + "\n")
    else:
        data = mesh.export(file_type=file_format)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def write_hff(path: Path, meshes: dict[str, list[Any]]) -> Path:
    """An EMDB-SFF hff file with one segment per name, each holding its meshes (base64 vertices and triangles)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as hff:
        hff["version"] = np.bytes_("0.8.0.dev1")
        for number, (name, parts) in enumerate(meshes.items(), start=1):
            segment = hff.create_group(f"segment_list/{number}")
            segment["biological_annotation/name"] = np.bytes_(name)
            segment["colour"] = np.array([255, 0, 0, 255], dtype=np.uint8)
            for index, mesh in enumerate(parts, start=1):
                for field, array in (("vertices", mesh.vertices), ("triangles", mesh.faces)):
                    values = np.ascontiguousarray(array, dtype=np.float64 if field == "vertices" else np.int64)
                    segment[f"mesh_list/{index}/{field}/data"] = np.bytes_(base64.b64encode(values.tobytes()))
                    segment[f"mesh_list/{index}/{field}/mode"] = np.bytes_(str(values.dtype))
    return path
