"""Write small STAR files for reader tests as literal text, so that tests control every cell (bad ones included)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def loop_block(name: str, columns: dict[str, Sequence[object]]) -> str:
    """A ``data_<name>`` loop block; every column must have the same number of cells."""
    lengths = {len(cells) for cells in columns.values()}
    assert len(lengths) == 1, f"columns of unequal length: {lengths}"
    lines = [f"data_{name}", "", "loop_"]
    lines += [f"_{column} #{index}" for index, column in enumerate(columns, start=1)]
    lines += ["  ".join(str(cells[row]) for cells in columns.values()) for row in range(lengths.pop())]
    return "\n".join(lines) + "\n\n"


def write_star(path: Path, *blocks: str) -> Path:
    """Write the given blocks (from :func:`loop_block`) to ``path`` and return it."""
    path.write_text("# version 30001\n\n" + "".join(blocks))
    return path
