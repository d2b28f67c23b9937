"""Build test configs from ``tests/data/configs/minimal.yaml`` by editing one spot, and find lines in them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "configs"
MINIMAL = DATA / "minimal.yaml"
RUN_MAP = DATA / "input" / "run_data.csv"


@dataclass(frozen=True)
class Edit:
    """Replace the ``occurrence``-th (0-based) appearance of ``old`` with ``new``."""

    old: str
    new: str
    occurrence: int = 0


def minimal_text() -> str:
    """The valid minimal config."""
    return MINIMAL.read_text(encoding="utf-8")


def edited(text: str, *edits: Edit) -> str:
    """``text`` with every edit applied in order; each ``old`` must occur often enough."""
    for edit in edits:
        start = -1
        for _ in range(edit.occurrence + 1):
            start = text.find(edit.old, start + 1)
            assert start >= 0, f"{edit.old!r} not found (occurrence {edit.occurrence})"
        text = text[:start] + edit.new + text[start + len(edit.old) :]
    return text


def line_of(text: str, marker: str, occurrence: int = 0) -> int:
    """1-based line of the ``occurrence``-th line containing ``marker``."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) > occurrence, f"{marker!r} appears {len(hits)} time(s)"
    return hits[occurrence]


def write_config(folder: Path, text: str, *, with_run_map: bool = True) -> Path:
    """Write ``text`` as ``folder/config.yaml`` with the run data map under its source prefix."""
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    if with_run_map:
        (folder / "input").mkdir(exist_ok=True)
        shutil.copy(RUN_MAP, folder / "input" / "run_data.csv")
    return path
