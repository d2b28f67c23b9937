"""The writing of one entity of a run, shared by every kind of entity (:mod:`ingest.pipeline.execute_run`): skip what
is up
to date and intact, rewrite the metadata file alone when only metadata changed, else write the data, then the
metadata file, then the manifest entry; and the volume conversion that tomograms, tilt series and masks share."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from ingest.converters.volumes.convert import convert_volume
from ingest.converters.volumes.kind import VolumeKind
from ingest.converters.volumes.types import VolumeResult
from ingest.errors import InputFileError
from ingest.pipeline.execute_settings import RunJob, RunReport, WritePolicy
from ingest.pipeline.manifest import Manifest, fingerprint
from ingest.pipeline.progress import VolumeChunkReporter
from ingest.storage.digests import DigestingPublisher

T = TypeVar("T")


class EntityWriter:
    """The state of one run being written (storages, manifest, publisher, what was written and skipped) and the
    writing of one entity (:meth:`_entity`)."""

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

    def report(self) -> RunReport:
        """What the run wrote and skipped."""
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
        """A metadata-only rewriter of this run (see :mod:`ingest.pipeline.metadata_only`)."""
        run_name, stamp = self.run.run.name, self.settings.timestamp
        return lambda task, previous: rewrite(task, previous, run_name, stamp)

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

    def _fetch(self, key: str) -> AbstractContextManager[Path]:
        return self.input.fetch(self.settings.source_key(key))

    def _source_url(self, key: str) -> str:
        return self.input.url_of(self.settings.source_key(key))
