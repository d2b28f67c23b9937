"""CTF estimates of a tilt series, one row per section, read as the portal's CTF converters read them (one reader
per format in :data:`CTF_READERS`; the format is the config's ``ctfs[].metadata.format``, compared in upper case):

- ``CTFFIND`` (CTFFIND4/5 and AreTomo3 ``_CTF.txt``): ``#`` comment lines, then ``section defocus_1 defocus_2
  azimuth phase_shift cross_correlation max_resolution ...`` (section 1-based, defocus in Å, phase shift in rad);
- ``Gctf``: rows of 7 (``section defU defV angle phase_shift CC resolution``) or 6 numbers (no phase shift: 0);
- ``IMOD`` (ctfplotter ``.defocus``): rows of 7+ numbers ``startView endView startTilt endTilt defU defV azimuth``
  with defocus in nm (times 10 for Å); shorter rows (the version line) are skipped; phase shift, cross correlation
  and resolution are 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ingest.errors import InputFileError


@dataclass(frozen=True)
class CtfEstimate:
    """The CTF fit of one section (``section`` 1-based, as the files number them)."""

    section: int
    defocus_1: float
    defocus_2: float
    azimuth: float
    phase_shift: float
    cross_correlation: float
    max_resolution: float


def _rows(text: str) -> list[tuple[int, list[str]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", ";", "%")):
            rows.append((number, stripped.split()))
    return rows


def _numbers(parts: list[str], name: str, line: int, expected: str) -> list[float]:
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(value) for value in values):
        raise InputFileError(
            "a CTF row is not a row of numbers", where=f"{name}:{line}", expected=expected, found=" ".join(parts)[:120]
        )
    return values


def read_ctffind(text: str, name: str) -> tuple[CtfEstimate, ...]:
    """CTFFIND rows (see the module docstring)."""
    expected = "CTFFIND rows of at least 7 numbers: section defocus_1 defocus_2 azimuth phase_shift CC resolution"
    estimates = []
    for line, parts in _rows(text):
        values = _numbers(parts, name, line, expected)
        if len(values) < 7:
            raise InputFileError(
                "a CTFFIND row is too short", where=f"{name}:{line}", expected=expected, found=f"{len(values)} numbers"
            )
        estimates.append(CtfEstimate(int(values[0]), *values[1:7]))
    return tuple(estimates)


def read_gctf(text: str, name: str) -> tuple[CtfEstimate, ...]:
    """Gctf rows of 6 or 7 numbers (see the module docstring)."""
    expected = "Gctf rows of 6 or 7 numbers: section defU defV angle [phase_shift] CC resolution"
    estimates = []
    for line, parts in _rows(text):
        values = _numbers(parts, name, line, expected)
        if len(values) == 7:
            estimates.append(CtfEstimate(round(values[0]), *values[1:7]))
        elif len(values) == 6:
            d1, d2, azimuth, cc, resolution = values[1], values[2], values[3], values[4], values[5]
            estimates.append(CtfEstimate(round(values[0]), d1, d2, azimuth, 0.0, cc, resolution))
        else:
            raise InputFileError(
                "a Gctf row has the wrong length", where=f"{name}:{line}", expected=expected, found=f"{len(values)}"
            )
    return tuple(estimates)


def read_imod_defocus(text: str, name: str) -> tuple[CtfEstimate, ...]:
    """IMOD ctfplotter rows (see the module docstring)."""
    expected = "IMOD defocus rows: startView endView startTilt endTilt defU(nm) defV(nm) azimuth"
    estimates = []
    for line, parts in _rows(text):
        if len(parts) < 7:
            continue
        values = _numbers(parts, name, line, expected)
        estimates.append(CtfEstimate(int(values[0]), values[4] * 10.0, values[5] * 10.0, values[6], 0.0, 0.0, 0.0))
    return tuple(estimates)


CTF_READERS: dict[str, Callable[[str, str], tuple[CtfEstimate, ...]]] = {
    "CTFFIND": read_ctffind,
    "GCTF": read_gctf,
    "IMOD": read_imod_defocus,
}
"""The CTF reader of each format, by upper-case name (the portal's ``ctf_converter_factory``)."""


def known_ctf_format(ctf_format: str | None) -> bool:
    """Whether the portal knows how to read CTF files of ``ctf_format``."""
    return (ctf_format or "").upper() in CTF_READERS


def read_ctf_estimates(text: str, name: str, ctf_format: str) -> tuple[CtfEstimate, ...]:
    """The estimates of the CTF file ``name`` in ``ctf_format``; an unknown format or a file without a single row
    is an :class:`InputFileError` naming the file."""
    reader = CTF_READERS.get(ctf_format.upper())
    if reader is None:
        raise InputFileError(
            "a CTF file in an unknown format",
            where=name,
            expected="format one of CTFFIND, Gctf, IMOD",
            found=repr(ctf_format),
        )
    estimates = reader(text, name)
    if not estimates:
        raise InputFileError(
            "a CTF file without estimates", where=name, expected=f"{ctf_format} rows", found="no data rows"
        )
    return estimates
