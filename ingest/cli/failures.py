"""The last line of defence: interrupts and unexpected exceptions reach the user as one readable line.

User errors (:class:`~ingest.errors.IngestError`) are reported by the command group as ``error: ...``. Everything
else is a defect we did not foresee: its traceback goes to a log file (or to stderr with ``ingest --verbose``)
and the user gets one line naming the exception and the log. Ctrl-C ends with one line and status 130; outputs
are only ever published whole, so the same command can be run again to finish (or resume) the work.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click

from ingest import __version__
from ingest.cli.json_failures import INTERNAL_ERROR_EXIT

INTERRUPTED_EXIT = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C."""

EXIT_CODES = (
    (0, "success (validate: valid; check: clean)"),
    (1, "the data is bad: invalid config, failed runs, findings of check, malformed input file"),
    (2, "usage: bad option or argument, unreadable input or tree, unreachable or refusing storage, nothing to check"),
    (INTERNAL_ERROR_EXIT, "internal error (a bug): one line on stderr, the traceback in a log file"),
    (INTERRUPTED_EXIT, "interrupted (Ctrl-C); run the same command again to resume"),
)
"""Every exit status of every ``ingest`` command, with its meaning (also in ``ingest --help`` and the README)."""

LOG_DIR_VARIABLE = "INGEST_LOG_DIR"
"""Environment variable naming the folder of crash logs (default: the system's temporary folder)."""


def exit_codes_help() -> str:
    """The exit statuses as a help epilogue (one line each, kept unwrapped by click's ``\\b`` marker)."""
    return "\b\nExit status:\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES)


@contextmanager
def interrupts_noted() -> Iterator[None]:
    """Note Ctrl-C as it happens (then raise ``KeyboardInterrupt`` as usual), on the main thread only.

    Some libraries turn the ``KeyboardInterrupt`` into an exception of their own (pydantic-core reports a
    ``SchemaError`` when it arrives while a model is being built); the note
    (:func:`ingest.pipeline.interrupts.interrupt_noted`) lets the handler still say "interrupted", and a run's
    task end as interrupted rather than failed. The first Ctrl-C also silences the dask cluster's shutdown chatter.
    """
    from ingest.pipeline.interrupts import forget_interrupts, note_interrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def noted(_signal: int, _frame: FrameType | None) -> None:
        note_interrupt()
        _quiet_clusters()
        raise KeyboardInterrupt

    forget_interrupts()
    previous = signal.signal(signal.SIGINT, noted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        forget_interrupts()


def _quiet_clusters() -> None:
    if "distributed" in sys.modules:
        from ingest.pipeline.local_cluster import quiet_interrupted_clusters

        quiet_interrupted_clusters()


def report_interrupt() -> NoReturn:
    """Ctrl-C: one line on stderr and status 130."""
    _quiet_clusters()
    click.echo("\ninterrupted: stopped by Ctrl-C; outputs are published whole, run the same command again to resume",
               err=True)  # fmt: skip
    sys.exit(INTERRUPTED_EXIT)


def report_unexpected(error: BaseException, *, verbose: bool) -> NoReturn:
    """A defect: the traceback in a log file (or on stderr when ``verbose``) and one line naming both."""
    text = "".join(traceback.format_exception(error))
    summary = f"internal error: {type(error).__name__}: {_first_line(error)}"
    if verbose:
        click.echo(text, err=True, nl=False)
        click.echo(f"{summary} (this is a bug in ingest)", err=True)
        sys.exit(INTERNAL_ERROR_EXIT)
    log = _write_log(text)
    where = f"traceback in {log}" if log else "the traceback could not be logged"
    click.echo(f"{summary} (this is a bug in ingest; {where}; --verbose shows it)", err=True)
    sys.exit(INTERNAL_ERROR_EXIT)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    return text if len(text) <= 200 else text[:197] + "..."


def _write_log(text: str) -> str | None:
    folder = os.environ.get(LOG_DIR_VARIABLE) or None
    try:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(prefix="ingest-crash-", suffix=".log", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # No command line: it may hold credentials (--storage-option secret=...).
            stream.write(f"ingest {__version__} on Python {sys.version.split()[0]}\n\n{text}")
    except OSError:
        return None
    return path
