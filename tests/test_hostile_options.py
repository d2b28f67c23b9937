"""Option values that used to be accepted silently (issue 18 item 8): ``--threshold nan`` (an empty mask, exit 0),
``--binning -2`` (negative coordinates), ``--timestamp -1`` (written as is), and a named pipe among the inputs
(the ingestion hung). Each is refused, naming the option, config path or file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.converters.picks.registry import ReadOptions, read_picks
from ingest.errors import StorageError, UsageError
from ingest.pipeline.example import write_example
from ingest.pipeline.metadata import LATEST_TIMESTAMP, resolve_timestamp
from ingest.storage.base import open_storage


@pytest.fixture
def mask_source(tmp_path: Path) -> Path:
    path = tmp_path / "probabilities.mrc"
    with mrcfile.new(path, np.linspace(0, 1, 64, dtype=np.float32).reshape(4, 4, 4)) as mrc:
        mrc.voxel_size = 1.0
    return path


@pytest.mark.parametrize(("option", "value"), [("--threshold", "nan"), ("--threshold", "inf"), ("--mask-label", "nan")])
def test_convert_volume_refuses_a_non_finite_mask_rule(mask_source: Path, option: str, value: str) -> None:
    output = mask_source.with_name("m.zarr")
    args = ["convert", "volume", str(mask_source), str(output), "--voxel-spacing", "1", "--kind", "semantic-mask"]
    result = CliRunner().invoke(main, [*args, option, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and "not a finite number" in result.output
    assert not output.exists()


@pytest.mark.parametrize(("option", "value"), [("--voxel-spacing", "nan"), ("--voxel-spacing", "-1")])
def test_convert_volume_refuses_a_voxel_spacing_that_is_not_positive(
    mask_source: Path, option: str, value: str
) -> None:
    result = CliRunner().invoke(
        main, ["convert", "volume", str(mask_source), str(mask_source.with_name("o.zarr")), option, value]
    )
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output


@pytest.mark.parametrize("binning", ["-2", "0", "nan", "-inf"])
def test_convert_picks_refuses_a_binning_that_is_not_positive(tmp_path: Path, binning: str) -> None:
    source = tmp_path / "p.csv"
    source.write_text("10,20,30\n")
    result = CliRunner().invoke(
        main, ["convert", "picks", str(source), str(tmp_path / "p.ndjson"), "--from", "csv", "--binning", binning]
    )
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--binning'" in result.output
    assert not (tmp_path / "p.ndjson").exists()


def test_reading_picks_with_a_negative_binning_is_refused_by_the_library(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("10,20,30\n")
    with pytest.raises(UsageError, match="binning must be a positive number"):
        read_picks(source, "csv", ReadOptions(binning=-2.0))


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("mask_label: 1", "threshold: .nan", "annotations[2].sources[0].SemanticSegmentationMask.threshold"),
        ("binning: 1", "binning: -2", "annotations[0].sources[1].OrientedPoint.binning"),
    ],
    ids=["threshold-nan", "binning-negative"],
)
def test_the_config_path_refuses_them_before_anything_is_written(tmp_path: Path, old: str, new: str, path: str) -> None:
    write_example(tmp_path / "input")
    config = tmp_path / "input" / "example.yaml"
    text = config.read_text()
    assert text.count(old) == 1
    config.write_text(text.replace(old, new))
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["deposition", str(config), "--output", str(output), "--workers", "1"])
    assert result.exit_code != 0, result.output
    assert path in result.output, result.output
    assert not output.exists() or not any(output.rglob("*.json"))


@pytest.mark.parametrize("value", ["-1", "1900-01-01", "99999999999999", "10000-01-01"])
def test_timestamps_before_1970_or_after_9999_are_refused(value: str) -> None:
    with pytest.raises(UsageError, match="--timestamp"):
        resolve_timestamp(value, {})
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        resolve_timestamp(None, {"SOURCE_DATE_EPOCH": value})
    assert resolve_timestamp("0", {}) == 0 and resolve_timestamp(str(LATEST_TIMESTAMP), {}) == LATEST_TIMESTAMP


def test_deposition_with_a_negative_timestamp_exits_2(tmp_path: Path) -> None:
    write_example(tmp_path / "input")
    arguments = ["deposition", str(tmp_path / "input" / "example.yaml"), "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*arguments, "--timestamp", "-1"])
    assert result.exit_code == 2, result.output
    assert "--timestamp: timestamp out of range" in result.output


def _fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("this platform has no named pipes")
    os.mkfifo(path)
    return path


def _returns_without_blocking(call: Callable[[], object], fifo: Path) -> BaseException | None:
    """Run ``call`` in a thread; if it blocks on the pipe, release it by opening the write end, and fail."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # let the blocked reader go
        thread.join(10)
        pytest.fail(f"reading {fifo} blocked")
    return outcome[0]


@pytest.mark.parametrize("operation", ["read_bytes", "content_fingerprint", "checksum", "open_input", "fetch"])
def test_local_storage_refuses_a_named_pipe_without_opening_it(tmp_path: Path, operation: str) -> None:
    _fifo(tmp_path / "pipe.csv")
    storage = open_storage(str(tmp_path))

    def call() -> object:
        if operation in ("open_input", "fetch"):
            with getattr(storage, operation)("pipe.csv"):
                return None
        return getattr(storage, operation)("pipe.csv")

    error = _returns_without_blocking(call, tmp_path / "pipe.csv")
    assert isinstance(error, StorageError), error
    assert "pipe.csv: not a regular file" in error.message and "named pipe" in error.message


def test_a_named_pipe_selected_by_a_finder_fails_its_run_and_nothing_hangs(tmp_path: Path) -> None:
    write_example(tmp_path / "input")
    picks = tmp_path / "input" / "phantom" / "picks" / "TS_001_ribosome.csv"
    picks.unlink()
    _fifo(picks)
    _fifo(tmp_path / "input" / "phantom" / "stray.pipe")  # selected by no finder: ignored
    arguments = ["deposition", str(tmp_path / "input" / "example.yaml"), "--output", str(tmp_path / "out")]
    command = [sys.executable, "-m", "ingest", *arguments, "--workers", "1", "--timestamp", "2026-03-01"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.fail("the ingestion hung on a named pipe")
    assert result.returncode == 1, result.stderr
    assert "FAILED 90001/TS_001" in result.stdout and "TS_001_ribosome.csv: not a regular file" in result.stdout
    assert "ok     90001/TS_002" in result.stdout


@pytest.mark.parametrize("command", ["picks", "volume"])
def test_convert_commands_refuse_a_named_pipe(tmp_path: Path, command: str) -> None:
    pipe = _fifo(tmp_path / "in.pipe")
    tail = ["--from", "csv"] if command == "picks" else ["--voxel-spacing", "1"]
    args = [sys.executable, "-m", "ingest", "convert", command, str(pipe), str(tmp_path / "out"), *tail]
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the conversion hung on a named pipe")
    assert result.returncode == 1
    assert f"error: {pipe}: not a regular file, refusing to read it" in result.stderr
