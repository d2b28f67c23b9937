"""The generated models accept real portal configs and reject what the schema forbids."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from ingest.models.ingestion_config import (
    AnnotationEntity,
    DepositionConfig,
    PointShape,
    TiltSeries,
    Tomogram,
    VoxelSpacingLiteral,
)


def minimal_config() -> dict[str, Any]:
    """The smallest config the schema accepts: the required sections with one entry each."""
    return {
        "version": "1.3.0",
        "standardization_config": {"deposition_id": 10001, "source_prefix": "input"},
        "depositions": [{"sources": [{"literal": {"value": [10001]}}]}],
        "datasets": [{"sources": [{"literal": {"value": ["10001"]}}]}],
        "runs": [{"sources": [{"source_glob": {"list_glob": "*.mrc", "name_regex": "(.*)\\.mrc"}}]}],
        "voxel_spacings": [{"sources": [{"literal": {"value": [13.48]}}]}],
    }


def annotation_entry() -> dict[str, Any]:
    """One valid annotation entry with a Point source."""
    return {
        "metadata": {
            "annotation_ingest_id": "ribosome-1",
            "annotation_object": {"id": "GO:0022626", "name": "cytosolic ribosome"},
            "annotation_method": "template matching",
            "method_type": "automated",
            "authors": [{"name": "A. Author", "ORCID": "0000-0002-8408-850X", "primary_author_status": True}],
            "dates": {
                "deposition_date": "2024-01-01",
                "release_date": "2024-02-01",
                "last_modified_date": "2024-02-01",
            },
            "ground_truth_status": False,
            "version": 1.0,
        },
        "sources": [{"Point": {"file_format": "csv", "glob_string": "{run_name}.csv", "binning": 4}}],
    }


def tiltseries_metadata() -> dict[str, Any]:
    """Tilt-series metadata with every required field."""
    return {
        "acceleration_voltage": 300000,
        "spherical_aberration_constant": 2.7,
        "microscope": {"manufacturer": "TFS", "model": "Krios"},
        "microscope_optical_setup": {"energy_filter": "Selectris X"},
        "camera": {"manufacturer": "Gatan", "model": "K3"},
        "data_acquisition_software": "SerialEM",
        "tilt_axis": 84.7,
        "tilt_range": {"min": -60, "max": 60},
        "tilt_step": 3,
        "tilting_scheme": "dose symmetric",
        "total_flux": 120,
        "tilt_series_quality": 5,
    }


def error_text(error: ValidationError) -> str:
    return "\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def test_minimal_config_validates() -> None:
    config = DepositionConfig.model_validate(minimal_config())
    assert config.standardization_config.deposition_id == 10001
    assert config.runs[0].sources[0].source_glob is not None
    assert config.runs[0].sources[0].source_glob.match_regex == ".*"


def test_missing_required_section_is_rejected() -> None:
    data = minimal_config()
    del data["voxel_spacings"]
    with pytest.raises(ValidationError, match="voxel_spacings"):
        DepositionConfig.model_validate(data)


def test_unknown_top_level_key_is_rejected() -> None:
    data = minimal_config()
    data["tomogram"] = []
    with pytest.raises(ValidationError) as caught:
        DepositionConfig.model_validate(data)
    assert caught.value.errors()[0]["type"] == "extra_forbidden"
    assert caught.value.errors()[0]["loc"] == ("tomogram",)


def test_misspelt_shape_option_is_rejected_where_it_is() -> None:
    data = minimal_config()
    entry = annotation_entry()
    entry["sources"][0]["Point"]["glob_strin"] = entry["sources"][0]["Point"].pop("glob_string")
    data["annotations"] = [entry]
    with pytest.raises(ValidationError) as caught:
        DepositionConfig.model_validate(data)
    [error] = caught.value.errors()
    assert error["loc"] == ("annotations", 0, "sources", 0, "Point", "glob_strin")
    assert error["type"] == "extra_forbidden"


def test_annotation_entry_validates_with_shape_defaults() -> None:
    entity = AnnotationEntity.model_validate(annotation_entry())
    point = entity.sources[0].Point
    assert isinstance(point, PointShape)
    assert point.binning == 4.0
    assert point.order == "xyz"


def test_templated_float_is_accepted_in_a_numeric_slot() -> None:
    data = tiltseries_metadata()
    data["pixel_spacing"] = "float {ts_pixel_spacing}"
    data["tilt_range"] = {"min": "float {ts-tilt_range-min}", "max": 60.0}
    tilt_series = TiltSeries.model_validate(data)
    assert tilt_series.pixel_spacing == "float {ts_pixel_spacing}"
    assert tilt_series.tilt_range.min == "float {ts-tilt_range-min}"
    assert tilt_series.tilt_range.max == 60.0


def test_templated_int_is_accepted_for_tilt_series_quality() -> None:
    data = tiltseries_metadata()
    data["tilt_series_quality"] = "int {ts_quality_score}"
    assert TiltSeries.model_validate(data).tilt_series_quality == "int {ts_quality_score}"


@pytest.mark.parametrize(
    "value",
    ["float {run_name.__class__}", "float {}", "double {col}", "{col}", "fast {col}", "floaty {col}", "12.5 Å"],
)
def test_malformed_templated_float_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError, match="should match pattern"):
        VoxelSpacingLiteral.model_validate({"value": [value]})


@pytest.mark.parametrize("value", ["float{col}", "float {col}", "int{col}"])
def test_the_space_after_a_cast_is_optional_as_in_the_portal_schema(value: str) -> None:
    assert VoxelSpacingLiteral.model_validate({"value": [value]}).value == [value]


def test_int_template_is_accepted_where_a_float_template_is() -> None:
    assert VoxelSpacingLiteral.model_validate({"value": ["int {spacing}"]}).value == ["int {spacing}"]


def test_whole_value_template_is_accepted_in_an_enum_slot_but_a_wrong_value_is_not() -> None:
    base = {"reconstruction_software": "IMOD", "reconstruction_method": "WBP", "processing": "raw"}
    tomogram = Tomogram.model_validate({**base, "fiducial_alignment_status": "{tomo-fiducial_alignment_status}"})
    assert tomogram.fiducial_alignment_status == "{tomo-fiducial_alignment_status}"
    assert Tomogram.model_validate({**base, "fiducial_alignment_status": "FIDUCIAL"}).fiducial_alignment_status == (
        "FIDUCIAL"
    )
    with pytest.raises(ValidationError, match="FIDUCIAL"):
        Tomogram.model_validate({**base, "fiducial_alignment_status": "fiducial"})


@pytest.mark.parametrize("orcid", ["0000-0002-8408-85X0", "0000-0002-8408", "https://orcid.org/0000-0002-8408-850X"])
def test_bad_orcid_is_rejected_with_the_orcid_pattern(orcid: str) -> None:
    entry = annotation_entry()
    entry["metadata"]["authors"][0]["ORCID"] = orcid
    with pytest.raises(ValidationError) as caught:
        AnnotationEntity.model_validate(entry)
    assert r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]" in error_text(caught.value)


def test_orcid_with_x_checksum_is_accepted() -> None:
    entry = annotation_entry()
    entry["metadata"]["authors"][0]["ORCID"] = "0000-0003-4685-037X"
    AnnotationEntity.model_validate(entry)


def test_go_id_with_a_stray_character_is_rejected_with_the_go_pattern() -> None:
    entry = annotation_entry()
    entry["metadata"]["annotation_object"]["id"] = "GO:000000!"
    with pytest.raises(ValidationError) as caught:
        AnnotationEntity.model_validate(entry)
    assert r"^GO:[0-9]{7}$" in error_text(caught.value)
    locations = {error["loc"] for error in caught.value.errors()}
    assert ("metadata", "annotation_object", "id", "GoId") in locations


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("annotation_publications", "EMPIAR-1175"),
        ("annotation_publications", "10.1093"),
        ("annotation_publications", "EMD-123456"),
    ],
)
def test_malformed_publication_ids_are_rejected(field: str, value: str) -> None:
    entry = annotation_entry()
    entry["metadata"][field] = value
    with pytest.raises(ValidationError, match="should match pattern"):
        AnnotationEntity.model_validate(entry)


def test_mixed_publication_list_is_accepted() -> None:
    entry = annotation_entry()
    entry["metadata"]["annotation_publications"] = "EMPIAR-11756, 10.1093/micmic/ozad067.480,EMD-3883, PDB-7SOA"
    AnnotationEntity.model_validate(entry)


def test_unknown_enum_value_is_rejected() -> None:
    entry = annotation_entry()
    entry["metadata"]["method_type"] = "semi-automatic"
    with pytest.raises(ValidationError, match="manual"):
        AnnotationEntity.model_validate(entry)


def test_config_models_are_frozen() -> None:
    config = DepositionConfig.model_validate(minimal_config())
    with pytest.raises(ValidationError, match="frozen"):
        config.version = "2.0.0"  # type: ignore[misc]


def test_validation_does_not_mutate_its_input() -> None:
    data = minimal_config()
    data["annotations"] = [annotation_entry()]
    before = copy.deepcopy(data)
    DepositionConfig.model_validate(data)
    assert data == before
