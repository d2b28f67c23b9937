"""Checks on canonical MRC files, from the 1024-byte header alone (voxels are read only for comparisons)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mrcfile import utils as mrc_utils

from ingest.checks.codes import check_finding
from ingest.checks.tree_access import TreeReader
from ingest.converters.volumes.kind import VolumeKind
from ingest.domain.mrc_header import HEADER_BYTES, parse_mrc_header_bytes
from ingest.domain.report import Finding, Severity
from ingest.errors import InputFileError

VOXEL_SIZE_TOLERANCE = 0.001


@dataclass(frozen=True)
class MrcHeader:
    """The fields of an MRC header the checks need, in z, y, x order where they are per axis."""

    shape: tuple[int, int, int]
    sampling: tuple[int, int, int]
    cell_lengths: tuple[float, float, float]
    cell_angles: tuple[float, float, float]
    axis_order: tuple[int, int, int]
    origin: tuple[float, float, float]
    start: tuple[int, int, int]
    mode: int
    dtype: np.dtype[np.generic]
    nsymbt: int
    map_id: bytes
    dmin: float
    dmax: float
    ispg: int = 0
    nversion: int = 20141
    nlabl: int = 0
    labels: tuple[bytes, ...] = ()
    machst: bytes = b"DA\x00\x00"
    exttyp: bytes = b""

    @property
    def voxel_size(self) -> tuple[float, float, float]:
        """Voxel size in Å (z, y, x): cell length over sampling."""
        (cz, cy, cx), (mz, my, mx) = self.cell_lengths, self.sampling
        return (cz / mz if mz else 0.0, cy / my if my else 0.0, cx / mx if mx else 0.0)

    @property
    def data_offset(self) -> int:
        return HEADER_BYTES + max(self.nsymbt, 0)

    @property
    def data_bytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def parse_mrc_header(raw: bytes, *, where: str) -> MrcHeader:
    """The header in the first 1024 bytes of an MRC file, in either byte order."""
    parsed = parse_mrc_header_bytes(raw, where=where)
    header, order = parsed.fields, parsed.byte_order
    try:
        dtype = mrc_utils.dtype_from_mode(int(header["mode"])).newbyteorder(order)
    except ValueError as error:
        raise InputFileError("unknown MRC mode", where=where, found=str(int(header["mode"]))) from error

    def zyx(names: tuple[str, str, str]) -> tuple[int, int, int]:
        return (int(header[names[2]]), int(header[names[1]]), int(header[names[0]]))

    cella = header["cella"]
    cellb = header["cellb"]
    return MrcHeader(
        shape=zyx(("nx", "ny", "nz")),
        sampling=zyx(("mx", "my", "mz")),
        cell_lengths=(float(cella["z"]), float(cella["y"]), float(cella["x"])),
        cell_angles=(float(cellb["gamma"]), float(cellb["beta"]), float(cellb["alpha"])),
        axis_order=(int(header["mapc"]), int(header["mapr"]), int(header["maps"])),
        origin=(float(header["origin"]["z"]), float(header["origin"]["y"]), float(header["origin"]["x"])),
        start=zyx(("nxstart", "nystart", "nzstart")),
        mode=int(header["mode"]),
        dtype=dtype,
        nsymbt=int(header["nsymbt"]),
        map_id=bytes(header["map"]),
        dmin=float(header["dmin"]),
        dmax=float(header["dmax"]),
        ispg=int(header["ispg"]),
        nversion=int(header["nversion"]),
        nlabl=int(header["nlabl"]),
        labels=tuple(bytes(label) for label in header["label"]),
        machst=bytes(header["machst"]),
        exttyp=bytes(header["exttyp"]),
    )


def read_mrc_header(reader: TreeReader, key: str) -> MrcHeader:
    """Parse the header of one MRC file in the tree without reading its voxels."""
    return parse_mrc_header(reader.read_range(key, 0, HEADER_BYTES), where=key)


def mrc_findings(
    header: MrcHeader, *, key: str, file_size: int, kind: VolumeKind, voxel_spacing: float | None
) -> list[Finding]:
    """Every header inconsistency of one canonical MRC file."""
    found: list[Finding] = []

    def add(code: str, message: str, expected: object, got: object) -> None:
        found.append(check_finding(code, message, file=key, expected=expected, found=got))

    if header.map_id != b"MAP ":
        add("C-MRC-MAP-ID", "the map field is not the MRC stamp", "'MAP '", header.map_id)
    expected_mode = mrc_utils.mode_from_dtype(kind.output_dtype)
    if header.mode != expected_mode:
        add("C-MRC-MODE", f"mode not allowed for a {kind.label}", expected_mode, header.mode)
    sampling_ok = header.sampling == header.shape or (
        kind is VolumeKind.TILTSERIES and header.sampling[1:] == header.shape[1:] and header.sampling[0] == 1
    )
    if not sampling_ok:
        add(
            "C-MRC-CELLA",
            "cella is not voxel size × shape (sampling differs from the shape)",
            header.shape,
            header.sampling,
        )
    if header.axis_order != (1, 2, 3):
        add("C-MRC-AXES", "mapc, mapr, maps must be 1, 2, 3", (1, 2, 3), header.axis_order)
    if any(abs(angle - 90.0) > 1e-3 for angle in header.cell_angles):
        add("C-MRC-ANGLES", "cell angles must be 90°", (90.0, 90.0, 90.0), header.cell_angles)
    if any(header.origin) or any(header.start):
        add(
            "C-MRC-ORIGIN",
            "origin and start must be 0",
            "origin (0, 0, 0), start (0, 0, 0)",
            f"origin {header.origin}, start {header.start}",
        )
    if header.nsymbt < 0 or HEADER_BYTES + header.nsymbt > file_size:
        add(
            "C-MRC-NSYMBT",
            "the extended header does not fit in the file",
            f"0 <= nsymbt <= {file_size - 1024}",
            header.nsymbt,
        )
    elif file_size != header.data_offset + header.data_bytes:
        add(
            "C-MRC-FILE-SIZE",
            "file size differs from the size the header implies",
            header.data_offset + header.data_bytes,
            file_size,
        )
    if sampling_ok:
        found.extend(voxel_size_findings(header, key=key, kind=kind, spacing=voxel_spacing))
    fields = header_field_findings(header, key=key, spacegroup=kind.space_group)
    broken = any(f.code == "C-MRC-NSYMBT" for f in found)  # no extended header to type
    found.extend(f for f in fields if not (broken and f.code == "C-MRC-EXTTYP"))
    return found


def voxel_size_findings(header: MrcHeader, *, key: str, kind: VolumeKind, spacing: float | None) -> list[Finding]:
    """The header's voxel size (a tilt series: x and y) is ``spacing`` ± 0.001 Å (the metadata's, or on sources
    the configured pixel spacing: the portal's ``test_mrc_spacing`` and ``test_tiltseries_pixel_spacing``)."""
    axes = header.voxel_size[1:] if kind is VolumeKind.TILTSERIES else header.voxel_size
    if spacing is None or all(abs(size - spacing) <= VOXEL_SIZE_TOLERANCE for size in axes):
        return []
    return [
        check_finding(
            "C-MRC-VOXEL-SIZE",
            "header voxel size differs from the metadata's",
            file=key,
            path="pixel_spacing" if kind is VolumeKind.TILTSERIES else None,
            expected=spacing,
            found=tuple(round(size, 4) for size in header.voxel_size),
        )
    ]


