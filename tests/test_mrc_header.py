"""The one MRC header reader: a zero (unknown) machine stamp reads the same in the planner's ``tomogram_header``
finder, the converter and the output checks, and such files go through validate, deposition and check."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from click.testing import CliRunner

from ingest.checks.mrc import parse_mrc_header
from ingest.cli import main
from ingest.converters.volumes.mrc import check_mrc_sizes
from ingest.domain.mrc_header import parse_mrc_header_bytes
from ingest.errors import InputFileError
from ingest.pipeline.example import write_example
from ingest.pipeline.inputs import StorageMrcHeaders
from ingest.storage.base import open_storage

STAMP = slice(212, 216)


def _mrc(path: Path, dtype: str, stamp: bytes | None) -> bytes:
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(np.arange(4 * 5 * 6, dtype=dtype).reshape(4, 5, 6))
        mrc.voxel_size = 3.5
    raw = bytearray(path.read_bytes())
    if stamp is not None:
        raw[STAMP] = stamp
        path.write_bytes(bytes(raw))
    return bytes(raw)


@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<i2", ">i2"])
def test_a_zero_stamp_reads_alike_in_every_reader(tmp_path: Path, dtype: str) -> None:
    raw = _mrc(tmp_path / "v.mrc", dtype, bytes(4))
    parsed = parse_mrc_header_bytes(raw, where="v.mrc")
    assert parsed.byte_order == dtype[0]
    assert (int(parsed.fields.nx), int(parsed.fields.ny), int(parsed.fields.nz)) == (6, 5, 4)
    assert any("machine stamp" in note for note in parsed.notes)
    checked = parse_mrc_header(raw, where="v.mrc")
    assert (checked.shape, checked.dtype, checked.voxel_size) == ((4, 5, 6), np.dtype(dtype), (3.5, 3.5, 3.5))
    assert StorageMrcHeaders(open_storage(str(tmp_path))).voxel_spacing("v.mrc", "voxel_size") == 3.5
    check_mrc_sizes(tmp_path / "v.mrc", len(raw))  # no error: sizes agree in the right byte order


def test_a_file_shorter_than_a_header_is_not_an_mrc_file() -> None:
    with pytest.raises(InputFileError, match=r"x\.mrc: not an MRC file .*found 10 bytes"):
        parse_mrc_header_bytes(b"\0" * 10, where="x.mrc")


@pytest.fixture(scope="module")
def zero_stamp_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with every source MRC's machine stamp zeroed and voxel spacings found by tomogram_header."""
    directory = tmp_path_factory.mktemp("zero-stamp")
    write_example(directory)
    for path in (directory / "phantom").rglob("*.mrc"):
        raw = bytearray(path.read_bytes())
        raw[STAMP] = bytes(4)
        path.write_bytes(bytes(raw))
    config = directory / "example.yaml"
    literal = "voxel_spacings:\n- sources:\n  - literal:\n      value:\n      - 10.0\n      - 20.0\n"
    header = "voxel_spacings:\n- sources:\n  - tomogram_header:\n      list_glob: tomograms/{run_name}_bin*.mrc\n"
    assert literal in config.read_text()
    config.write_text(config.read_text().replace(literal, header))
    return config


def test_zero_stamp_sources_pass_validate_deposition_and_check(zero_stamp_example: Path, tmp_path: Path) -> None:
    config, runner = zero_stamp_example, CliRunner()
    validated = runner.invoke(main, ["validate", str(config), "--input", str(config.parent)])
    assert (validated.exit_code, validated.output.strip()) == (0, "0 error(s), 0 warning(s)")
    dry = runner.invoke(main, ["deposition", str(config), "--dry-run", "--format", "json"])
    assert dry.exit_code == 0, dry.output
    spacings = {vs["voxel_spacing"] for run in json.loads(dry.stdout)["runs"] for vs in run["voxel_spacings"]}
    assert spacings == {"10.000", "20.000"}
    output = tmp_path / "out"
    args = ["deposition", str(config), "--output", str(output), "--workers", "1", "--timestamp", "2026-03-01"]
    written = runner.invoke(main, args)
    assert written.exit_code == 0, written.output
    assert "output checks: 0 error(s), 0 warning(s): clean" in written.output
    checked = runner.invoke(main, ["check", str(output)])
    assert checked.exit_code == 0, checked.output
    assert len(list(output.rglob("*.mrc"))) >= 4
