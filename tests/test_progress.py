"""Progress: volume chunk reports reach the display (in process and from dask workers); bars on a terminal,
plain lines otherwise; the final report counts every run."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.progress import TimeRemainingColumn

from ingest.checks.outputs import IN_PROCESS_RUNS, check_tree, check_workers
from ingest.cli import main
from ingest.pipeline.example import write_example
from ingest.pipeline.execute import RunOutcome
from ingest.pipeline.executors import DaskExecutor, RunTask, SerialExecutor, collect_outcomes
from ingest.pipeline.progress import VOLUME_PROGRESS_TOPIC, VolumeChunkReporter, VolumeProgress
from ingest.pipeline.progress_display import ProgressBars, ProgressLines, check_progress, open_progress
from tests.good_tree import build_good_tree


def report_from_another_thread(chunks: int) -> int:
    """A task whose converter calls the reporter from its own thread, as the volume converter does."""
    reporter = VolumeChunkReporter("ds/run", "ds/run/vol.zarr")
    worker = threading.Thread(target=lambda: [reporter(done, chunks) for done in range(1, chunks + 1)])
    worker.start()
    worker.join()
    return chunks


def test_fast_chunks_are_throttled_to_first_and_last() -> None:
    received: list[VolumeProgress] = []
    with SerialExecutor() as executor:
        executor.listen(VOLUME_PROGRESS_TOPIC, lambda m: received.append(VolumeProgress.from_message(m)))
        collect_outcomes(executor, [RunTask("ds/run", report_from_another_thread, 500)])
    assert [(p.done, p.total) for p in received] == [(1, 500), (500, 500)]
    assert received[-1].finished and received[-1].volume == "ds/run/vol.zarr"


def test_without_a_listener_reports_are_dropped() -> None:
    assert report_from_another_thread(3) == 3


@pytest.mark.slow
def test_reports_from_converter_threads_on_dask_workers_reach_the_client() -> None:
    received: list[VolumeProgress] = []
    done = threading.Event()

    def on_message(message: dict[str, object]) -> None:
        received.append(VolumeProgress.from_message(message))
        if received[-1].finished:
            done.set()

    with DaskExecutor(n_workers=1) as executor:
        executor.listen(VOLUME_PROGRESS_TOPIC, on_message)
        outcomes = collect_outcomes(executor, [RunTask("ds/run", report_from_another_thread, 7)])
        assert outcomes[0].result == 7
        assert done.wait(10)
    assert (received[-1].done, received[-1].total) == (7, 7)


def test_lines_count_runs_and_name_converted_volumes() -> None:
    stream = io.StringIO()
    with ProgressLines(2, stream) as lines:
        lines.volume_progressed(VolumeProgress("ds/a", "ds/a/t.zarr", 1, 4))
        lines.volume_progressed(VolumeProgress("ds/a", "ds/a/t.zarr", 4, 4))
        lines.run_finished(RunOutcome("ds/a", 3, 1, None, ()))
        lines.run_finished(RunOutcome("ds/b", 0, 0, "b.mrc: the MRC file is truncated", ()))
    assert stream.getvalue().splitlines() == [
        "converted ds/a/t.zarr (4 chunks)",
        "[1/2] ok ds/a: 3 written, 1 skipped",
        "[2/2] FAILED ds/b: b.mrc: the MRC file is truncated",
    ]


def test_bars_track_runs_and_each_volume_until_it_is_complete() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with ProgressBars(2, console) as bars:
        bars.volume_progressed(VolumeProgress("ds/a", "ds/a/t.zarr", 1, 4))
        (volume,) = bars.volumes.values()
        assert bars.bars.tasks[volume].completed == 1 and bars.bars.tasks[volume].total == 4
        bars.volume_progressed(VolumeProgress("ds/a", "ds/a/t.zarr", 4, 4))
        assert bars.volumes == {}
        assert [task.description for task in bars.bars.tasks] == ["runs"]
        bars.run_finished(RunOutcome("ds/a", 3, 1, None, ()))
        assert bars.bars.tasks[0].completed == 1
    assert "ok ds/a: 3 written, 1 skipped" in console.file.getvalue()  # type: ignore[attr-defined]


def test_bars_on_a_terminal_lines_otherwise() -> None:
    assert isinstance(open_progress(1, Console(file=io.StringIO(), force_terminal=True)), ProgressBars)
    assert isinstance(open_progress(1, Console(file=io.StringIO())), ProgressLines)


def test_deposition_logs_progress_and_reports_every_run(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    result = CliRunner().invoke(
        main,
        ["deposition", str(tmp_path / "example/example.yaml"), "--output", str(tmp_path / "out"), "--workers", "1",
         "--format", "json", "--no-check"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[1/2] ok 90001/TS_001: 19 written, 0 skipped" in result.stderr
    assert "converted 90001/TS_002/TiltSeries/100/TS_002.zarr" in result.stderr
    report = json.loads(result.stdout)
    assert [(run["run"], run["written"], run["skipped"], run["error"]) for run in report["runs"]] == [
        ("90001/TS_001", 19, 0, None),
        ("90001/TS_002", 19, 0, None),
    ]
    assert report["totals"] == {"succeeded": 2, "failed": 0, "written": 40, "skipped": 0, "metadata_only": 0}


def test_every_bar_shows_an_estimate_of_the_time_left() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with ProgressBars(2, console) as bars:
        assert any(isinstance(column, TimeRemainingColumn) for column in bars.bars.columns)
        bars.volume_progressed(VolumeProgress("ds/a", "ds/a/t.zarr", 1, 4))
        bars.bars.refresh()
    assert "eta" in console.file.getvalue()  # type: ignore[attr-defined]


def test_checks_show_a_bar_on_a_terminal_and_two_lines_otherwise() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with ProgressBars(2, console) as bars:
        bars.checks_progressed(0, 2)
        bars.checks_progressed(1, 2)
        (checks,) = [task for task in bars.bars.tasks if task.description == "checks"]
        assert (checks.completed, checks.total) == (1, 2)
    stream = io.StringIO()
    with ProgressLines(2, stream) as lines:
        for done in range(3):
            lines.checks_progressed(done, 2)
    assert stream.getvalue().splitlines() == ["checking 2 written run(s) ...", "checked 2 run(s)"]


def test_check_tree_reports_each_run_checked(tmp_path: Path) -> None:
    tree = build_good_tree(tmp_path / "tree")
    heard: list[tuple[int, int]] = []
    report = check_tree(tree, progress=lambda done, total: heard.append((done, total)))
    assert report.ok
    assert heard == [(0, 2), (1, 2), (2, 2)]


def test_check_progress_is_a_bar_on_a_terminal_only() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with check_progress(console) as advance:
        assert advance is not None
        advance(0, 3)
        advance(3, 3)
    with check_progress(Console(file=io.StringIO())) as advance:
        assert advance is None


def test_deposition_says_when_its_output_checks_run(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    args = ["deposition", str(tmp_path / "example/example.yaml"), "--output", str(tmp_path / "out"), "--workers", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[-2:] == ["checking 2 written run(s) ...", "checked 2 run(s)"]


def test_check_workers_are_chosen_from_the_number_of_runs() -> None:
    assert check_workers(IN_PROCESS_RUNS, None, cores=4) == 1
    assert check_workers(IN_PROCESS_RUNS + 1, None, cores=4) == 4
    assert check_workers(100, 2, cores=4) == 2
