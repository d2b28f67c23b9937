"""Metadata-only re-ingestion: a change to metadata alone rewrites only metadata files (volumes, points and masks
keep their inode and mtime) and the report counts them; a change to a conversion option rewrites the data;
``--only metadata`` forces a metadata-only pass and never writes data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example
from tests.test_execute_backends import local_tree

RUN = "90001/TS_001"
VS10 = f"{RUN}/Reconstructions/VoxelSpacing10.000"
TOMO_METADATA = f"{VS10}/Tomograms/100/tomogram_metadata.json"
RIBOSOME = f"{VS10}/Annotations/100/cytosolic_ribosome-1.0.json"
ORIENTED = f"{VS10}/Annotations/100/cytosolic_ribosome-1.0_orientedpoint.ndjson"


def ingest(config: Path, output: Path, *extra: str) -> dict[str, Any]:
    """Ingest run TS_001 of ``config`` (its sources in the folder of ``example.yaml`` beside it)."""
    arguments = ["deposition", str(config), "--output", str(output), "--workers", "1", "--timestamp", "2026-03-01",
                 "--run", "TS_001", "--format", "json", "--no-check", "--input", str(config.parent / "example"),
                 *extra]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def data_files(root: Path) -> dict[str, tuple[int, int]]:
    """Inode and mtime of every file of the tree that is not a metadata file (nor in ``.ingest``)."""
    return {
        str(path.relative_to(root)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".json") and ".ingest" not in path.parts
    }


def canonical(root: Path) -> dict[str, bytes]:
    return {name: data for name, data in local_tree(root).items() if not name.startswith(".ingest")}


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example (config and sources) with run TS_001 ingested once; each test copies both."""
    folder = tmp_path_factory.mktemp("metadata-only")
    write_example(folder / "example")
    shutil.copy(folder / "example/example.yaml", folder / "config.yaml")
    ingest(folder / "config.yaml", folder / "tree")
    return folder, folder / "tree"


@pytest.fixture()
def copy(original: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """An editable copy of the config (reading the shared sources: a copy of them would differ in inodes, which
    source fingerprints cover) and of the tree."""
    (tmp_path / "example").symlink_to(original[0] / "example")
    shutil.copy(original[0] / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(original[1], tmp_path / "tree")
    return tmp_path / "config.yaml", tmp_path / "tree"


def edit(config: Path, old: str, new: str, count: int = -1) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, count))


def run_report(report: dict[str, Any]) -> dict[str, Any]:
    (run,) = report["runs"]
    assert run["error"] is None
    return dict(run)


def test_changing_a_tomograms_software_rewrites_only_its_metadata(copy: tuple[Path, Path], tmp_path: Path) -> None:
    config, tree = copy
    before = data_files(tree)
    edit(config, "    reconstruction_software: ingest example\n", "    reconstruction_software: IMOD 4.11\n")
    report = ingest(config, tree)
    run = run_report(report)
    assert (run["written"], run["metadata_only"]) == (2, 2)  # the two tomograms, nothing else
    assert report["totals"]["metadata_only"] == 2
    assert data_files(tree) == before  # no volume touched: same inode, same mtime
    assert json.loads((tree / TOMO_METADATA).read_text())["reconstruction_software"] == "IMOD 4.11"
    # byte for byte what a full ingestion of the edited config writes
    fresh = tmp_path / "fresh"
    ingest(config, fresh)
    assert canonical(tree) == canonical(fresh)
    again = run_report(ingest(config, tree))
    assert (again["written"], again["metadata_only"]) == (0, 0)


def test_changing_an_author_rewrites_metadata_files_only(copy: tuple[Path, Path], tmp_path: Path) -> None:
    config, tree = copy
    before = data_files(tree)
    edit(config, "name: ", "name: Dr. ", 1)  # the first author, shared by every entity through its anchor
    report = ingest(config, tree)
    run = run_report(report)
    assert report["deposition_level"]["metadata_only"] == 2  # deposition and dataset, key photos kept
    assert run["metadata_only"] >= 5  # tilt series, tomograms, annotations
    assert run["written"] == run["metadata_only"]
    assert data_files(tree) == before
    assert json.loads((tree / RIBOSOME).read_text())["authors"][0]["name"].startswith("Dr. ")
    fresh = tmp_path / "fresh"
    report = ingest(config, fresh)
    assert canonical(tree) == canonical(fresh)
    again = ingest(config, tree)
    assert again["totals"]["written"] == 0


def test_changing_a_conversion_option_rewrites_the_data(copy: tuple[Path, Path]) -> None:
    config, tree = copy
    before = data_files(tree)
    old_points = (tree / ORIENTED).read_bytes()
    edit(config, "      binning: 1\n", "      binning: 2\n")
    run = run_report(ingest(config, tree))
    # the ribosome annotation, converted again, and the viewer files drawn from its points: its two precomputed
    # point folders, the key images and the Neuroglancer state
    assert (run["written"], run["metadata_only"]) == (5, 0)
    after = data_files(tree)
    assert after[ORIENTED] != before[ORIENTED]
    assert (tree / ORIENTED).read_bytes() != old_points
    redrawn = (f"{VS10}/Images/100/", f"{VS10}/NeuroglancerPrecompute/100-cytosolic_ribosome-1.0_")
    converted = {ORIENTED, ORIENTED.replace("orientedpoint", "point")}
    unchanged = {name for name in before if name not in converted and not name.startswith(redrawn)}
    assert after[f"{VS10}/Images/100/key-photo-snapshot.png"] != before[f"{VS10}/Images/100/key-photo-snapshot.png"]
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}


def test_only_metadata_rewrites_metadata_and_never_data(tmp_path: Path) -> None:
    write_example(tmp_path / "example")  # its own sources: one of them is changed
    config, tree = tmp_path / "config.yaml", tmp_path / "tree"
    shutil.copy(tmp_path / "example/example.yaml", config)
    ingest(config, tree)
    before = data_files(tree)
    report = ingest(config, tree, "--only", "metadata")  # nothing changed: every metadata file rewritten anyway
    run = run_report(report)
    assert run["metadata_only"] >= 5 and run["written"] >= run["metadata_only"]
    assert data_files(tree) == before
    # a changed source: its annotation's data is out of date, so --only metadata leaves it and says so
    picks = tmp_path / "example/phantom/picks/TS_001_ribosome.csv"
    lines = picks.read_text().splitlines()
    picks.write_text("\n".join(lines[:-1]) + "\n")
    report = ingest(config, tree, "--only", "metadata")
    run = run_report(report)
    assert any(RIBOSOME in warning and "--only metadata" in warning for warning in run["warnings"])
    assert data_files(tree) == before
    text = ingest(config, tree, "--only", "metadata,tomograms")
    assert run_report(text)["metadata_only"] == 2


def test_only_metadata_in_the_text_report(copy: tuple[Path, Path]) -> None:
    config, tree = copy
    edit(config, "    reconstruction_software: ingest example\n", "    reconstruction_software: IMOD\n")
    arguments = ["deposition", str(config), "--output", str(tree), "--workers", "1", "--timestamp", "2026-03-01",
                 "--run", "TS_001", "--no-check", "--input", str(config.parent / "example")]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "2 written (2 metadata only)" in result.stdout
