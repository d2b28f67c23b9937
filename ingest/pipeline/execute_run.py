"""Ingest one run of a plan: convert its volumes and picks, publish data first and metadata last, skip what is
up to date and intact, repair what is not. :func:`ingest_run` is the task function executors run (top-level and
picklable).

An entity with converted data whose data fingerprint still matches (only its metadata changed) and whose data is
intact gets its metadata file alone rewritten, with the computed fields (sizes, object counts) of the metadata file
it replaces (:mod:`ingest.pipeline.manifest`); ``--only metadata`` does that for every entity and writes no data.

Before anything else a run deletes the folders a killed earlier run left without metadata (its claimed orphans)
and records in its manifest which identity each numbered folder it will write is for; then every entity in turn
(:mod:`ingest.pipeline.execute_entity`), annotations and viewer files by :mod:`ingest.pipeline.execute_annotations`.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ingest.converters.acquisition.alignment_files import AlignmentText, read_alignment_files
from ingest.converters.acquisition.gain import dm_gain_to_mrc, is_dm_gain
from ingest.converters.acquisition.text_inputs import decode_text
from ingest.converters.annotations.identified_objects import identified_objects_for_run
from ingest.converters.volumes.kind import VolumeKind
from ingest.domain.portal_defaults import with_section_nulls
from ingest.domain.tasks import (
    AlignmentTask,
    CopyTask,
    FramesTask,
    IdentifiedObjectsTask,
    Metadata,
    Section,
    TiltSeriesTask,
    TomogramTask,
)
from ingest.pipeline.execute_annotations import AnnotationWriter
from ingest.pipeline.execute_sections import section_fields
from ingest.pipeline.execute_settings import RunJob, RunReport, WritePolicy
from ingest.pipeline.frames_metadata import frames_metadata_bytes
from ingest.pipeline.metadata import (
    alignment_file,
    document_bytes,
    identified_objects_file,
    metadata_bytes,
    metadata_document,
    run_file,
    tiltseries_file,
    tomogram_file,
    volume_fields,
)
from ingest.pipeline.metadata_only import previous_volume_fields, rewrite_tomogram


def ingest_run(job: RunJob) -> RunReport:
    """Ingest every task of ``job.run`` (see the module docstring)."""
    return _RunWriter(job).write()


class _RunWriter(AnnotationWriter):
    """Writes a run's entities in the order they depend on each other: tilt series, tomograms (their sizes),
    alignments, copies, frames, identified objects, annotations and their viewer files, the run's metadata."""

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
        for objects in self.run.identified_objects:
            outputs, sources = (objects.data_key,), (objects.source_key,)
            self._entity(objects, objects.metadata_key, outputs, sources, self._identified_objects)
        self._annotations()
        self._viewers()
        if self.run.metadata_key is not None:
            self._entity(self.run.metadata_key, self.run.metadata_key, (), (), self._run_metadata)
        self._raise_failures()
        return self.report()

    def _run_metadata(self, key: str) -> bytes:
        return metadata_bytes(run_file(self.run.run.name, self.job.deposition_id, self.settings.timestamp, key=key))

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

    def _identified_objects(self, task: IdentifiedObjectsTask) -> bytes:
        """The run's rows of the identified-objects CSV as JSON records (published first), then their metadata."""
        table = self.input.read_bytes(self.settings.source_key(task.source_key))
        objects = identified_objects_for_run(table, self.run.run.name, where=self._source_url(task.source_key))
        computed = {
            "deposition_id": self.job.deposition_id,
            "object_count": objects.count,
            "columns": list(objects.columns),
            "file_format": "json",
            "source_file": self.settings.source_key(task.source_key),
            "identifier": self.settings.source_key(task.source_key),
        }
        values = task.metadata.to_dict()
        model = identified_objects_file(values, computed, self.settings.timestamp, key=task.metadata_key)
        self.publisher.publish_bytes(task.data_key, objects.data)
        return metadata_bytes(model)


def _tiltseries_bytes(model: BaseModel) -> bytes:
    """A tilt-series metadata file with the nulls the portal writes in its per-section parameters."""
    return document_bytes(with_section_nulls(metadata_document(model)))


def _placeholder_volume() -> dict[str, Any]:
    one = {"x": 1, "y": 1, "z": 1}
    return {"size": one, "scales": [one], "mrc_file": "placeholder.mrc", "omezarr_dir": "placeholder.zarr"}
