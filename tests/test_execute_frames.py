"""Ingesting a config's ``frames`` section: frame files copied into ``Frames/`` beside the run's mdoc, and
``frames_metadata.json`` computed from the mdoc (golden), stable on re-ingestion, restored when deleted, selectable
with ``--only frames``, checked clean, identical in S3; bad or missing mdoc files are reported, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ingest.checks.outputs import check_tree
from ingest.config.example import EXAMPLE_CONFIG_TEXT
from tests.ingest_cli import ingest, run_counts

GOLDEN = Path(__file__).parent / "data/frames_metadata.json"
FRAMES = "90001/TS_1/Frames"
MDOC_TS_1 = """\
PixelSpacing = 3.37
Voltage = 300
ImageFile = TS_1.mrc

[T = SerialEM: synthetic frames test]

[ZValue = 0]
TiltAngle = 0.0
ExposureTime = 0.96
SubFramePath = X:\\data\\session 1\\TS_1_001.tif

[ZValue = 1]
TiltAngle = 3.0
ExposureTime = 1.0
SubFramePath = /mnt/data/TS_1_002.tif

[ZValue = 2]
TiltAngle = -3.0
ExposureTime = 0.75
SubFramePath = X:\\data\\session 1\\TS_1_003.tif
"""


def write_deposition(root: Path, *, frames_source: dict[str, Any] | None = None, mdoc_ts_2: str | None = None) -> Path:
    """Two runs (TS_1, TS_2) with an mdoc each and frame files for two of TS_1's three sections and for the last
    of TS_2's; the frames
    entry's dose_rate comes from the run data map (``float {dose_rate}``). No volumes: the test stays fast."""
    yaml = YAML(typ="safe")
    example = yaml.load(EXAMPLE_CONFIG_TEXT)
    config = {name: example[name] for name in ("version", "standardization_config", "depositions", "datasets")}
    config["runs"] = [{"sources": [{"source_glob": {"list_glob": "mdocs/*.mdoc", "name_regex": r"(.*)\.mdoc"}}]}]
    config["voxel_spacings"] = [{"sources": [{"literal": {"value": [10.0]}}]}]
    config["collection_metadata"] = [{"sources": [{"source_glob": {"list_glob": "mdocs/{run_name}.mdoc"}}]}]
    source = frames_source or {"source_glob": {"list_glob": "frames/{run_name}_*.tif"}}
    config["frames"] = [
        {"metadata": {"dose_rate": "float {dose_rate}", "is_gain_corrected": True}, "sources": [source]}
    ]
    phantom = root / "phantom"
    (phantom / "mdocs").mkdir(parents=True)
    (phantom / "frames").mkdir()
    (phantom / "mdocs/TS_1.mdoc").write_text(MDOC_TS_1)
    (phantom / "mdocs/TS_2.mdoc").write_text(mdoc_ts_2 or MDOC_TS_1.replace("TS_1", "TS_2"))
    for name in ("TS_1_001.tif", "TS_1_002.tif", "TS_2_003.tif"):
        (phantom / f"frames/{name}").write_bytes(b"II*\x00" + name.encode())
    (phantom / "run_data_map.csv").write_text("run_name,dose_rate\nTS_1,2.0\nTS_2,1.0\n")
    with (root / "example.yaml").open("w") as stream:
        yaml.dump(config, stream)
    return root / "example.yaml"


def drop_collection_metadata(config_path: Path) -> None:
    """Rewrite the config without its collection_metadata section (no run has an acquisition file)."""
    yaml = YAML(typ="safe")
    config = yaml.load(config_path.read_text())
    config.pop("collection_metadata")
    with config_path.open("w") as stream:
        yaml.dump(config, stream)


def frames_metadata(out: Path, run: str = "TS_1") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / f"90001/{run}/Frames/frames_metadata.json").read_text())
    return document


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("frames")
    config = write_deposition(root / "in")
    report = ingest(config, root / "out")
    assert report["ok"] is True, report
    return config, root / "out", report


