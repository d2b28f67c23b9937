"""Small text inputs (alignment, raw tilt, CTF and mdoc files) decoded as text, a non-UTF-8 file named in the
error. (The numeric tables of alignment files are read by ``cryoet-alignment``: see
:mod:`ingest.converters.acquisition.alignment_files`.)"""

from __future__ import annotations

from ingest.errors import InputFileError


def decode_text(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text; anything else is an :class:`InputFileError` naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(
            "not a text file", where=name, expected="UTF-8 text", found=f"byte {error.start} is not UTF-8"
        ) from None
