"""Crash safety: a process killed (SIGKILL) while ingesting leaves no metadata pointing at missing data, and the
next invocation finishes the tree exactly like a clean run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.pipeline.example import write_example
from tests.test_execute_backends import local_tree

REPO = Path(__file__).resolve().parent.parent
PATH_FIELDS = ("mrc_file", "omezarr_dir", "alignment_metadata_path")


def command(config: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ingest",
        "deposition",
        str(config),
        "--output",
        str(output),
        "--workers",
        "1",
        "--timestamp",
        "2026-03-01",
    ]


def dangling_references(output: Path) -> list[str]:
    """Paths named by metadata files that do not exist (there must never be any)."""
    missing = []
    for metadata in output.rglob("*.json"):
        if ".ingest" in metadata.parts or ".zarr" in str(metadata) or "ingest-tmp" in metadata.name:
            continue
        try:
            document = json.loads(metadata.read_text())
        except ValueError:
            missing.append(f"{metadata}: unreadable")
            continue
        paths = [document.get(name) for name in PATH_FIELDS]
        paths += [entry.get("path") for entry in document.get("files", []) if isinstance(entry, dict)]
        missing += [f"{metadata}: {path}" for path in paths if isinstance(path, str) and not (output / path).exists()]
    return missing


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_gives_the_clean_tree(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    config = tmp_path / "example/example.yaml"
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(command(config, tmp_path / "clean"), check=True, env=environment, capture_output=True)

    crashed = tmp_path / "crashed"
    process = subprocess.Popen(
        command(config, crashed), env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    marker = crashed / "90001/TS_001/TiltSeries/100/tiltseries_metadata.json"
    deadline = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the ingestion finished before it could be killed"
    assert dangling_references(crashed) == []
    assert not (crashed / "90001/TS_002/run_metadata.json").exists()

    subprocess.run(command(config, crashed), check=True, env=environment, capture_output=True)
    clean = local_tree(tmp_path / "clean")
    assert local_tree(crashed) == clean
    assert dangling_references(crashed) == []
