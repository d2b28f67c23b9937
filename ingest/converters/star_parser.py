"""STAR files → data blocks, exactly as ``starfile.read(path, always_dict=True, parse_as_string=...)`` returns them,
without its per-line Python loop.

``starfile`` walks every line of a file in Python (through ``linecache``) before handing a loop's rows to
``pandas.read_csv``; for a million particles that walk costs as much as the parsing itself. Here only header lines
are walked: a loop's rows, from after its header to the next ``data_`` line, go to ``pandas.read_csv`` as one slice
of bytes, with the same options, the same quote replacement and the same numeric conversion afterwards (``read_csv``
skips the blank lines and surrounding whitespace that starfile strips line by line). What the fast path does not
reproduce (a block with neither a loop nor key-value lines, names that are not UTF-8) is handed to ``starfile``
itself, so the result is always what ``starfile`` gives.
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import starfile


class _UnusualLayoutError(Exception):
    """The file is outside the layout this parser reproduces."""


def read_star_file(path: Path, text_columns: Sequence[str] = ()) -> dict[str, Any]:
    """Every data block of a STAR file by name: loops as DataFrames, key-value blocks as dicts (starfile's result).

    ``text_columns`` are kept as strings. Raises what ``starfile.read`` raises for a missing or malformed file.
    """
    data = Path(path).read_bytes()
    try:
        return _parse(data, list(text_columns))
    except _UnusualLayoutError:
        blocks: dict[str, Any] = starfile.read(path, always_dict=True, parse_as_string=list(text_columns))
        return blocks


def _block_starts(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every line whose text, leading whitespace aside, starts with ``data_`` (end excludes \\n)."""
    starts = []
    found = data.find(b"data_")
    while found != -1:
        line_start = data.rfind(b"\n", 0, found) + 1
        if not data[line_start:found].strip():
            line_end = data.find(b"\n", found)
            starts.append((line_start, len(data) if line_end == -1 else line_end))
        found = data.find(b"data_", found + 5)
    return starts


def _parse(data: bytes, text_columns: list[str]) -> dict[str, Any]:
    starts = _block_starts(data)
    blocks: dict[str, Any] = {}
    for index, (line_start, line_end) in enumerate(starts):
        stop = starts[index + 1][0] if index + 1 < len(starts) else len(data)
        name = _text(data[line_start:line_end].strip()[5:])
        block = _parse_block(data, line_end + 1, stop, text_columns)
        if isinstance(block, pd.DataFrame):
            block.name = name  # type: ignore[attr-defined]  # as starfile does
        blocks[name] = block
    return blocks


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _UnusualLayoutError from None


def _lines(data: bytes, position: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """(offset after the line, stripped line) for the lines of ``data[position:stop]``, without copying the rest."""
    while position < stop:
        line_end = data.find(b"\n", position, stop)
        line_end = stop if line_end == -1 else line_end
        yield line_end + 1, data[position:line_end].strip()
        position = line_end + 1


def _parse_block(data: bytes, start: int, stop: int, text_columns: list[str]) -> pd.DataFrame | dict[str, Any]:
    """One data block (``data[start:stop]``, after its ``data_`` line): its first ``loop_`` or ``_name`` line decides
    its kind."""
    position = start
    for after, line in _lines(data, start, stop):
        if line.startswith(b"loop_"):
            return _parse_loop(data, after, stop, text_columns)
        if line.startswith(b"_"):
            return _parse_key_values(data[position:stop], text_columns)
        position = after
    raise _UnusualLayoutError  # starfile would read on into the next block


def _parse_loop(data: bytes, position: int, stop: int, text_columns: list[str]) -> pd.DataFrame:
    """A loop: its ``_name`` header lines, then every line up to the next block as rows (as starfile takes them)."""
    columns: list[str] = []
    for after, line in _lines(data, position, stop):
        if not line.startswith(b"_"):
            break
        columns.append(_text(line.split()[0][1:]))
        position = after
    if not columns:
        raise _UnusualLayoutError
    rows = data[position:stop]
    if b"'" in rows:
        rows = rows.replace(b"'", b'"')  # starfile's reading of single quotes
    indices = {column: index for index, column in enumerate(columns)}
    if not rows or rows.isspace():
        return pd.DataFrame(np.zeros(shape=(0, len(columns))), columns=columns)
    table = pd.read_csv(
        io.BytesIO(rows),
        delimiter=r"\s+",
        header=None,
        comment="#",
        dtype={indices[column]: str for column in text_columns if column in indices},
        keep_default_na=False,
        na_values=["nan", "NaN", "<NA>"],
        engine="c",
    )
    table.columns = columns  # a row width that differs from the header is a ValueError, as in starfile
    numeric = table.apply(_numeric_or_unchanged)
    unconverted = numeric.columns[numeric.isna().all()]
    numeric[unconverted] = table[unconverted]
    for column in table.columns:
        if column not in text_columns:
            table[column] = numeric[column]
    return table


def _numeric_or_unchanged(column: pd.Series) -> pd.Series:
    try:
        return pd.to_numeric(column)
    except ValueError:
        return column


def _parse_key_values(segment: bytes, text_columns: list[str]) -> dict[str, Any]:
    """``_name value`` lines up to the first line starting with ``data``; other lines are ignored, as in starfile."""
    block: dict[str, Any] = {}
    for raw in segment.split(b"\n"):
        line = _text(raw.strip())
        if line.startswith("data"):
            break
        if line.startswith("_"):
            key, value = shlex.split(line)
            block[key[1:]] = value if key[1:] in text_columns else _number_or_text(value)
    return block


def _number_or_text(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value
