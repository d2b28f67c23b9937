"""``ingest validate`` is a complete gate: whatever ``ingest deposition --dry-run`` refuses because of the config,
``ingest validate --input`` refuses too, at the config's file:line:col; the rules that need no files are reported
without ``--input`` as well.

Each broken config is the minimal valid config (tests/data/configs/minimal.yaml) with one edit, run against a small
input tree that satisfies the unedited config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from configs_under_test import Edit, edited, line_of, minimal_text, write_config

from ingest.cli import main

INPUT_FILES = (
    "runs/TS_001/TS_001.mrc",
    "runs/TS_001/TS_001.mdoc",
    "runs/TS_001/frames/a.tiff",
    "picks/TS_001.csv",
    "meshes/ribosome.glb",
)
TOMOGRAMS = """tomograms:
- metadata:
    voxel_spacing: 10.0
    fiducial_alignment_status: FIDUCIAL
    reconstruction_method: WBP
    reconstruction_software: IMOD
    processing: raw
    tomogram_version: 1.0
    offset: {x: 0, y: 0, z: 0}
    is_visualization_default: true
    authors:
    - {name: A, primary_author_status: true, corresponding_author_status: true}
    dates: {deposition_date: '2024-01-01', release_date: '2024-02-01', last_modified_date: '2024-03-01'}
  sources:
  - source_glob:
      list_glob: runs/{run_name}/{mapped_tomo_name}.mrc
"""
POINT = "  - Point:\n      file_format: csv\n      glob_string: picks/{run_name}.csv\n      columns: xyz\n"
ORIENTED = "  - OrientedPoint:\n      file_format: relion4_star\n      glob_string: picks/{run_name}.csv\n"


@dataclass(frozen=True)
class Broken:
    """One broken config: its edits, the line marker of the defect, and the code validate reports without --input
    (None when only planning against the input finds it)."""

    edits: tuple[Edit, ...]
    marker: str
    offline_code: str | None


BROKEN: dict[str, Broken] = {
    "unknown-pick-format": Broken(
        (Edit("file_format: csv", "file_format: relion9_star"),), "relion9_star", "E-FILE-FORMAT"
    ),
    "match-regex-does-not-compile": Broken(
        (Edit("      match_regex: .*", "      match_regex: '(['"),), "match_regex", "E-REGEX"
    ),
    "exclude-regex-does-not-compile": Broken(
        (Edit("      name_regex: (.*)\n", "      name_regex: (.*)\n    exclude:\n    - '*.mrc'\n"),), "*.mrc", "E-REGEX"
    ),
    "parent-filter-regex-does-not-compile": Broken(
        (
            Edit(
                "      glob_string: picks/{run_name}.csv\n",
                "      glob_string: picks/{run_name}.csv\n    parent_filters:\n      include:\n        run: ['TS_(']\n",
            ),
        ),
        "TS_(",
        "E-REGEX",
    ),
    "name-regex-without-group": Broken(
        (Edit("      name_regex: (.*)", "      name_regex: .*"),), "name_regex", "E-REGEX-GROUP"
    ),
    "template-field-that-does-not-exist": Broken(
        (Edit("list_glob: runs/{run_name}/{run_name}.mrc", "list_glob: runs/{run_nme}/{run_name}.mrc"),),
        "run_nme",
        "E-TEMPLATE-COLUMN",
    ),
    "mapped-tomo-name-without-its-map": Broken(
        (Edit("frames:\n", TOMOGRAMS + "frames:\n"),), "mapped_tomo_name", "E-TEMPLATE-RUN-MAP"
    ),
    "mapped-tomo-name-with-its-map": Broken(
        (
            Edit(
                "  run_data_map_file: run_data.csv\n",
                "  run_data_map_file: run_data.csv\n  run_to_tomo_map_csv: m.csv\n",
            ),
            Edit("frames:\n", TOMOGRAMS + "frames:\n"),
        ),
        "run_to_tomo_map_csv: m.csv",  # the map file is missing: refused at the key that names it
        None,
    ),
    "finder-that-matches-nothing": Broken(
        (Edit("list_glob: runs/{run_name}/{run_name}.mrc", "list_glob: runs/{run_name}/{run_name}.rec"),),
        "{run_name}.rec",
        None,
    ),
    "annotation-glob-that-matches-nothing": Broken(
        (Edit("glob_string: picks/{run_name}.csv", "glob_string: picks/{run_name}.star"),),
        "picks/{run_name}.star",
        None,
    ),
    "mesh-source-path-that-does-not-exist": Broken(
        (Edit(POINT, ORIENTED + "      mesh_source_path: meshes/nope.glb\n"),),
        "mesh_source_path",
        None,
    ),
    "annotation-version-nan": Broken(
        (Edit("    ground_truth_status: false\n", "    ground_truth_status: false\n    version: .nan\n"),),
        "version: .nan",
        "E-SCHEMA-RANGE",
    ),
    "voxel-spacing-inf": Broken((Edit("      - 10.0", "      - .inf"),), ".inf", "E-SCHEMA-RANGE"),
    "voxel-spacing-negative": Broken((Edit("      - 10.0", "      - -10.0"),), "-10.0", "E-SCHEMA-RANGE"),
}


# Configs whose refusal depends on how the planner reads them (literal paths, per-run maps): whatever the dry run
# decides, validate --input decides the same, because it plans with the same code.
KEY_PHOTOS = """dataset_keyphotos:
- sources:
  - literal:
      value:
        snapshot: images/missing_snapshot.png
        thumbnail: images/missing_thumbnail.png
