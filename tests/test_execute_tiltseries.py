"""Tilt-series metadata as the portal's tilt-series importer writes it: per_section_parameter from the raw tilt file,
the mdoc and the CTF file, raw_tlt_path and ctf_path under the portal's file names, frames_count; a CTF or raw
tilt file that cannot be read fails its run only, naming the file, with nothing of the tilt series written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from ingest.checks.outputs import check_tree
from ingest.cli import main
from tests.ingest_cli import ingest, run_counts
from tests.test_execute_copies import CTF, RAWTLT, example_with_gains

TS = "90001/TS_001/TiltSeries/100"
ONLY = ("--only", "tiltseries,rawtilts,collection_metadata,ctfs,runs,frames")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("tiltseries")
    config = example_with_gains(root / "example")
    report = ingest(config, root / "out", "--run", "TS_001", *ONLY)
    assert run_counts(report)["90001/TS_001"][2] is None, report
    return root / "out", json.loads((root / f"out/{TS}/tiltseries_metadata.json").read_text())


def test_paths_follow_the_portal_file_names(ingested: tuple[Path, dict[str, Any]]) -> None:
    out, metadata = ingested
    assert metadata["raw_tlt_path"] == RAWTLT and (out / RAWTLT).is_file()
    assert metadata["ctf_path"] == CTF and (out / CTF).is_file()
    assert metadata["frames_count"] == 0  # the example's frames source is `default`: no frame files


def test_per_section_parameter_follows_the_raw_tilts_mdoc_and_ctf(ingested: tuple[Path, dict[str, Any]]) -> None:
    _, metadata = ingested
    sections = metadata["per_section_parameter"]
    assert len(sections) == 21 and [s["z_index"] for s in sections] == list(range(21))
    assert [s["raw_angle"] for s in sections[:3]] == [-60.0, -54.0, -48.0]
    assert [s["frame_acquisition_order"] for s in sections[:3]] == [0, 1, 2]
    # The CTF file has one row, section 1: its values go to z_index 0 only.
    assert sections[0]["major_defocus"] == 21000.0 and sections[0]["minor_defocus"] == 20500.0
    assert sections[0]["astigmatic_angle"] == 45.0 and sections[0]["max_resolution"] == 6.2
    ctf_keys = ("astigmatic_angle", "cross_correlation", "major_defocus", "max_resolution", "minor_defocus")
    assert all(sections[1][key] is None for key in (*ctf_keys, "phase_shift"))  # no CTF row: null, as the portal


def test_tree_checks_clean(ingested: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ingested
    codes = ("C-TS", "C-META-SCHEMA", "C-META-PATH", "C-MRC", "C-ZARR")  # --only leaves the deposition out
    findings = [f for f in check_tree(out).findings if f.code.startswith(codes)]
    assert findings == [], [f"{f.code} {f.location} {f.describe()}" for f in findings]


def test_unreadable_ctf_file_fails_its_run_and_writes_no_tilt_series(tmp_path: Path) -> None:
    config = example_with_gains(tmp_path / "example")
    (tmp_path / "example/phantom/ctf/TS_002_CTF.txt").write_text("1 21000 oops 45 0 0.05 6.2\n")
    report = ingest(config, tmp_path / "out", *ONLY)
    result = run_counts(report)
    assert result["90001/TS_001"][2] is None
    error = result["90001/TS_002"][2]
    assert error is not None and "ctf/TS_002_CTF.txt:1" in error and "CTFFIND" in error
    assert not (tmp_path / "out/90001/TS_002/TiltSeries").exists()


def test_raw_angle_missing_from_the_mdoc_fails_its_run_naming_the_raw_tilt_file(tmp_path: Path) -> None:
    config = example_with_gains(tmp_path / "example")
    rawtlt = tmp_path / "example/phantom/tiltseries/TS_002.rawtlt"
    rawtlt.write_text(rawtlt.read_text() + "75\n")
    # the conversion's own refusal (the source checks would refuse the run before: tests/test_source_checks.py)
    report = ingest(config, tmp_path / "out", *ONLY, "--skip-source-checks")
    error = run_counts(report)["90001/TS_002"][2]
    assert error is not None and "tiltseries/TS_002.rawtlt" in error and "matches no mdoc section" in error


def test_unknown_ctf_format_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    config_path = example_with_gains(tmp_path / "example")
    yaml = YAML(typ="safe")
    config = yaml.load(config_path.read_text())
    config["ctfs"][0]["metadata"]["format"] = "Warp"
    with config_path.open("w") as stream:
        yaml.dump(config, stream)
    args = ["deposition", str(config_path), "--output", str(tmp_path / "out"), *ONLY]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert "ctfs[0].metadata.format" in result.output and "Warp" in result.output
    assert not (tmp_path / "out/90001").exists()


def test_tilt_series_without_raw_tilts_gets_no_sections_and_a_warning(tmp_path: Path) -> None:
    config_path = example_with_gains(tmp_path / "example")
    yaml = YAML(typ="safe")
    config = yaml.load(config_path.read_text())
    config.pop("rawtilts")
    with config_path.open("w") as stream:
        yaml.dump(config, stream)
    report = ingest(config_path, tmp_path / "out", "--run", "TS_001", *ONLY)
    assert run_counts(report)["90001/TS_001"][2] is None
    assert "has no per_section_parameter" in json.dumps(report)
    metadata = json.loads((tmp_path / f"out/{TS}/tiltseries_metadata.json").read_text())
    assert "per_section_parameter" not in metadata and "raw_tlt_path" not in metadata
