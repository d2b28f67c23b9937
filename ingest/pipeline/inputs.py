"""The edge where planning meets the input: list a folder once, read the run data map and MRC headers.

Everything here does IO; everything it returns is a frozen value the pure planner consumes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ingest.config.run_data_map import RunDataMap as RunDataMap
from ingest.config.run_data_map import RunMaps as RunMaps
from ingest.config.run_data_map import RunNameMap as RunNameMap
from ingest.config.run_data_map import parse_run_data_map as parse_run_data_map
from ingest.config.run_data_map import parse_run_name_map as parse_run_name_map
from ingest.domain.mrc_header import HEADER_BYTES, parse_mrc_header_bytes
from ingest.errors import IngestError, InputFileError
from ingest.plan.sources import Listing
from ingest.storage.base import Storage

# Folders a local listing never descends into: our own bookkeeping beside an output tree.
_SKIPPED_FOLDERS = frozenset({".ingest"})


def read_run_name_map(storage: Storage, key: str) -> RunNameMap:
    """The two-column run map at ``key`` of ``storage`` (see :func:`parse_run_name_map`)."""
    return parse_run_name_map(_read_text(storage, key, "the run map"), source=storage.url_of(key))


def _read_text(storage: Storage, key: str, what: str) -> str:
    try:
        if not storage.exists(key):
            raise InputFileError(f"{what} does not exist", where=storage.url_of(key), expected="a file")
        data = storage.read_bytes(key)
    except InputFileError:
        raise
    except IngestError as error:
        raise InputFileError(f"{what} cannot be read", where=storage.url_of(key), found=error.what) from None
    except OSError as error:
        raise InputFileError(
            f"{what} cannot be read", where=storage.url_of(key), found=error.strerror or type(error).__name__
        ) from None
    return data.decode("utf-8-sig", errors="replace")


def list_input(storage: Storage, prefix: str) -> Listing:
    """List every file under ``prefix`` of ``storage`` once; keys of the listing are relative to ``prefix``.

    Our own bookkeeping folder (``.ingest/``) is left out, so an output tree can be listed the same way.
    """
    folder = prefix.strip("/")
    start = len(folder) + 1 if folder else 0
    keys = [key[start:] for key in storage.list_keys(folder)]
    return Listing.of(
        (key for key in keys if key.split("/", 1)[0] not in _SKIPPED_FOLDERS), root=storage.url_of(folder)
    )


def read_run_data_map(storage: Storage, key: str | None) -> RunDataMap:
    """The run data map at ``key`` of ``storage``, or an empty map when the config names none."""
    if not key:
        return RunDataMap()
    return parse_run_data_map(_read_text(storage, key, "the run data map"), source=storage.url_of(key))


@dataclass(frozen=True)
class StorageMrcHeaders:
    """Reads voxel sizes from MRC headers (the first 1024 bytes) of files under ``prefix`` of a storage."""

    storage: Storage
    prefix: str = ""

    def voxel_spacing(self, key: str, header_key: str) -> float:
        """The voxel size in Å of ``key`` as the portal reads it: the y voxel size of an MRC header (``header_key``
        ``voxel_size``, or another numeric header field), or the y scale of level 0 of an OME-Zarr folder."""
        full_key = f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key
        where = self.storage.url_of(full_key)
        if key.rstrip("/").endswith(".zarr"):
            return _zarr_voxel_size(self.storage, full_key.rstrip("/"))
        try:
            with self.storage.open_input(full_key) as stream:
                raw = stream.read(HEADER_BYTES)
            header = parse_mrc_header_bytes(raw, where=where).fields
            if header_key == "voxel_size":
                value = float(header["cella"]["y"]) / float(header["my"])
            else:
                value = float(header[header_key])
        except (OSError, ValueError, KeyError, ZeroDivisionError, IngestError) as error:
            raise InputFileError(
                "cannot read the voxel size from the MRC header",
                where=where,
                expected=f"an MRC file with a {header_key!r} header field",
                found=getattr(error, "message", None) or str(error) or type(error).__name__,
            ) from None
        if not value > 0:
            raise InputFileError(
                "the MRC header holds no voxel size", where=where, expected="a positive voxel size", found=str(value)
            )
        return round(value, 3)


def _zarr_voxel_size(storage: Storage, key: str) -> float:
    """The y scale of the first dataset of an OME-Zarr's first multiscale (zarr v2 ``.zattrs`` or v3
    ``zarr.json``), rounded to 3 decimals."""
    where = storage.url_of(key)
    try:
        if storage.exists(f"{key}/.zattrs"):
            attributes = json.loads(storage.read_bytes(f"{key}/.zattrs"))
        else:
            attributes = json.loads(storage.read_bytes(f"{key}/zarr.json")).get("attributes", {})
        multiscales = attributes.get("ome", attributes)["multiscales"]
        scale = multiscales[0]["datasets"][0]["coordinateTransformations"][0]["scale"]
        value = float(scale[-2])
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, IngestError) as error:
        raise InputFileError(
            "cannot read the voxel size of the OME-Zarr",
            where=where,
            expected="multiscales[0].datasets[0] with a scale transformation",
            found=type(error).__name__,
        ) from None
    if not value > 0:
        raise InputFileError("the OME-Zarr holds no voxel size", where=where, expected="a positive scale")
    return round(value, 3)
