"""Atomic local outputs: write under a temporary sibling name, rename into place when complete.

An interrupted conversion leaves only ``<name>.partial-<token>`` siblings (never something that looks like the
finished output); the next conversion to the same destination removes them and replaces the old output.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

PARTIAL_MARK = ".partial-"


class StagedOutput:
    """One output file or folder being written at :attr:`temporary` until :meth:`publish` renames it."""

    def __init__(self, final: Path) -> None:
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        for stale in final.parent.glob(f"{final.name}{PARTIAL_MARK}*"):
            _remove(stale)
        self.temporary = final.with_name(f"{final.name}{PARTIAL_MARK}{uuid.uuid4().hex[:12]}")

    def publish(self) -> None:
        """Move the finished temporary output to its final name, replacing what was there."""
        if self.final.is_dir() and not self.final.is_symlink():
            retired = self.final.with_name(f"{self.final.name}{PARTIAL_MARK}old-{uuid.uuid4().hex[:12]}")
            self.final.rename(retired)
            self.temporary.rename(self.final)
            _remove(retired)
        else:
            if self.temporary.is_dir() and (self.final.exists() or self.final.is_symlink()):
                self.final.unlink()  # a file or link where the folder goes: os.replace cannot swap kinds
            self.temporary.replace(self.final)

    def discard(self) -> None:
        """Remove the temporary output (after a failure)."""
        _remove(self.temporary)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
