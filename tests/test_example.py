"""The synthetic example: deterministic bytes, a config that matches configs/examples, readable source files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import starfile
from click.testing import CliRunner

from ingest.cli import main
from ingest.config.example import EXAMPLE_CONFIG_TEXT, EXAMPLE_RUNS
from ingest.pipeline.example import SHAPE, bin_by_two, make_phantom, write_example

REPO = Path(__file__).resolve().parent.parent


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example generated once through the CLI, shared by the tests of this module."""
    directory = tmp_path_factory.mktemp("example") / "out"
    result = CliRunner().invoke(main, ["example", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def test_two_generations_are_byte_identical(generated: Path, tmp_path: Path) -> None:
    second = write_example(tmp_path)
    assert len(second) == 22
    assert _digests(generated) == _digests(tmp_path)


def test_config_in_configs_examples_has_not_drifted() -> None:
    assert (REPO / "configs/examples/example.yaml").read_text(encoding="utf-8") == EXAMPLE_CONFIG_TEXT


def test_cli_writes_config_beside_sources(generated: Path) -> None:
    assert (generated / "example.yaml").read_text(encoding="utf-8") == EXAMPLE_CONFIG_TEXT
    assert (generated / "phantom/run_data_map.csv").read_text().splitlines()[0].startswith("run_name,")


def test_phantom_has_membrane_and_blobs_at_their_picks() -> None:
    phantom = make_phantom(0)
    assert phantom.volume.shape == SHAPE and phantom.volume.dtype == np.float32
    assert 0 < phantom.membrane.sum() < phantom.membrane.size // 4
    background = float(np.median(phantom.volume))
    for particle in phantom.ribosomes:
        voxel = phantom.volume[round(particle.z), round(particle.y), round(particle.x)]
        assert voxel > background + 1.5
        assert phantom.membrane[round(particle.z), round(particle.y), round(particle.x)] == 0


def test_runs_differ_and_binned_volume_halves_each_axis() -> None:
    first, second = make_phantom(0), make_phantom(1)
    assert first.ribosomes != second.ribosomes
    binned = bin_by_two(first.volume)
    assert binned.shape == tuple(n // 2 for n in SHAPE)
    assert np.isclose(binned[0, 0, 0], first.volume[:2, :2, :2].mean(), atol=1e-5)


def test_source_files_are_readable_by_their_tools(generated: Path) -> None:
    tmp_path = generated
    run = EXAMPLE_RUNS[0]
    with mrcfile.open(tmp_path / f"phantom/tomograms/{run}_bin2.mrc", permissive=True) as mrc:
        assert mrc.data.shape == (32, 64, 64)
        assert float(mrc.voxel_size.x) == 20.0
    with mrcfile.open(tmp_path / f"phantom/tiltseries/{run}.mrc") as mrc:
        assert mrc.data.shape == (21, 128, 128)
    star = starfile.read(tmp_path / f"phantom/picks/{run}_ribosome.star")
    assert list(star.columns[:4]) == ["rlnMicrographName", "rlnCoordinateX", "rlnCoordinateY", "rlnCoordinateZ"]
    assert len(star) == 8
    copick = json.loads((tmp_path / f"phantom/picks/{run}_proteasome.json").read_text())
    assert copick["unit"] == "angstrom" and len(copick["points"]) == 6
    csv_rows = (tmp_path / f"phantom/picks/{run}_ribosome.csv").read_text().splitlines()
    assert np.allclose([float(v) for v in csv_rows[0].split(",")], star.iloc[0, 1:4].to_numpy(dtype=float))
