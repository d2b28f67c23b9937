"""What the viewer files of a run show when some of its annotations failed: key images and Neuroglancer states
leave out the files and layers of the failed annotations (whose files were not published) and the precomputed
meshes that could not be written, so that they never point at something missing (pure)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from ingest.domain.tasks import KeyImageTask, NeuroglancerTask


def key_images_without(task: KeyImageTask, failed: Collection[str]) -> KeyImageTask:
    """``task`` without the point and mask files of the annotations whose metadata keys are in ``failed``."""
    if not failed:
        return task
    folders = tuple(key.rsplit("/", 1)[0] + "/" for key in failed)
    return replace(
        task,
        point_keys=tuple(key for key in task.point_keys if not key.startswith(folders)),
        mask_keys=tuple(key for key in task.mask_keys if not key.startswith(folders)),
        annotation_metadata_keys=tuple(key for key in task.annotation_metadata_keys if key not in failed),
    )


def state_without(task: NeuroglancerTask, failed: Collection[str], missing: Collection[str]) -> NeuroglancerTask:
    """``task`` without the layers of the annotations in ``failed`` and the layers whose source is ``missing``."""
    if not failed and not missing:
        return task
    return replace(
        task,
        layers=tuple(
            layer
            for layer in task.layers
            if layer.annotation_metadata_key not in failed and layer.source_key not in missing
        ),
        annotation_metadata_keys=tuple(key for key in task.annotation_metadata_keys if key not in failed),
    )
