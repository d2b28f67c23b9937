"""Ctrl-C at any moment of a real ``ingest deposition`` ends with one line and status 130, and leaves a tree that
the same command finishes: during planning, during the volume conversion (in this process and on a local
cluster) and during the final output checks.

The signal goes to the whole process group, as a terminal sends it (worker processes included). The moment is
recognised by the progress line the deposition prints on stderr (one line per step when stderr is not a
terminal); the group is frozen (SIGSTOP) as soon as that line is read, so the interrupt lands at that moment and
not a little later, then interrupted and resumed.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ingest.pipeline.example import write_example

INTERRUPTED = "interrupted: stopped by Ctrl-C; outputs are published whole, run the same command again to resume"
PROGRESS = re.compile(
    r"^(planning \S+ \.\.\.|planned \d+ run\(s\); running .*|converted \S+ \(\d+ chunks\)"
    r"|\[\d+/\d+\] ok \S+: .*|checking \d+ written run\(s\) \.\.\.|checked \d+ run\(s\))$"
)
"""Every line ``ingest deposition`` prints on a non-terminal stderr while it works."""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example(folder)
    return folder / "example.yaml"


def interrupt_at(command: list[str], marker: str) -> tuple[int, list[str], list[str], str]:
    """Run ``command``; at the first stderr line starting with ``marker``, Ctrl-C its process group. The exit
    status, the stderr lines up to the marker, the lines after it, and stdout."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stderr is not None and process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    before: list[str] = []
    while (line := lines.get(timeout=300)) is not None:
        before.append(line)
        if line.startswith(marker):
            os.killpg(process.pid, signal.SIGSTOP)
            os.killpg(process.pid, signal.SIGINT)
            os.killpg(process.pid, signal.SIGCONT)
            break
    else:
        pytest.fail(f"the deposition ended before {marker!r}: {before}")
    stdout = process.stdout.read()
    status = process.wait(timeout=120)
    reader.join(timeout=30)
    after = []
    while (line := lines.get(timeout=5)) is not None:
        after.append(line)
    return status, before, after, stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("marker", "workers"),
    [
        ("planning ", "1"),  # listing the input and planning
        ("converted ", "1"),  # the first volume of the first run is converted, the others are being converted
        ("converted ", "2"),  # the same on a local cluster of two worker processes
        ("checking ", "2"),  # the output checks, on a pool of check processes
    ],
    ids=["planning", "conversion", "conversion-on-a-cluster", "checks"],
)
def test_ctrl_c_ends_with_one_line_and_the_same_command_finishes(
    example: Path, tmp_path: Path, marker: str, workers: str
) -> None:
    output = tmp_path / "portal"
    command = [sys.executable, "-m", "ingest", "deposition", str(example), "--output", str(output)]
    status, before, after, stdout = interrupt_at([*command, "--workers", workers], marker)
    assert status == 130, (before, after)
    assert stdout == ""
    shown = [line for line in after if line.strip()]
    assert shown[-1:] == [INTERRUPTED], after
    # Nothing but progress printed before the one line (no traceback, no worker or library chatter).
    assert [line for line in [*before, *shown[:-1]] if not PROGRESS.match(line)] == []
    if marker == "planning ":
        assert not any(line.startswith("planned") for line in after)  # interrupted before the plan stood

    rerun = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert "output checks: 0 error(s)" in rerun.stdout
    check = subprocess.run(
        [sys.executable, "-m", "ingest", "check", str(output)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 error(s), 0 warning(s)" in check.stdout
