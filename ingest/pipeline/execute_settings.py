"""The frozen hand-offs of execution: settings shared by every run, one run's job, and its report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ingest.converters.viewers.neuroglancer_state import NEUROGLANCER_URL_PREFIX
from ingest.domain.tasks import RunPlan
from ingest.storage.base import Storage, open_storage
from ingest.storage.digests import Verification


class WritePolicy(StrEnum):
    """Whether up-to-date entities are skipped (the default) or rewritten (``--overwrite``)."""

    SKIP_UP_TO_DATE = "skip-up-to-date"
    OVERWRITE = "overwrite"


@dataclass(frozen=True)
class ExecutionSettings:
    """Where to read and write, and how: shared by every run of one ingestion."""

    input_url: str
    source_prefix: str
    output_url: str
    timestamp: int
    storage_options: tuple[tuple[str, str], ...] = ()
    policy: WritePolicy = WritePolicy.SKIP_UP_TO_DATE
    volume_workers: int = 1
    verification: Verification = Verification.QUICK
    """How reruns verify the outputs of up-to-date entities (``--verify``: every byte)."""
    bucket_root: str | None = None
    """Where ``bucket/key`` literals of a local input are read from (``{bucket_root}/bucket/key``)."""
    metadata_only: bool = False
    """``--only metadata``: rewrite metadata files only; data (volumes, points, copied files) is left as it is."""
    url_prefix: str = NEUROGLANCER_URL_PREFIX
    """The base URL the Neuroglancer states give their layer sources (``--url-prefix``; ends in ``/``)."""

    def open_input(self) -> Storage:
        """The input storage."""
        return open_storage(self.input_url, _s3_options(self.input_url, self.storage_options))

    def open_output(self) -> Storage:
        """The output storage."""
        return open_storage(self.output_url, _s3_options(self.output_url, self.storage_options))

    def source_key(self, key: str) -> str:
        """A planned source key (relative to the source prefix) as a key of the input storage."""
        return f"{self.source_prefix}/{key}" if self.source_prefix else key


def _s3_options(url: str, options: tuple[tuple[str, str], ...]) -> dict[str, str] | None:
    return dict(options) if url.startswith(("s3://", "s3a://")) and options else None


@dataclass(frozen=True)
class RunJob:
    """One run to ingest: the executor's unit of work."""

    run: RunPlan
    deposition_id: int
    settings: ExecutionSettings


@dataclass(frozen=True)
class RunReport:
    """What became of one run's entities (by metadata key) and any converter warnings."""

    run: str
    written: tuple[str, ...]
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]
    metadata_only: tuple[str, ...] = ()
    """The written entities (also in ``written``) whose metadata file alone was rewritten, their data kept."""
