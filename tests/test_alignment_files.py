"""Alignment files through cryoet-alignment: IMOD .xf/.tlt/.xtilt (+ tilt.com) and AreTomo .aln to the portal's
per-section parameters (2×2 in-plane rotation, transformed shifts), and the files it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.converters.acquisition.alignment_files import AlignmentText, FileRole, read_alignment_files
from ingest.converters.acquisition.text_inputs import decode_text
from ingest.errors import InputFileError

# The portal's fixture alignment (test_infra/test_files/input_bucket/10001_input/alignments/TS_run1.*).
XF = """    0.029     1.000    -1.000     0.029     55.43     25.56
    0.029     1.000    -1.000     0.029    -75.84     55.10
    0.029     1.000    -1.000     0.029    -93.80     77.79
"""
TLT = "-5\n0\n5\n"
XTILT = "0.23\n2.12\n1.97\n"
ALN = """# AreTomo Alignment / Priims bprmMn
# RawSize = 10 20 3
# NumPatches = 0

# AlphaOffset =     0.00
# BetaOffset =     0.00
# SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT
    0    88.3389    1.00000     23.953    -56.171     1.00     1.00     1.00     0.00     -5.00
    1    88.3389    1.00000     57.299     74.242     1.00     1.00     1.00     0.00      0.00
    2    88.3389    1.00000     80.510     91.544     1.00     1.00     1.00     0.00      5.00
