"""Ingesting raw tilt angles, CTF estimates, collection metadata (mdoc) and gain references: plain copies into the
tilt series' folder, ``Frames/`` and ``Gains/``, recorded in the run's manifest (stable on re-ingestion, restored when
deleted, selectable with ``--only``), checked clean, identical in S3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from ingest.checks.outputs import check_tree
from ingest.cli import main
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest, run_counts

RUN = "90001/TS_001"
RAWTLT = f"{RUN}/TiltSeries/100/TS_001.rawtlt"
MDOC = f"{RUN}/Frames/TS_001.mdoc"
GAIN = f"{RUN}/Gains/TS_001_gain.mrc"
GAIN_BYTES = b"\x00\x01gain\xff" * 8
CTF = f"{RUN}/TiltSeries/100/TS_001_CTFFIND_ctf.txt"  # {run}_{format}_ctf.txt, as the portal names it
CTF_TEXT = "# CTFFIND-format diagnostics\n1.0 21000.0 20500.0 45.0 0.0 0.05 6.2\n"


def example_with_gains(root: Path) -> Path:
    """The example (which has ``rawtilts`` and ``collection_metadata``) with ``gains`` and ``ctfs`` sections and a
    small gain and CTF file per run; annotations are left out to keep the test fast."""
    write_example(root)
    yaml = YAML(typ="safe")
    config = yaml.load((root / "example.yaml").read_text())
    config.pop("annotations")
    config["gains"] = [{"sources": [{"source_glob": {"list_glob": "gains/{run_name}_gain.mrc"}}]}]
    config["ctfs"] = [
        {"metadata": {"format": "CTFFIND"}, "sources": [{"source_glob": {"list_glob": "ctf/{run_name}_CTF.txt"}}]}
    ]
    (root / "phantom/gains").mkdir()
    (root / "phantom/ctf").mkdir()
    for run in ("TS_001", "TS_002"):
        (root / f"phantom/gains/{run}_gain.mrc").write_bytes(GAIN_BYTES + run.encode())
        (root / f"phantom/ctf/{run}_CTF.txt").write_text(CTF_TEXT + f"# {run}\n")
    with (root / "example.yaml").open("w") as stream:
        yaml.dump(config, stream)
    return root / "example.yaml"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """The example with gains, ingested once: (config, output folder, report)."""
    root = tmp_path_factory.mktemp("copies")
    config = example_with_gains(root / "example")
    report = ingest(config, root / "out")
    assert report["ok"] is True, report
    return config, root / "out", report


def test_each_section_lands_in_its_folder_under_the_portal_name(
    ingested: tuple[Path, Path, dict[str, Any]],
) -> None:
    config, out, _ = ingested
    phantom = config.parent / "phantom"
    assert (out / RAWTLT).read_bytes() == (phantom / "tiltseries/TS_001.rawtlt").read_bytes()
    assert (out / MDOC).read_bytes() == (phantom / "tiltseries/TS_001.mdoc").read_bytes()
    assert (out / GAIN).read_bytes() == GAIN_BYTES + b"TS_001"
    assert (out / "90001/TS_002/Gains/TS_002_gain.mrc").read_bytes() == GAIN_BYTES + b"TS_002"
    assert (out / CTF).read_text() == CTF_TEXT + "# TS_001\n"


def test_copied_sections_are_not_reported_as_skipped(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, _, report = ingested
    for section in ("rawtilts", "collection_metadata", "gains", "frames", "ctfs"):
        assert section not in report["skipped_sections"]
    assert "neuroglancer" not in report["skipped_sections"] and "key_images" not in report["skipped_sections"]


def test_copies_are_recorded_in_the_run_manifest(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    entries = json.loads((out / f".ingest/manifests/{RUN}.json").read_text())["entries"]
    for key in (RAWTLT, MDOC, GAIN, CTF):
        assert key in entries


def test_tree_with_copies_checks_clean(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    _, out, _ = ingested
    report = check_tree(out)
    assert report.findings == (), [f"{f.code} {f.location} {f.describe()}" for f in report.findings]


def test_second_ingestion_writes_nothing(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    report = ingest(config, out)
    assert all(written == 0 and error is None for written, _, error in run_counts(report).values())


def test_deleted_copy_is_restored_alone(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    (out / MDOC).unlink()
    report = ingest(config, out, "--run", "TS_001")
    assert run_counts(report)["90001/TS_001"][:1] == (1,)
    assert (out / MDOC).read_bytes() == (config.parent / "phantom/tiltseries/TS_001.mdoc").read_bytes()


def test_changed_source_rewrites_its_copy_only(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    source = config.parent / "phantom/gains/TS_001_gain.mrc"
    source.write_bytes(b"another gain")
    try:
        report = ingest(config, out, "--run", "TS_001")
        copied = (out / GAIN).read_bytes()
    finally:
        source.write_bytes(GAIN_BYTES + b"TS_001")
    assert run_counts(report)["90001/TS_001"][0] == 1
    assert copied == b"another gain"
    ingest(config, out, "--run", "TS_001")  # back to the original file for the other tests


def test_overwrite_rewrites_the_copies(ingested: tuple[Path, Path, dict[str, Any]]) -> None:
    config, out, _ = ingested
    report = ingest(config, out, "--run", "TS_001", "--only", "gains,rawtilts,collection_metadata,ctfs", "--overwrite")
    assert run_counts(report)["90001/TS_001"][:1] == (4,)


def test_only_selects_one_copied_section(tmp_path: Path) -> None:
    config = example_with_gains(tmp_path / "example")
    report = ingest(config, tmp_path / "out", "--run", "TS_001", "--only", "gains")
    assert run_counts(report)["90001/TS_001"][0] == 1
    assert (tmp_path / f"out/{GAIN}").exists()
    assert not (tmp_path / f"out/{MDOC}").exists() and not (tmp_path / f"out/{RAWTLT}").exists()


def test_dry_run_lists_the_copies(tmp_path: Path) -> None:
    config = example_with_gains(tmp_path / "example")
    args = ["deposition", str(config), "--output", str(tmp_path / "out"), "--dry-run", "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    run = next(run for run in plan["runs"] if run["run"] == "TS_001")
    assert {(copy["section"], copy["outputs"][0]) for copy in run["copies"]} == {
        ("rawtilts", RAWTLT),
        ("collection_metadata", MDOC),
        ("gains", GAIN),
        ("ctfs", CTF),
    }
    assert not (tmp_path / "out").exists()


def test_rawtilts_without_a_tilt_series_fail_planning_at_the_config_path(tmp_path: Path) -> None:
    config_path = example_with_gains(tmp_path / "example")
    yaml = YAML(typ="safe")
    config = yaml.load(config_path.read_text())
    config.pop("tiltseries")
    with config_path.open("w") as stream:
        yaml.dump(config, stream)
    args = ["deposition", str(config_path), "--output", str(tmp_path / "out"), "--dry-run"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "rawtilts[0].sources[0]" in result.output and "no tilt series" in result.output


def test_copies_in_s3_equal_the_local_ones(tmp_path: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any) -> None:
    config = example_with_gains(tmp_path / "example")
    only = ("--run", "TS_001", "--only", "gains,rawtilts,collection_metadata,ctfs,tiltseries,runs")
    ingest(config, tmp_path / "local", *only)
    s3 = ("--storage-option", f"endpoint_url={s3_endpoint}")
    url = f"s3://{s3_bucket}/portal"
    report = ingest(config, url, *only, *s3)
    assert run_counts(report)["90001/TS_001"][2] is None
    for key in (RAWTLT, MDOC, GAIN, CTF):
        body = s3_client.get_object(Bucket=s3_bucket, Key=f"portal/{key}")["Body"].read()
        assert body == (tmp_path / f"local/{key}").read_bytes(), key
    assert run_counts(ingest(config, url, *only, *s3))["90001/TS_001"][0] == 0
