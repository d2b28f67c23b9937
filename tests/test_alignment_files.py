"""Alignment file parsers: IMOD .xf/.tlt/.xtilt and AreTomo .aln to per-section parameters, and bad files."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.converters.alignment_files import (
    AlignmentText,
    FileRole,
    SectionParameters,
    read_alignment_files,
    read_aretomo_sections,
    read_imod_sections,
)
from ingest.converters.alignment_tables import decode_text
from ingest.errors import InputFileError

XF = "0.1 0.2 -0.3 0.4 -4.345 5.789\n 0.33   0.44 -0.55 0.66 -3.21 4.321\n"
TLT = "-60.0\n  0.5\n"
XTILT = "1.5\n-1.5\n"

ALN = """# AreTomo Alignment / Priims bprmMn
# RawSize = 512 512 3
# NumPatches = 2
# AlphaOffset =     0.00
# SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT
    0    90.0000    1.00000     13.382     21.802     1.00     1.00     1.00     0.00    -27.71
    1    30.0000    1.00000      1.680     -5.046     1.00     1.00     1.00     0.00    -25.70
    2     0.0000    1.00000     -2.000      0.000     1.00     1.00     1.00     0.00      2.00
# Local Alignment
   0   0 -1537.16  -1363.14     -6.93    -36.22   1.0
   0   1  -579.03  -1414.46     -2.53    -21.76   1.0
   1   0 -1539.49  -1386.98     -5.54    -33.76   1.0
