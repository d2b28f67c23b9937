"""Keys and value forms that the portal's own config schema accepts, found in curators' configs beyond our corpus.

Each test edits the minimal config to use one such form and expects no error; where a form is only partly
allowed, a second test shows the limit still holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from configs_under_test import Edit, edited, line_of, minimal_text, write_config

from ingest.domain.report import Severity
from ingest.pipeline.validate import exit_code, validate_config

ALIGNMENT_WITH_TEMPLATED_VOLUME = """alignments:
- metadata:
    format: IMOD
    method_type: fiducial_based
    alignment_type: GLOBAL
    volume_offset:
      x: 0.0
      y: float {tilt_min}
      z: 0
    volume_dimension:
      x: 4000.0
      y: 4000.0
      z: float {tilt_max}
    x_rotation_offset: int {quality}
  sources:
  - source_glob:
      list_glob: runs/{run_name}/{run_name}.xf
"""


def errors(text: str, tmp_path: Path) -> list[tuple[str, int | None]]:
    report = validate_config(write_config(tmp_path, text))
    return [(f.code, f.line) for f in report.findings if f.severity is Severity.ERROR]


VARIANTS = {
    # TiltSeries.frames_count (portal core schema, used by 10496)
    "tiltseries_frames_count": Edit("    is_aligned: false\n", "    is_aligned: false\n    frames_count: 20\n"),
    # Tomogram.size (TomogramSize in the portal core schema)
    "tomogram_size": Edit(
        "frames:\n",
        "tomograms:\n- metadata:\n    voxel_spacing: 10.0\n    fiducial_alignment_status: FIDUCIAL\n"
        "    reconstruction_method: WBP\n    reconstruction_software: IMOD\n    processing: raw\n"
        "    size: {x: 630, y: 630, z: 184}\n    tomogram_version: 1.0\n    offset: {x: 0, y: 0, z: 0}\n"
        "    is_visualization_default: true\n    authors:\n"
        "    - {name: A, primary_author_status: true, corresponding_author_status: true}\n"
        "    dates: {deposition_date: '2024-01-01', release_date: '2024-02-01', last_modified_date: '2024-03-01'}\n"
        "  sources:\n  - source_glob:\n      list_glob: runs/{run_name}/*.rec\n"
        "frames:\n",
    ),
    # Annotation.object_count (portal core schema)
    "annotation_object_count": Edit(
        "    ground_truth_status: false\n", "    ground_truth_status: false\n    object_count: 12\n"
    ),
    # AnnotationObject.description (used by 10514)
    "annotation_object_description": Edit(
        "      name: ribosome\n", "      name: ribosome\n      description: Ribosomes bound to the ER membrane.\n"
    ),
    # AlignmentOffset/AlignmentSize members and x_rotation_offset may be templated in the portal schema
    "alignment_templated_volume": Edit("frames:\n", ALIGNMENT_WITH_TEMPLATED_VOLUME + "frames:\n"),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_portal_accepted_form_validates(name: str, tmp_path: Path) -> None:
    assert errors(edited(minimal_text(), VARIANTS[name]), tmp_path) == []


def test_frames_count_must_be_a_whole_number(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("    is_aligned: false\n", "    is_aligned: false\n    frames_count: many\n"))
    assert errors(text, tmp_path) == [("E-SCHEMA-TYPE", line_of(text, "frames_count"))]


def test_templated_alignment_volume_must_name_a_run_map_column(tmp_path: Path) -> None:
    alignment = ALIGNMENT_WITH_TEMPLATED_VOLUME.replace("{tilt_max}", "{depth}")
    text = edited(minimal_text(), Edit("frames:\n", alignment + "frames:\n"))
    assert ("E-TEMPLATE-COLUMN", line_of(text, "float {depth}")) in errors(text, tmp_path)


def test_untemplated_text_in_alignment_volume_is_a_type_error(tmp_path: Path) -> None:
    text = edited(
        minimal_text(), Edit("frames:\n", ALIGNMENT_WITH_TEMPLATED_VOLUME.replace("x: 0.0", "x: zero") + "frames:\n")
    )
    report = validate_config(write_config(tmp_path, text))
    assert exit_code(report) == 1
    assert line_of(text, "x: zero") in [f.line for f in report.findings if f.code == "E-SCHEMA-TYPE"]


@pytest.mark.parametrize(
    ("old", "new", "marker"),
    [
        ("      model: K3\n", "      model: Falcon 4\n", "model: Falcon 4"),
        ("      manufacturer: Gatan\n", "      manufacturer: Direct Electron\n", "manufacturer: Direct Electron"),
    ],
)
def test_unlisted_camera_is_only_a_warning(old: str, new: str, marker: str, tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit(old, new))
    report = validate_config(write_config(tmp_path, text))
    assert [(f.code, f.severity, f.line) for f in report.findings] == [
        ("W-CAMERA-MODEL", Severity.WARNING, line_of(text, marker))
    ]
    assert exit_code(report) == 0


def test_templated_camera_model_is_not_checked(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("      model: K3\n", "      model: '{quality}'\n"))
    assert validate_config(write_config(tmp_path, text)).findings == ()


def test_int_template_in_a_float_slot_validates(tmp_path: Path) -> None:
    # 10505 writes `tilt_range: {min: int {tilt_range_min}, ...}`; the portal accepts "int {col}" in number slots.
    text = edited(minimal_text(), Edit("min: float {tilt_min}", "min: int {tilt_min}"))
    assert errors(text, tmp_path) == []


def test_int_template_in_a_float_slot_still_needs_its_column(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("min: float {tilt_min}", "min: int {tilt_lowest}"))
    assert errors(text, tmp_path) == [("E-TEMPLATE-COLUMN", line_of(text, "int {tilt_lowest}"))]


def test_other_typed_prefix_in_a_float_slot_is_a_type_error(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("min: float {tilt_min}", "min: double {tilt_min}"))
    assert ("E-SCHEMA-TYPE", line_of(text, "double {tilt_min}")) in errors(text, tmp_path)


def test_annotation_without_ingest_id_validates(tmp_path: Path) -> None:
    # Optional in the portal's schema; older configs such as 10009 have none.
    text = edited(minimal_text(), Edit("    annotation_ingest_id: ribosome-1\n", ""))
    assert errors(text, tmp_path) == []
