"""Progress of volume conversions, sent from wherever a run executes to the process that displays it.

A run's volume conversion reports chunks through :class:`VolumeChunkReporter` (the volume converter's progress
callback); reports travel on :data:`VOLUME_PROGRESS_TOPIC` through :func:`ingest.pipeline.executors.event_sink`, so they
reach the display from this process or from dask workers alike. Reports are throttled: the first chunk, the last
one, and at most one in between every :data:`REPORT_INTERVAL` seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ingest.pipeline.executors import event_sink

VOLUME_PROGRESS_TOPIC = "ingest-volume-chunks"
REPORT_INTERVAL = 0.25


@dataclass(frozen=True)
class VolumeProgress:
    """``done`` of ``total`` chunks of the volume ``volume`` (its output key) written for ``run``."""

    run: str
    volume: str
    done: int
    total: int

    @property
    def finished(self) -> bool:
        """Whether every chunk is written."""
        return self.done >= self.total

    def to_message(self) -> dict[str, Any]:
        """The progress as a msgpack-serialisable message."""
        return {"run": self.run, "volume": self.volume, "done": self.done, "total": self.total}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> VolumeProgress:
        """The progress sent as :meth:`to_message`."""
        return cls(str(message["run"]), str(message["volume"]), int(message["done"]), int(message["total"]))


class VolumeChunkReporter:
    """The volume converter's progress callback for one volume of one run (see the module docstring).

    Create it in the run's task thread; the converter may call it from its own threads.
    """

    def __init__(self, run: str, volume: str) -> None:
        self.run, self.volume = run, volume
        self._send = event_sink(VOLUME_PROGRESS_TOPIC)
        self._last = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and done > 1 and now - self._last < REPORT_INTERVAL:
            return
        self._last = now
        self._send(VolumeProgress(self.run, self.volume, done, total).to_message())
