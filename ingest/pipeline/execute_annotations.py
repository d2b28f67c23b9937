"""Write the annotations of a run and the viewer files that show them (key images, precomputed annotations,
segmentations and meshes, Neuroglancer states).

A bad input file fails its annotation alone: what the annotation published in this attempt is deleted again (when
it is new to the tree), the viewer files leave it out (:mod:`ingest.plan.viewer_selection`), the rest of the run goes on
and the run fails at its end with the error (:class:`ingest.errors.AnnotationsFailedError` for several). A
precomputed folder that cannot be made (a mesh with too many triangles) is left out of its state the same way.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np

from ingest.converters.picks.conversion import require_inside_volume
from ingest.converters.picks.ndjson import PointShape, picks_to_ndjson
from ingest.converters.picks.registry import Picks, ReadOptions, read_picks
from ingest.converters.viewers.neuroglancer_points import POINTS_FOLDER_FORMAT
from ingest.converters.volumes.kind import VolumeKind
from ingest.converters.volumes.masks import MaskLabel, MaskThreshold
from ingest.domain.entities import Shape
from ingest.domain.portal_defaults import MESH_OBJECT_COUNT, SEMANTIC_MASK_OBJECT_COUNT
from ingest.domain.tasks import (
    AnnotationFileTask,
    AnnotationTask,
    KeyImageTask,
    Metadata,
    NeuroglancerTask,
    PrecomputedMeshTask,
    PrecomputedPointsTask,
    PrecomputedTask,
)
from ingest.errors import AnnotationsFailedError, InputFileError
from ingest.pipeline.execute_entity import EntityWriter
from ingest.pipeline.execute_key_images import write_key_images
from ingest.pipeline.execute_meshes import annotation_glb, check_source_mesh, write_precomputed_mesh_task
from ingest.pipeline.execute_neuroglancer import neuroglancer_state_bytes, write_precomputed
from ingest.pipeline.execute_settings import RunJob
from ingest.pipeline.metadata import annotation_file, metadata_bytes
from ingest.pipeline.metadata_only import annotation_entries, rewrite_annotation
from ingest.plan.viewer_selection import key_images_without, state_without

_POINT_SHAPES = {
    Shape.POINT: PointShape.POINT,
    Shape.ORIENTED_POINT: PointShape.ORIENTED_POINT,
    Shape.INSTANCE_SEGMENTATION: PointShape.INSTANCE_POINT,
}


class AnnotationWriter(EntityWriter):
    """Writes the annotations and viewer files of a run, collecting the failures of bad annotation input."""

    def __init__(self, job: RunJob) -> None:
        super().__init__(job)
        self.failures: list[InputFileError] = []
        self.failed: set[str] = set()  # metadata keys of the annotations whose input failed
        self.failed_folders: set[str] = set()  # precomputed folders that could not be written

    def _annotations(self) -> None:
        """Every annotation of the run, each failing alone on bad input."""
        for annotation in self.run.annotations:
            outputs = tuple(output.key for file in annotation.files for output in file.outputs)
            sources = tuple(key for file in annotation.files for key in file.source_keys)
            size = self.sizes.get(annotation.annotation.voxel_spacing.name)  # points are checked against it
            redo = ((replace(annotation, metadata=Metadata()), size), self._rewrite(rewrite_annotation))
            try:
                self._entity(annotation, annotation.metadata_key, outputs, sources, self._annotation, data=redo)
            except InputFileError as error:  # a bad input file fails its annotation; the run goes on
                self._discard(annotation)
                self.failures.append(error)

    def _raise_failures(self) -> None:
        """Fail the run (after the rest of it was written) when annotations or precomputed folders failed."""
        if self.failures:
            raise self.failures[0] if len(self.failures) == 1 else AnnotationsFailedError(self.failures)

    def _discard(self, annotation: AnnotationTask) -> None:
        """Forget a failed annotation: the files it published in this attempt are deleted when it has no metadata
        file in the tree (a new annotation), and the viewer files that would show it leave it out."""
        published = self.publisher.take()
        self.failed.add(annotation.metadata_key)
        if self.output.exists(annotation.metadata_key):
            return  # the earlier, complete ingestion stays as it is; its manifest entry makes the next run redo it
        for output in (output for file in annotation.files for output in file.outputs):
            if any(key == output.key or key.startswith(output.key + "/") for key in published):
                self.output.delete_tree(output.key)

    def _viewers(self) -> None:
        """The key images, precomputed files and Neuroglancer states of the run (without failed annotations)."""
        for images in (key_images_without(task, self.failed) for task in self.run.key_images):
            if self.settings.metadata_only:  # images drawn from the volumes are data, not metadata
                self.skipped.append(images.last_key)
                continue
            # the data the images show, as the manifest records it (the same whichever sections this run writes)
            drawn = (images.tomogram_metadata_key, *images.annotation_metadata_keys)
            drawn_from = tuple(self._data_print(key) for key in drawn)
            outputs = tuple(key for _, key in images.images)
            self._entity(images, images.last_key, outputs, (), self._key_images, extra=drawn_from)
        for task in self.run.precomputed:
            if task.annotation_metadata_key in self.failed:
                continue
            if self.settings.metadata_only:  # precomputed annotations, segmentations and meshes are data
                self.skipped.append(task.info_key)
                continue
            shown: object = self._data_print(task.annotation_metadata_key)
            if isinstance(task, PrecomputedPointsTask):  # folders of the unsharded writer are written again
                shown = (shown, POINTS_FOLDER_FORMAT)
            sources = (task.mesh_source_key,) if isinstance(task, PrecomputedMeshTask) and task.mesh_source_key else ()
            try:
                self._entity(task, task.info_key, (), sources, self._precomputed, extra=shown)
            except InputFileError as error:  # e.g. a mesh with too many triangles: the state leaves the folder out
                self.failures.append(error)
                self.failed_folders.add(task.folder)
        for viewer in (state_without(task, self.failed, self.failed_folders) for task in self.run.neuroglancer):
            keys = (viewer.tomogram_metadata_key, *viewer.annotation_metadata_keys)
            shown_in = (self.settings.url_prefix, *(self._data_print(key) for key in keys))
            self._entity(viewer, viewer.state_key, (), (), self._neuroglancer, extra=shown_in)
            self._remove_former(viewer)

    def _remove_former(self, task: NeuroglancerTask) -> None:
        """Delete the state where earlier versions wrote it (``former_keys``) and its manifest entry, once the state
        is in place under its own name and the tomogram's metadata no longer names the former one (under
        ``--only neuroglancer`` it still may: the next run that writes the tomogram removes it)."""
        for key in task.former_keys:
            listed = self.sizes_listed
            if (key in listed) if listed is not None else self.output.exists(key):
                metadata = json.loads(self.output.read_bytes(task.tomogram_metadata_key))
                if metadata.get("neuroglancer_config_path") == key:
                    continue
                self.output.delete_tree(key)
            self.manifest.forget(self.output, key)

    def _precomputed(self, task: PrecomputedTask) -> None:
        if isinstance(task, PrecomputedMeshTask):  # read from the input too (an oriented point's mesh)
            write_precomputed_mesh_task(task, self.output, self.publisher, self._fetch, self._source_url)
        else:
            write_precomputed(task, self.output, self.publisher)

    def _neuroglancer(self, task: NeuroglancerTask) -> bytes:
        settings = self.settings
        return neuroglancer_state_bytes(
            task, self.output, self.job.deposition_id, settings.timestamp, settings.url_prefix
        )

    def _key_images(self, task: KeyImageTask) -> None:
        write_key_images(task, self.output, self.publisher)

    def _annotation(self, task: AnnotationTask) -> bytes:
        values = task.metadata.to_dict()
        size = self.sizes.get(task.annotation.voxel_spacing.name)
        counts = []
        meshes = {  # read first: an unreadable mesh fails the annotation before any of its files is published
            file.outputs[0].key: annotation_glb(file, self._fetch, self._source_url)
            for file in task.files
            if file.shape.is_mesh
        }
        for file in task.files:
            if (
                file.mesh_source_key is not None and file.shape is Shape.ORIENTED_POINT
            ):  # shown per point later: refused now, before anything is published
                check_source_mesh(file.mesh_source_key, self._fetch, self._source_url)
        for file in task.files:
            if file.shape.is_volume:
                counts.append(self._mask(task, file, size))
            elif file.shape.is_mesh:
                counts.append(MESH_OBJECT_COUNT)
            else:
                counts.append(self._points(task, file, size))
        for key, glb in meshes.items():
            self.publisher.publish_bytes(key, glb)
        computed = {
            "files": annotation_entries(task),
            "object_count": max(counts),
            "alignment_metadata_path": task.alignment_metadata_key,
        }
        return metadata_bytes(annotation_file(values, computed, self.settings.timestamp, key=task.metadata_key))

    def _points(self, task: AnnotationTask, file: AnnotationFileTask, size: tuple[int, int, int] | None) -> int:
        shape = _POINT_SHAPES[file.shape]
        options = file.options
        read_options = ReadOptions(
            binning=options.binning,
            order=options.order,
            filter_value=options.filter_value,
            voxel_spacing=task.annotation.voxel_spacing.value,
            delimiter=options.delimiter,
            columns=options.columns,
            extra=(("shape", shape.value),),
        )
        parts = []
        for key in file.source_keys:
            with self.input.fetch(self.settings.source_key(key)) as local:
                parts.append(read_picks(local, file.source_format, read_options))
        picks = _concatenate(parts)
        if len(picks) == 0:
            raise InputFileError(
                "no points to ingest", where=", ".join(file.source_keys), expected="at least one point"
            )
        if size is not None:
            require_inside_volume(picks, size)
        self.publisher.publish_bytes(file.outputs[0].key, picks_to_ndjson(picks, shape))
        return len(picks)

    def _mask(self, task: AnnotationTask, file: AnnotationFileTask, size: tuple[int, int, int] | None) -> int:
        instance = file.shape is Shape.INSTANCE_SEGMENTATION_MASK
        options = file.options
        extra: dict[str, Any] = {}
        if not instance:
            threshold = options.threshold
            extra["mask"] = MaskThreshold(threshold) if threshold is not None else MaskLabel(options.mask_label)
        if options.rescale and size is not None:
            extra["rescale_to"] = (size[2], size[1], size[0])
        keys = {output.file_format: output.key for output in file.outputs}
        kind = VolumeKind.INSTANCE_MASK if instance else VolumeKind.SEMANTIC_MASK
        expected = (size[2], size[1], size[0]) if size is not None else None  # z, y, x
        result = self._convert(
            file.source_keys[0],
            kind,
            task.annotation.voxel_spacing.value,
            keys["mrc"],
            keys["zarr"],
            expected_shape=expected,
            **extra,
        )
        return result.object_count if instance else SEMANTIC_MASK_OBJECT_COUNT


def _concatenate(parts: list[Picks]) -> Picks:
    if len(parts) == 1:
        return parts[0]
    positions = np.concatenate([part.positions for part in parts])
    rotations = None
    if all(part.rotations is not None for part in parts):
        rotations = np.concatenate([part.rotations for part in parts if part.rotations is not None])
    instance_ids = None
    if all(part.instance_ids is not None for part in parts):
        instance_ids = np.concatenate([part.instance_ids for part in parts if part.instance_ids is not None])
    return replace(
        parts[0],
        positions=positions,
        rotations=rotations,
        instance_ids=instance_ids,
        scores=None,
        source=", ".join(part.source for part in parts),
    )
