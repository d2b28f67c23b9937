"""Plan what the portal shows of a tomogram: its key images and its Neuroglancer state with the precomputed
files it reads (and the paths the tomogram's metadata gives them)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

from ingest.domain.entities import AnnotationFile, Shape
from ingest.domain.layout import Layout
from ingest.domain.tasks import (
    AnnotationTask,
    KeyImageTask,
    NeuroglancerLayer,
    NeuroglancerTask,
    PrecomputedMeshTask,
    PrecomputedPointsTask,
    PrecomputedSegmentationTask,
    PrecomputedTask,
    TomogramTask,
)
from ingest.domain.viewers import KEY_IMAGE_WIDTHS, hex_color, overlay_color

_POINT_PREFERENCE = (Shape.POINT, Shape.ORIENTED_POINT, Shape.INSTANCE_SEGMENTATION)
METADATA_KEY_PHOTOS = ("snapshot", "thumbnail")
"""The key images ``tomogram_metadata.json`` names under ``key_photo`` (as the portal's importer)."""


def plan_key_images(
    layout: Layout, tomograms: tuple[TomogramTask, ...], annotations: tuple[AnnotationTask, ...]
) -> tuple[tuple[TomogramTask, ...], tuple[KeyImageTask, ...]]:
    """The tomograms of one voxel spacing with their ``key_photo`` paths, and one key-image task for each.

    Over each key image go the voxel spacing's default annotations (files with ``is_visualization_default``):
    per annotation its point file (a Point file preferred, as the portal, else an oriented or instance point file)
    and its masks, each annotation in its own colour."""
    point_keys: list[str] = []
    mask_keys: list[str] = []
    sources: list[str] = []
    for annotation in annotations:
        defaults = [file for file in annotation.files if file.options.is_visualization_default is True]
        points = sorted(
            (file for file in defaults if file.shape in _POINT_PREFERENCE),
            key=lambda file: _POINT_PREFERENCE.index(file.shape),
        )
        masks = [file for file in defaults if file.shape.is_volume]
        if points:
            point_keys.append(points[0].outputs[0].key)
        mask_keys.extend(output.key for file in masks for output in file.outputs if output.file_format == "zarr")
        if points or masks:
            sources.append(annotation.metadata_key)
    planned: list[TomogramTask] = []
    tasks: list[KeyImageTask] = []
    for tomogram in tomograms:
        images = tuple((kind, layout.key_photo(tomogram.tomogram, kind)) for kind in KEY_IMAGE_WIDTHS)
        named = tuple((kind, key) for kind, key in images if kind in METADATA_KEY_PHOTOS)
        planned.append(replace(tomogram, key_photo=named))
        tasks.append(
            KeyImageTask(
                tomogram=tomogram.tomogram,
                zarr_key=tomogram.zarr_key,
                tomogram_metadata_key=tomogram.metadata_key,
                images=images,
                point_keys=tuple(point_keys),
                mask_keys=tuple(mask_keys),
                annotation_metadata_keys=tuple(sources),
            )
        )
    return tuple(planned), tuple(tasks)


def plan_neuroglancer(
    layout: Layout, tomograms: tuple[TomogramTask, ...], annotations: tuple[AnnotationTask, ...]
) -> tuple[tuple[TomogramTask, ...], tuple[PrecomputedTask, ...], tuple[NeuroglancerTask, ...]]:
    """The tomograms of one voxel spacing with their ``neuroglancer_config_path``, the precomputed files of the
    voxel spacing (as the portal's precompute step: annotations of its point files, segmentations of its semantic
    masks, meshes of its mesh files and of its oriented points with a ``mesh_source_path``), and one state per
    tomogram shown by default (``is_visualization_default``, as the portal's visualization-config importer): the
    image, then a layer per point file, mask and mesh of the annotations on the tomogram's alignment, visible when
    the file is a visualization default. Oriented points with a mesh get an ``orientedmesh`` layer and their point
    layer is hidden (as the portal). Instance masks, which the portal neither precomputes nor shows, are shown from
    their OME-Zarr."""
    precomputed: list[PrecomputedTask] = []
    layers: dict[str, list[tuple[NeuroglancerLayer, str]]] = {}  # alignment key -> layers and their annotation
    color = 0
    for annotation in annotations:
        object_name = str(annotation.metadata.get("annotation_object", "name") or "Annotation")
        diameter = annotation.metadata.get("annotation_object", "diameter")
        prefix = f"{annotation.annotation.annotation_id} {object_name}"
        for file in annotation.files:
            visible = file.options.is_visualization_default is True
            shape = file.shape.output_shape
            if shape in _POINT_PREFERENCE:
                folder = layout.neuroglancer_precomputed(AnnotationFile(annotation.annotation, shape, "ndjson"))
                precomputed.append(
                    PrecomputedPointsTask(
                        annotation_metadata_key=annotation.metadata_key,
                        points_key=file.outputs[0].key,
                        folder=folder,
                        shape=shape,
                        voxel_spacing=annotation.annotation.voxel_spacing.value,
                        object_name=object_name,
                        diameter=float(diameter) if isinstance(diameter, int | float) else None,
                    )
                )
                suffix = "orientedpoint" if shape is Shape.ORIENTED_POINT else "point"
                if shape is Shape.ORIENTED_POINT and file.mesh_source_key is not None:
                    mesh_folder = folder.replace("_orientedpoint", "_orientedmesh")
                    precomputed.append(
                        PrecomputedMeshTask(
                            annotation.metadata_key,
                            mesh_folder,
                            mesh_source_key=file.mesh_source_key,
                            points_key=file.outputs[0].key,
                            label=_label(annotation.annotation.stem),
                        )
                    )
                    mesh_layer = NeuroglancerLayer(
                        "orientedmesh",
                        f"{prefix} orientedmesh",
                        mesh_folder,
                        _hex(color),
                        visible,
                        shape,
                        annotation.metadata_key,
                    )
                    layers.setdefault(annotation.alignment_metadata_key, []).append(
                        (mesh_layer, annotation.metadata_key)
                    )
                    visible = False
                layer = NeuroglancerLayer(
                    "points", f"{prefix} {suffix}", folder, _hex(color), visible, shape, annotation.metadata_key
                )
            elif shape is Shape.SEGMENTATION_MASK:
                zarr_key = next(output.key for output in file.outputs if output.file_format == "zarr")
                folder = layout.neuroglancer_precomputed(AnnotationFile(annotation.annotation, shape, "zarr"))
                precomputed.append(
                    PrecomputedSegmentationTask(
                        annotation.metadata_key, zarr_key, folder, annotation.annotation.voxel_spacing.value
                    )
                )
                name = f"{prefix} segmentation"
                layer = NeuroglancerLayer(
                    "segmentation", name, folder, _hex(color), visible, shape, annotation.metadata_key
                )
            elif shape.is_mesh:
                folder = layout.neuroglancer_precomputed(AnnotationFile(annotation.annotation, shape, "glb"))
                precomputed.append(
                    PrecomputedMeshTask(
                        annotation.metadata_key,
                        folder,
                        mesh_key=file.outputs[0].key,
                        label=_label(annotation.annotation.stem),
                    )
                )
                layer = NeuroglancerLayer(
                    "mesh", f"{prefix} mesh", folder, _hex(color), visible, shape, annotation.metadata_key
                )
            else:
                zarr_key = next(output.key for output in file.outputs if output.file_format == "zarr")
                layer = NeuroglancerLayer(
                    "mask", f"{prefix} segmentation", zarr_key, _hex(color), visible, shape, annotation.metadata_key
                )
            if shape is not Shape.INSTANCE_SEGMENTATION:
                color += 1
            layers.setdefault(annotation.alignment_metadata_key, []).append((layer, annotation.metadata_key))
    planned: list[TomogramTask] = []
    states: list[NeuroglancerTask] = []
    for tomogram in tomograms:
        if tomogram.metadata.get("is_visualization_default") is not True:
            planned.append(tomogram)
            continue
        key = layout.neuroglancer_config(tomogram.tomogram)
        planned.append(replace(tomogram, neuroglancer_key=key))
        own = layers.get(tomogram.alignment_metadata_key, [])
        states.append(
            NeuroglancerTask(
                tomogram=tomogram.tomogram,
                state_key=key,
                zarr_key=tomogram.zarr_key,
                mrc_key=tomogram.mrc_key,
                tomogram_metadata_key=tomogram.metadata_key,
                name=tomogram.tomogram.voxel_spacing.run.name,
                layers=tuple(layer for layer, _ in own),
                annotation_metadata_keys=tuple(dict.fromkeys(source for _, source in own)),
                former_keys=layout.former_neuroglancer_configs(tomogram.tomogram),
            )
        )
    return tuple(planned), tuple(precomputed), tuple(states)


def _label(stem: str) -> str:
    """A mesh segment's label as the portal's precompute names it: the file stem without its last suffix."""
    return PurePosixPath(stem).with_suffix("").name.replace(" ", "_") if "." in stem else stem


def _hex(index: int) -> str:
    return hex_color(overlay_color(index))
