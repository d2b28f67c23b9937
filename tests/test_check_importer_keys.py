"""``ingest check`` knows what the portal's database importer needs of the tree (C-META-IMPORTER): a frame entry
without its ``path`` or ``is_gain_corrected`` key (the importer reads them with ``[]``; ``null`` is fine), a frame
entry whose dose or order is null, a frames file without ``frames_acquisition_file``, and a nested object left
empty (the importer takes ``{}`` as the value). Each smallest change to the example tree trips exactly that code,
naming the file and the field."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.checks.outputs import check_tree
from ingest.cli import main

REPO = Path(__file__).resolve().parent.parent
FRAMES = "90001/TS_001/Frames/frames_metadata.json"
DATASET = "90001/dataset_metadata.json"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's example tree (runs TS_001 and TS_002), ingested once."""
    root = tmp_path_factory.mktemp("example")
    runner = CliRunner()
    assert runner.invoke(main, ["example", str(root / "in")]).exit_code == 0
    config = str(REPO / "configs/examples/example.yaml")
    arguments = ["deposition", config, "--input", str(root / "in"), "--output", str(root / "out"), "--workers", "1"]
    result = runner.invoke(
        main, [*arguments, "--timestamp", "2026-01-01", "--only", "datasets,depositions,runs,frames"]
    )
    assert result.exit_code == 0, result.output
    return root / "out"


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "tree"))


def edit(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_the_example_frames_check_clean(pristine: Path) -> None:
    document = json.loads((pristine / FRAMES).read_text())
    assert all(entry["path"] is None for entry in document["frames"])  # no movies deposited: null, not absent
    assert check_tree(pristine, runs=("TS_001",)).findings == ()


MUTATIONS: dict[str, tuple[str, Callable[[dict[str, Any]], object]]] = {
    "frames[0].path": (FRAMES, lambda document: document["frames"][0].pop("path")),
    "frames[2].is_gain_corrected": (FRAMES, lambda document: document["frames"][2].pop("is_gain_corrected")),
    "frames[1].exposure_dose": (FRAMES, lambda document: document["frames"][1].update(exposure_dose=None)),
    "frames[3].acquisition_order": (FRAMES, lambda document: document["frames"][3].pop("acquisition_order")),
    "frames_acquisition_file": (FRAMES, lambda document: document.pop("frames_acquisition_file")),
    "cell_component": (DATASET, lambda document: document.update(cell_component={})),
}


ALSO: dict[str, set[tuple[str, str]]] = {"cell_component": {("C-META-SCHEMA", "cell_component.name")}}
"""Findings a mutation trips besides its own (the schema requires a cell component's name)."""


@pytest.mark.parametrize("field", sorted(MUTATIONS))
def test_a_key_the_importer_needs_is_a_finding(tree: Path, field: str) -> None:
    key, change = MUTATIONS[field]
    edit(tree / key, change)
    findings = check_tree(tree, runs=("TS_001",)).findings
    assert {(f.code, f.file, f.path) for f in findings} == {
        ("C-META-IMPORTER", key, field),
        *((code, key, path) for code, path in ALSO.get(field, set())),
    }, [f"{f.code} {f.file} {f.describe()}" for f in findings]
