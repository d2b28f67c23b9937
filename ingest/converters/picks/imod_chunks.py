"""A bounds check of an IMOD binary model's chunk structure, before ``imodmodel`` parses it.

``imodmodel`` trusts the file: a model truncated before its ``IEOF`` marker makes it loop forever (reads at the
end of the file return nothing and count as an unknown chunk of size 0), and a contour or mesh header claiming
billions of points makes it build a format string of that length. :func:`check_imod_chunks` walks the chunks
with the sizes ``imodmodel`` will use and refuses, naming the byte offset, any chunk that does not fit.
"""

from __future__ import annotations

from ingest.errors import InputFileError

_HEADER = 8 + 232
"""The ``IMODV1.2`` id and the model header."""
_FIXED = {b"OBJT": 176, b"IMAT": 4 + 16, b"MINX": 4 + 72, b"SLAN": 4 + 60}
"""Chunks of a fixed length (after their 4-byte tag): the object header; size word + body for the others."""


def check_imod_chunks(data: bytes, source: str) -> None:
    """Raise :class:`InputFileError` unless every chunk of ``data`` fits in the file and ``IEOF`` ends it."""
    if len(data) < _HEADER:
        raise _error(source, len(data), "a model header", f"{len(data)} bytes")
    position = _HEADER
    last_points = 0
    while True:
        tag = data[position : position + 4]
        if len(tag) < 4:
            raise _error(source, position, "an IEOF end marker", "the end of the file")
        position += 4
        if tag == b"IEOF":
            return
        if tag in _FIXED:
            length = _FIXED[tag]
        elif tag == b"CONT":
            last_points = _word(data, position, source, signed=True)
            length = 16 + 12 * last_points
        elif tag == b"MESH":
            vertices = _word(data, position, source, signed=True)
            indices = _word(data, position + 4, source, signed=True)
            length = 16 + 12 * vertices + 4 * indices
        elif tag == b"SIZE":
            length = 4 + 4 * last_points
        else:
            length = 4 + _word(data, position, source, signed=False)
        if length < 0 or position + length > len(data):
            raise _error(source, position - 4, f"a {tag!r} chunk inside the file", f"{length} bytes claimed")
        position += length


def _word(data: bytes, position: int, source: str, *, signed: bool) -> int:
    word = data[position : position + 4]
    if len(word) < 4:
        raise _error(source, position, "a chunk header", "the end of the file")
    return int.from_bytes(word, "big", signed=signed)


def _error(source: str, offset: int, expected: str, found: str) -> InputFileError:
    return InputFileError(
        "not a readable IMOD model (truncated or corrupt)",
        where=source,
        expected=expected,
        found=f"{found} at byte {offset}",
    )
