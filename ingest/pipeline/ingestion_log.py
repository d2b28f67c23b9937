"""The log of one ``ingest deposition``: kept beside the manifests in ``{output}/.ingest/`` (outside the canonical
tree, so it never affects the determinism of the tree), optionally copied to ``--log-file``, shown on stderr with
``--verbose``.

Records go to the ``ingest`` logger; :class:`IngestionLog` collects them in a local file while the deposition runs
and :meth:`IngestionLog.publish` stores it at ``.ingest/logs/{started}.log`` (``started``: the wall clock when the
command started, UTC, e.g. ``20261204T164512Z``). :func:`record_ingestion` writes ``.ingest/last_ingestion.json``,
which ``ingest info`` reads.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from ingest.errors import IngestError
from ingest.pipeline.manifest import MANIFEST_FOLDER
from ingest.storage.base import Storage

LOGGER = "ingest"
"""The logger every ingestion record goes to (``logging.getLogger("ingest.deposition")`` and the like)."""

LOG_FOLDER = f"{MANIFEST_FOLDER}/logs"
LAST_INGESTION_KEY = f"{MANIFEST_FOLDER}/last_ingestion.json"
LAST_INGESTION_FORMAT = "cryoet-ingest-last-ingestion-1"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def is_run_record(key: str) -> bool:
    """Whether ``key`` (relative to the output root) is a record of one invocation (a log, the last-ingestion
    summary), which differs from run to run by design; manifests are not: they depend only on the inputs."""
    return key.startswith(f"{LOG_FOLDER}/") or key == LAST_INGESTION_KEY


def log_stamp(moment: datetime) -> str:
    """A moment as the name of its log file: ``20261204T164512Z``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class LogLevels:
    """How much is shown on stderr (``None``: nothing) and how much is kept in the log files."""

    stderr: int | None = None
    kept: int = logging.INFO

    @classmethod
    def of(cls, *, quiet: bool, verbose: bool) -> LogLevels:
        """``--verbose``: every record on stderr too, debug included; otherwise (``--quiet`` or not) records go to
        the log files only (``--quiet`` silences the progress display, which is not logging)."""
        del quiet
        return cls(stderr=logging.DEBUG, kept=logging.DEBUG) if verbose else cls()


class IngestionLog:
    """Collects the ``ingest`` logger's records in a local file (and ``log_file``) while used as a context."""

    def __init__(self, started: datetime, levels: LogLevels, log_file: Path | None = None) -> None:
        self.started, self.levels, self.log_file = started, levels, log_file
        self._folder = tempfile.TemporaryDirectory(prefix="ingest-log-")
        self.local = Path(self._folder.name) / f"{log_stamp(started)}.log"
        self._handlers: list[logging.Handler] = []
        self._previous_level = logging.NOTSET

    def __enter__(self) -> Self:
        formatter = logging.Formatter(_FORMAT)
        handlers: list[logging.Handler] = [logging.FileHandler(self.local, encoding="utf-8")]
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.FileHandler(self.log_file, mode="w", encoding="utf-8"))
        for handler in handlers:
            handler.setLevel(self.levels.kept)
        if self.levels.stderr is not None:
            stderr = logging.StreamHandler()
            stderr.setLevel(self.levels.stderr)
            handlers.append(stderr)
        logger = logging.getLogger(LOGGER)
        self._previous_level = logger.level
        logger.setLevel(min(self.levels.kept, self.levels.stderr or logging.INFO))
        for handler in handlers:
            handler.setFormatter(formatter)
            logger.addHandler(handler)
        self._handlers = handlers
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        logger = logging.getLogger(LOGGER)
        if error is not None and not isinstance(error, SystemExit):
            logger.error("ended by %s: %s", type(error).__name__, error)
        for handler in self._handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(self._previous_level)
        self._handlers = []

    def publish(self, output: Storage) -> str:
        """Store what was logged so far at ``.ingest/logs/{started}.log`` of ``output`` (a later run started in
        the same second gets ``-2``, ``-3``...); returns the key."""
        for handler in self._handlers:
            handler.flush()
        stamp = log_stamp(self.started)
        key, number = f"{LOG_FOLDER}/{stamp}.log", 1
        while output.exists(key):
            number += 1
            key = f"{LOG_FOLDER}/{stamp}-{number}.log"
        output.publish_file(key, self.local) if self.local.exists() else output.publish_bytes(key, b"")
        return key

    def close(self) -> None:
        """Remove the local copy."""
        self._folder.cleanup()


def record_ingestion(output: Storage, summary: dict[str, Any]) -> None:
    """Write ``.ingest/last_ingestion.json``: ``summary`` (started, finished, config, log, ok, totals...) with the
    format marker."""
    document = {"format": LAST_INGESTION_FORMAT, **summary}
    output.publish_bytes(LAST_INGESTION_KEY, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())


def read_last_ingestion(output: Storage) -> dict[str, Any] | None:
    """The summary of the last ingestion into ``output`` (None when there is none or it cannot be read)."""
    try:
        if not output.exists(LAST_INGESTION_KEY):
            return None
        document = json.loads(output.read_bytes(LAST_INGESTION_KEY))
    except (IngestError, OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != LAST_INGESTION_FORMAT:
        return None
    document.pop("format")
    return document


def now() -> datetime:
    """The wall clock, UTC (the moment a command starts: names its log)."""
    return datetime.now(UTC)


def quiet_lines(lines: list[str]) -> list[str]:
    """What ``--quiet`` keeps of a text report: failures and check errors (nothing when all went well)."""
    return [line for line in lines if line.startswith(("FAILED", "check error"))]
