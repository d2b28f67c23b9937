"""The page sizes of a TIFF (or EER) frame or gain file, read from its image file directories only.

The portal's data validation reads TIFF frames with tifffile (``helper_tiff_mrc.py``): every page of a file has one
size, files share it with the other frames (MRC or TIFF), and a frame holds as many pages as its mdoc section's
``NumSubFrames``. Only the IFDs are read, through :meth:`TreeReader.read_range`, so a movie of gigabytes on S3
costs a few small range reads per page, never its pixels. EER files are TIFF files with their own compression;
their pages are read the same way.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.checks.tree_access import TreeReader

TIFF_SUFFIXES = (".tif", ".tiff", ".eer")
"""File name endings of TIFF-based frames and gains (the portal's permitted frame extensions)."""


@dataclass(frozen=True)
class TiffPages:
    """The size (height, width in pixels) of each page of one TIFF file, in page order."""

    sizes: tuple[tuple[int, int], ...]

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def size(self) -> tuple[int, int]:
        """The first page's (height, width)."""
        return self.sizes[0]

    @property
    def uniform(self) -> bool:
        return all(size == self.sizes[0] for size in self.sizes)


def read_tiff_pages(reader: TreeReader, key: str) -> TiffPages:
    """The page sizes of the TIFF file ``key``; tifffile's error when it is no readable TIFF."""
    import tifffile

    with tifffile.TiffFile(io.BufferedReader(_RangeFile(reader, key), buffer_size=64 * 1024)) as tiff:
        tiff.pages.useframes = False  # full pages: each knows its own size
        sizes = tuple(
            (int(page.imagelength), int(page.imagewidth)) for page in tiff.pages if isinstance(page, tifffile.TiffPage)
        )
    if not sizes:
        raise ValueError(f"{key}: a TIFF without pages")
    return TiffPages(sizes)


def read_tiff_headers(reader: TreeReader, keys: Sequence[str]) -> dict[str, TiffPages]:
    """The pages of the TIFF files among ``keys``; a file that is no readable TIFF is skipped (frames and gains
    are copied as deposited, as unreadable MRC frames are)."""
    pages: dict[str, TiffPages] = {}
    for key in sorted(k for k in keys if k.lower().endswith(TIFF_SUFFIXES)):
        try:
            pages[key] = read_tiff_pages(reader, key)
        except Exception:  # tifffile raises struct, value, key and index errors on arbitrary bytes
            continue
    return pages


class _RangeFile(io.RawIOBase):
    """A read-only, seekable file over one key of a tree, read by byte ranges."""

    def __init__(self, reader: TreeReader, key: str) -> None:
        super().__init__()
        self._reader, self._key = reader, key
        self._size = reader.size(key)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        length = min(len(buffer), max(0, self._size - self._position))
        if length == 0:
            return 0
        data = self._reader.read_range(self._key, self._position, length)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
