"""Plan what the portal shows of a tomogram: its key images (and the paths its metadata gives them)."""

from __future__ import annotations

from dataclasses import replace

from ingest.converters.key_image import KEY_IMAGE_WIDTHS
from ingest.entities import Shape
from ingest.layout import Layout
from ingest.tasks import AnnotationTask, KeyImageTask, TomogramTask

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
        defaults = [file for file in annotation.files if file.options.get("is_visualization_default") is True]
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
