"""Whitespace-separated numeric tables of alignment files (IMOD ``.xf``/``.tlt``/``.xtilt``, AreTomo ``.aln``),
read with numpy, remembering the line number of every row so that a bad value names its line."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ingest.errors import InputFileError


@dataclass(frozen=True)
class NumericTable:
    """The data rows of a text file: ``values`` (rows × columns, float64) and each row's 1-based line number."""

    name: str
    values: npt.NDArray[np.float64] = field(compare=False)
    lines: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.lines)

    def column(self, index: int) -> tuple[float, ...]:
        """Column ``index`` as plain floats."""
        return tuple(float(value) for value in self.values[:, index])


def decode_text(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text; anything else is an :class:`InputFileError` naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(
            "not a text file", where=name, expected="UTF-8 text", found=f"byte {error.start} is not UTF-8"
        ) from None


def read_numeric_table(
    text: str, name: str, columns: int, *, what: str, stop_comment: str | None = None
) -> NumericTable:
    """The rows of ``text`` that are not blank and not ``#`` comments, each ``columns`` finite numbers.

    Reading stops at a comment line whose text (after ``#``, case-insensitive) starts with ``stop_comment``.
    ``what`` describes one row for error messages (``"A11 A12 A21 A22 DX DY"``).
    """
    rows: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            comment = stripped.lstrip("#").strip().lower()
            if stop_comment is not None and comment.startswith(stop_comment.lower()):
                break
            continue
        if stripped:
            rows.append(stripped)
            numbers.append(number)
    expected = f"{columns} number(s) per line ({what})"
    if not rows:
        raise InputFileError("no data lines", where=name, expected=expected, found="only blank or comment lines")
    try:
        values = np.loadtxt(rows, dtype=np.float64, ndmin=2, comments=None)
    except ValueError:
        values = None
    if values is None or values.shape[1] != columns or not np.isfinite(values).all():
        raise _first_bad_row(rows, numbers, name, columns, expected)
    return NumericTable(name, values, tuple(numbers))


def _first_bad_row(rows: list[str], numbers: list[int], name: str, columns: int, expected: str) -> InputFileError:
    for row, number in zip(rows, numbers, strict=True):
        where = f"{name}:{number}"
        try:
            values = np.loadtxt([row], dtype=np.float64, ndmin=1, comments=None)
        except ValueError:
            return InputFileError("a value is not a number", where=where, expected=expected, found=repr(row[:80]))
        if values.size != columns:
            found = f"{values.size} number(s): {row[:80]!r}"
            return InputFileError("wrong number of columns", where=where, expected=expected, found=found)
        if not np.isfinite(values).all():
            return InputFileError("a value is not finite", where=where, expected=expected, found=repr(row[:80]))
    return InputFileError("unreadable numeric table", where=name, expected=expected)  # pragma: no cover
