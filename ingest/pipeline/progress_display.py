"""How ``ingest deposition`` shows its progress: rich bars on a terminal, plain log lines otherwise.

Both displays take the same three events: a run finished (:class:`~ingest.pipeline.execute.RunOutcome`), a volume's
chunks progressed (:class:`~ingest.pipeline.progress.VolumeProgress`) and the output checks progressed (runs checked out
of all). The bars show runs done out of all runs, one bar per volume being converted and a bar over the checks,
each with its elapsed time and an estimate of the time left; the log lines say when each run finishes, when each
volume is converted and when the checks start and end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Protocol, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

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

    def checks_progressed(self, done: int, total: int) -> None:
        """``done`` of ``total`` runs are checked (called with 0 before the first)."""


def progress_columns() -> tuple[ProgressColumn, ...]:
    """The columns of every bar: what, bar, done/total, elapsed, and the estimated time left."""
    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )


def interactive(console: Console) -> bool:
    """Whether ``console`` is a terminal that can redraw bars."""
    return console.is_terminal and not console.is_dumb_terminal


@contextmanager
def check_progress(console: Console) -> Iterator[Callable[[int, int], None] | None]:
    """``ingest check``'s progress callback: a transient bar over runs (with ETA) on a terminal, else none."""
    if not interactive(console):
        yield None
        return
    with Progress(*progress_columns(), console=console, transient=True) as bars:
        task = bars.add_task("checking runs", total=None)

        def advance(done: int, total: int) -> None:
            bars.update(task, completed=done, total=total)

        yield advance


def open_progress(runs: int, console: Console) -> IngestProgress:
    """Bars when ``console`` is an interactive terminal, log lines on its file otherwise."""
    if interactive(console):
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

    def checks_progressed(self, done: int, total: int) -> None:
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

    def checks_progressed(self, done: int, total: int) -> None:
        """Print a line when the checks start and when they end."""
        if done == 0:
            self._line(f"checking {total} written run(s) ...")
        elif done == total:
            self._line(f"checked {total} run(s)")


class ProgressBars:
    """A bar over runs and one transient bar per volume being converted."""

    def __init__(self, runs: int, console: Console) -> None:
        self.bars = Progress(*progress_columns(), console=console)
        self.runs_task = self.bars.add_task("runs", total=runs)
        self.volumes: dict[str, TaskID] = {}
        self.checks_task: TaskID | None = None
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

    def checks_progressed(self, done: int, total: int) -> None:
        """Show (then advance) a bar over the runs being checked."""
        with self._lock:
            if self.checks_task is None:
                self.checks_task = self.bars.add_task("checks", total=total)
        self.bars.update(self.checks_task, completed=done, total=total)
