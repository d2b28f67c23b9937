"""``ingest info TREE`` (local and S3) and the deposition's log: ``.ingest/logs/{started}.log``, ``--log-file``,
``--quiet``, ``--verbose``; through click's runner and one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example
from ingest.pipeline.ingestion_log import log_stamp


def deposition(config: Path, output: str, *extra: str) -> Any:
    arguments = ["deposition", str(config), "--output", output, "--workers", "1", "--timestamp", "2026-03-01",
                 *extra]  # fmt: skip
    return CliRunner().invoke(main, arguments)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, datetime, datetime]:
    """The example deposition ingested once (both runs), with the clock before and after."""
    folder = tmp_path_factory.mktemp("info")
    write_example(folder / "example")
    before = datetime.now(UTC).replace(microsecond=0)
    result = deposition(folder / "example/example.yaml", str(folder / "tree"), "--log-file", str(folder / "copy.log"))
    assert result.exit_code == 0, result.output
    return folder / "example/example.yaml", folder / "tree", before, datetime.now(UTC)


def info_json(tree: str, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["info", tree, "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_info_counts_what_the_tree_holds(ingested: tuple[Path, Path, datetime, datetime]) -> None:
    _, tree, _, _ = ingested
    summary = info_json(str(tree))
    assert summary["depositions"] == ["90000"]
    assert [(d["dataset"], d["runs"], d["tomograms"], d["annotations"]) for d in summary["datasets"]] == [
        ("90001", 2, 4, 6)
    ]
    assert (summary["runs"], summary["tiltseries"]) == (2, 2)
    assert summary["tomograms"] == {"total": 4, "by_voxel_spacing": {"10.000": 2, "20.000": 2}}
    assert summary["annotations"] == {
        "total": 6,
        "by_shape": {"OrientedPoint": 2, "Point": 4, "SegmentationMask": 2},
    }
    files = [path for path in tree.rglob("*") if path.is_file() and ".ingest" not in path.parts]
    assert summary["files"] == len(files)
    assert summary["bytes"] == sum(path.stat().st_size for path in files)
    assert sum(summary["bytes_by_kind"].values()) == summary["bytes"]
    assert summary["bytes_by_kind"]["tomograms"] > summary["bytes_by_kind"]["annotations"] > 0
    last = summary["ingest"]["last_ingestion"]
    assert last["ok"] is True and last["totals"]["written"] == 40
    assert (tree / last["log"]).is_file()
    assert summary["ingest"]["manifests"] == 3 and summary["ingest"]["logs"] == 1


def test_info_as_tables(ingested: tuple[Path, Path, datetime, datetime]) -> None:
    result = CliRunner().invoke(main, ["info", str(ingested[1])])
    assert result.exit_code == 0, result.output
    assert "4 (2 at 10.000 Å, 2 at 20.000 Å)" in result.stdout
    assert "6 (2 OrientedPoint, 4 Point, 2 SegmentationMask)" in result.stdout
    assert "last ingestion" in result.stdout and " ok " in result.stdout


def test_info_of_something_else_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["info", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a portal tree" in result.stderr and "found nothing" in result.stderr
    (tmp_path / "notes.txt").write_text("hello")
    result = CliRunner().invoke(main, ["info", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2 and "found 1 file(s)" in result.stderr


def test_info_on_s3(
    ingested: tuple[Path, Path, datetime, datetime], s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    _, tree, _, _ = ingested
    for path in tree.rglob("*"):
        if path.is_file():
            s3_client.put_object(Bucket=s3_bucket, Key=f"portal/{path.relative_to(tree)}", Body=path.read_bytes())
    summary = info_json(f"s3://{s3_bucket}/portal", "--storage-option", f"endpoint_url={s3_endpoint}")
    local = info_json(str(tree))
    for name in ("depositions", "datasets", "runs", "tomograms", "annotations", "files", "bytes", "ingest"):
        assert summary[name] == local[name], name


def test_the_log_is_kept_beside_the_manifests(ingested: tuple[Path, Path, datetime, datetime]) -> None:
    _, tree, before, after = ingested
    (log,) = (tree / ".ingest/logs").iterdir()
    assert log_stamp(before) <= log.stem <= log_stamp(after)  # named from the clock when the command started
    text = log.read_text()
    assert "run 90001/TS_001: 19 written (0 metadata only), 0 skipped" in text
    assert "output checks: 0 error(s)" in text
    assert (tree.parent / "copy.log").read_text() == text  # --log-file: the same records


def test_quiet_and_verbose(ingested: tuple[Path, Path, datetime, datetime]) -> None:
    config, tree, _, _ = ingested
    quiet = deposition(config, str(tree), "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    verbose = deposition(config, str(tree), "--verbose")
    assert verbose.exit_code == 0
    assert "INFO ingest.deposition: run 90001/TS_002: 0 written (0 metadata only), 19 skipped" in verbose.stderr
    logs = sorted((tree / ".ingest/logs").iterdir())
    assert len(logs) == 3  # one per deposition, never overwritten (same second: a -2 suffix)
    check = CliRunner().invoke(main, ["check", str(tree)])
    assert check.exit_code == 0, check.output  # logs are outside the canonical tree


def test_info_in_a_real_process(ingested: tuple[Path, Path, datetime, datetime]) -> None:
    _, tree, _, _ = ingested
    environment = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "info", str(tree), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tomograms"]["total"] == 4
    missing = subprocess.run(
        [sys.executable, "-m", "ingest", "info", str(tree / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2 and missing.stderr.startswith("error: ") and missing.stdout == ""


def test_a_failed_ingestion_is_logged_and_summarised(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    source = tmp_path / "example/phantom/tomograms/TS_002_bin1.mrc"
    source.write_bytes(source.read_bytes()[:2000])  # truncated: run TS_002 fails
    result = deposition(tmp_path / "example/example.yaml", str(tmp_path / "tree"), "--quiet")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED 90001/TS_002: ") and result.stderr == ""
    last = json.loads((tmp_path / "tree/.ingest/last_ingestion.json").read_text())
    assert last["ok"] is False and last["totals"]["failed"] == 1
    assert "ERROR ingest.deposition: run 90001/TS_002 FAILED" in (tmp_path / "tree" / last["log"]).read_text()


def test_a_run_refused_by_the_source_checks_is_recorded_and_summarised(tmp_path: Path) -> None:
    write_example(tmp_path / "example")
    rawtlt = tmp_path / "example/phantom/tiltseries/TS_002.rawtlt"
    rawtlt.write_text("".join(f"{float(angle) + 1.5:.2f}\n" for angle in rawtlt.read_text().split()))
    result = deposition(tmp_path / "example/example.yaml", str(tmp_path / "tree"), "--quiet")
    assert result.exit_code == 1, result.output
    last = info_json(str(tmp_path / "tree"))["ingest"]["last_ingestion"]
    assert last["refused"] == ["90001/TS_002"] and last["ok"] is False
    assert "run 90001/TS_002 REFUSED by the source checks" in (tmp_path / "tree" / last["log"]).read_text()
    table = CliRunner().invoke(main, ["info", str(tmp_path / "tree")])
    assert "FAILED, 1 run(s) refused" in table.stdout, table.stdout
