"""Dry-run renderings of the example plan (golden JSON) and the ``ingest deposition`` command's plan path."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.tree import Tree

from ingest.cli import main
from ingest.cli.plan_render import plan_to_json, plan_tree, render_plan_json
from ingest.pipeline.example import write_example
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing
from tests.plan_helpers import TOMOGRAM, base_config, example_plan, plan_of

GOLDEN = Path(__file__).parent / "data/example_plan.json"


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("example")
    write_example(directory)
    return directory


def test_example_plan_json_is_golden() -> None:
    assert render_plan_json(example_plan()) == GOLDEN.read_text(encoding="utf-8")


def test_plan_json_counts_match_the_tree() -> None:
    data = plan_to_json(example_plan())
    assert data["counts"] == {
        "runs": 2,
        "tiltseries": 2,
        "alignments": 2,
        "tomograms": 4,
        "annotations": 6,
        "annotation_files": 8,
        "copies": 4,
        "frames_metadata": 2,
        "key_images": 4,
        "neuroglancer_states": 4,
        "precomputed_annotations": 6,
        "precomputed_segmentations": 2,
        "precomputed_meshes": 0,
        "identified_objects": 0,
    }
    assert data["skipped"] == {}


def test_cli_dry_run_json_of_generated_example_is_golden(example_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "deposition",
            str(example_dir / "example.yaml"),
            "--dry-run",
            "--format",
            "json",
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")
    assert not (tmp_path / "out").exists()


def test_cli_dry_run_text_tree_lists_output_keys(example_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "deposition",
            "configs/examples/example.yaml",
            "--input",
            str(example_dir),
            "--output",
            str(tmp_path),
            "--dry-run",
            "--run",
            "TS_002",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "90001/TS_002/Reconstructions/VoxelSpacing20.000/Tomograms/101/TS_002.mrc" in result.output
    assert "TS_001" not in result.output
    assert "key images of tomogram 101" in result.output and "neuroglancer state of tomogram 101" in result.output


def test_cli_only_and_unknown_section(example_dir: Path) -> None:
    config = str(example_dir / "example.yaml")
    result = CliRunner().invoke(main, ["deposition", config, "--dry-run", "--format", "json", "--only", "annotations"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["tomograms"] == 0
    bad = CliRunner().invoke(main, ["deposition", config, "--dry-run", "--only", "captions"])
    assert bad.exit_code == 2 and "unknown section in --only" in bad.output


def test_cli_refuses_invalid_config_before_listing(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("version: 1.3.0\nstandardization_config: {deposition_id: 1, source_prefix: x}\n")
    result = CliRunner().invoke(main, ["deposition", str(config), "--dry-run"])
    assert result.exit_code == 1
    assert "the config is invalid" in result.output


def test_cli_glob_matching_nothing_names_template_glob_and_folder(example_dir: Path, tmp_path: Path) -> None:
    (example_dir / "phantom/masks/TS_001_membrane.mrc").rename(tmp_path / "kept.mrc")
    (example_dir / "phantom/masks/TS_002_membrane.mrc").rename(tmp_path / "kept2.mrc")
    try:
        result = CliRunner().invoke(main, ["deposition", str(example_dir / "example.yaml"), "--dry-run"])
    finally:
        (tmp_path / "kept.mrc").rename(example_dir / "phantom/masks/TS_001_membrane.mrc")
        (tmp_path / "kept2.mrc").rename(example_dir / "phantom/masks/TS_002_membrane.mrc")
    assert result.exit_code == 1
    assert "annotations[2].sources[0] matched nothing" in result.output
    assert "'masks/{run_name}_membrane.mrc' expanded to 'masks/TS_001_membrane.mrc'" in result.output
    assert str(example_dir / "phantom") in result.output


def _tree_text(tree: Tree) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(tree)
    return console.export_text()


def test_tree_rendering_marks_reused_ids() -> None:
    existing_key = "10001/TS_1/Reconstructions/VoxelSpacing13.480/Tomograms/100/tomogram_metadata.json"
    metadata = {
        **TOMOGRAM,
        "voxel_spacing": 13.48,
        "deposition_id": 10300,
        "alignment_metadata_path": "10001/TS_1/Alignments/100/alignment_metadata.json",
    }
    existing = ExistingTree(Listing.of([existing_key], root="/out"), {existing_key: metadata})
    text = _tree_text(plan_tree(plan_of(base_config(), ["tomograms/TS_1.mrc"], existing=existing)))
    assert "tomogram 100 (reused)  10001/TS_1/Reconstructions/VoxelSpacing13.480/Tomograms/100/TS_1.mrc" in text
    assert "default alignment 100  10001/TS_1/Alignments/100/alignment_metadata.json" in text
    assert "(reused)" not in _tree_text(plan_tree(example_plan()))
