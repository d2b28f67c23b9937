"""A run SIGKILLed just before any one of its publication steps converges on the next run: the final tree is byte for
byte the tree of an uninterrupted run (same ids, same bytes, same manifests) and ``ingest check`` finds nothing.

The steps are enumerated, not sampled: :mod:`ingest.storage.publication_steps` numbers every publication of a run, a
forked child ingests with ``INGEST_TEST_KILL_AT_STEP=k`` and dies at step ``k``, and this process reruns the ingestion.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import FsspecTree, LocalTree
from ingest.cli import main
from ingest.pipeline.example import write_example
from ingest.pipeline.ingestion_log import is_run_record
from ingest.storage.publication_steps import KILL_AT_STEP, STEP_LOG
from tests.test_execute_backends import local_tree

RUN = "TS_001"


def arguments(config: Path, output: str, *extra: str) -> list[str]:
    return [
        "deposition",
        str(config),
        "--output",
        output,
        "--workers",
        "1",
        "--timestamp",
        "2026-03-01",
        "--run",
        RUN,
        "--no-check",
        *extra,
    ]


def _child(args: list[str], environment: dict[str, str]) -> None:
    os.environ.update(environment)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    main.main(args, prog_name="ingest", standalone_mode=True)


def ingest_in_child(args: list[str], environment: dict[str, str]) -> int | None:
    """Ingest in a forked child (imports already done) with ``environment``; its exit code (-9: SIGKILL)."""
    process = get_context("fork").Process(target=_child, args=(args, environment))
    process.start()
    process.join(300)
    return process.exitcode


def ingest_here(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def publication_steps(args: list[str], log: Path) -> list[str]:
    """The publication steps of an uninterrupted ingestion (which it performs)."""
    assert ingest_in_child(args, {STEP_LOG: str(log)}) == 0
    return log.read_text().splitlines()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example(folder)
    return folder / "example.yaml"


@pytest.mark.slow
def test_sigkill_before_every_publication_step_converges_to_the_clean_tree(example: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    steps = publication_steps(arguments(example, str(clean)), tmp_path / "steps.log")
    assert any("TiltSeries/100/TS_001.zarr" in step for step in steps)
    assert len(steps) > 30
    expected = local_tree(clean)
    assert check_tree(LocalTree(clean)).findings == ()
    failures = []
    for step in range(1, len(steps) + 1):
        crashed = tmp_path / f"crashed-{step}"
        args = arguments(example, str(crashed))
        assert ingest_in_child(args, {KILL_AT_STEP: str(step)}) == -signal.SIGKILL, steps[step - 1]
        ingest_here(args)
        if local_tree(crashed) != expected:
            failures.append(f"killed before {steps[step - 1]}: {_differences(local_tree(crashed), expected)}")
        elif findings := check_tree(LocalTree(crashed)).findings:
            failures.append(f"killed before {steps[step - 1]}: check finds {[f.code for f in findings]}")
    assert failures == []


def _differences(found: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    names = sorted(set(found) | set(expected))
    return [name for name in names if found.get(name) != expected.get(name)][:5]


def s3_tree(client: Any, bucket: str, prefix: str) -> dict[str, bytes]:
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys += [item["Key"] for item in page.get("Contents", [])]
    keys = [key for key in keys if not is_run_record(key[len(prefix) + 1 :])]  # logs differ by design
    return {key[len(prefix) + 1 :]: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in sorted(keys)}


def _pick(steps: list[str], *matches: Callable[[str], bool]) -> list[int]:
    return [next(i for i, step in enumerate(steps, start=1) if match(step)) for match in matches]


@pytest.mark.slow
def test_sigkill_on_s3_at_publication_steps_converges(
    example: Path, tmp_path: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str
) -> None:
    option = ["--storage-option", f"endpoint_url={s3_endpoint}"]
    clean_args = arguments(example, f"s3://{s3_bucket}/clean", *option)
    steps = publication_steps(clean_args, tmp_path / "steps.log")
    expected = s3_tree(s3_client, s3_bucket, "clean")
    chosen = _pick(
        steps,
        lambda s: s.endswith("TiltSeries/100/TS_001.zarr") and "tree data" in s,  # zarr chunks, no zarr metadata
        lambda s: "TiltSeries/100/TS_001.zarr/0/.zarray" in s,  # the tree half published
        lambda s: s.endswith("TiltSeries/100/tiltseries_metadata.json"),  # data published, metadata not
        lambda s: s.endswith("_orientedpoint.ndjson"),  # one annotation file of two published
        lambda s: s.endswith("Annotations/100/cytosolic_ribosome-1.0.json"),  # annotation data, no metadata
    )
    for step in chosen:
        prefix = f"crashed-{step}"
        args = arguments(example, f"s3://{s3_bucket}/{prefix}", *option)
        assert ingest_in_child(args, {KILL_AT_STEP: str(step)}) == -signal.SIGKILL, steps[step - 1]
        ingest_here(args)
        found = s3_tree(s3_client, s3_bucket, prefix)
        assert _differences(found, expected) == [], steps[step - 1]
        tree = FsspecTree(f"s3://{s3_bucket}/{prefix}", {"endpoint_url": s3_endpoint})
        assert check_tree(tree).findings == (), steps[step - 1]


def test_orphaned_tiltseries_data_reuses_its_id(example: Path, tmp_path: Path) -> None:
    """The case of issue 18: data of TiltSeries/100 published, its metadata not; the rerun used to write 101."""
    output = tmp_path / "out"
    steps = publication_steps(arguments(example, str(output)), tmp_path / "steps.log")
    (metadata_step,) = _pick(steps, lambda s: s.endswith("TiltSeries/100/tiltseries_metadata.json"))
    crashed = tmp_path / "crashed"
    args = arguments(example, str(crashed))
    assert ingest_in_child(args, {KILL_AT_STEP: str(metadata_step)}) == -signal.SIGKILL
    run_dir = crashed / "90001" / RUN
    assert (run_dir / "TiltSeries/100/TS_001.mrc").exists()
    assert not (run_dir / "TiltSeries/100/tiltseries_metadata.json").exists()
    claims = json.loads((crashed / f".ingest/manifests/90001/{RUN}.json").read_text())["claims"]
    assert f"90001/{RUN}/TiltSeries/100" in claims
    ingest_here(args)
    assert sorted(p.name for p in (run_dir / "TiltSeries").iterdir()) == ["100"]
    assert local_tree(crashed) == local_tree(output)
    ingest_here([*args, "--overwrite"])
    assert local_tree(crashed) == local_tree(output)


def test_unclaimed_numbered_folder_is_not_taken_over(example: Path, tmp_path: Path) -> None:
    """A numbered folder without metadata that our manifest does not claim (someone else's) keeps its id."""
    output = tmp_path / "out"
    foreign = output / "90001" / RUN / "TiltSeries/100/notes.txt"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("not ours")
    ingest_here(arguments(_example_config(tmp_path), str(output)))
    assert foreign.read_text() == "not ours"
    assert (output / "90001" / RUN / "TiltSeries/101/tiltseries_metadata.json").exists()


def _example_config(folder: Path) -> Path:
    write_example(folder / "example")
    return folder / "example/example.yaml"
