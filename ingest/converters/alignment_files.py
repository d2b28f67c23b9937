"""Alignment files of a deposition: what each file is (by suffix) and the per-section alignment parameters they
hold, as the portal's ``alignment_metadata.json`` lists them.

IMOD: ``.xf`` rows ``A11 A12 A21 A22 DX DY`` (in-plane rotation matrix and shifts in pixels, one row per section),
``.tlt`` one tilt angle per line and ``.xtilt`` one rotation about x per line, both one per section of the
``.xf``. AreTomo (``.aln``): ``#`` header lines, then one row ``SEC ROT GMAG TX TY SMEAN SFIT SCALE BASE TILT``
per section; a ``# Local Alignment`` block of patch rows may follow and is not read. Parsers are pure functions
from file text to frozen values; a file reader for the main alignment file is registered per suffix in
:data:`SECTION_READERS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ingest.converters.alignment_tables import NumericTable, read_numeric_table
from ingest.errors import InputFileError


class FileRole(StrEnum):
    """What an alignment file holds, which names the metadata field pointing at it."""

    ALIGNMENT = "alignment_path"
    TILT = "tilt_path"
    TILTX = "tiltx_path"


FILE_ROLES: dict[str, FileRole] = {
    ".xf": FileRole.ALIGNMENT,
    ".aln": FileRole.ALIGNMENT,
    ".tlt": FileRole.TILT,
    ".xtilt": FileRole.TILTX,
}
"""The role of an alignment file by suffix; files of other suffixes are copied but not read."""


@dataclass(frozen=True)
class AlignmentText:
    """One alignment file: its name (a key or path, used in messages and for its suffix) and its text."""

    name: str
    text: str

    @property
    def suffix(self) -> str:
        """The lower-case suffix of the file name (``.xf``), or ``""``."""
        base = self.name.rsplit("/", 1)[-1]
        return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


@dataclass(frozen=True)
class SectionParameters:
    """The alignment of one section (tilt image) of the tilt series."""

    z_index: int
    tilt_angle: float | None
    volume_x_rotation: float
    in_plane_rotation: tuple[float, float, float, float]
    x_offset: float
    y_offset: float

    def to_dict(self) -> dict[str, Any]:
        """The parameters as ``per_section_alignment_parameters`` holds them (rotation row-major, 4 numbers)."""
        return {
            "z_index": self.z_index,
            "tilt_angle": self.tilt_angle,
            "volume_x_rotation": self.volume_x_rotation,
            "in_plane_rotation": list(self.in_plane_rotation),
            "x_offset": self.x_offset,
            "y_offset": self.y_offset,
        }


@dataclass(frozen=True)
class AlignmentFiles:
    """The files of one alignment by role (``roles``: role → file name) and the sections the main file holds."""

    roles: tuple[tuple[FileRole, str], ...]
    sections: tuple[SectionParameters, ...]

    def path_of(self, role: FileRole) -> str | None:
        """The name of the file of ``role``, or None."""
        return next((name for have, name in self.roles if have is role), None)


def read_imod_sections(
    xf: AlignmentText, tilt: AlignmentText | None, tiltx: AlignmentText | None
) -> tuple[SectionParameters, ...]:
    """One section per ``.xf`` row; tilt angles from ``.tlt`` (else None), x rotations from ``.xtilt`` (else 0)."""
    table = read_numeric_table(xf.text, xf.name, 6, what="A11 A12 A21 A22 DX DY")
    angles = _per_section(tilt, table, "tilt angle") if tilt is not None else (None,) * len(table)
    x_rotations = _per_section(tiltx, table, "x-tilt angle") if tiltx is not None else (0.0,) * len(table)
    return tuple(
        SectionParameters(
            z_index=index,
            tilt_angle=angles[index],
            volume_x_rotation=x_rotations[index],
            in_plane_rotation=(float(row[0]), float(row[1]), float(row[2]), float(row[3])),
            x_offset=float(row[4]),
            y_offset=float(row[5]),
        )
        for index, row in enumerate(table.values)
    )


def read_aretomo_sections(
    aln: AlignmentText, tilt: AlignmentText | None, tiltx: AlignmentText | None
) -> tuple[SectionParameters, ...]:
    """One section per global row of an AreTomo ``.aln`` (in row order); the local-alignment block is ignored.

    The in-plane rotation is the tilt-axis rotation ROT as ``[[cos, -sin], [sin, cos]]``; shifts are TX, TY in
    pixels; the tilt angle is TILT. ``.tlt``/``.xtilt`` files beside an ``.aln`` are copied but not read.
    """
    table = read_numeric_table(
        aln.text,
        aln.name,
        10,
        what="SEC ROT GMAG TX TY SMEAN SFIT SCALE BASE TILT",
        stop_comment="local alignment",
    )
    sections = []
    for index, row in enumerate(table.values):
        angle = math.radians(float(row[1]))
        cos, sin = math.cos(angle), math.sin(angle)
        sections.append(
            SectionParameters(
                z_index=index,
                tilt_angle=float(row[9]),
                volume_x_rotation=0.0,
                in_plane_rotation=(cos, -sin, sin, cos),
                x_offset=float(row[3]),
                y_offset=float(row[4]),
            )
        )
    return tuple(sections)


SectionReader = Callable[[AlignmentText, AlignmentText | None, AlignmentText | None], tuple[SectionParameters, ...]]

SECTION_READERS: dict[str, SectionReader] = {".xf": read_imod_sections, ".aln": read_aretomo_sections}
"""The reader of per-section parameters by suffix of the main alignment file."""


def read_alignment_files(files: tuple[AlignmentText, ...]) -> AlignmentFiles:
    """Sort ``files`` by role and read the per-section parameters of the main alignment file (if any).

    Two files of one role are an :class:`InputFileError` (which one the metadata points at would be a guess).
    """
    by_role: dict[FileRole, AlignmentText] = {}
    for file in files:
        role = FILE_ROLES.get(file.suffix)
        if role is None:
            continue
        if role in by_role:
            raise InputFileError(
                "two alignment files of one kind",
                where=f"{by_role[role].name}, {file.name}",
                expected=f"at most one {file.suffix} file per alignment ({role.value})",
                found="two",
            )
        by_role[role] = file
    main = by_role.get(FileRole.ALIGNMENT)
    sections: tuple[SectionParameters, ...] = ()
    if main is not None:
        sections = SECTION_READERS[main.suffix](main, by_role.get(FileRole.TILT), by_role.get(FileRole.TILTX))
    roles = tuple((role, by_role[role].name) for role in FileRole if role in by_role)
    return AlignmentFiles(roles, sections)


def _per_section(file: AlignmentText, sections: NumericTable, what: str) -> tuple[float, ...]:
    angles = read_numeric_table(file.text, file.name, 1, what=what)
    if len(angles) != len(sections):
        line = angles.lines[len(sections)] if len(angles) > len(sections) else angles.lines[-1]
        raise InputFileError(
            f"the number of {what}s differs from the number of sections",
            where=f"{file.name}:{line}",
            expected=f"{len(sections)} lines, one per section of {sections.name}",
            found=f"{len(angles)} lines",
        )
    return angles.column(0)
