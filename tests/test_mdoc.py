"""Reading SerialEM mdoc sections and computing the per-frame doses of ``frames_metadata.json``."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.converters.acquisition.mdoc import MdocSection, frame_doses, read_mdoc_sections
from ingest.domain.tasks import FramesTask, Metadata
from ingest.errors import InputFileError
from ingest.pipeline.frames_metadata import frames_metadata_bytes

HEADER = "PixelSpacing = 3.37\nVoltage = 300\nImageFile = TS_1.mrc\n\n[T = SerialEM: test]\n"


def mdoc(*sections: str) -> str:
    return HEADER + "".join(f"\n[ZValue = {z}]\n{body}\n" for z, body in enumerate(sections))


def test_sections_in_file_order_with_windows_and_posix_frame_names() -> None:
    text = mdoc(
        "TiltAngle = 0.0\nExposureTime = 0.96\nSubFramePath = X:\\data\\session 1\\TS_1_001.tif",
        "TiltAngle = 3.0\nExposureTime = 1\nSubFramePath = /mnt/data/TS_1_002.tif",
        "TiltAngle = -3.0\nExposureTime = 0.75",
    )
    assert read_mdoc_sections(text, "TS_1.mdoc") == (
        MdocSection(0, 0.96, "TS_1_001.tif", 0.0),
        MdocSection(1, 1.0, "TS_1_002.tif", 3.0),
        MdocSection(2, 0.75, None, -3.0),
    )


def test_doses_accumulate_and_paths_are_the_deposited_frames_only() -> None:
    sections = (MdocSection(0, 0.96, "a.tif"), MdocSection(1, 1.0, "b.tif"), MdocSection(2, 0.75, "c.tif"))
    deposited = {"a.tif": "1/R/Frames/a.tif", "b.tif": "1/R/Frames/b.tif"}
    entries = [entry.to_dict() for entry in frame_doses(sections, 2.0, True, deposited)]
    assert entries == [
        {"acquisition_order": 0, "accumulated_dose": 0.0, "exposure_dose": 1.92, "is_gain_corrected": True,
         "path": "1/R/Frames/a.tif"},
        {"acquisition_order": 1, "accumulated_dose": 1.92, "exposure_dose": 2.0, "is_gain_corrected": True,
         "path": "1/R/Frames/b.tif"},
        {"acquisition_order": 2, "accumulated_dose": 3.92, "exposure_dose": 1.5, "is_gain_corrected": True},
    ]  # fmt: skip


def test_acquisition_order_is_the_z_value_not_the_position() -> None:
    text = HEADER + "\n[ZValue = 5]\nExposureTime = 1\n\n[ZValue = 2]\nExposureTime = 1\n"
    doses = frame_doses(read_mdoc_sections(text, "x.mdoc"), 1.5, None, {})
    assert [(d.acquisition_order, d.accumulated_dose) for d in doses] == [(5, 0.0), (2, 1.5)]
    assert "is_gain_corrected" not in doses[0].to_dict() and "path" not in doses[0].to_dict()


def test_missing_exposure_time_names_file_and_section_line() -> None:
    text = mdoc("ExposureTime = 1", "TiltAngle = 3.0")
    with pytest.raises(InputFileError, match="no ExposureTime") as caught:
        read_mdoc_sections(text, "mdocs/TS_1.mdoc")
    assert "mdocs/TS_1.mdoc:10" in caught.value.message
    assert text.split("\n")[9] == "[ZValue = 1]"


def test_unparsable_value_names_file_and_line() -> None:
    text = mdoc("ExposureTime = 1", "ExposureTime = fast")
    with pytest.raises(InputFileError, match="ExposureTime") as caught:
        read_mdoc_sections(text, "TS_1.mdoc")
    assert "TS_1.mdoc:11" in caught.value.message and "'fast'" in caught.value.message


def test_unparsable_header_line_names_file_and_line() -> None:
    with pytest.raises(InputFileError, match="header") as caught:
        read_mdoc_sections("PixelSpacing = 1\nnot a key value line\n[ZValue = 0]\nExposureTime = 1\n", "a.mdoc")
    assert "a.mdoc:2" in caught.value.message


@pytest.mark.parametrize("text", ["", "PixelSpacing = 1\n", "not an mdoc at all"])
def test_a_file_without_sections_is_refused(text: str) -> None:
    with pytest.raises(InputFileError, match=r"a\.mdoc"):
        read_mdoc_sections(text, "a.mdoc")


def test_montage_sections_without_z_value_are_refused() -> None:
    with pytest.raises(InputFileError, match="no ZValue"):
        read_mdoc_sections(HEADER + "\n[MontSection = 0]\nExposureTime = 1\n", "m.mdoc")


@given(
    times=st.lists(st.floats(min_value=0.01, max_value=10, allow_nan=False), min_size=1, max_size=30),
    rate=st.floats(min_value=0.01, max_value=10),
)
def test_each_accumulated_dose_is_the_sum_of_the_exposures_before_it(times: list[float], rate: float) -> None:
    sections = tuple(MdocSection(z, time, f"{z}.tif") for z, time in enumerate(times))
    doses = frame_doses(sections, rate, False, {})
    assert [dose.acquisition_order for dose in doses] == list(range(len(times)))
    assert doses[0].accumulated_dose == 0.0
    for before, after in pairwise(doses):
        assert after.accumulated_dose == pytest.approx(before.accumulated_dose + before.exposure_dose)
    assert all(dose.exposure_dose == pytest.approx(time * rate) for dose, time in zip(doses, times, strict=True))


def test_binary_mdoc_is_refused_naming_the_file() -> None:
    task = FramesTask(
        Metadata.of({"dose_rate": 1.0}), "1/R/Frames/frames_metadata.json", "m/R.mdoc", "1/R/Frames/R.mdoc"
    )
    with pytest.raises(InputFileError, match=r"m/R\.mdoc: not a text file"):
        frames_metadata_bytes(task, b"PixelSpacing = 1\n\xff\xfe", 1, 0)
