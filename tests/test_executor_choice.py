"""The executor chosen from the plan: in this process for small depositions, a local cluster when the source
volumes make it pay, ``--workers``/``--scheduler`` always winning; feedback on stderr before planning."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.domain.tasks import Plan
from ingest.pipeline.example import write_example
from ingest.pipeline.executor_choice import choose_executor, source_size, volume_source_keys
from ingest.pipeline.planning import plan_from_files
from ingest.storage.base import open_storage


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Plan]:
    folder = tmp_path_factory.mktemp("choice")
    write_example(folder / "example")
    config = folder / "example/example.yaml"
    return config, plan_from_files(config, output_url=str(folder / "out")).plan


def test_volume_sources_are_tilt_series_tomograms_and_masks(example: tuple[Path, Plan]) -> None:
    keys = list(volume_source_keys(example[1]))
    assert len(keys) == 2 * (1 + 2 + 1)  # per run: a tilt series, two tomograms, one membrane mask
    assert all(key.endswith(".mrc") for key in keys)


def test_small_depositions_run_in_this_process(example: tuple[Path, Plan]) -> None:
    config, plan = example
    storage = open_storage(str(config.parent))
    sizes = [source_size(storage, f"phantom/{key}") for key in volume_source_keys(plan)]
    assert all(size > 0 for size in sizes)

    def size_of(key: str) -> int:
        return source_size(storage, f"phantom/{key}")

    choice = choose_executor(plan, size_of, workers=None, scheduler=None, cores=8)
    assert choice.in_process and "2 runs" in choice.reason and "MiB of source volumes" in choice.reason
    # the same plan over a lower threshold: a cluster of one worker per core
    big = choose_executor(plan, size_of, workers=None, scheduler=None, cores=8, threshold=sum(sizes) // 2)
    assert not big.in_process and big.workers is None and "local cluster of 8 workers" in big.reason


def test_explicit_choices_win(example: tuple[Path, Plan]) -> None:
    plan = example[1]

    def huge(key: str) -> int:
        return 1 << 40

    assert choose_executor(plan, huge, workers=1, scheduler=None, cores=8).in_process
    assert choose_executor(plan, huge, workers=3, scheduler=None, cores=8).workers == 3
    remote = choose_executor(plan, huge, workers=None, scheduler="tcp://127.0.0.1:8786", cores=8)
    assert not remote.in_process and remote.scheduler == "tcp://127.0.0.1:8786"
    assert choose_executor(plan, huge, workers=None, scheduler=None, cores=1).in_process
    assert not choose_executor(plan, huge, workers=None, scheduler=None, cores=2).in_process


def test_the_default_says_what_it_chose(example: tuple[Path, Plan], tmp_path: Path) -> None:
    config, _ = example
    arguments = ["deposition", str(config), "--output", str(tmp_path / "out"), "--timestamp", "2026-03-01"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"planning {config} ..."
    assert lines[1].startswith("planned 2 run(s); running in this process (2 runs, ")
    log = next((tmp_path / "out/.ingest/logs").iterdir()).read_text()
    assert "executor: SerialExecutor" in log


def test_feedback_within_seconds_of_starting(example: tuple[Path, Plan], tmp_path: Path) -> None:
    """A real process: the first line reaches stderr before planning starts (about 0.5 s here once the CLI
    imports lazily; bounded loosely, the machine is shared)."""
    config, _ = example
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "deposition", str(config), "--output", str(tmp_path / "out"), "--dry-run"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    elapsed = time.monotonic() - started
    assert process.wait(timeout=120) == 0
    assert first.startswith("planning ") and elapsed < 20, (first, elapsed)
