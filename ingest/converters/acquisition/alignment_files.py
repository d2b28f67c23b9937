"""Alignment files of a deposition: what each file is (by name) and the per-section alignment parameters they
hold, computed as the portal computes them: with ``cryoet-alignment`` (the library the portal's alignment importer
uses), in the portal's convention (``in_plane_rotation`` a 2×2 matrix, shifts transformed with it: for IMOD the
transpose of the ``.xf`` matrix and ``-Rᵀ·shift``; for AreTomo the rotation matrix of ROT and TX, TY as written).

IMOD (``format: IMOD``): ``.xf`` (one row per section), ``.tlt`` (required: one tilt angle per section),
``.xtilt``/``.tltx`` (optional x rotations), ``tilt.com`` (its EXCLUDELIST2 drops sections) and ``newst.com``.
AreTomo (``format: ARETOMO3``): ``.aln``; ``tilt_path``/``tiltx_path`` stay unset, as the portal leaves them.
Without a ``format`` the main file's suffix decides; another format is copied without parameters (the portal's
importer knows only these two). A file ``cryoet-alignment`` refuses is an :class:`InputFileError` naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ingest.errors import InputFileError


class FileRole(StrEnum):
    """What an alignment file holds; the first three name the metadata field pointing at the file."""

    ALIGNMENT = "alignment_path"
    TILT = "tilt_path"
    TILTX = "tiltx_path"
    TILTCOM = "tiltcom"
    NEWSTCOM = "newstcom"


FILE_ROLES: tuple[tuple[str, FileRole], ...] = (
    (".xf", FileRole.ALIGNMENT),
    (".aln", FileRole.ALIGNMENT),
    (".tlt", FileRole.TILT),
    (".xtilt", FileRole.TILTX),
    (".tltx", FileRole.TILTX),
    ("newst.com", FileRole.NEWSTCOM),
    ("tilt.com", FileRole.TILTCOM),
)
"""The role of an alignment file by how its name ends (as the portal matches them); others are copied, not read."""

ALIGNMENT_FORMATS = {".xf": "IMOD", ".aln": "ARETOMO3"}
"""The alignment format a main alignment file's suffix implies when the config gives no ``format``."""


def role_of(name: str) -> tuple[str, FileRole] | None:
    """The name ending and role of the file called ``name`` (a key or path), or None for a file that is not read."""
    base = name.rsplit("/", 1)[-1].lower()
    return next(((ending, role) for ending, role in FILE_ROLES if base.endswith(ending)), None)


@dataclass(frozen=True)
class AlignmentText:
    """One alignment file: its name (a key or path, used in messages and for its role) and its text."""

    name: str
    text: str


@dataclass(frozen=True)
class SectionParameters:
    """The alignment of one section (tilt image) of the tilt series, in the portal's convention."""

    z_index: int
    tilt_angle: float
    volume_x_rotation: float
    in_plane_rotation: tuple[tuple[float, float], tuple[float, float]]
    x_offset: float
    y_offset: float

    def to_dict(self) -> dict[str, Any]:
        """The parameters as ``per_section_alignment_parameters`` holds them (rotation as a 2×2 list)."""
        return {
            "z_index": self.z_index,
            "tilt_angle": self.tilt_angle,
            "volume_x_rotation": self.volume_x_rotation,
            "in_plane_rotation": [list(row) for row in self.in_plane_rotation],
            "x_offset": self.x_offset,
            "y_offset": self.y_offset,
        }


@dataclass(frozen=True)
class AlignmentFiles:
    """The files of one alignment by metadata role (``roles``: role → file name) and the computed sections."""

    roles: tuple[tuple[FileRole, str], ...]
    sections: tuple[SectionParameters, ...]

    def path_of(self, role: FileRole) -> str | None:
        """The name of the file of ``role``, or None."""
        return next((name for have, name in self.roles if have is role), None)


def read_alignment_files(files: tuple[AlignmentText, ...], alignment_format: str | None = None) -> AlignmentFiles:
    """Sort ``files`` by role and compute the per-section parameters of the alignment (``alignment_format`` is
    the config's ``format``; None: from the main file's suffix).

    Two files of one role, an IMOD ``.xf`` without its ``.tlt``, a file ``cryoet-alignment`` cannot read, or
    files whose section counts differ are an :class:`InputFileError`.
    """
    by_role: dict[FileRole, AlignmentText] = {}
    for file in files:
        found = role_of(file.name)
        if found is None:
            continue
        ending, role = found
        if role in by_role:
            raise InputFileError(
                "two alignment files of one kind",
                where=f"{by_role[role].name}, {file.name}",
                expected=f"at most one {ending} file per alignment ({role.value})",
                found="two",
            )
        by_role[role] = file
    main = by_role.get(FileRole.ALIGNMENT)
    if alignment_format is None and main is not None:
        alignment_format = ALIGNMENT_FORMATS[_suffix(main.name)]
    kind = (alignment_format or "").upper()
    if kind == "IMOD":
        return _imod(by_role)
    if kind == "ARETOMO3":
        return _aretomo(by_role)
    return AlignmentFiles((), ())


