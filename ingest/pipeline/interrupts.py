"""Whether Ctrl-C was pressed during this command: set by the command line's SIGINT handler, read where a task's
exception is turned into a failed run.

Some libraries turn the ``KeyboardInterrupt`` into an exception of their own (pydantic-core reports a
``SchemaError`` when it arrives while a model is being built). Recorded as a failed run, that would end the
deposition with status 1 and a misleading error; :func:`execute_task <ingest.pipeline.executors.execute_task>`
raises ``KeyboardInterrupt`` instead when an interrupt was noted.
"""

from __future__ import annotations

import threading

_NOTED = threading.Event()


def note_interrupt() -> None:
    """Ctrl-C was pressed (called from the SIGINT handler)."""
    _NOTED.set()


def interrupt_noted() -> bool:
    """Whether Ctrl-C was pressed since the command started."""
    return _NOTED.is_set()


def forget_interrupts() -> None:
    """A new command starts (several run in one process under tests)."""
    _NOTED.clear()
