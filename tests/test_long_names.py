"""Long names: temporary names stay within NAME_MAX (255 bytes), so a 230-character run ingests end to end
(issue 18 item 8: it failed with Errno 36 and left a half-published run); names too long for the tree are refused
before anything is written."""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.domain.entities import MAX_NAME_BYTES, check_safe_name
from ingest.errors import PlanError
from ingest.pipeline.example import write_example
from ingest.storage.fsspec_backend import temporary_name
from ingest.storage.keys import NAME_MAX, TEMPORARY_MARKER, fitting_name
from tests.ingest_cli import ingest, run_counts

LONG_RUN = "TS_001" + "a" * 224


def test_fitting_name_keeps_short_names_and_shortens_long_ones_uniquely() -> None:
    assert fitting_name("TS_001.zarr", 40) == "TS_001.zarr"
    first, second = fitting_name("x" * 300 + "1", 40), fitting_name("x" * 300 + "2", 40)
    assert first != second and len(first) + 40 == NAME_MAX == len(second) + 40
    wide = fitting_name("é" * 200, 40)  # 400 bytes: cut on a character boundary
    assert len(wide.encode()) <= NAME_MAX - 40 and wide.startswith("é")


def test_temporary_names_of_long_names_fit_with_their_old_suffix() -> None:
    name = temporary_name(LONG_RUN + ".zarr")
    assert name.startswith(TEMPORARY_MARKER) and len((name + "-old").encode()) <= NAME_MAX


def test_a_name_too_long_for_its_files_is_refused_when_planned() -> None:
    assert check_safe_name("run", "r" * MAX_NAME_BYTES)
    with pytest.raises(PlanError, match="longer than 230"):
        check_safe_name("run", "r" * (MAX_NAME_BYTES + 1))


def _rename_run(root: Path, old: str, new: str) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file() and path.suffix in {".csv", ".star", ".json", ".mdoc", ".yaml", ".rawtlt"}:
            path.write_text(path.read_text().replace(old, new))
        if old in path.name:
            path.rename(path.with_name(path.name.replace(old, new)))


def test_a_230_character_run_ingests_end_to_end_and_reruns_clean(tmp_path: Path) -> None:
    write_example(tmp_path / "input")
    _rename_run(tmp_path / "input", "TS_001", LONG_RUN)
    config = tmp_path / "input" / "example.yaml"
    config.write_text(config.read_text().replace(r"match_regex: TS_\d+_bin1", r"match_regex: TS_\w+_bin1"))
    output = tmp_path / "out"
    report = ingest(config, output)
    counts = run_counts(report)
    assert counts[f"90001/{LONG_RUN}"][2] is None, counts
    assert counts[f"90001/{LONG_RUN}"][0] == counts["90001/TS_002"][0] > 0
    with mrcfile.open(output / "90001" / LONG_RUN / "TiltSeries" / "100" / f"{LONG_RUN}.mrc") as mrc:
        assert mrc.data.shape[1:] == (128, 128)
    assert not [p for p in output.rglob(f"*{TEMPORARY_MARKER}*") if ".ingest" not in p.relative_to(output).parts]
    again = run_counts(ingest(config, output))
    assert again[f"90001/{LONG_RUN}"][:2] == (0, counts[f"90001/{LONG_RUN}"][0])


def test_convert_commands_write_outputs_with_long_names(tmp_path: Path) -> None:
    source = tmp_path / "in.mrc"
    with mrcfile.new(source, np.ones((4, 4, 4), np.float32)) as mrc:
        mrc.voxel_size = 1.0
    long_zarr, long_mrc = tmp_path / ("v" * 245 + ".zarr"), tmp_path / ("v" * 246 + ".mrc")
    args = ["convert", "volume", str(source), str(long_zarr), "--voxel-spacing", "1", "--mrc", str(long_mrc)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert long_zarr.is_dir() and long_mrc.is_file()
    points = tmp_path / "p.csv"
    points.write_text("1,2,3\n")
    long_ndjson = tmp_path / ("p" * 248 + ".ndjson")
    result = CliRunner().invoke(main, ["convert", "picks", str(points), str(long_ndjson), "--from", "csv"])
    assert result.exit_code == 0, result.output
    assert long_ndjson.read_text().startswith('{"type": "point"')
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["in.mrc", "p.csv", long_zarr.name, long_mrc.name, long_ndjson.name]
    )
