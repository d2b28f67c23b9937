"""How ``ingest deposition`` shows its progress: rich bars on a terminal, plain log lines otherwise.

Both displays take the same two events: a run finished (:class:`~ingest.pipeline.execute.RunOutcome`) and a volume's
chunks progressed (:class:`~ingest.pipeline.progress.VolumeProgress`). The bars show runs done out of all runs and one
bar per volume being converted; the log lines say when each run finishes and when each volume is converted.
"""

from __future__ import annotations

import threading
from typing import IO, Protocol, Self

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ingest.pipeline.execute import RunOutcome
from ingest.pipeline.progress import VolumeProgress


class IngestProgress(Protocol):
    """A progress display, used as a context manager around the execution."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def run_finished(self, outcome: RunOutcome) -> None:
        """One run is done (or failed)."""

    def volume_progressed(self, progress: VolumeProgress) -> None:
        """More chunks of one volume are written."""


def open_progress(runs: int, console: Console) -> IngestProgress:
    """Bars when ``console`` is an interactive terminal, log lines on its file otherwise."""
    if console.is_terminal and not console.is_dumb_terminal:
        return ProgressBars(runs, console)
    return ProgressLines(runs, console.file)


def _outcome_text(outcome: RunOutcome) -> str:
    if outcome.succeeded:
        return f"ok {outcome.run}: {outcome.written} written, {outcome.skipped} skipped"
    return f"FAILED {outcome.run}: {outcome.error}"


class NoProgress:
    """No display at all (``--quiet``)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run_finished(self, outcome: RunOutcome) -> None:
        """Nothing shown."""

    def volume_progressed(self, progress: VolumeProgress) -> None:
        """Nothing shown."""


class ProgressLines:
    """One line when a run finishes (``[done/total] ok ds/run: ...``) and one when a volume is converted."""

    def __init__(self, runs: int, stream: IO[str]) -> None:
        self.runs, self.stream, self.done = runs, stream, 0
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stream.flush()

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def run_finished(self, outcome: RunOutcome) -> None:
        """Print ``[done/total]`` and the run's outcome."""
        self.done += 1
        self._line(f"[{self.done}/{self.runs}] {_outcome_text(outcome)}")

    def volume_progressed(self, progress: VolumeProgress) -> None:
        """Print a line when the volume is complete (partial progress would flood a log)."""
        if progress.finished:
            self._line(f"converted {progress.volume} ({progress.total} chunks)")


class ProgressBars:
    """A bar over runs and one transient bar per volume being converted."""

    def __init__(self, runs: int, console: Console) -> None:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self.bars = Progress(*columns, console=console)
        self.runs_task = self.bars.add_task("runs", total=runs)
        self.volumes: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self.bars.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.bars.stop()

    def run_finished(self, outcome: RunOutcome) -> None:
        """Advance the runs bar and print the outcome above the bars."""
        self.bars.console.print(_outcome_text(outcome), highlight=False)
        self.bars.advance(self.runs_task)

    def volume_progressed(self, progress: VolumeProgress) -> None:
        """Update (or add) the volume's bar; remove it when the volume is complete."""
        with self._lock:
            task = self.volumes.get(progress.volume)
            if task is None:
                task = self.bars.add_task(
                    f"  {progress.volume.removeprefix(progress.run.rsplit('/', 1)[0] + '/')}", total=progress.total
                )
                self.volumes[progress.volume] = task
            if progress.finished:
                self.bars.remove_task(self.volumes.pop(progress.volume))
                return
        self.bars.update(task, completed=progress.done, total=progress.total)
