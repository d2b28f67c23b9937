"""Ingest one run of a plan: convert its volumes and picks, publish data first and metadata last, skip what is
up to date and intact, repair what is not. :func:`ingest_run` is the task function executors run (top-level and
picklable).

An entity with converted data whose data fingerprint still matches (only its metadata changed) and whose data is
intact gets its metadata file alone rewritten, with the computed fields (sizes, object counts) of the metadata file
it replaces (:mod:`ingest.manifest`); ``--only metadata`` does that for every entity and writes no data.

Before anything else a run deletes the folders a killed earlier run left without metadata (its claimed orphans)
and records in its manifest which identity each numbered folder it will write is for; then every entity in turn.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from ingest.converters.alignment_files import AlignmentText, read_alignment_files
from ingest.converters.alignment_tables import decode_text
from ingest.converters.gain import dm_gain_to_mrc, is_dm_gain
from ingest.converters.masks import MaskLabel, MaskThreshold
from ingest.converters.ndjson import PointShape, picks_to_ndjson
from ingest.converters.picks import Picks, ReadOptions, read_picks
from ingest.converters.picks_conversion import require_inside_volume
from ingest.converters.volume import convert_volume
from ingest.converters.volume_types import VolumeKind, VolumeResult
from ingest.entities import Shape
from ingest.errors import AnnotationsFailedError, InputFileError
from ingest.execute_key_images import write_key_images
from ingest.execute_neuroglancer import neuroglancer_state_bytes, write_precomputed
from ingest.execute_sections import section_fields
from ingest.execute_settings import RunJob, RunReport, WritePolicy
from ingest.frames_metadata import frames_metadata_bytes
from ingest.manifest import Manifest, fingerprint
from ingest.metadata import (
    alignment_file,
    annotation_file,
    document_bytes,
    metadata_bytes,
    metadata_document,
    run_file,
    tiltseries_file,
    tomogram_file,
    volume_fields,
)
from ingest.metadata_only import annotation_entries, previous_volume_fields, rewrite_annotation, rewrite_tomogram
from ingest.output_digests import DigestingPublisher
from ingest.plan_viewers import without_annotations
from ingest.portal_defaults import SEMANTIC_MASK_OBJECT_COUNT, with_section_nulls
from ingest.progress import VolumeChunkReporter
from ingest.tasks import (
    AlignmentTask,
    AnnotationFileTask,
    AnnotationTask,
    CopyTask,
    FramesTask,
    KeyImageTask,
    Metadata,
    NeuroglancerTask,
    PrecomputedTask,
    Section,
    TiltSeriesTask,
    TomogramTask,
)

T = TypeVar("T")

_POINT_SHAPES = {
    Shape.POINT: PointShape.POINT,
    Shape.ORIENTED_POINT: PointShape.ORIENTED_POINT,
    Shape.INSTANCE_SEGMENTATION: PointShape.INSTANCE_POINT,
}


def ingest_run(job: RunJob) -> RunReport:
    """Ingest every task of ``job.run`` (see the module docstring)."""
    return _RunWriter(job).write()


class _RunWriter:
    def __init__(self, job: RunJob) -> None:
        self.job, self.settings, self.run = job, job.settings, job.run
        self.input, self.output = self.settings.open_input(), self.settings.open_output()
        self.key = f"{self.run.run.dataset.name}/{self.run.run.name}"
        self.manifest = Manifest.load(self.output, self.key)
        self.publisher = DigestingPublisher(self.output)
        self.sizes_listed: dict[str, int] | None = None
        self.written: list[str] = []
        self.skipped: list[str] = []
        self.metadata_only: list[str] = []
        self.warnings: list[str] = []
        self.sizes: dict[str, tuple[int, int, int]] = {}  # voxel spacing name -> tomogram (x, y, z)
        self.fingerprints: dict[str, str] = {}

    def write(self) -> RunReport:
        for orphan in self.run.orphans:
            self.output.delete_tree(orphan)
        self.manifest.claim(self.output, dict(self.run.claims), released=self.run.orphans)
        if self.manifest.entries and self.settings.policy is WritePolicy.SKIP_UP_TO_DATE:
            self.sizes_listed = self.output.list_sizes(self.key)  # one listing verifies every entity's sizes
        for tiltseries in self.run.tiltseries:
            volumes = (tiltseries.mrc_key, tiltseries.zarr_key)
            sections = tiltseries.sections.source_keys() if tiltseries.sections is not None else ()
            made_from = (replace(tiltseries, metadata=Metadata()), tiltseries.metadata.get("pixel_spacing"))
            self._entity(
                tiltseries,
                tiltseries.metadata_key,
                volumes,
                (tiltseries.source_key, *sections),
                self._tiltseries,
                data=(made_from, self._tiltseries_metadata),
            )
        for tomogram in self.run.tomograms:
            volumes = (tomogram.mrc_key, tomogram.zarr_key)
            refs = self._viewer_refs(tomogram)  # part of what is written: a change rewrites the metadata
            rewrite = (replace(tomogram, metadata=Metadata()), self._tomogram_metadata)
            read: tuple[str, ...] = (tomogram.source_key,)
            self._entity(tomogram, tomogram.metadata_key, volumes, read, self._tomogram, extra=refs, data=rewrite)
            self.sizes.setdefault(tomogram.tomogram.voxel_spacing.name, self._size_of(tomogram.metadata_key))
        for alignment in self.run.alignments:
            sizes = tuple(sorted(self.sizes.items()))  # the default alignment's volume_dimension depends on them
            outputs, sources = alignment.output_keys, alignment.source_keys
            self._entity(alignment, alignment.metadata_key, outputs, sources, self._alignment, extra=sizes)
        for copy in self.run.copies:
            if self.settings.metadata_only:  # a copied file is data without a metadata file of its own
                self.skipped.append(copy.output_key)
                continue
            self._entity(copy, copy.output_key, (), (copy.source_key,), self._copy)
        for frames in self.run.frames:
            self._entity(frames, frames.metadata_key, (), (frames.mdoc_source_key,), self._frames)
        failed: list[tuple[AnnotationTask, InputFileError]] = []
        for annotation in self.run.annotations:
            outputs = tuple(output.key for file in annotation.files for output in file.outputs)
            sources = tuple(key for file in annotation.files for key in file.source_keys)
            size = self.sizes.get(annotation.annotation.voxel_spacing.name)  # points are checked against it
            redo = ((replace(annotation, metadata=Metadata()), size), self._rewrite(rewrite_annotation))
            try:
                self._entity(annotation, annotation.metadata_key, outputs, sources, self._annotation, data=redo)
            except InputFileError as error:  # bad input fails its annotation; the rest of the run goes on
                failed.append((annotation, error))
        key_images, precomputed, states = without_annotations(
            tuple(annotation for annotation, _ in failed),
            self.run.key_images,
            self.run.precomputed,
            self.run.neuroglancer,
        )
        for images in key_images:
            if self.settings.metadata_only:  # images drawn from the volumes are data, not metadata
                self.skipped.append(images.last_key)
                continue
            # the data the images show, as the manifest records it (the same whichever sections this run writes)
            drawn = (images.tomogram_metadata_key, *images.annotation_metadata_keys)
            drawn_from = tuple(self._data_print(key) for key in drawn)
            outputs = tuple(key for _, key in images.images)
            self._entity(images, images.last_key, outputs, (), self._key_images, extra=drawn_from)
        for points in precomputed:
            if self.settings.metadata_only:  # precomputed annotations and segmentations are data, not metadata
                self.skipped.append(points.info_key)
                continue
            shown = self._data_print(points.annotation_metadata_key)
            self._entity(points, points.info_key, (), (), self._precomputed, extra=shown)
        for viewer in states:
            keys = (viewer.tomogram_metadata_key, *viewer.annotation_metadata_keys)
            shown_in = (self.settings.url_prefix, *(self._data_print(key) for key in keys))
            self._entity(viewer, viewer.state_key, (), (), self._neuroglancer, extra=shown_in)
        if self.run.metadata_key is not None:
            self._entity(self.run.metadata_key, self.run.metadata_key, (), (), self._run_metadata)
        if failed:
            raise failed[0][1] if len(failed) == 1 else AnnotationsFailedError([error for _, error in failed])
        return RunReport(
            self.key,
            tuple(self.written),
            tuple(self.skipped),
            tuple(self.warnings),
            tuple(self.metadata_only),
        )

    def _entity(
        self,
        task: T,
        metadata_key: str,
        outputs: tuple[str, ...],
        sources: tuple[str, ...],
        write: Callable[[T], bytes | None],
        *,
        extra: object = None,
        data: tuple[object, Callable[[T, dict[str, Any]], bytes]] | None = None,
    ) -> None:
        """Write one entity (data, then its metadata file, then the manifest) unless it is up to date.

        ``write`` writes the entity's data and returns the bytes of its metadata file, or None when it published
        ``metadata_key`` itself (a copied file, streamed rather than held in memory). For an entity with converted
        data, ``data`` is what its data is made from (besides its sources) and the function that makes its
        metadata file from the metadata file it replaces (a metadata-only rewrite).
        """
        checksums = [self._source_fingerprint(key) for key in sources]
        print_ = fingerprint((task, extra), checksums)
        data_print = fingerprint(("data", data[0]), checksums) if data is not None else None
        skipping = self.settings.policy is WritePolicy.SKIP_UP_TO_DATE
        sizes, verification = self.sizes_listed, self.settings.verification
        if (
            skipping
            and not self.settings.metadata_only
            and self.manifest.up_to_date(
                self.output, metadata_key, print_, outputs, sizes=sizes, verification=verification
            )
        ):
            self.skipped.append(metadata_key)
            return
        if data is not None and data_print is not None:
            if (skipping or self.settings.metadata_only) and self.manifest.data_intact(
                self.output, metadata_key, data_print, sizes=sizes, verification=verification
            ):
                previous = json.loads(self.output.read_bytes(metadata_key))
                self.publisher.take()
                self.publisher.publish_bytes(metadata_key, data[1](task, previous))
                digests = {**self.manifest.recorded(metadata_key), **self.publisher.take()}
                self.manifest.record(self.output, metadata_key, print_, digests, data_print=data_print)
                self.written.append(metadata_key)
                self.metadata_only.append(metadata_key)
                return
            if self.settings.metadata_only:
                self.warnings.append(
                    f"{metadata_key}: not rewritten by --only metadata: its data is missing or out of date "
                    "(ingest it without --only metadata)"
                )
                self.skipped.append(metadata_key)
                return
        self.publisher.take()
        document = write(task)
        if document is not None:
            self.publisher.publish_bytes(metadata_key, document)
        self.manifest.record(self.output, metadata_key, print_, self.publisher.take(), data_print=data_print)
        self.written.append(metadata_key)

    def _data_print(self, metadata_key: str) -> str | None:
        """What the viewer files made from an entity depend on: its data fingerprint (a metadata-only rewrite of
        the entity leaves them as they are), or its fingerprint when no data fingerprint is recorded."""
        return self.manifest.data.get(metadata_key) or self.manifest.entries.get(metadata_key)

    def _source_fingerprint(self, key: str) -> str:
        """The content fingerprint of a source, computed once per run however many entities read it."""
        if key not in self.fingerprints:
            self.fingerprints[key] = self.input.content_fingerprint(self.settings.source_key(key))
        return self.fingerprints[key]

    def _rewrite(self, rewrite: Callable[[T, dict[str, Any], str, int], bytes]) -> Callable[[T, dict[str, Any]], bytes]:
        """A metadata-only rewriter of this run (see :mod:`ingest.metadata_only`)."""
        run_name, stamp = self.run.run.name, self.settings.timestamp
        return lambda task, previous: rewrite(task, previous, run_name, stamp)

    def _run_metadata(self, key: str) -> bytes:
        return metadata_bytes(run_file(self.run.run.name, self.job.deposition_id, self.settings.timestamp, key=key))

    def _convert(
        self,
        source_key: str,
        kind: VolumeKind,
        voxel_spacing: float,
        mrc_key: str,
        zarr_key: str,
        expected_shape: tuple[int, int, int] | None = None,
        **options: Any,
    ) -> VolumeResult:
        """Convert a source volume and publish its MRC and OME-Zarr; a volume whose shape (z, y, x) is not
        ``expected_shape`` (a mask against its tomogram) fails naming the source, and nothing is published."""
        with self.input.fetch(self.settings.source_key(source_key)) as source, self.output.scratch() as scratch:
            result = convert_volume(
                source,
                scratch / "volume.zarr",
                voxel_spacing=voxel_spacing,
                kind=kind,
                mrc_out=scratch / "volume.mrc",
                workers=self.settings.volume_workers,
                progress=VolumeChunkReporter(self.key, zarr_key),
                **options,
            )
            assert result.mrc_path is not None  # an MRC output was requested
            if expected_shape is not None and result.shape != expected_shape:
                raise InputFileError(
                    "a mask does not match its tomogram",
                    where=self.input.url_of(self.settings.source_key(source_key)),
                    expected=f"x, y, z = {expected_shape[::-1]} voxels (the tomogram's size)",
                    found=f"{result.shape[::-1]}",
                )
            self.publisher.move_file(mrc_key, result.mrc_path)
            self.publisher.move_tree(zarr_key, result.zarr_path)
        self.warnings.extend(f"{source_key}: {warning}" for warning in result.warnings)
        return result

    def _tiltseries(self, task: TiltSeriesTask) -> bytes:
        values = task.metadata.to_dict()
        computed = self._tiltseries_computed(task)
        tiltseries_file(values, {**computed, **_placeholder_volume()}, 0, key=task.metadata_key)  # fail before work
        spacing = float(values.get("pixel_spacing") or 0)
        result = self._convert(task.source_key, VolumeKind.TILTSERIES, spacing, task.mrc_key, task.zarr_key)
        computed.update(volume_fields(result, mrc_key=task.mrc_key, zarr_key=task.zarr_key))
        return _tiltseries_bytes(tiltseries_file(values, computed, self.settings.timestamp, key=task.metadata_key))

    def _tiltseries_computed(self, task: TiltSeriesTask) -> dict[str, Any]:
        computed: dict[str, Any] = {"run_name": self.run.run.name, "frames_count": task.frames_count}
        if task.sections is not None:
            computed.update(section_fields(task.sections, self._source_text))
        return computed

    def _tiltseries_metadata(self, task: TiltSeriesTask, previous: dict[str, Any]) -> bytes:
        """A metadata-only rewrite: the volume fields of the file replaced, the rest computed as in a full write."""
        computed = {**self._tiltseries_computed(task), **previous_volume_fields(previous, task.mrc_key, task.zarr_key)}
        values = task.metadata.to_dict()
        return _tiltseries_bytes(tiltseries_file(values, computed, self.settings.timestamp, key=task.metadata_key))

    def _source_text(self, key: str) -> str:
        return decode_text(self.input.read_bytes(self.settings.source_key(key)), key)

    def _tomogram(self, task: TomogramTask) -> bytes:
        values = task.metadata.to_dict()
        computed: dict[str, Any] = {
            "run_name": self.run.run.name,
            "alignment_metadata_path": task.alignment_metadata_key,
        }
        tomogram_file(values, {**computed, **_placeholder_volume()}, 0, key=task.metadata_key)  # fail before work
        spacing = task.tomogram.voxel_spacing.value
        result = self._convert(task.source_key, VolumeKind.TOMOGRAM, spacing, task.mrc_key, task.zarr_key)
        computed.update(volume_fields(result, mrc_key=task.mrc_key, zarr_key=task.zarr_key))
        computed.update(self._viewer_refs(task))
        return metadata_bytes(tomogram_file(values, computed, self.settings.timestamp, key=task.metadata_key))

    def _tomogram_metadata(self, task: TomogramTask, previous: dict[str, Any]) -> bytes:
        """A metadata-only rewrite: volume fields from the file replaced, viewer files named as in a full write."""
        return rewrite_tomogram(task, previous, self.run.run.name, self.settings.timestamp, self._viewer_refs(task))

    def _viewer_refs(self, task: TomogramTask) -> dict[str, Any]:
        """The viewer files ``tomogram_metadata.json`` names: the key photos when this run draws them (after the
        annotations they show) or when they are already in the tree."""
        drawn = any(images.tomogram == task.tomogram for images in self.run.key_images)
        refs: dict[str, Any] = {}
        if task.key_photo and (drawn or all(self.output.exists(key) for _, key in task.key_photo)):
            refs["key_photo"] = dict(task.key_photo)
        shown = any(viewer.tomogram == task.tomogram for viewer in self.run.neuroglancer)
        if task.neuroglancer_key and (shown or self.output.exists(task.neuroglancer_key)):
            refs["neuroglancer_config_path"] = task.neuroglancer_key
        return refs

    def _precomputed(self, task: PrecomputedTask) -> None:
        write_precomputed(task, self.output, self.publisher)

    def _neuroglancer(self, task: NeuroglancerTask) -> bytes:
        settings = self.settings
        return neuroglancer_state_bytes(
            task, self.output, self.job.deposition_id, settings.timestamp, settings.url_prefix
        )

    def _key_images(self, task: KeyImageTask) -> None:
        write_key_images(task, self.output, self.publisher)

    def _size_of(self, metadata_key: str) -> tuple[int, int, int]:
        size = json.loads(self.output.read_bytes(metadata_key))["size"]
        return int(size["x"]), int(size["y"]), int(size["z"])

    def _alignment(self, task: AlignmentTask) -> bytes:
        """Read and check the alignment's files, validate its metadata, then copy the files (data first)."""
        sources = tuple(self.input.read_bytes(self.settings.source_key(key)) for key in task.source_keys)
        files = read_alignment_files(
            tuple(
                AlignmentText(key, decode_text(data, key)) for key, data in zip(task.source_keys, sources, strict=True)
            ),
            task.metadata.get("format"),
        )
        copied = dict(zip(task.source_keys, task.output_keys, strict=True))
        computed: dict[str, Any] = {"files": list(task.output_keys)}
        computed.update({role.value: copied[name] for role, name in files.roles})
        if files.sections:
            computed["per_section_alignment_parameters"] = [section.to_dict() for section in files.sections]
        if self.run.tiltseries:
            computed["tiltseries_path"] = self.run.tiltseries[0].metadata_key
        size_key = task.size_source_key  # set when the config gives no volume_dimension
        if size_key is not None and (task.is_default or self.output.exists(size_key)):
            tomogram = json.loads(self.output.read_bytes(size_key))
            size, spacing = tomogram["size"], float(tomogram["voxel_spacing"])
            computed["volume_dimension"] = {axis: size[axis] * spacing for axis in "xyz"}
        values = task.metadata.to_dict()
        document = metadata_bytes(alignment_file(values, computed, self.settings.timestamp, key=task.metadata_key))
        for output, data in zip(task.output_keys, sources, strict=True):
            self.publisher.publish_bytes(output, data)
        return document

    def _copy(self, task: CopyTask) -> None:
        """Publish the source file unchanged at ``task.output_key`` (streamed: gain references can be large); a
        ``.dm4`` gain is converted to the MRC the output key names, and nothing is published if it cannot be read."""
        with self.input.fetch(self.settings.source_key(task.source_key)) as local:
            if task.section is Section.GAINS and is_dm_gain(task.source_key):
                with tempfile.TemporaryDirectory(prefix="ingest-gain-") as scratch:
                    converted = Path(scratch) / "gain.mrc"
                    dm_gain_to_mrc(local, converted, task.source_key)
                    self.publisher.publish_file(task.output_key, converted)
            elif local.is_dir():  # a zarr folder is copied as a tree
                self.publisher.publish_tree(task.output_key, local)
            else:
                self.publisher.publish_file(task.output_key, local)

    def _frames(self, task: FramesTask) -> bytes:
        mdoc = self.input.read_bytes(self.settings.source_key(task.mdoc_source_key))
        return frames_metadata_bytes(task, mdoc, self.job.deposition_id, self.settings.timestamp)

    def _annotation(self, task: AnnotationTask) -> bytes:
        values = task.metadata.to_dict()
        size = self.sizes.get(task.annotation.voxel_spacing.name)
        counts = []
        for file in task.files:
            options = file.options.to_dict()
            if file.shape.is_volume:
                counts.append(self._mask(task, file, options, size))
            else:
                counts.append(self._points(task, file, options, size))
        computed = {
            "files": annotation_entries(task),
            "object_count": max(counts),
            "alignment_metadata_path": task.alignment_metadata_key,
        }
        return metadata_bytes(annotation_file(values, computed, self.settings.timestamp, key=task.metadata_key))

    def _points(
        self, task: AnnotationTask, file: AnnotationFileTask, options: dict[str, Any], size: tuple[int, int, int] | None
    ) -> int:
        shape = _POINT_SHAPES[file.shape]
        read_options = ReadOptions(
            binning=float(options.get("binning", 1.0)),
            order=options.get("order", "xyz"),
            filter_value=options.get("filter_value"),
            voxel_spacing=task.annotation.voxel_spacing.value,
            delimiter=options.get("delimiter"),
            columns=options.get("columns"),
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

    def _mask(
        self, task: AnnotationTask, file: AnnotationFileTask, options: dict[str, Any], size: tuple[int, int, int] | None
    ) -> int:
        instance = file.shape is Shape.INSTANCE_SEGMENTATION_MASK
        extra: dict[str, Any] = {}
        if not instance:
            threshold = options.get("threshold")
            extra["mask"] = (
                MaskThreshold(float(threshold)) if threshold is not None else MaskLabel(options.get("mask_label", 1))
            )
        if options.get("rescale") and size is not None:
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


def _tiltseries_bytes(model: BaseModel) -> bytes:
    """A tilt-series metadata file with the nulls the portal writes in its per-section parameters."""
    return document_bytes(with_section_nulls(metadata_document(model)))


def _placeholder_volume() -> dict[str, Any]:
    one = {"x": 1, "y": 1, "z": 1}
    return {"size": one, "scales": [one], "mrc_file": "placeholder.mrc", "omezarr_dir": "placeholder.zarr"}


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
