"""Reading the files a config names literally (key photos), as the portal reads them.

The portal takes a literal path as a path of its file system: ``bucket/key`` is read from that bucket, and an
``http(s)://`` URL is downloaded. Here:

- a URL is downloaded through fsspec (``http``/``https``);
- ``bucket/key`` is read from ``s3://bucket/key`` when the input is on S3 (same storage options), and from
  ``{bucket_root}/bucket/key`` when ``--bucket-root`` is given for a local input;
- otherwise, and as a fallback, the path is looked for under the input root and under the source prefix (where
  the example deposition keeps its photos).

Nothing outside the input root or the bucket root is read (:mod:`ingest.config.input_paths`); errors name the URL or the
places tried, never file content.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ingest.config.input_paths import LiteralKind, input_key, literal_source, resolves_under
from ingest.errors import InputFileError, PlanError
from ingest.storage.base import Storage, open_storage

DOWNLOAD_TIMEOUT_SECONDS = 60
MAX_LITERAL_BYTES = 64 * 1024 * 1024
"""A key photo larger than this is refused before it is held in memory."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class LiteralPlaces:
    """Where literal paths are read from: the input (URL and source prefix), the bucket root of a local input,
    and the storage options of an S3 input."""

    input_url: str
    source_prefix: str = ""
    bucket_root: str | None = None
    storage_options: tuple[tuple[str, str], ...] = ()

    @property
    def input_is_s3(self) -> bool:
        """Whether the input is an S3 prefix (``bucket/key`` literals are then read from S3)."""
        return self.input_url.startswith(("s3://", "s3a://"))

    def candidates(self, value: str, *, where: str) -> list[tuple[Storage, str]]:
        """The (storage, key) places a ``bucket/key`` literal may be read from, in order."""
        source = literal_source(value, where=where)
        places: list[tuple[Storage, str]] = []
        if self.input_is_s3:
            options = dict(self.storage_options) or None
            places.append((open_storage(f"s3://{source.bucket}", options), source.key))
        if self.bucket_root is not None:
            places.append((open_storage(self.bucket_root), source.value))
        with_prefix = []
        try:
            with_prefix.append(input_key("", value, where=where))
            with_prefix.append(input_key(self.source_prefix, value, where=where))
        except PlanError:
            pass
        if with_prefix:
            input_storage = open_storage(self.input_url, dict(self.storage_options) if self.input_is_s3 else None)
            places.extend((input_storage, key) for key in dict.fromkeys(with_prefix))
        return places


def read_literal_file(value: str, places: LiteralPlaces, *, what: str, where: str) -> bytes:
    """The bytes of the literal file ``value`` (a URL or ``bucket/key``); an error names the URL or every place
    tried. ``where`` is the config path for paths that lead outside the roots."""
    if literal_source(value, where=where).kind is LiteralKind.URL:
        return download(value, what=what)
    tried = []
    for storage, key in places.candidates(value, where=where):
        tried.append(storage.url_of(key))
        if not storage.exists(key):
            continue
        local_root = getattr(storage, "root", None)
        if storage.url.startswith("/") and local_root and not resolves_under(f"{local_root}/{key}", local_root):
            raise PlanError(
                f"the {what} is a symbolic link leading outside its root; it is not read",
                where=where,
                expected="a file under the input root or the bucket root",
                found=repr(value),
            )
        if storage.size(key) > MAX_LITERAL_BYTES:
            raise InputFileError(
                f"the {what} is too large", where=storage.url_of(key), expected=f"at most {MAX_LITERAL_BYTES} bytes"
            )
        return storage.read_bytes(key)
    raise InputFileError(
        f"the {what} does not exist",
        where=where,
        expected="bucket/key under --bucket-root (local input) or in that S3 bucket (s3:// input), "
        "or a file under the input root or the source prefix",
        found="nothing at " + ", ".join(tried),
    )


def download(url: str, *, what: str) -> bytes:
    """The content at ``url`` (http or https), through fsspec; failure is an :class:`InputFileError` naming it."""
    import aiohttp
    import fsspec

    try:
        fs = fsspec.filesystem(
            url.split("://", 1)[0], client_kwargs={"timeout": aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_SECONDS)}
        )
        with fs.open(url, "rb", block_size=0) as stream:
            data = stream.read(MAX_LITERAL_BYTES + 1)
    except Exception as error:  # fsspec raises aiohttp, OS and its own errors alike
        raise InputFileError(
            f"cannot download the {what}", where=url, found=_reason(error), expected="a URL that can be fetched"
        ) from None
    if len(data) > MAX_LITERAL_BYTES:
        raise InputFileError(f"the {what} is too large", where=url, expected=f"at most {MAX_LITERAL_BYTES} bytes")
    return bytes(data)


def _reason(error: Exception) -> str:
    status = getattr(error, "status", None) or getattr(getattr(error, "response", None), "status", None)
    if isinstance(error, FileNotFoundError):
        return "not found (HTTP 404)"
    if status is not None:
        return f"HTTP {status}"
    return type(error).__name__


def as_png(data: bytes, *, what: str, where: str) -> bytes:
    """``data`` as PNG bytes: a PNG is kept byte for byte, another image (GIF, JPEG: the portal's key photos
    include EMPIAR's GIF icons) is converted, since the tree holds ``snapshot.png`` and ``thumbnail.png``."""
    if data.startswith(PNG_SIGNATURE):
        return data
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            out = io.BytesIO()
            converted = image.convert("RGBA") if image.mode in {"P", "LA", "PA"} else image
            converted.save(out, format="PNG", optimize=False)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise InputFileError(
            f"the {what} is not an image", where=where, expected="a PNG, GIF or JPEG", found=type(error).__name__
        ) from None
    return out.getvalue()
