"""Build a run's ``Frames/frames_metadata.json`` (pure): the frames entry's metadata, the doses of every section of
the run's acquisition file (:mod:`ingest.converters.acquisition.mdoc`) and the paths of the frame files deposited for
them, validated against ``FramesMetadataFile`` before anything is written. Every frame entry has ``path`` and
``is_gain_corrected``, ``null`` when unknown, as the portal writes them (:mod:`ingest.domain.portal_defaults`)."""

from __future__ import annotations

from typing import Any

from ingest.converters.acquisition.mdoc import frame_doses, read_mdoc_sections
from ingest.converters.acquisition.text_inputs import decode_text
from ingest.domain.portal_defaults import with_frame_nulls
from ingest.domain.tasks import FramesTask
from ingest.pipeline.metadata import document_bytes, frames_file, metadata_document


def frames_metadata_bytes(task: FramesTask, mdoc: bytes, deposition_id: int, stamp: int) -> bytes:
    """The text of ``task.metadata_key`` from the bytes of the acquisition file ``task.mdoc_source_key``; an
    unreadable acquisition file is an :class:`~ingest.errors.InputFileError` naming it (and the line)."""
    sections = read_mdoc_sections(decode_text(mdoc, task.mdoc_source_key), task.mdoc_source_key)
    values = task.metadata.to_dict()
    deposited = {key.rsplit("/", 1)[-1]: key for key in task.frame_keys}
    doses = frame_doses(sections, float(values["dose_rate"]), values.get("is_gain_corrected"), deposited)
    computed: dict[str, Any] = {
        "deposition_id": deposition_id,
        "frames_acquisition_file": task.mdoc_key,
        "frames": [dose.to_dict() for dose in doses],
    }
    model = frames_file(values, computed, stamp, key=task.metadata_key)
    return document_bytes(with_frame_nulls(metadata_document(model)))