"""
SAME_VERDICT: dict[str, tuple[Edit, ...]] = {
    "key-photo-literal-that-does-not-exist": (Edit("frames:\n", KEY_PHOTOS + "frames:\n"),),
    "run-to-tomo-map-that-does-not-exist": BROKEN["mapped-tomo-name-with-its-map"].edits,
}


def input_tree(folder: Path) -> Path:
    for name in INPUT_FILES:
        path = folder / "input" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def validate_json(*args: str) -> tuple[int, list[dict[str, Any]]]:
    status, output = run("validate", "--format", "json", *args)
    return status, json.loads(output)["findings"]


def test_the_unbroken_config_passes_both(tmp_path: Path) -> None:
    config = write_config(input_tree(tmp_path), minimal_text())
    assert run("deposition", str(config), "--dry-run", "--output", str(tmp_path / "out"))[0] == 0
    assert validate_json(str(config), "--input", str(tmp_path)) == (0, [])


def test_a_mesh_source_path_in_the_input_passes_both(tmp_path: Path) -> None:
    text = edited(
        minimal_text(),
        Edit(POINT, ORIENTED + "      mesh_source_path: meshes/ribosome.glb\n"),
    )
    config = write_config(input_tree(tmp_path), text)
    status, output = run("deposition", str(config), "--dry-run", "--output", str(tmp_path / "out"))
    assert status == 0 and "mesh_source_path" in output
    assert validate_json(str(config), "--input", str(tmp_path)) == (0, [])


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_validate_refuses_what_the_dry_run_refuses_at_its_line(tmp_path: Path, name: str) -> None:
    broken = BROKEN[name]
    text = edited(minimal_text(), *broken.edits)
    config = write_config(input_tree(tmp_path), text)
    dry_run, dry_output = run("deposition", str(config), "--dry-run", "--output", str(tmp_path / "out"))
    status, findings = validate_json(str(config), "--input", str(tmp_path))
    assert dry_run != 0, f"the dry run accepts {name}: not a broken config for this test"
    assert status == 1, dry_output
    errors = [f for f in findings if f["severity"] == "error"]
    assert errors, dry_output
    line = line_of(text, broken.marker)
    assert [(f["file"], f["line"]) for f in errors[:1]] == [(str(config), line)], (errors, dry_output)
    assert errors[0]["column"] is not None and errors[0]["path"]


@pytest.mark.parametrize("name", sorted(name for name, broken in BROKEN.items() if broken.offline_code))
def test_rules_that_need_no_files_are_reported_without_input(tmp_path: Path, name: str) -> None:
    broken = BROKEN[name]
    text = edited(minimal_text(), *broken.edits)
    status, findings = validate_json(str(write_config(tmp_path, text)))
    assert status == 1
    assert (broken.offline_code, line_of(text, broken.marker)) in {(f["code"], f["line"]) for f in findings}


@pytest.mark.parametrize("name", sorted(SAME_VERDICT))
def test_validate_with_input_gives_the_dry_runs_verdict(tmp_path: Path, name: str) -> None:
    text = edited(minimal_text(), *SAME_VERDICT[name])
    config = write_config(input_tree(tmp_path), text)
    dry_run, dry_output = run("deposition", str(config), "--dry-run", "--output", str(tmp_path / "out"))
    status, findings = validate_json(str(config), "--input", str(tmp_path))
    assert (status != 0) == (dry_run != 0), (findings, dry_output)
    assert all(f["line"] is not None for f in findings if f["severity"] == "error"), findings