KNOWN_EXTTYPS = (b"CCP4", b"MRCO", b"SERI", b"AGAR", b"FEI1", b"FEI2", b"HDF5")
"""Extended header types of the MRC2014 format (``exttyp`` when ``nsymbt`` > 0)."""
NVERSIONS = (20140, 20141)


def header_field_findings(header: MrcHeader, *, key: str, spacegroup: int, volume: bool = True) -> list[Finding]:
    """The MRC2014 bookkeeping fields the portal's ``HelperTestMRCHeader`` checks: space group (0 for an image
    stack: tilt series, frames, gains; 1 for a volume), a valid machine stamp, labels matching ``nlabl``, the
    format version, and a known extended header type. Frames and gains (not ``volume``) skip labels and version,
    as the portal's ``TwoDeeFileTestHelper`` does, and their findings are warnings: they are copied as deposited,
    and nothing the pipeline or the portal's importer reads depends on these fields."""
    found: list[Finding] = []
    severity = Severity.ERROR if volume else Severity.WARNING

    def add(code: str, message: str, expected: object, got: object) -> None:
        found.append(check_finding(code, message, file=key, expected=expected, found=got, severity=severity))

    if header.ispg != spacegroup:
        kind = "an image stack" if spacegroup == 0 else "a single volume"
        add("C-MRC-ISPG", f"the space group (ispg) is not that of {kind}", spacegroup, header.ispg)
    try:
        mrc_utils.byte_order_from_machine_stamp(header.machst)
    except ValueError:
        add("C-MRC-MACHST", "the machine stamp names no byte order", "44 44 00 00 or 11 11 00 00", header.machst)
    texts = [label.rstrip(b"\x00") for label in header.labels]
    blank = [i for i, text in enumerate(texts) if text and not text.strip()]
    count = sum(1 for text in texts if text.strip())
    if volume and (count != header.nlabl or blank):
        add(
            "C-MRC-LABELS",
            "nlabl differs from the number of labels, or a label is blank",
            f"nlabl = {count} non-blank labels",
            f"nlabl {header.nlabl}" + (f", blank label(s) {blank}" if blank else ""),
        )
    if volume and header.nversion not in NVERSIONS:
        add("C-MRC-NVERSION", "nversion is not an MRC2014 version", "20140 or 20141", header.nversion)
    if header.nsymbt > 0 and header.exttyp not in KNOWN_EXTTYPS:
        add(
            "C-MRC-EXTTYP",
            "an extended header of unknown type",
            ", ".join(t.decode() for t in KNOWN_EXTTYPS),
            header.exttyp,
        )
    return found


def read_mrc_block(reader: TreeReader, key: str, header: MrcHeader, block: tuple[slice, slice, slice]) -> np.ndarray:
    """The voxels of one z, y, x block (slices with explicit bounds), read as byte ranges.

    A block spanning whole planes is one range; otherwise one range per plane (the rows it spans).
    """
    _nz, ny, nx = header.shape
    item = header.dtype.itemsize
    zs, ys, xs = block
    native = header.dtype.newbyteorder("=")
    if ys.start == 0 and ys.stop == ny:
        start = header.data_offset + zs.start * ny * nx * item
        raw = reader.read_range(key, start, (zs.stop - zs.start) * ny * nx * item)
        volume = np.frombuffer(raw, dtype=header.dtype).reshape(zs.stop - zs.start, ny, nx)
        return volume[:, :, xs].astype(native)
    planes = []
    for z in range(zs.start, zs.stop):
        start = header.data_offset + ((z * ny + ys.start) * nx) * item
        length = (ys.stop - ys.start) * nx * item
        rows = np.frombuffer(reader.read_range(key, start, length), dtype=header.dtype)
        planes.append(rows.reshape(ys.stop - ys.start, nx)[:, xs])
    return np.stack(planes).astype(native)