# Local Alignment
"""

# What the portal's own importer test asserts for these files
# (ingestion_tools/scripts/tests/s3_import/test_alignments.py, test_alignment_import_item[_aretomo]).
PORTAL_ROTATION = [[0.029, -1.0], [1.0, 0.029]]
PORTAL_SHIFTS = [(23.95253, -56.17124), (57.29936, 74.24210), (80.51020, 91.54409)]
PORTAL_TILTS = [-5.0, 0.0, 5.0]
PORTAL_XTILTS = [0.23, 2.12, 1.97]


def text(name: str, content: str) -> AlignmentText:
    return AlignmentText(name, content)


def test_imod_fixture_gives_the_portal_test_vector() -> None:
    files = read_alignment_files(
        (text("a/TS_run1.xf", XF), text("a/TS_run1.tlt", TLT), text("a/TS_run1.xtilt", XTILT)), "IMOD"
    )
    assert [section.to_dict() for section in files.sections] == [
        {
            "z_index": index,
            "in_plane_rotation": [pytest.approx(row, abs=1e-5) for row in PORTAL_ROTATION],
            "x_offset": pytest.approx(PORTAL_SHIFTS[index][0], abs=1e-5),
            "y_offset": pytest.approx(PORTAL_SHIFTS[index][1], abs=1e-5),
            "tilt_angle": PORTAL_TILTS[index],
            "volume_x_rotation": PORTAL_XTILTS[index],
        }
        for index in range(3)
    ]
    assert files.roles == (
        (FileRole.ALIGNMENT, "a/TS_run1.xf"),
        (FileRole.TILT, "a/TS_run1.tlt"),
        (FileRole.TILTX, "a/TS_run1.xtilt"),
    )


def test_aretomo_fixture_gives_the_portal_test_vector_without_tilt_paths() -> None:
    files = read_alignment_files((text("a/TS_run1.aln", ALN), text("a/TS_run1.tlt", TLT)), "ARETOMO3")
    assert [section.to_dict() for section in files.sections] == [
        {
            "z_index": index,
            "in_plane_rotation": [pytest.approx(row, abs=1e-2) for row in PORTAL_ROTATION],
            "x_offset": pytest.approx(PORTAL_SHIFTS[index][0], abs=1e-2),
            "y_offset": pytest.approx(PORTAL_SHIFTS[index][1], abs=1e-2),
            "tilt_angle": PORTAL_TILTS[index],
            "volume_x_rotation": 0.0,
        }
        for index in range(3)
    ]
    assert files.roles == ((FileRole.ALIGNMENT, "a/TS_run1.aln"),)  # the portal sets no tilt_path for AreTomo


def test_portal_fixture_files_on_disk_give_the_vector(corpus: Path) -> None:
    folder = corpus / "portal-fixtures/test_infra/test_files/input_bucket/10001_input/alignments"
    names = ("TS_run1.xf", "TS_run1.tlt", "TS_run1.xtilt")
    files = read_alignment_files(tuple(text(name, (folder / name).read_text()) for name in names), "IMOD")
    assert [(s.x_offset, s.y_offset) for s in files.sections] == [pytest.approx(s, abs=1e-5) for s in PORTAL_SHIFTS]


def test_format_comes_from_the_main_file_suffix_when_not_configured() -> None:
    imod = read_alignment_files((text("TS_run1.xf", XF), text("TS_run1.tlt", TLT)))
    aretomo = read_alignment_files((text("TS_run1.aln", ALN),))
    assert len(imod.sections) == len(aretomo.sections) == 3
    assert imod.sections[0].volume_x_rotation == 0.0  # no .xtilt


def test_tilt_com_exclude_list_drops_sections() -> None:
    tiltcom = (
        "$tilt -StandardInput\nInputProjections TS_run1_ali.mrc\nOutputFile TS_run1_full_rec.mrc\n"
        "IMAGEBINNED 1\nTILTFILE TS_run1.tlt\nTHICKNESS 300\nRADIAL 0.35 0.035\nFalloffIsTrueSigma 1\n"
        "XAXISTILT 0.0\nSCALE 0.0 0.1\nPERPENDICULAR\nMODE 2\nFULLIMAGE 20 10\nSUBSETSTART 0 0\n"
        "AdjustOrigin\nXTILTFILE TS_run1.xtilt\nEXCLUDELIST2 2\n"
    )
    files = read_alignment_files((text("TS_run1.xf", XF), text("TS_run1.tlt", TLT), text("tilt.com", tiltcom)), "IMOD")
    assert [section.z_index for section in files.sections] == [0, 2]


def test_tilt_com_cryoet_alignment_refuses_is_named() -> None:
    with pytest.raises(InputFileError, match=r"IMOD tilt\.com") as error:
        read_alignment_files((text("TS_run1.xf", XF), text("TS_run1.tlt", TLT), text("p/tilt.com", "EXCLUDE 2\n")))
    assert "p/tilt.com" in str(error.value)


def test_unknown_format_copies_without_parameters() -> None:
    files = read_alignment_files((text("TS_run1.xf", XF),), "RELION")
    assert files.sections == () and files.roles == ()


def test_imod_xf_without_tlt_is_refused_naming_the_xf() -> None:
    with pytest.raises(InputFileError, match=r"without its \.tlt") as error:
        read_alignment_files((text("a/TS_run1.xf", XF),), "IMOD")
    assert "a/TS_run1.xf" in str(error.value)


def test_imod_format_with_only_an_aln_is_refused() -> None:
    with pytest.raises(InputFileError, match=r"without its \.xf"):
        read_alignment_files((text("TS_run1.aln", ALN),), "IMOD")


def test_two_files_of_one_role_are_refused() -> None:
    with pytest.raises(InputFileError, match="two alignment files of one kind") as error:
        read_alignment_files((text("a/TS_1.xf", XF), text("b/TS_1.xf", XF)))
    assert "a/TS_1.xf" in str(error.value) and "b/TS_1.xf" in str(error.value)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ("0.1 0.2 -0.3 0.4 5.0\n", "IndexError"),
        ("0.1 0.2 x 0.4 1 2\n", "ValueError"),
        ("", "IndexError"),
    ],
)
def test_xf_cryoet_alignment_refuses_names_file_and_expected(content: str, found: str) -> None:
    with pytest.raises(InputFileError, match="cryoet-alignment cannot read") as error:
        read_alignment_files((text("runs/TS_1.xf", content), text("runs/TS_1.tlt", "1\n")))
    message = str(error.value)
    assert "runs/TS_1.xf" in message and "A11 A12 A21 A22 DX DY" in message and found in message


def test_tlt_with_fewer_lines_than_xf_is_refused() -> None:
    with pytest.raises(InputFileError, match="differs from the number of sections") as error:
        read_alignment_files((text("TS_1.xf", XF), text("TS_1.tlt", "-5\n0\n")))
    assert "TS_1.tlt" in str(error.value) and "3 lines" in str(error.value)


def test_non_finite_shift_is_refused() -> None:
    bad = XF.replace("55.43", "nan")
    with pytest.raises(InputFileError, match="not finite"):
        read_alignment_files((text("TS_1.xf", bad), text("TS_1.tlt", TLT)))


def test_aln_with_more_rows_than_raw_size_is_refused() -> None:
    bad = ALN.replace("RawSize = 10 20 3", "RawSize = 10 20 2")
    with pytest.raises(InputFileError, match="cryoet-alignment cannot read") as error:
        read_alignment_files((text("x/TS_1.aln", bad),))
    assert "x/TS_1.aln" in str(error.value)


def test_binary_file_is_not_text() -> None:
    with pytest.raises(InputFileError, match="not a text file"):
        decode_text(b"\x89PNG\r\n\x1a\n\xff", "TS_1.xf")