def test_frames_metadata_is_golden(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    assert (out / f"{FRAMES}/frames_metadata.json").read_text() == GOLDEN.read_text()


def test_frame_files_are_copied_under_their_source_names(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    assert sorted(path.name for path in (out / FRAMES).iterdir()) == [
        "TS_1.mdoc",
        "TS_1_001.tif",
        "TS_1_002.tif",
        "frames_metadata.json",
    ]
    assert (out / f"{FRAMES}/TS_1_002.tif").read_bytes() == (config.parent / "phantom/frames/TS_1_002.tif").read_bytes()


def test_dose_rate_template_is_resolved_per_run(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    ts_2 = frames_metadata(out, "TS_2")
    assert ts_2["dose_rate"] == 1.0
    assert [entry["exposure_dose"] for entry in ts_2["frames"]] == [0.96, 1.0, 0.75]
    assert [entry.get("path") for entry in ts_2["frames"]] == [None, None, "90001/TS_2/Frames/TS_2_003.tif"]


def test_frames_section_is_not_reported_as_skipped(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, report = ingested
    assert "frames" not in report["skipped_sections"] and report["warnings"] == []


def test_tree_with_frames_checks_clean(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    report = check_tree(out)
    # Each run deposits fewer frame files than its mdoc has sections (the rest are path: null): the portal's data
    # validation flags that, its importer accepts it, so it is a warning.
    assert {(f.code, f.severity.value, f.file) for f in report.findings} == {
        ("C-FRAMES-MDOC", "warning", f"90001/{run}/Frames/frames_metadata.json") for run in ("TS_1", "TS_2")
    }, [f"{f.code} {f.location} {f.describe()}" for f in report.findings]


def test_second_ingestion_writes_nothing(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    before = (out / f"{FRAMES}/frames_metadata.json").stat().st_mtime_ns
    report = ingest(config, out)
    assert all(written == 0 and error is None for written, _, error in run_counts(report).values())
    assert (out / f"{FRAMES}/frames_metadata.json").stat().st_mtime_ns == before


def test_deleted_frame_is_restored_alone(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    (out / f"{FRAMES}/TS_1_001.tif").unlink()
    report = ingest(config, out, "--run", "TS_1")
    assert run_counts(report)["90001/TS_1"][:1] == (1,)
    assert (out / f"{FRAMES}/TS_1_001.tif").read_bytes() == b"II*\x00TS_1_001.tif"


def test_only_frames_writes_frames_their_mdoc_and_metadata(tmp_path: Path) -> None:
    config = write_deposition(tmp_path / "in")
    report = ingest(config, tmp_path / "out", "--run", "TS_1", "--only", "frames")
    assert run_counts(report)["90001/TS_1"] == (4, 0, None)
    assert sorted(path.name for path in (tmp_path / f"out/{FRAMES}").iterdir()) == [
        "TS_1.mdoc",
        "TS_1_001.tif",
        "TS_1_002.tif",
        "frames_metadata.json",
    ]
    assert not (tmp_path / "out/90001/TS_1/run_metadata.json").exists()


def test_default_literal_copies_no_frames_but_writes_metadata_without_paths(tmp_path: Path) -> None:
    config = write_deposition(tmp_path / "in", frames_source={"literal": {"value": ["default"]}})
    report = ingest(config, tmp_path / "out", "--run", "TS_1")
    assert report["ok"] is True, report
    assert sorted(path.name for path in (tmp_path / f"out/{FRAMES}").iterdir()) == [
        "TS_1.mdoc",
        "frames_metadata.json",
    ]
    document = frames_metadata(tmp_path / "out")
    assert document["frames_acquisition_file"] == f"{FRAMES}/TS_1.mdoc"
    assert [sorted(entry) for entry in document["frames"]] == [
        ["accumulated_dose", "acquisition_order", "exposure_dose", "is_gain_corrected", "path"]
    ] * 3
    assert [entry["path"] for entry in document["frames"]] == [None] * 3  # as the portal writes it


def test_bad_mdoc_fails_its_run_with_the_file_named(tmp_path: Path) -> None:
    broken = MDOC_TS_1.replace("TS_1", "TS_2").replace("ExposureTime = 1.0\n", "")
    config = write_deposition(tmp_path / "in", mdoc_ts_2=broken)
    report = ingest(config, tmp_path / "out")
    counts = run_counts(report)
    assert counts["90001/TS_1"][2] is None
    error = counts["90001/TS_2"][2]
    assert error is not None and "mdocs/TS_2.mdoc:12" in error and "ExposureTime" in error
    assert "Traceback" not in error
    assert not (tmp_path / "out/90001/TS_2/Frames/frames_metadata.json").exists()


def test_run_without_mdoc_copies_frames_and_warns(tmp_path: Path) -> None:
    config_path = write_deposition(tmp_path / "in")
    drop_collection_metadata(config_path)
    report = ingest(config_path, tmp_path / "out", "--run", "TS_1")
    assert report["ok"] is True, report
    assert (tmp_path / f"out/{FRAMES}/TS_1_001.tif").exists()
    assert not (tmp_path / f"out/{FRAMES}/frames_metadata.json").exists()
    assert any("TS_1" in warning and "frames_metadata.json" in warning for warning in report["warnings"])


def test_default_literal_without_mdoc_writes_nothing_and_says_nothing(tmp_path: Path) -> None:
    config_path = write_deposition(tmp_path / "in", frames_source={"literal": {"value": ["default"]}})
    drop_collection_metadata(config_path)
    report = ingest(config_path, tmp_path / "out", "--run", "TS_1")
    assert report["ok"] is True and report["warnings"] == [], report
    assert not (tmp_path / f"out/{FRAMES}").exists()


def test_frames_in_s3_equal_the_local_ones(tmp_path: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any) -> None:
    config = write_deposition(tmp_path / "in")
    only = ("--run", "TS_1", "--only", "frames")
    ingest(config, tmp_path / "local", *only)
    s3 = ("--storage-option", f"endpoint_url={s3_endpoint}")
    url = f"s3://{s3_bucket}/portal"
    report = ingest(config, url, *only, *s3)
    assert run_counts(report)["90001/TS_1"][2] is None
    for name in ("TS_1_001.tif", "TS_1_002.tif", "TS_1.mdoc", "frames_metadata.json"):
        body = s3_client.get_object(Bucket=s3_bucket, Key=f"portal/{FRAMES}/{name}")["Body"].read()
        assert body == (tmp_path / f"local/{FRAMES}/{name}").read_bytes(), name
    assert run_counts(ingest(config, url, *only, *s3))["90001/TS_1"][0] == 0


def test_output_has_the_shape_of_the_portals_frames_metadata(
    corpus: Path, ingested: tuple[Path, Path, dict[str, Any]]
) -> None:
    reference = json.loads(
        (corpus / "portal-fixtures/test_infra/test_files/30001/RUN1/Frames/frames_metadata.json").read_text()
    )
    ours = frames_metadata(ingested[1])
    assert set(reference) <= set(ours)
    assert len(ours["frames"]) == len(reference["frames"])
    for mine, theirs in zip(ours["frames"], reference["frames"], strict=True):
        assert set(theirs) == set(mine)
        assert {key: type(value) for key, value in mine.items() if key != "accumulated_dose" and value is not None} == {
            key: type(theirs[key]) for key in mine if key != "accumulated_dose" and mine[key] is not None
        }
        assert mine["accumulated_dose"] == theirs["accumulated_dose"]  # 0 (int there) == 0.0, then equal floats
        assert mine["exposure_dose"] == theirs["exposure_dose"]
        assert mine["acquisition_order"] == theirs["acquisition_order"]
    assert ours["frames"][0]["path"].rsplit("/", 2)[-2] == reference["frames"][0]["path"].rsplit("/", 2)[-2]


def test_checker_flags_frames_metadata_naming_a_missing_frame(
    ingested: tuple[Path, Path, dict[str, Any]], tmp_path: Path
) -> None:
    _, out, _ = ingested
    document = frames_metadata(out)
    document["frames"][2]["path"] = f"{FRAMES}/TS_1_003.tif"
    document["frames"][0]["exposure_dose"] = "high"
    copy = tmp_path / "tree"
    shutil.copytree(out, copy)
    (copy / f"{FRAMES}/frames_metadata.json").write_text(json.dumps(document))
    codes = {(f.code, f.location) for f in check_tree(copy).findings if f.code != "C-FRAMES-MDOC"}  # see above
    assert codes == {
        ("C-META-PATH-MISSING", f"{FRAMES}/frames_metadata.json"),
        ("C-META-SCHEMA", f"{FRAMES}/frames_metadata.json"),
    }
