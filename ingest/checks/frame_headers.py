"""Every MRC frame and gain header of one run (the portal's data validation: ``twodee_helper.py``,
``helper_tiff_mrc.py`` and ``MdocTestHelper.test_mdoc_numsubframes``): frames share their size and pixel spacing,
so do gains; each MRC frame holds the mdoc's ``NumSubFrames`` of its section; frames and gains are image stacks
(``ispg`` 0) with a valid machine stamp and a known extended header type.

One 1024-byte header read per file. The same functions check a tree (keys under ``Frames/`` and ``Gains/``) and the
source files a config finds (``ingest validate --deep``, ``ingest deposition``). TIFF frames are not read here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ingest.checks.codes import check_finding
from ingest.checks.mrc import MrcHeader, header_field_findings, read_mrc_header
from ingest.checks.tilt_angle_files import MdocFile
from ingest.checks.tree_access import TreeReader
from ingest.domain.report import Finding
from ingest.errors import InputFileError

SPACING_TOLERANCE = 0.001


def read_headers(reader: TreeReader, keys: Sequence[str]) -> dict[str, MrcHeader]:
    """The headers of the ``.mrc`` files among ``keys``; a file that is no readable MRC is skipped (frames and
    gains are copied as deposited)."""
    headers: dict[str, MrcHeader] = {}
    for key in sorted(k for k in keys if k.endswith(".mrc")):
        try:
            headers[key] = read_mrc_header(reader, key)
        except (InputFileError, OSError):
            continue
    return headers


def two_dee_findings(frames: Mapping[str, MrcHeader], gains: Mapping[str, MrcHeader]) -> list[Finding]:
    """Frames consistent among themselves (C-FRAMES-CONSISTENT), gains among themselves (C-GAIN-CONSISTENT), and
    the header fields of an image stack for each (C-MRC-ISPG, C-MRC-MACHST, C-MRC-EXTTYP)."""
    findings = _consistent("C-FRAMES-CONSISTENT", "frame", frames) + _consistent("C-GAIN-CONSISTENT", "gain", gains)
    for key, header in sorted({**frames, **gains}.items()):
        findings.extend(header_field_findings(header, key=key, spacegroup=0, volume=False))
    return findings


def sub_frame_findings(frames: Mapping[str, MrcHeader], mdoc: MdocFile | None) -> list[Finding]:
    """Each MRC frame named by an mdoc section's SubFramePath holds that section's NumSubFrames (MRC nz)."""
    if mdoc is None:
        return []
    by_name = {key.rsplit("/", 1)[-1]: key for key in frames}
    findings = []
    for section in mdoc.sections:
        key = by_name.get(section.sub_frame_name or "")
        if key is None or section.num_sub_frames is None:
            continue
        nz = frames[key].shape[0]
        if nz != section.num_sub_frames:
            findings.append(
                check_finding(
                    "C-FRAMES-NUMSUBFRAMES",
                    f"the frame holds another number of sub-frames than its section of {mdoc.key} "
                    f"(line {section.line}) says",
                    file=key,
                    expected=f"NumSubFrames = {section.num_sub_frames}",
                    found=f"nz = {nz}",
                )
            )
    return findings


def _consistent(code: str, what: str, headers: Mapping[str, MrcHeader]) -> list[Finding]:
    if not headers:
        return []
    first_key, first = next(iter(sorted(headers.items())))
    findings = []
    for key, header in sorted(headers.items()):
        _, ys, xs = header.voxel_size
        if abs(xs - ys) > SPACING_TOLERANCE:
            findings.append(
                check_finding(code, f"the {what}'s x and y pixel spacings differ", file=key, expected=ys, found=xs)
            )
        if key == first_key:
            continue
        if header.shape[1:] != first.shape[1:] or abs(xs - first.voxel_size[2]) > SPACING_TOLERANCE:
            findings.append(
                check_finding(
                    code,
                    f"the {what} differs in size or pixel spacing from {first_key}",
                    file=key,
                    expected=f"{first.shape[2]} × {first.shape[1]} px of {first.voxel_size[2]:g} Å",
                    found=f"{header.shape[2]} × {header.shape[1]} px of {xs:g} Å",
                )
            )
    return findings
