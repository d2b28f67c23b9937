"""Ingesting a deposition whose config names alignment files: copied, described in the metadata, checked clean,
stable on re-ingestion, rewritten when a file changes, and a bad file fails only its run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ingest.checks.outputs import check_tree
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest, run_counts

ALIGNMENT = "90001/TS_001/Alignments/100"
ALIGNMENT_2 = "90001/TS_002/Alignments/100"
XF = "1 0 0 1 2.5 -3.5\n0.5 -0.5 0.5 0.5 -1 1\n"
TLT = "-30\n30\n"
XTILT = "0.25\n0.25\n"


def example_with_alignments(root: Path) -> Path:
    """The example with IMOD alignment files per run and an ``alignments`` section (annotations left out to
    keep the test fast)."""
    write_example(root)
    yaml = YAML(typ="safe")
    config = yaml.load((root / "example.yaml").read_text())
    config.pop("annotations")
    globs = [f"alignment/{{run_name}}{suffix}" for suffix in (".xf", ".tlt", ".xtilt")]
    config["alignments"] = [
        {
            "metadata": {"format": "IMOD", "method_type": "patch_tracking"},
            "sources": [{"source_multi_glob": {"list_globs": globs}}],
        }
    ]
    (root / "phantom/alignment").mkdir()
    for run in ("TS_001", "TS_002"):
        for suffix, content in ((".xf", XF), (".tlt", TLT), (".xtilt", XTILT)):
            (root / f"phantom/alignment/{run}{suffix}").write_text(content)
    with (root / "example.yaml").open("w") as stream:
        yaml.dump(config, stream)
    return root / "example.yaml"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The example with alignments, ingested once: (config, output folder, report)."""
    root = tmp_path_factory.mktemp("alignments")
    config = example_with_alignments(root / "example")
    report = ingest(config, root / "out")
    assert report["ok"] is True, report
    return config, root / "out", report


