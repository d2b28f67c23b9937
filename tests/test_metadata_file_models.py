"""Metadata-file models: what we write must hold resolved values, computed fields and valid ids."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ingest.models.ingestion_config import TiltSeries
from ingest.models.metadata_files import (
    AnnotationMetadataFile,
    RunMetadataFile,
    TiltSeriesMetadataFile,
    TomogramMetadataFile,
)


def tomogram_file() -> dict[str, Any]:
    """A tomogram_metadata.json with every field the portal's importer requires."""
    return {
        "voxel_spacing": 13.48,
        "fiducial_alignment_status": "FIDUCIAL",
        "reconstruction_method": "WBP",
        "reconstruction_software": "IMOD",
        "processing": "raw",
        "offset": {"x": 0, "y": 0, "z": 0},
        "authors": [],
        "size": {"x": 960, "y": 928, "z": 500},
        "scales": [{"x": 960, "y": 928, "z": 500}, {"x": 480, "y": 464, "z": 250}, {"x": 240, "y": 232, "z": 125}],
        "omezarr_dir": "10301/TS_01/Reconstructions/VoxelSpacing13.480/Tomograms/100/TS_01.zarr",
        "mrc_file": "10301/TS_01/Reconstructions/VoxelSpacing13.480/Tomograms/100/TS_01.mrc",
        "alignment_metadata_path": "10301/TS_01/Alignments/100/alignment_metadata.json",
        "deposition_id": 10301,
        "run_name": "TS_01",
    }


def tiltseries_file() -> dict[str, Any]:
    return {
        "acceleration_voltage": 300000,
        "spherical_aberration_constant": 2.7,
        "microscope": {"manufacturer": "TFS", "model": "Krios"},
        "microscope_optical_setup": {"energy_filter": "Selectris X"},
        "camera": {"manufacturer": "Gatan", "model": "K3"},
        "data_acquisition_software": "SerialEM",
        "tilt_axis": 84.7,
        "tilt_range": {"min": -60.0, "max": 60.0},
        "tilt_step": 3.0,
        "tilting_scheme": "dose symmetric",
        "total_flux": 120.0,
        "tilt_series_quality": 4,
        "pixel_spacing": 1.54,
        "deposition_id": 10301,
    }


def test_complete_tomogram_file_validates() -> None:
    tomogram = TomogramMetadataFile.model_validate(tomogram_file())
    assert [scale.x for scale in tomogram.scales] == [960, 480, 240]


@pytest.mark.parametrize("field", ["mrc_file", "omezarr_dir", "alignment_metadata_path", "authors", "scales", "size"])
def test_tomogram_file_without_an_importer_required_field_is_rejected(field: str) -> None:
    data = tomogram_file()
    del data[field]
    with pytest.raises(ValidationError) as caught:
        TomogramMetadataFile.model_validate(data)
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]


def test_templated_voxel_spacing_is_rejected_in_a_written_tomogram_file() -> None:
    data = tomogram_file()
    data["voxel_spacing"] = "float {run_voxel_spacing}"
    with pytest.raises(ValidationError, match="voxel_spacing"):
        TomogramMetadataFile.model_validate(data)


def test_absolute_path_is_rejected_in_a_written_file() -> None:
    data = tomogram_file()
    data["mrc_file"] = "/data/out/10301/TS_01/x.mrc"
    with pytest.raises(ValidationError, match="mrc_file"):
        TomogramMetadataFile.model_validate(data)


def test_templated_tilt_range_is_rejected_in_a_written_tiltseries_file() -> None:
    data = tiltseries_file()
    data["tilt_range"] = {"min": "float {ts_tilt_min}", "max": 60.0}
    with pytest.raises(ValidationError, match=r"tilt_range\.min"):
        TiltSeriesMetadataFile.model_validate(data)


@pytest.mark.parametrize("quality", [0, 6])
def test_tilt_series_quality_outside_one_to_five_is_rejected(quality: int) -> None:
    data = tiltseries_file()
    data["tilt_series_quality"] = quality
    with pytest.raises(ValidationError, match="tilt_series_quality"):
        TiltSeriesMetadataFile.model_validate(data)
    config_metadata = {key: value for key, value in data.items() if key != "deposition_id"}
    with pytest.raises(ValidationError, match="tilt_series_quality"):
        TiltSeries.model_validate(config_metadata)


def test_run_file_needs_a_run_name() -> None:
    assert RunMetadataFile.model_validate({"run_name": "TS_01", "deposition_id": 10301}).run_name == "TS_01"
    with pytest.raises(ValidationError, match="run_name"):
        RunMetadataFile.model_validate({"deposition_id": 10301})


def test_annotation_file_entry_needs_shape_format_and_path() -> None:
    data = {
        "annotation_ingest_id": "ribosome-1",
        "annotation_object": {"id": "GO:0022626", "name": "cytosolic ribosome"},
        "annotation_method": "template matching",
        "method_type": "automated",
        "authors": [{"name": "A. Author"}],
        "dates": {"deposition_date": "2024-01-01", "release_date": "2024-02-01", "last_modified_date": "2024-02-01"},
        "deposition_id": 10301,
        "files": [{"shape": "Point", "format": "ndjson", "path": "10301/TS_01/a_point.ndjson"}],
    }
    annotation = AnnotationMetadataFile.model_validate(data)
    assert annotation.model_dump(mode="json", exclude_none=True)["dates"]["release_date"] == "2024-02-01"
    data["files"] = [{"shape": "Point", "path": "10301/TS_01/a_point.ndjson"}]
    with pytest.raises(ValidationError, match="format"):
        AnnotationMetadataFile.model_validate(data)
