"""Every MRC frame and gain header of one run (the portal's data validation: ``twodee_helper.py``,
``helper_tiff_mrc.py`` and ``MdocTestHelper.test_mdoc_numsubframes``): frames share their size and pixel spacing,
so do gains; each MRC frame holds the mdoc's ``NumSubFrames`` of its section; frames and gains are image stacks
(``ispg`` 0) with a valid machine stamp and a known extended header type.

One 1024-byte header read per MRC file, the image file directories of a TIFF or EER file
(:mod:`ingest.checks.tiff_headers`: page sizes and count; TIFF files carry no pixel spacing the portal reads). The
same functions check a tree (keys under ``Frames/`` and ``Gains/``) and the source files a config finds
(``ingest validate --deep``, ``ingest deposition``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingest.checks.codes import check_finding
from ingest.checks.mrc import MrcHeader, header_field_findings, read_mrc_header
from ingest.checks.tiff_headers import TiffPages, read_tiff_headers
from ingest.checks.tilt_angle_files import MdocFile
from ingest.checks.tree_access import TreeReader
from ingest.domain.report import Finding
from ingest.errors import InputFileError

SPACING_TOLERANCE = 0.001

FrameHeader = MrcHeader | TiffPages
"""What is read of one frame or gain file: an MRC header, or the pages of a TIFF (EER) file."""


def read_headers(reader: TreeReader, keys: Sequence[str]) -> dict[str, FrameHeader]:
    """The headers of the ``.mrc`` and TIFF files among ``keys``; a file that is no readable MRC or TIFF is
    skipped (frames and gains are copied as deposited)."""
    headers: dict[str, FrameHeader] = {}
    for key in sorted(k for k in keys if k.endswith(".mrc")):
        try:
            headers[key] = read_mrc_header(reader, key)
        except (InputFileError, OSError):
            continue
    headers.update(read_tiff_headers(reader, keys))
    return dict(sorted(headers.items()))


def two_dee_findings(frames: Mapping[str, FrameHeader], gains: Mapping[str, FrameHeader]) -> list[Finding]:
    """Frames consistent among themselves (C-FRAMES-CONSISTENT), gains among themselves (C-GAIN-CONSISTENT), and
    the header fields of an image stack for each MRC file (C-MRC-ISPG, C-MRC-MACHST, C-MRC-EXTTYP)."""
    findings = _consistent("C-FRAMES-CONSISTENT", "frame", frames) + _consistent("C-GAIN-CONSISTENT", "gain", gains)
    for key, header in sorted({**frames, **gains}.items()):
        if isinstance(header, MrcHeader):
            findings.extend(header_field_findings(header, key=key, spacegroup=0, volume=False))
    return findings


def sub_frame_findings(frames: Mapping[str, FrameHeader], mdoc: MdocFile | None) -> list[Finding]:
    """Each frame named by an mdoc section's SubFramePath holds that section's NumSubFrames (MRC nz, TIFF
    pages)."""
    if mdoc is None:
        return []
    by_name = {key.rsplit("/", 1)[-1]: key for key in frames}
    findings = []
    for section in mdoc.sections:
        key = by_name.get(section.sub_frame_name or "")
        if key is None or section.num_sub_frames is None:
            continue
        header = frames[key]
        held = f"nz = {header.shape[0]}" if isinstance(header, MrcHeader) else f"{header.count} TIFF pages"
        if _sub_frames(header) != section.num_sub_frames:
            findings.append(
                check_finding(
                    "C-FRAMES-NUMSUBFRAMES",
                    f"the frame holds another number of sub-frames than its section of {mdoc.key} "
                    f"(line {section.line}) says",
                    file=key,
                    expected=f"NumSubFrames = {section.num_sub_frames}",
                    found=held,
                )
            )
    return findings


def _sub_frames(header: FrameHeader) -> int:
    return header.shape[0] if isinstance(header, MrcHeader) else header.count


@dataclass(frozen=True)
class _Image:
    """What the consistency rules compare of one file: its size in pixels and, for MRC, its pixel spacing."""

    height: int
    width: int
    spacing: tuple[float, float] | None  # (y, x) Å

    @classmethod
    def of(cls, header: FrameHeader) -> _Image:
        if isinstance(header, MrcHeader):
            _, ys, xs = header.voxel_size
            return cls(header.shape[1], header.shape[2], (ys, xs))
        return cls(*header.size, None)

    def describe(self) -> str:
        size = f"{self.width} × {self.height} px"
        return size if self.spacing is None else f"{size} of {self.spacing[1]:g} Å"

    def differs_from(self, other: _Image) -> bool:
        if (self.height, self.width) != (other.height, other.width):
            return True
        return (
            self.spacing is not None
            and other.spacing is not None
            and abs(self.spacing[1] - other.spacing[1]) > SPACING_TOLERANCE
        )


def _consistent(code: str, what: str, headers: Mapping[str, FrameHeader]) -> list[Finding]:
    if not headers:
        return []
    first_key = min(headers)
    first = _Image.of(headers[first_key])
    findings = []
    for key, header in sorted(headers.items()):
        image = _Image.of(header)
        if image.spacing is not None and abs(image.spacing[1] - image.spacing[0]) > SPACING_TOLERANCE:
            findings.append(
                check_finding(
                    code,
                    f"the {what}'s x and y pixel spacings differ",
                    file=key,
                    expected=image.spacing[0],
                    found=image.spacing[1],
                )
            )
        if isinstance(header, TiffPages) and not header.uniform:
            sizes = sorted({f"{w} × {h}" for h, w in header.sizes})
            findings.append(
                check_finding(
                    code,
                    f"the {what}'s TIFF pages differ in size",
                    file=key,
                    expected=f"{header.size[1]} × {header.size[0]} px on every page",
                    found=", ".join(sizes),
                )
            )
        if key != first_key and image.differs_from(first):
            findings.append(
                check_finding(
                    code,
                    f"the {what} differs in size or pixel spacing from {first_key}",
                    file=key,
                    expected=first.describe(),
                    found=image.describe(),
                )
            )
    return findings