def test_alignment_files_are_copied_as_run_name_and_suffix(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    for suffix in (".xf", ".tlt", ".xtilt"):
        copied = out / f"{ALIGNMENT}/TS_001{suffix}"
        assert copied.read_bytes() == (config.parent / f"phantom/alignment/TS_001{suffix}").read_bytes()


def test_alignment_metadata_lists_files_paths_and_sections(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    metadata = json.loads((out / f"{ALIGNMENT}/alignment_metadata.json").read_text())
    assert metadata["files"] == [f"{ALIGNMENT}/TS_001.xf", f"{ALIGNMENT}/TS_001.tlt", f"{ALIGNMENT}/TS_001.xtilt"]
    assert metadata["alignment_path"] == f"{ALIGNMENT}/TS_001.xf"
    assert metadata["tilt_path"] == f"{ALIGNMENT}/TS_001.tlt"
    assert metadata["tiltx_path"] == f"{ALIGNMENT}/TS_001.xtilt"
    assert metadata["tiltseries_path"] == "90001/TS_001/TiltSeries/100/tiltseries_metadata.json"
    assert metadata["format"] == "IMOD" and metadata["method_type"] == "patch_tracking"
    assert metadata["alignment_type"] == "GLOBAL" and metadata["tilt_offset"] == 0.0  # the portal's defaults
    assert metadata["volume_dimension"] == {"x": 1280.0, "y": 1280.0, "z": 640.0}  # from the tomogram
    # The portal's convention (cryoet-alignment): the transpose of the .xf matrix, shifts -Rᵀ·(DX, DY).
    assert metadata["per_section_alignment_parameters"] == [
        {
            "z_index": 0,
            "tilt_angle": -30.0,
            "volume_x_rotation": 0.25,
            "in_plane_rotation": [[1.0, 0.0], [0.0, 1.0]],
            "x_offset": -2.5,
            "y_offset": 3.5,
        },
        {
            "z_index": 1,
            "tilt_angle": 30.0,
            "volume_x_rotation": 0.25,
            "in_plane_rotation": [[0.5, 0.5], [-0.5, 0.5]],
            "x_offset": 0.0,
            "y_offset": -1.0,
        },
    ]


def test_tomogram_points_at_the_configured_alignment(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    tomograms = sorted(out.glob("90001/TS_001/Reconstructions/*/Tomograms/*/tomogram_metadata.json"))
    assert tomograms
    for path in tomograms:
        assert json.loads(path.read_text())["alignment_metadata_path"] == f"{ALIGNMENT}/alignment_metadata.json"
    assert sorted(p.name for p in (out / "90001/TS_001/Alignments").iterdir()) == ["100"]


def test_alignments_are_not_reported_as_skipped(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, report = ingested
    text = json.dumps(report)
    assert "alignment files" not in text
    assert "neuroglancer" not in report["skipped_sections"]  # written since issue 14


def test_tree_with_alignment_files_checks_clean(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    report = check_tree(out)
    assert report.findings == (), [f"{f.code} {f.location} {f.describe()}" for f in report.findings]


def test_second_ingestion_writes_nothing(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    before = (out / f"{ALIGNMENT}/alignment_metadata.json").read_bytes()
    report = ingest(config, out)
    assert all(written == 0 and error is None for written, _, error in run_counts(report).values())
    assert (out / f"{ALIGNMENT}/alignment_metadata.json").read_bytes() == before


def test_deleted_alignment_file_is_restored(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    copied = out / f"{ALIGNMENT_2}/TS_002.tlt"
    copied.unlink()
    report = ingest(config, out, "--run", "TS_002")
    assert run_counts(report) == {"90001/TS_002": (1, run_counts(report)["90001/TS_002"][1], None)}
    assert copied.read_text() == TLT


def test_changed_alignment_file_rewrites_that_alignment_with_same_id(
    ingested: tuple[Path, Path, dict[str, Any]],
) -> None:
    config, out, _ = ingested
    source = config.parent / "phantom/alignment/TS_001.tlt"
    source.write_text("-36\n36\n")  # angles of the mdoc and the raw tilts: the source checks accept them
    try:
        report = ingest(config, out, "--run", "TS_001")
        metadata = json.loads((out / f"{ALIGNMENT}/alignment_metadata.json").read_text())
        copied = (out / f"{ALIGNMENT}/TS_001.tlt").read_text()
    finally:
        source.write_text(TLT)
    assert run_counts(report)["90001/TS_001"][0] == 1  # only the alignment metadata
    assert [s["tilt_angle"] for s in metadata["per_section_alignment_parameters"]] == [-36.0, 36.0]
    assert copied == "-36\n36\n"
    assert sorted(p.name for p in (out / "90001/TS_001/Alignments").iterdir()) == ["100"]
    ingest(config, out, "--run", "TS_001")  # back to the original files for the other tests


def test_bad_alignment_file_fails_its_run_only_and_writes_nothing_for_it(tmp_path: Path) -> None:
    config = example_with_alignments(tmp_path / "example")
    (tmp_path / "example/phantom/alignment/TS_002.tlt").write_text("-30\n")
    report = ingest(config, tmp_path / "out", "--only", "alignments,tiltseries,runs")
    result = run_counts(report)
    assert result["90001/TS_001"][2] is None
    error = result["90001/TS_002"][2]
    assert error is not None and "alignment/TS_002.tlt" in error and "one per section" in error
    assert (tmp_path / f"out/{ALIGNMENT}/TS_001.xf").exists()
    assert not (tmp_path / f"out/{ALIGNMENT_2}").exists()


def test_aretomo_alignment_is_copied_and_read_without_its_local_block(tmp_path: Path) -> None:
    config_path = example_with_alignments(tmp_path / "example")
    yaml = YAML(typ="safe")
    config = yaml.load(config_path.read_text())
    config["alignments"] = [
        {
            "metadata": {"format": "ARETOMO3", "method_type": "projection_matching", "is_portal_standard": True},
            "sources": [{"source_glob": {"list_glob": "aretomo/{run_name}/*.aln"}}],
        }
    ]
    with config_path.open("w") as stream:
        yaml.dump(config, stream)
    aln = (
        "# AreTomo Alignment / Priims bprmMn\n# RawSize = 128 128 2\n# NumPatches = 1\n"
        "# SEC     ROT         GMAG       TX          TY      SMEAN     SFIT    SCALE     BASE     TILT\n"
        "    0    90.0000    1.00000      1.500     -2.500     1.00     1.00     1.00     0.00    -30.00\n"
        "    1    90.0000    1.00000      0.000      0.000     1.00     1.00     1.00     0.00     30.00\n"
        "# Local Alignment\n   0   0 -10.00  -10.00     -0.50    -0.25   1.0\n"
    )
    (tmp_path / "example/phantom/aretomo/TS_001").mkdir(parents=True)
    (tmp_path / "example/phantom/aretomo/TS_001/TS_001_Vol.aln").write_text(aln)
    report = ingest(config_path, tmp_path / "out", "--run", "TS_001", "--only", "alignments,runs")
    assert run_counts(report)["90001/TS_001"][2] is None
    metadata = json.loads((tmp_path / f"out/{ALIGNMENT}/alignment_metadata.json").read_text())
    assert metadata["files"] == [f"{ALIGNMENT}/TS_001.aln"]  # {run}{ext}, as the portal names it
    assert metadata["alignment_path"] == f"{ALIGNMENT}/TS_001.aln" and "tilt_path" not in metadata
    assert (tmp_path / f"out/{ALIGNMENT}/TS_001.aln").read_text() == aln
    sections = metadata["per_section_alignment_parameters"]
    assert [(s["z_index"], s["tilt_angle"], s["x_offset"], s["y_offset"]) for s in sections] == [
        (0, -30.0, 1.5, -2.5),
        (1, 30.0, 0.0, 0.0),
    ]
    assert sections[0]["in_plane_rotation"] == [pytest.approx([0.0, -1.0], abs=1e-12), pytest.approx([1.0, 0.0])]
    assert metadata["format"] == "ARETOMO3" and metadata["is_portal_standard"] is True


def test_alignment_files_in_s3_equal_the_local_ones(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    config = example_with_alignments(tmp_path / "example")
    only = ("--run", "TS_001", "--only", "alignments,runs")
    ingest(config, tmp_path / "local", *only)
    s3 = ("--storage-option", f"endpoint_url={s3_endpoint}")
    url = f"s3://{s3_bucket}/portal"
    report = ingest(config, url, *only, *s3)
    assert run_counts(report)["90001/TS_001"][2] is None  # the report's check finds no dataset: --only leaves it out
    for name in ("TS_001.xf", "TS_001.tlt", "TS_001.xtilt", "alignment_metadata.json"):
        body = s3_client.get_object(Bucket=s3_bucket, Key=f"portal/{ALIGNMENT}/{name}")["Body"].read()
        assert body == (tmp_path / f"local/{ALIGNMENT}/{name}").read_bytes(), name
    assert run_counts(ingest(config, url, *only, *s3))["90001/TS_001"][0] == 0
