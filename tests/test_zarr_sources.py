"""OME-Zarr sources (tomograms, tilt series, masks) are ingested like MRC sources: found by globs as folders,
fingerprinted by a manifest of their files (no IsADirectoryError), converted, checked, skipped when unchanged and
rewritten when a chunk changes; on S3 too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.converters.volumes.convert import convert_volume
from ingest.converters.volumes.kind import VolumeKind
from ingest.pipeline.example import write_example
from ingest.storage.base import open_storage

RUNS = ("TS_001", "TS_002")


def to_zarr(mrc: Path, kind: VolumeKind, spacing: float) -> Path:
    """Replace ``mrc`` by an OME-Zarr folder of the same data (the MRC is deleted)."""
    zarr = mrc.with_suffix(".zarr")
    scratch = mrc.with_suffix(".tmp.mrc")
    convert_volume(mrc, zarr, voxel_spacing=spacing, kind=kind, mrc_out=scratch, workers=1)
    mrc.unlink()
    scratch.unlink()
    return zarr


@pytest.fixture(scope="module")
def zarr_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example deposition with its 10 Å tomograms, tilt series and membrane masks as OME-Zarr folders."""
    folder = tmp_path_factory.mktemp("zarr-sources")
    write_example(folder)
    phantom = folder / "phantom"
    for run in RUNS:
        to_zarr(phantom / f"tomograms/{run}_bin1.mrc", VolumeKind.TOMOGRAM, 10.0)
        to_zarr(phantom / f"tiltseries/{run}.mrc", VolumeKind.TILTSERIES, 10.0)
        to_zarr(phantom / f"masks/{run}_membrane.mrc", VolumeKind.TOMOGRAM, 10.0)
    for run in RUNS:  # a gain reference kept as a zarr folder: copied as a tree
        gain = phantom / f"gains/{run}_gain.zarr"
        (gain / "0").mkdir(parents=True)
        (gain / ".zattrs").write_text("{}")
        (gain / "0/0").write_bytes(run.encode())
    config = folder / "example.yaml"
    text = config.read_text() + "\ngains:\n- sources:\n  - source_glob:\n      list_glob: gains/{run_name}_gain.zarr\n"
    for old, new in (
        ("_bin1.mrc", "_bin1.zarr"),
        ("_bin1\\.mrc", "_bin1\\.zarr"),
        ("tiltseries/{run_name}.mrc", "tiltseries/{run_name}.zarr"),
        ("_membrane.mrc", "_membrane.zarr"),
    ):
        assert old in text
        text = text.replace(old, new)
    config.write_text(text)
    return config


def ingest(config: Path, output: str, *extra: str) -> dict[str, Any]:
    args = ["deposition", str(config), "--output", output, "--workers", "1", "--format", "json", *extra]
    result = CliRunner().invoke(main, [*args, "--timestamp", "2026-03-01"])
    assert result.exit_code in {0, 1}, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_zarr_sources_ingest_check_and_rerun(zarr_example: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    report = ingest(zarr_example, str(output))
    assert report["ok"], [run["error"] for run in report["runs"]]
    assert report["checks"]["ok"] and report["checks"]["errors"] == 0
    vs = output / "90001/TS_001/Reconstructions/VoxelSpacing10.000"
    tomogram = json.loads(next(vs.glob("Tomograms/*/tomogram_metadata.json")).read_text())
    assert tomogram["omezarr_dir"].endswith("TS_001.zarr") and min(tomogram["size"].values()) > 1
    assert next(output.glob("90001/TS_001/TiltSeries/*/TS_001.zarr")).is_dir()
    annotations = [json.loads(p.read_text()) for p in vs.glob("Annotations/*/*.json")]
    masks = [f for a in annotations for f in a["files"] if f["shape"] == "SegmentationMask"]
    assert {f["format"] for f in masks} == {"mrc", "zarr"}

    gain = output / "90001/TS_001/Gains/TS_001_gain.zarr"
    assert (gain / "0/0").read_bytes() == b"TS_001" and (gain / ".zattrs").is_file()

    again = ingest(zarr_example, str(output))
    assert again["totals"]["written"] == 0 and again["ok"]

    # a changed chunk of one source rewrites that tomogram only
    chunk = next(p for p in (zarr_example.parent / "phantom/tomograms/TS_002_bin1.zarr/0").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes())  # same bytes, new change time: the manifest differs
    changed = ingest(zarr_example, str(output))
    written = {run["run"]: run["written"] for run in changed["runs"]}
    assert written["90001/TS_001"] == 0 and written["90001/TS_002"] >= 1


def test_a_zarr_source_folder_on_s3_is_fingerprinted_by_its_objects(
    zarr_example: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    source = zarr_example.parent / "phantom/tomograms/TS_001_bin1.zarr"
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        key = f"in/TS_001_bin1.zarr/{path.relative_to(source).as_posix()}"
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=path.read_bytes())
    storage = open_storage(f"s3://{s3_bucket}", {"endpoint_url": s3_endpoint})
    first = storage.content_fingerprint("in/TS_001_bin1.zarr")
    assert first.startswith("tree:") and first == storage.content_fingerprint("in/TS_001_bin1.zarr")
    s3_client.put_object(Bucket=s3_bucket, Key="in/TS_001_bin1.zarr/0/extra", Body=b"x")
    assert storage.content_fingerprint("in/TS_001_bin1.zarr") != first
    with storage.fetch("in/TS_001_bin1.zarr") as local:
        assert (local / ".zattrs").is_file() or (local / "zarr.json").is_file()


def test_a_local_zarr_folder_fingerprint_is_a_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "v.zarr"
    (folder / "0/0").mkdir(parents=True)
    (folder / ".zattrs").write_text("{}")
    (folder / "0/0/0").write_bytes(b"abc")
    storage = open_storage(str(tmp_path))
    first = storage.content_fingerprint("v.zarr")
    assert first == storage.content_fingerprint("v.zarr") and first.startswith("tree:2:")
    shutil.copy(folder / "0/0/0", folder / "0/0/1")
    assert storage.content_fingerprint("v.zarr").startswith("tree:3:")


def test_tomogram_header_reads_the_voxel_size_of_an_ome_zarr(zarr_example: Path, tmp_path: Path) -> None:
    text = zarr_example.read_text()
    literal = "voxel_spacings:\n- sources:\n  - literal:\n      value:\n      - 10.0\n      - 20.0\n"
    assert literal in text
    header = "voxel_spacings:\n- sources:\n  - tomogram_header:\n      list_glob: tomograms/{run_name}_bin1.zarr\n"
    config = zarr_example.with_name("header.yaml")
    config.write_text(text.replace(literal, header))
    result = CliRunner().invoke(main, ["deposition", str(config), "--dry-run", "--format", "json"])
    assert result.exit_code == 0, result.output
    spacings = {vs["voxel_spacing"] for run in json.loads(result.stdout)["runs"] for vs in run["voxel_spacings"]}
    assert spacings == {"10.000"}
