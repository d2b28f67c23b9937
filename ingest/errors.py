"""The error hierarchy: every user-facing failure says what, where, what was expected and what was found.

User errors (subclasses of :class:`IngestError`) become one clear line and a non-zero exit in the CLI;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def with_expected_found(text: str, expected: str | None, found: str | None) -> str:
    """``text`` followed by ``(expected ..., found ...)`` for whichever of the two is known."""
    details = []
    if expected is not None:
        details.append(f"expected {expected}")
    if found is not None:
        details.append(f"found {found}")
    if details:
        text += " (" + ", ".join(details) + ")"
    return text


class IngestError(Exception):
    """A failure caused by the user's input, configuration or environment, not by a bug.

    ``where`` names the place: a file (``path/to/file.star``), optionally with a line or row
    (``file.star:12`` or ``file.em: row 3``), or a config path (``config.yaml:12:5 annotations[3].sources[0]``).
    """

    exit_code = 1

    def __init__(
        self,
        what: str,
        *,
        where: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.what = what
        self.where = where
        self.expected = expected
        self.found = found
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The whole error as one line: ``where: what (expected ..., found ...)``."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        return with_expected_found(text, self.expected, self.found)


class UsageError(IngestError):
    """The command was called wrongly (bad option values, unreadable arguments)."""

    exit_code = 2


class ConfigError(IngestError):
    """The deposition config is invalid or cannot be read."""


class InputFileError(IngestError):
    """A source file (volume, picks, table) is malformed, truncated or of the wrong kind."""


class AnnotationsFailedError(InputFileError):
    """Several annotations of a run (or precomputed files made from them) failed on bad input, each with its own
    error; the rest of the run was written. One failure alone is raised as itself."""

    def __init__(self, errors: list[InputFileError]) -> None:
        super().__init__(f"{len(errors)} annotations failed: " + "; ".join(error.message for error in errors))
        self.errors = errors


class UnknownFormatError(InputFileError):
    """A file format name that no reader is registered for; the message lists the known ones."""


class EmptySelectionError(InputFileError):
    """A selection (filter value, glob) matched nothing where something was required."""


class StorageError(IngestError):
    """Reading or writing the input or output storage failed."""


class UnreachableStorageError(StorageError):
    """The storage endpoint cannot be reached at all (refused, unresolvable, timed out): exit status 2."""

    exit_code = 2


class StorageAccessError(StorageError):
    """The storage refused us (no credentials, access denied): exit status 2, like an unreachable endpoint."""

    exit_code = 2


class PlanError(IngestError):
    """The deposition cannot be planned: missing sources, unsafe names, conflicting entities."""


class ExecutorError(IngestError):
    """The executor cannot start its local cluster or reach the dask scheduler it was given."""


@contextlib.contextmanager
def naming(local: str, named_as: str) -> Iterator[None]:
    """Re-raise any :class:`IngestError` of the block with ``local`` replaced by ``named_as`` in its message."""
    try:
        yield
    except IngestError as error:
        if local and local != named_as:
            for field in ("what", "where", "expected", "found"):
                value = getattr(error, field)
                if isinstance(value, str) and local in value:
                    setattr(error, field, value.replace(local, named_as))
            error.args = (error.message,)
        raise
