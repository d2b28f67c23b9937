"""Execute the mesh tasks of a run: an annotation's glb (converted from its source mesh, published with the
annotation) and the Neuroglancer precomputed meshes of mesh annotations and of oriented points shown as copies of
their ``mesh_source_path`` (written locally, then published as a folder, ``info`` last)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ingest.converters.annotations.meshes import MESH_FORMATS, load_glb, mesh_to_glb, read_mesh
from ingest.converters.viewers.neuroglancer_meshes import oriented_copies, scene_arrays, write_precomputed_mesh
from ingest.domain.tasks import AnnotationFileTask, PrecomputedMeshTask
from ingest.errors import InputFileError
from ingest.pipeline.execute_neuroglancer import read_points
from ingest.storage.base import Storage
from ingest.storage.digests import DigestingPublisher

MAX_ORIENTED_MESH_TRIANGLES = 10_000_000
"""The most triangles an oriented mesh may have (all copies together), the portal's ``max_faces_for_first_lod``."""

Fetch = Callable[[str], AbstractContextManager[Path]]
"""Opens an input key as a local file (the run's input storage ``fetch``)."""


def annotation_glb(file: AnnotationFileTask, fetch: Fetch, where: Callable[[str], str]) -> bytes:
    """The glb bytes of a mesh annotation file: its one source converted with the entry's ``scale_factor`` (and,
    for a ``TriangularMeshGroup``, the mesh ``name``). Several source files for one mesh file are refused."""
    if len(file.source_keys) != 1:
        raise InputFileError(
            "a mesh annotation source found several files",
            where=", ".join(where(key) for key in file.source_keys),
            expected="one mesh file per annotation and run",
            found=f"{len(file.source_keys)} files",
        )
    (key,) = file.source_keys
    options = file.options
    with fetch(key) as local:
        return mesh_to_glb(
            local, file.source_format, where=where(key), scale_factor=options.scale_factor, mesh_name=options.mesh_name
        )


def write_precomputed_mesh_task(
    task: PrecomputedMeshTask,
    output: Storage,
    publisher: DigestingPublisher,
    fetch: Fetch,
    where: Callable[[str], str],
) -> None:
    """Publish (with ``publisher``) the precomputed mesh of ``task`` at ``task.folder``, its ``info`` last."""
    if task.mesh_key is not None:
        scene = load_glb(output.read_bytes(task.mesh_key), where=output.url_of(task.mesh_key))
        vertices, faces = scene_arrays(scene)
    else:
        assert task.mesh_source_key is not None and task.points_key is not None  # planned together
        vertices, faces = scene_arrays(_source_mesh(task.mesh_source_key, fetch, where))
        points = read_points(output, task.points_key)
        total = len(faces) * len(points)
        if total > MAX_ORIENTED_MESH_TRIANGLES:
            raise InputFileError(
                "the oriented mesh is too large to show",
                where=where(task.mesh_source_key),
                expected=f"at most {MAX_ORIENTED_MESH_TRIANGLES:,} triangles over all points",
                found=f"{len(faces):,} triangles × {len(points):,} points",
            )
        vertices, faces = oriented_copies(vertices, faces, points)
    with output.scratch() as scratch:
        folder = scratch / "precomputed-mesh"
        write_precomputed_mesh(vertices, faces, folder, label=task.label)
        info = (folder / "info").read_bytes()
        (folder / "info").unlink()
        publisher.move_tree(task.folder, folder)
        publisher.publish_bytes(task.info_key, info)


def check_source_mesh(key: str, fetch: Fetch, where: Callable[[str], str]) -> None:
    """Refuse an oriented-point source's ``mesh_source_path`` that is not a readable mesh with triangles."""
    _source_mesh(key, fetch, where)


def _source_mesh(key: str, fetch: Fetch, where: Callable[[str], str]) -> Any:
    """The input mesh of an oriented-point source (its format told by its file name; not an hff group)."""
    file_format = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    if file_format not in MESH_FORMATS or file_format == "hff":
        raise InputFileError(
            "mesh_source_path is not a mesh file this version reads",
            where=where(key),
            expected="a .glb, .obj, .stl or .vtk file",
            found=file_format or "no extension",
        )
    with fetch(key) as local:
        return read_mesh(local, file_format, where=where(key))