"""


def text(name: str, content: str) -> AlignmentText:
    return AlignmentText(name, content)


def test_imod_xf_tlt_xtilt_give_golden_sections() -> None:
    sections = read_imod_sections(text("a/TS_1.xf", XF), text("a/TS_1.tlt", TLT), text("a/TS_1.xtilt", XTILT))
    assert sections == (
        SectionParameters(0, -60.0, 1.5, (0.1, 0.2, -0.3, 0.4), -4.345, 5.789),
        SectionParameters(1, 0.5, -1.5, (0.33, 0.44, -0.55, 0.66), -3.21, 4.321),
    )
    assert sections[0].to_dict() == {
        "z_index": 0,
        "tilt_angle": -60.0,
        "volume_x_rotation": 1.5,
        "in_plane_rotation": [0.1, 0.2, -0.3, 0.4],
        "x_offset": -4.345,
        "y_offset": 5.789,
    }


def test_imod_xf_alone_has_no_tilt_angles_and_zero_x_rotation() -> None:
    sections = read_imod_sections(text("TS_1.xf", XF), None, None)
    assert [(s.tilt_angle, s.volume_x_rotation) for s in sections] == [(None, 0.0), (None, 0.0)]


def test_aretomo_aln_reads_global_rows_and_ignores_local_alignment_block() -> None:
    sections = read_aretomo_sections(text("TS_1.aln", ALN), None, None)
    assert [s.z_index for s in sections] == [0, 1, 2]
    assert [s.tilt_angle for s in sections] == [-27.71, -25.70, 2.0]
    assert [(s.x_offset, s.y_offset) for s in sections] == [(13.382, 21.802), (1.68, -5.046), (-2.0, 0.0)]
    assert sections[0].in_plane_rotation == pytest.approx((0.0, -1.0, 1.0, 0.0), abs=1e-12)
    half = math.sqrt(3) / 2
    assert sections[1].in_plane_rotation == pytest.approx((half, -0.5, 0.5, half))
    assert sections[2].in_plane_rotation == (1.0, -0.0, 0.0, 1.0)


def test_aretomo_local_alignment_header_is_matched_case_insensitively() -> None:
    lowered = ALN.replace("# Local Alignment", "#local alignment")
    assert len(read_aretomo_sections(text("TS_1.aln", lowered), None, None)) == 3


def test_roles_by_suffix_and_sections_from_the_main_file() -> None:
    files = read_alignment_files(
        (text("x/TS_1.tlt", TLT), text("x/TS_1.xf", XF), text("x/TS_1.com", "not read"), text("x/TS_1.XTILT", XTILT))
    )
    assert files.roles == (
        (FileRole.ALIGNMENT, "x/TS_1.xf"),
        (FileRole.TILT, "x/TS_1.tlt"),
        (FileRole.TILTX, "x/TS_1.XTILT"),
    )
    assert files.path_of(FileRole.TILT) == "x/TS_1.tlt"
    assert [s.tilt_angle for s in files.sections] == [-60.0, 0.5]
    assert [s.volume_x_rotation for s in files.sections] == [1.5, -1.5]


def test_tilt_file_without_alignment_file_has_no_sections() -> None:
    files = read_alignment_files((text("TS_1.tlt", TLT),))
    assert files.sections == () and files.path_of(FileRole.ALIGNMENT) is None


def test_two_files_of_one_role_are_refused() -> None:
    with pytest.raises(InputFileError, match=r"a/TS_1\.xf, b/TS_1\.xf: two alignment files of one kind"):
        read_alignment_files((text("a/TS_1.xf", XF), text("b/TS_1.xf", XF)))


@pytest.mark.parametrize(
    ("content", "line", "found"),
    [
        ("1 0 0 1 0 0\n1 0 0 1 0\n", 2, "5 number(s)"),
        ("# comment\n1 0 0 1 0 0\n\n1 0 0 1 zero 0\n", 4, "'1 0 0 1 zero 0'"),
        ("1 0 0 1 0 nan\n", 1, "'1 0 0 1 0 nan'"),
        ("1 0 0 1 0 0 7\n1 0 0 1 0 0 7\n", 1, "7 number(s)"),
    ],
    ids=["short-row", "not-a-number", "not-finite", "every-row-too-long"],
)
def test_bad_xf_names_file_line_expected_and_found(content: str, line: int, found: str) -> None:
    with pytest.raises(InputFileError) as info:
        read_imod_sections(text("in/TS_1.xf", content), None, None)
    assert info.value.where == f"in/TS_1.xf:{line}"
    assert info.value.expected is not None and "6 number(s) per line (A11 A12 A21 A22 DX DY)" in info.value.expected
    assert info.value.found is not None and found in info.value.found


def test_tlt_with_fewer_lines_than_xf_names_its_last_line() -> None:
    with pytest.raises(InputFileError, match="differs from the number of sections") as info:
        read_imod_sections(text("TS_1.xf", XF), text("TS_1.tlt", "# angles\n-60\n"), None)
    assert info.value.where == "TS_1.tlt:2"
    assert info.value.expected == "2 lines, one per section of TS_1.xf" and info.value.found == "1 lines"


def test_xtilt_with_more_lines_than_xf_names_the_first_extra_line() -> None:
    with pytest.raises(InputFileError) as info:
        read_imod_sections(text("TS_1.xf", XF), None, text("TS_1.xtilt", "0\n0\n0\n"))
    assert info.value.where == "TS_1.xtilt:3"


def test_tlt_with_two_columns_is_refused() -> None:
    with pytest.raises(InputFileError, match="wrong number of columns") as info:
        read_imod_sections(text("TS_1.xf", XF), text("TS_1.tlt", "-60 1\n0 1\n"), None)
    assert info.value.where == "TS_1.tlt:1"


def test_aln_global_row_with_missing_column_names_its_line() -> None:
    broken = ALN.replace("    1.00     1.00     1.00     0.00    -25.70", "    1.00     1.00     0.00    -25.70")
    with pytest.raises(InputFileError, match="wrong number of columns") as info:
        read_aretomo_sections(text("TS_1.aln", broken), None, None)
    assert info.value.where == "TS_1.aln:7"
    assert info.value.expected is not None and "SEC ROT GMAG TX TY" in info.value.expected


def test_aln_with_only_header_lines_is_refused() -> None:
    header_only = "".join(line + "\n" for line in ALN.splitlines() if line.startswith("#"))
    with pytest.raises(InputFileError, match="no data lines"):
        read_aretomo_sections(text("TS_1.aln", header_only), None, None)


def test_binary_file_is_not_text() -> None:
    with pytest.raises(InputFileError, match="not a text file") as info:
        decode_text(b"\x00\xff\xfe", "TS_1.xf")
    assert info.value.where == "TS_1.xf"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda value: round(value, 4))


@given(st.lists(st.tuples(*[finite] * 6, finite), min_size=1, max_size=20))
def test_imod_sections_round_trip_written_rows(rows: list[tuple[float, ...]]) -> None:
    xf = "".join(" ".join(repr(v) for v in row[:6]) + "\n" for row in rows)
    tlt = "".join(f"{row[6]!r}\n" for row in rows)
    sections = read_imod_sections(text("TS.xf", xf), text("TS.tlt", tlt), None)
    assert [(*s.in_plane_rotation, s.x_offset, s.y_offset, s.tilt_angle) for s in sections] == [
        tuple(row) for row in rows
    ]
    assert [s.z_index for s in sections] == list(range(len(rows)))