def _imod(by_role: dict[FileRole, AlignmentText]) -> AlignmentFiles:
    from cryoet_alignment.io.cryoet_data_portal import Alignment
    from cryoet_alignment.io.imod import ImodAlignment, ImodNEWSTCOM, ImodTILTCOM, ImodTLT, ImodXF, ImodXTILT

    xf, tlt = by_role.get(FileRole.ALIGNMENT), by_role.get(FileRole.TILT)
    if xf is None or _suffix(xf.name) != ".xf":
        found = xf.name if xf is not None else "no .xf file"
        raise InputFileError(
            "an IMOD alignment without its .xf file",
            where=", ".join(file.name for file in by_role.values()) or "alignment files",
            expected="an .xf file (format: IMOD)",
            found=found,
        )
    if tlt is None:
        raise InputFileError(
            "an IMOD alignment without its .tlt file",
            where=xf.name,
            expected="a .tlt file beside the .xf (cryoet-alignment reads the tilt angles from it)",
            found="no .tlt file among the alignment's files",
        )
    xf_rows = _parse(xf, ImodXF, "IMOD .xf rows of six numbers: A11 A12 A21 A22 DX DY")
    angles = _parse(tlt, ImodTLT, "one tilt angle per line (IMOD .tlt)")
    _same_count(tlt, len(angles.angles), xf, len(xf_rows.alignments))
    xtilt = None
    if FileRole.TILTX in by_role:
        xtilt = _parse(by_role[FileRole.TILTX], ImodXTILT, "one x-tilt angle per line (IMOD .xtilt)")
        _same_count(by_role[FileRole.TILTX], len(xtilt.angles), xf, len(xf_rows.alignments))
    tiltcom = newstcom = None
    if FileRole.TILTCOM in by_role:
        tiltcom = _parse(by_role[FileRole.TILTCOM], ImodTILTCOM, "an IMOD tilt.com command file")
    if FileRole.NEWSTCOM in by_role:
        newstcom = _parse(by_role[FileRole.NEWSTCOM], ImodNEWSTCOM, "an IMOD newst.com command file")
    imod = ImodAlignment(xf=xf_rows, tlt=angles, xtilt=xtilt, tiltcom=tiltcom, newstcom=newstcom)
    sections = _sections(Alignment.from_imod(imod_alignment=imod).per_section_alignment_parameters, xf.name)
    roles = tuple(
        (role, by_role[role].name) for role in (FileRole.ALIGNMENT, FileRole.TILT, FileRole.TILTX) if role in by_role
    )
    return AlignmentFiles(roles, sections)


def _aretomo(by_role: dict[FileRole, AlignmentText]) -> AlignmentFiles:
    from cryoet_alignment.io.aretomo3 import AreTomo3ALN
    from cryoet_alignment.io.cryoet_data_portal import Alignment

    aln = by_role.get(FileRole.ALIGNMENT)
    if aln is None or _suffix(aln.name) != ".aln":
        raise InputFileError(
            "an AreTomo alignment without its .aln file",
            where=", ".join(file.name for file in by_role.values()) or "alignment files",
            expected="an .aln file (format: ARETOMO3)",
            found=aln.name if aln is not None else "no .aln file",
        )
    parsed = _parse(aln, AreTomo3ALN, "an AreTomo .aln file (# RawSize header, rows SEC ROT GMAG TX TY ... TILT)")
    try:
        computed = Alignment.from_aretomo3(aln=parsed)
    except (AssertionError, ValueError, TypeError, IndexError) as error:
        raise InputFileError(
            "cryoet-alignment cannot read this alignment file",
            where=aln.name,
            expected="as many global alignment rows as RawSize sections minus dark frames",
            found=_brief(error),
        ) from None
    return AlignmentFiles(
        ((FileRole.ALIGNMENT, aln.name),), _sections(computed.per_section_alignment_parameters, aln.name)
    )


def _parse(file: AlignmentText, reader: Any, expected: str) -> Any:
    try:
        return reader.from_string(file.text)
    except (ValueError, TypeError, IndexError, AttributeError, KeyError) as error:
        raise InputFileError(
            "cryoet-alignment cannot read this alignment file", where=file.name, expected=expected, found=_brief(error)
        ) from None


def _same_count(file: AlignmentText, count: int, main: AlignmentText, sections: int) -> None:
    if count != sections:
        raise InputFileError(
            "the number of lines differs from the number of sections",
            where=file.name,
            expected=f"{sections} lines, one per section of {main.name}",
            found=f"{count} lines",
        )


def _sections(parameters: list[Any], name: str) -> tuple[SectionParameters, ...]:
    sections = []
    for item in parameters:
        rotation = item.in_plane_rotation
        values = [item.tilt_angle, item.volume_x_rotation, item.x_offset, item.y_offset, *rotation[0], *rotation[1]]
        if not all(math.isfinite(float(value)) for value in values):
            raise InputFileError(
                "an alignment value is not finite",
                where=name,
                expected="finite numbers",
                found=f"section {item.z_index}: {values}",
            )
        sections.append(
            SectionParameters(
                z_index=int(item.z_index),
                tilt_angle=float(item.tilt_angle),
                volume_x_rotation=float(item.volume_x_rotation),
                in_plane_rotation=(
                    (float(rotation[0][0]), float(rotation[0][1])),
                    (float(rotation[1][0]), float(rotation[1][1])),
                ),
                x_offset=float(item.x_offset),
                y_offset=float(item.y_offset),
            )
        )
    return tuple(sections)


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _brief(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:160]}" if text else type(error).__name__
