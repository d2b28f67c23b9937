"""Per-section parameters of a tilt series as the portal's tilt-series importer computes them (raw tilt file ×
mdoc × CTF estimates), pinned to the portal's own test vectors, and the CTF readers of every format it knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.converters.acquisition.ctf_estimates import CtfEstimate, read_ctf_estimates
from ingest.converters.acquisition.mdoc import MdocSection, read_mdoc_sections
from ingest.converters.acquisition.section_parameters import per_section_parameters, read_raw_tilts
from ingest.errors import InputFileError

# The portal's expected_psp_output (ingestion_tools/scripts/tests/s3_import/test_per_section_parameter.py) for
# metadata/TS_run1.rawtlt, mdocs_modified/foo-TS_run1.mdoc and TS_run1_ctffind4.txt:
# (frame_acquisition_order, raw_angle, major_defocus, minor_defocus, astigmatic_angle, phase_shift, CC, resolution)
PORTAL_PSP = [
    (3, -4.38, 72249.28, 71262.08, -42.32, 0.0, 0.1138, 28.4226),
    (2, -1.98, 72222.11, 71235.27, -50.87, 0.0, 0.1169, 28.4226),
    (0, -0.00499939, 71568.57, 70590.66, -42.32, 0.0, 0.1612, 27.7120),
    (1, 2.013, None, None, None, None, None, None),
]
FIELDS = ("major_defocus", "minor_defocus", "astigmatic_angle", "phase_shift", "cross_correlation", "max_resolution")
MDOC = (
    MdocSection(0, 1.0, None, -0.00499939),
    MdocSection(1, 1.0, None, 2.013),
    MdocSection(2, 1.0, None, -1.98),
    MdocSection(3, 1.0, None, -4.38),
    MdocSection(4, 1.0, None, 4.28),
)


def expected(has_ctf: bool) -> list[dict[str, object]]:
    return [
        {
            "z_index": index,
            "frame_acquisition_order": row[0],
            "raw_angle": row[1],
            **{field: (value if has_ctf else None) for field, value in zip(FIELDS, row[2:], strict=True)},
        }
        for index, row in enumerate(PORTAL_PSP)
    ]


def fixture_inputs(corpus: Path) -> Path:
    return corpus / "portal-fixtures/test_infra/test_files/input_bucket/10001_input/metadata"


def test_portal_fixture_gives_the_portal_vector_with_ctf(corpus: Path) -> None:
    folder = fixture_inputs(corpus)
    raw = read_raw_tilts((folder / "TS_run1.rawtlt").read_text(), "TS_run1.rawtlt")
    mdoc = read_mdoc_sections((folder / "mdocs_modified/foo-TS_run1.mdoc").read_text(), "foo-TS_run1.mdoc")
    ctf = read_ctf_estimates((folder / "TS_run1_ctffind4.txt").read_text(), "TS_run1_ctffind4.txt", "CTFFIND")
    assert per_section_parameters(raw, mdoc, "foo-TS_run1.mdoc", ctf) == expected(True)


def test_portal_fixture_without_ctf_has_null_ctf_values(corpus: Path) -> None:
    folder = fixture_inputs(corpus)
    raw = read_raw_tilts((folder / "TS_run1.rawtlt").read_text(), "TS_run1.rawtlt")
    mdoc = read_mdoc_sections((folder / "mdocs_modified/foo-TS_run1.mdoc").read_text(), "foo-TS_run1.mdoc")
    assert per_section_parameters(raw, mdoc, "foo-TS_run1.mdoc", None) == expected(False)


def test_close_tilt_angles_match_the_closest_mdoc_section(corpus: Path) -> None:
    folder = fixture_inputs(corpus)
    raw = read_raw_tilts((folder / "close_TS_run1.rawtlt").read_text(), "close_TS_run1.rawtlt")
    mdoc = read_mdoc_sections((folder / "mdocs_modified/close-TS_run1.mdoc").read_text(), "close-TS_run1.mdoc")
    angles = [entry["raw_angle"] for entry in per_section_parameters(raw, mdoc, "close-TS_run1.mdoc", None)]
    assert angles == [-6.016, -5.9944, -4.38, -1.98, 2.013, 4.28, 6.0833, 6.09]  # the portal's test, in stack order


def test_raw_angle_without_mdoc_section_is_refused_naming_the_raw_tilt_file(corpus: Path) -> None:
    folder = fixture_inputs(corpus)
    raw = read_raw_tilts((folder / "invalid_TS_run1.rawtlt").read_text(), "runs/invalid_TS_run1.rawtlt")
    mdoc = read_mdoc_sections((folder / "mdocs_modified/foo-TS_run1.mdoc").read_text(), "foo-TS_run1.mdoc")
    with pytest.raises(InputFileError, match="matches no mdoc section") as error:
        per_section_parameters(raw, mdoc, "foo-TS_run1.mdoc", None)
    assert "runs/invalid_TS_run1.rawtlt (line 5: 6)" in str(error.value)


def test_ctf_rows_match_by_z_index_not_by_acquisition_order() -> None:
    raw = read_raw_tilts("-4.38\n-1.98\n0\n2.013\n", "TS.rawtlt")
    ctf = (CtfEstimate(2, 10.0, 9.0, 1.0, 0.0, 0.5, 8.0),)
    entries = per_section_parameters(raw, MDOC, "TS.mdoc", ctf)
    assert [entry["major_defocus"] for entry in entries] == [None, 10.0, None, None]
    assert [entry["frame_acquisition_order"] for entry in entries] == [3, 2, 0, 1]


@pytest.mark.parametrize(("text", "line"), [("1\nx\n", 2), ("1\n\nnan\n", 3)])
def test_raw_tilt_that_is_not_a_number_names_its_line(text: str, line: int) -> None:
    with pytest.raises(InputFileError, match="not a number") as error:
        read_raw_tilts(text, "a/TS.rawtlt")
    assert f"a/TS.rawtlt:{line}" in str(error.value)


def test_gctf_rows_of_six_and_seven_columns() -> None:
    text = "# Gctf\n1 21000 20500 45 0.3 0.05 6.2\n2.0 22000 21500 40 0.06 6.5\n"
    assert read_ctf_estimates(text, "g.txt", "Gctf") == (
        CtfEstimate(1, 21000.0, 20500.0, 45.0, 0.3, 0.05, 6.2),
        CtfEstimate(2, 22000.0, 21500.0, 40.0, 0.0, 0.06, 6.5),
    )


def test_imod_defocus_is_converted_from_nm_and_its_version_line_skipped() -> None:
    text = "1 0 0.0 0.0 0 3\n1 1 -60.0 -60.0 2100.5 2050.0 45.0\n"
    assert read_ctf_estimates(text, "TS.defocus", "IMOD") == (CtfEstimate(1, 21005.0, 20500.0, 45.0, 0.0, 0.0, 0.0),)


def test_ctf_file_in_an_unknown_format_is_refused_naming_it() -> None:
    with pytest.raises(InputFileError, match="unknown format") as error:
        read_ctf_estimates("1 2 3 4 5 6 7\n", "ctf/TS_CTF.txt", "warp")
    assert "ctf/TS_CTF.txt" in str(error.value) and "CTFFIND, Gctf, IMOD" in str(error.value)


@pytest.mark.parametrize(("text", "match"), [("1 2 3\n", "too short"), ("1 a 3 4 5 6 7\n", "not a row of numbers")])
def test_bad_ctffind_row_names_file_and_line(text: str, match: str) -> None:
    with pytest.raises(InputFileError, match=match) as error:
        read_ctf_estimates("# header\n" + text, "TS_ctf.txt", "CTFFIND")
    assert "TS_ctf.txt:2" in str(error.value)


def test_ctf_file_without_rows_is_refused() -> None:
    with pytest.raises(InputFileError, match="without estimates"):
        read_ctf_estimates("# only a header\n", "TS_ctf.txt", "CTFFIND")
