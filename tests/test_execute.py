"""Ingesting the example end to end (serially, in process): tree, metadata, skipping, restoring, failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.pipeline.example import write_example
from ingest.pipeline.metadata import resolve_timestamp
from tests.ingest_cli import ingest, run_counts

VS10 = "90001/TS_001/Reconstructions/VoxelSpacing10.000"
VS20 = "90001/TS_002/Reconstructions/VoxelSpacing20.000"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example generated and ingested once: (example folder, output folder)."""
    root = tmp_path_factory.mktemp("execute")
    write_example(root / "example")
    report = ingest(root / "example/example.yaml", root / "out")
    assert report["ok"] is True
    return root / "example", root / "out"


def test_example_tree_has_every_planned_output(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    for key in [
        "depositions_metadata/90000/deposition_metadata.json",
        "90001/dataset_metadata.json",
        "90001/TS_001/run_metadata.json",
        "90001/TS_001/TiltSeries/100/TS_001.mrc",
        "90001/TS_001/TiltSeries/100/TS_001.zarr/.zattrs",
        "90001/TS_001/Alignments/100/alignment_metadata.json",
        f"{VS10}/Tomograms/100/TS_001.zarr/0/.zarray",
        f"{VS10}/Annotations/100/cytosolic_ribosome-1.0_point.ndjson",
        f"{VS10}/Annotations/100/cytosolic_ribosome-1.0_orientedpoint.ndjson",
        f"{VS10}/Annotations/101/membrane-1.0_segmentationmask.mrc",
        "90001/TS_002/Reconstructions/VoxelSpacing20.000/Annotations/100/proteasome_complex-1.0_point.ndjson",
    ]:
        assert (out / key).exists(), key


def test_metadata_holds_computed_fields(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    tomogram = json.loads((out / f"{VS10}/Tomograms/100/tomogram_metadata.json").read_text())
    assert tomogram["size"] == {"x": 128, "y": 128, "z": 64}
    assert [scale["x"] for scale in tomogram["scales"]] == [128, 64, 32]
    assert tomogram["mrc_file"] == f"{VS10}/Tomograms/100/TS_001.mrc"
    assert tomogram["alignment_metadata_path"] == "90001/TS_001/Alignments/100/alignment_metadata.json"
    assert tomogram["last_updated_at"] == resolve_timestamp("2026-03-01")
    alignment = json.loads((out / "90001/TS_001/Alignments/100/alignment_metadata.json").read_text())
    assert alignment["volume_dimension"] == {"x": 1280.0, "y": 1280.0, "z": 640.0}
    assert alignment["alignment_type"] == "GLOBAL" and alignment["method_type"] == "undefined"
    tiltseries = json.loads((out / "90001/TS_001/TiltSeries/100/tiltseries_metadata.json").read_text())
    assert tiltseries["tilt_range"] == {"max": 60.0, "min": -60.0} and tiltseries["tilt_series_quality"] == 4
    ribosome = json.loads((out / f"{VS10}/Annotations/100/cytosolic_ribosome-1.0.json").read_text())
    assert ribosome["object_count"] == 8
    assert [entry["shape"] for entry in ribosome["files"]] == ["Point", "OrientedPoint"]
    points = (out / f"{VS10}/Annotations/100/cytosolic_ribosome-1.0_orientedpoint.ndjson").read_text().splitlines()
    assert len(points) == 8 and json.loads(points[0])["type"] == "orientedPoint"


def test_second_run_writes_nothing(ingested: tuple[Path, Path]) -> None:
    example, out = ingested
    report = ingest(example / "example.yaml", out)
    assert report["deposition_level"] == {
        "written": 0,
        "skipped": 2,
        "metadata_only": 0,
        "written_keys": [],
        "skipped_keys": ["depositions_metadata/90000/deposition_metadata.json", "90001/dataset_metadata.json"],
        "metadata_only_keys": [],
    }
    assert run_counts(report) == {"90001/TS_001": (0, 19, None), "90001/TS_002": (0, 19, None)}


def test_deleted_output_is_restored_with_same_bytes(ingested: tuple[Path, Path]) -> None:
    example, out = ingested
    ndjson = out / f"{VS20}/Annotations/100/proteasome_complex-1.0_point.ndjson"
    before = ndjson.read_bytes()
    ndjson.unlink()
    report = ingest(example / "example.yaml", out, "--run", "TS_002")
    assert run_counts(report) == {"90001/TS_002": (1, 18, None)}
    assert ndjson.read_bytes() == before


def test_changed_source_rewrites_only_its_entity_with_same_id(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    example, out = ingested
    csv = example / "phantom/picks/TS_001_ribosome.csv"
    original = csv.read_text()
    csv.write_text(original.splitlines()[0] + "\n")
    try:
        report = ingest(example / "example.yaml", out, "--run", "TS_001")
        points = (out / f"{VS10}/Annotations/100/cytosolic_ribosome-1.0_point.ndjson").read_text().splitlines()
    finally:
        csv.write_text(original)
    assert run_counts(report) == {"90001/TS_001": (5, 14, None)}
    assert len(points) == 1  # rewritten in place: same annotation id (100)
    assert run_counts(ingest(example / "example.yaml", out, "--run", "TS_001")) == {"90001/TS_001": (5, 14, None)}


def test_truncated_source_fails_its_run_only(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    tomogram = tmp_path / "example/phantom/tomograms/TS_002_bin1.mrc"
    tomogram.write_bytes(tomogram.read_bytes()[:5000])
    report = ingest(tmp_path / "example/example.yaml", tmp_path / "out", "--only", "tomograms,runs")
    counts = run_counts(report)
    assert report["ok"] is False
    assert counts["90001/TS_001"][2] is None and counts["90001/TS_001"][0] == 3
    assert "TS_002_bin1.mrc" in str(counts["90001/TS_002"][2])
    assert not (tmp_path / "out/90001/TS_002/Reconstructions/VoxelSpacing10.000/Tomograms/100").exists()
    shutil.rmtree(tmp_path / "example")


@pytest.mark.parametrize(
    ("option", "expected"),
    [("1700000000", 1700000000), ("2024-06-01", 1717200000), ("2024-06-01T00:00:10+00:00", 1717200010)],
)
def test_timestamps_parse(option: str, expected: int) -> None:
    assert resolve_timestamp(option) == expected
    assert resolve_timestamp(None, {"SOURCE_DATE_EPOCH": "5"}) == 5


def test_example_writes_frames_metadata_from_its_mdoc(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    frames = json.loads((out / "90001/TS_001/Frames/frames_metadata.json").read_text())
    assert frames["frames_acquisition_file"] == "90001/TS_001/Frames/TS_001.mdoc"
    assert [entry["acquisition_order"] for entry in frames["frames"]] == list(range(21))
    assert {entry["exposure_dose"] for entry in frames["frames"]} == {4.76}  # ExposureTime 1 s x dose_rate 4.76
    assert frames["frames"][-1]["accumulated_dose"] == pytest.approx(20 * 4.76)
    assert all(entry["path"] is None for entry in frames["frames"])  # the example's frames source is `default`
