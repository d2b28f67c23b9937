"""The fuzz suite's harness: hypothesis profiles, and the property every generated case must satisfy.

Profiles (``INGEST_FUZZ_PROFILE``): ``ci`` (default; the whole fuzz suite in well under two minutes) and
``nightly`` (50 times the examples). Every case runs a real ``ingest`` command in process through click's
``CliRunner`` (a few through real subprocesses) inside a fresh sandbox folder, and must:

- exit with a documented status for data it did not expect (0, 1 or 2; never 3, the internal-error status),
- print no traceback,
- allocate at most :data:`MEMORY_LIMIT` (tracemalloc peak) for its tiny input,
- write nothing outside its output folder: the sandbox (inputs, working directory, temporary folder) is
  unchanged apart from the output.

:data:`CASES` counts the generated cases per target; the test session prints the totals (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from ingest.cli import main

F = TypeVar("F", bound=Callable[..., Any])

PROFILE = os.environ.get("INGEST_FUZZ_PROFILE", "ci")
_SCALE = {"ci": 1, "nightly": 50}
if PROFILE not in _SCALE:
    raise RuntimeError(f"INGEST_FUZZ_PROFILE must be one of {sorted(_SCALE)}, not {PROFILE!r}")

for _name in _SCALE:
    settings.register_profile(
        f"ingest-fuzz-{_name}",
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )

DOCUMENTED_EXITS = frozenset({0, 1, 2})
"""What a command may exit with on hostile data (3 is a defect, 130 an interrupt)."""

MEMORY_LIMIT = 48 * 2**20
"""Peak Python/numpy allocation allowed for one case on a file of a few kilobytes."""

CASES: Counter[str] = Counter()
"""Generated cases run, per fuzz target."""


def fuzz(examples: int) -> Callable[[F], F]:
    """Hypothesis settings of the selected profile, with ``examples`` cases (``ci``) or 50 times as many."""
    return settings(settings.get_profile(f"ingest-fuzz-{PROFILE}"), max_examples=examples * _SCALE[PROFILE])


@contextlib.contextmanager
def sandbox(seed: Path | None = None) -> Iterator[Path]:
    """A fresh folder (a copy of ``seed`` when given), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        if seed is not None:
            shutil.copytree(seed, folder, dirs_exist_ok=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _snapshot(root: Path, outputs: Sequence[Path]) -> dict[str, tuple[int, int]]:
    state: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [name for name in dirs if not _inside(here / name, outputs)]
        for name in files:
            path = here / name
            if not _inside(path, outputs):
                info = path.lstat()
                state[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
        if not files and not dirs and here != root:
            state[here.relative_to(root).as_posix() + "/"] = (0, 0)
    return state


def _inside(path: Path, outputs: Sequence[Path]) -> bool:
    return any(path == output or output in path.parents for output in outputs)


def run_case(target: str, args: Sequence[str], folder: Path, outputs: Sequence[Path]) -> Result:
    """Run ``ingest ARGS`` in ``folder`` and assert the fuzz property (module docstring); count the case."""
    CASES[target] += 1
    scratch = folder / ".tmp"
    scratch.mkdir(exist_ok=True)
    before = _snapshot(folder, outputs)
    result, peak = _traced_run(args, folder, scratch)
    if peak > MEMORY_LIMIT:
        # The first run of a code path may import modules and fill caches; a real excess repeats.
        result, peak = _traced_run(args, folder, scratch)
    after = _snapshot(folder, outputs)
    described = f"ingest {' '.join(args)} -> exit {result.exit_code}\n{result.output[-3000:]}"
    assert result.exit_code in DOCUMENTED_EXITS, described
    assert "Traceback" not in result.output, described
    assert result.exception is None or isinstance(result.exception, SystemExit), described
    assert peak <= MEMORY_LIMIT, f"peak {peak / 2**20:.1f} MiB\n{described}"
    assert after == before, f"changed outside the output: {sorted(set(after.items()) ^ set(before.items()))}"
    if result.exit_code != 0:
        errors = [line for line in result.stderr.splitlines() if line.startswith(("error:", "Error:"))]
        failed_runs = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
        assert errors or failed_runs or "error[" in result.output or "error(s)" in result.output, described
    return result


def _traced_run(args: Sequence[str], folder: Path, scratch: Path) -> tuple[Result, int]:
    saved_tempdir = tempfile.tempdir
    tempfile.tempdir = str(scratch)
    tracemalloc.start()
    try:
        with contextlib.chdir(folder):
            result = CliRunner().invoke(main, list(args))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        tempfile.tempdir = saved_tempdir
    return result, peak
