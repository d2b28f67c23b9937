"""The shared vocabulary in use: renamed options and their deprecated spellings, suggestions for close misses,
X,Y,Z axis triples, URLs wherever data is read, ``ingest run`` with its own options, one schema at a time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest
import zarr
from click.testing import CliRunner, Result

from ingest.cli import main
from ingest.pipeline.example import write_example
from tests.good_tree import build_good_tree


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="ingest")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    write_example(folder)
    return folder / "example.yaml"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good_tree(tmp_path_factory.mktemp("good") / "tree")


def picks_csv(tmp_path: Path) -> Path:
    source = tmp_path / "p.csv"
    source.write_text("2,4,6\n8,10,12\n")
    return source


# --from / --to name data formats; --format is the output format


def test_convert_picks_reads_the_format_named_by_from(tmp_path: Path) -> None:
    result = invoke("convert", "picks", str(picks_csv(tmp_path)), str(tmp_path / "o.ndjson"), "--from", "csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert len((tmp_path / "o.ndjson").read_text().splitlines()) == 2


def test_the_old_format_spelling_still_works_and_warns(tmp_path: Path) -> None:
    result = invoke("convert", "picks", str(picks_csv(tmp_path)), str(tmp_path / "o.ndjson"), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["warning: --format is deprecated here, use --from (same meaning)"]
    assert len((tmp_path / "o.ndjson").read_text().splitlines()) == 2


def test_the_old_spelling_is_hidden_from_help() -> None:
    result = invoke("convert", "picks", "--help")
    assert "--from FORMAT" in result.stdout
    assert "--format" not in result.stdout


def test_a_missing_from_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("convert", "picks", str(picks_csv(tmp_path)), str(tmp_path / "o.ndjson"))
    assert result.exit_code == 2
    assert "Missing option '--from'" in result.stderr
    assert not (tmp_path / "o.ndjson").exists()


# click choices with suggestions


@pytest.mark.parametrize(
    ("args", "option", "typed", "suggested"),
    [
        (["convert", "picks", "SRC", "DST", "--from", "relion5star"], "--from", "relion5star", "relion5_star"),
        (["convert", "picks", "SRC", "DST", "--from", "csv", "--shape", "oriented"], "--shape", "oriented",
         "oriented-point"),
        (["export", "picks", "SRC", "DST", "--to", "relion_5_star", "--voxel-spacing", "1"], "--to", "relion_5_star",
         "relion5_star"),
        (["convert", "volume", "SRC", "D.zarr", "--voxel-spacing", "1", "--kind", "tomogramm"], "--kind", "tomogramm",
         "tomogram"),
        (["check", "TREE", "--format", "jsn"], "--format", "jsn", "json"),
        (["validate", "CONFIG", "--format", "githb"], "--format", "githb", "github"),
        (["migrate", "CONFIG", "--to", "1.3"], "--to", "1.3", "1.3.0"),
    ],
)  # fmt: skip
def test_close_misses_are_usage_errors_with_a_suggestion(
    tmp_path: Path, args: list[str], option: str, typed: str, suggested: str
) -> None:
    source = picks_csv(tmp_path)
    names = {"SRC": str(source), "DST": str(tmp_path / "o"), "TREE": str(tmp_path), "CONFIG": str(source)}
    result = invoke(*[names.get(arg, arg) for arg in args])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': '{typed}' is not one of" in result.stderr
    assert f"(did you mean '{suggested}'?)" in result.stderr


def test_a_far_miss_lists_the_choices_without_guessing(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path), "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of text, json, github, junit" in result.stderr
    assert "did you mean" not in result.stderr


def test_unknown_only_section_suggests_the_closest(example: Path, tmp_path: Path) -> None:
    result = invoke("deposition", str(example), "--output", str(tmp_path / "o"), "--only", "tomogram", "--dry-run")
    assert result.exit_code == 2
    assert "Invalid value for '--only'" in result.stderr
    assert "(did you mean 'tomograms'?)" in result.stderr


# axis triples: X,Y,Z everywhere


def mask_mrc(path: Path) -> Path:
    """A semantic mask of 2 (z) x 3 (y) x 4 (x) voxels."""
    data = np.zeros((2, 3, 4), dtype=np.int8)
    data[:, :, 2:] = 1
    with mrcfile.new(path, data) as mrc:
        mrc.voxel_size = 10.0
    return path


@pytest.mark.parametrize("size", ["8,6,4", "z=4,y=6,x=8", "X=8, Z=4, Y=6"])
def test_rescale_to_is_x_y_z_like_tomogram_size(tmp_path: Path, size: str) -> None:
    source = mask_mrc(tmp_path / "m.mrc")
    args = ["convert", "volume", str(source), str(tmp_path / "m.zarr"), "--voxel-spacing", "10"]
    result = invoke(*args, "--kind", "semantic-mask", "--mask-label", "1", "--rescale-to", size)
    assert result.exit_code == 0, result.output
    level0 = zarr.open_array(str(tmp_path / "m.zarr" / "0"), mode="r")
    assert level0.shape == (4, 6, 8)  # stored Z,Y,X
    assert level0[0, 0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]  # x is still the axis the mask varies along


@pytest.mark.parametrize("size", ["8,6", "8,6,0", "x=8,y=6", "x=8,y=6,w=4", "8,6,four"])
def test_bad_axis_triples_are_usage_errors(tmp_path: Path, size: str) -> None:
    result = invoke("export", "picks", __file__, str(tmp_path / "o.star"), "--to", "relion5_star",
                    "--voxel-spacing", "1", "--tomogram-size", size)  # fmt: skip
    assert result.exit_code == 2
    assert "expected three positive integers X,Y,Z" in result.stderr


# --dataset and --run are full-match regexes in check as in deposition


def test_check_dataset_is_a_regex(tree: Path) -> None:
    assert invoke("check", str(tree), "--dataset", "1000[0-9]").exit_code == 0
    missing = invoke("check", str(tree), "--dataset", "1000")
    assert missing.exit_code == 2
    assert "no dataset matches --dataset" in missing.stderr
    bad = invoke("check", str(tree), "--dataset", "(")
    assert bad.exit_code == 2 and "Invalid value for '--dataset'" in bad.stderr


def test_check_chooses_its_workers_and_reports_the_same(tree: Path) -> None:
    chosen = invoke("check", str(tree), "--format", "json")
    two = invoke("check", str(tree), "--format", "json", "--workers", "2")
    assert chosen.exit_code == two.exit_code == 0
    assert json.loads(chosen.stdout) == json.loads(two.stdout)


# URLs wherever a path to data is


def upload(client: Any, bucket: str, local: Path, prefix: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            client.put_object(
                Bucket=bucket, Key=f"{prefix}/{path.relative_to(local).as_posix()}", Body=path.read_bytes()
            )


def test_validate_input_takes_an_s3_url(example: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str) -> None:
    upload(s3_client, s3_bucket, example.parent, "lab/example")
    options = ["--storage-option", f"endpoint_url={s3_endpoint}"]
    planned = invoke("validate", str(example), "--input", f"s3://{s3_bucket}/lab/example", *options)
    assert planned.exit_code == 0, planned.output
    empty = invoke("validate", str(example), "--input", f"s3://{s3_bucket}/elsewhere", *options, "--format", "json")
    assert empty.exit_code == 1
    messages = json.dumps(json.loads(empty.stdout))
    assert "E-PLAN" in messages
    assert f"s3://{s3_bucket}/elsewhere" in messages or "phantom" in messages
    assert f"s3:/{s3_bucket}" not in messages.replace("s3://", "")


def test_validate_input_folder_must_exist(example: Path, tmp_path: Path) -> None:
    result = invoke("validate", str(example), "--input", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "expected a folder or an s3:// URL" in result.stderr


# ingest run: its own options, anywhere on the line, exactly one run


def test_run_lists_its_options_in_help() -> None:
    result = invoke("run", "--help")
    assert result.exit_code == 0
    assert "Usage: ingest run [OPTIONS] CONFIG RUN_NAME" in result.stdout
    for option in ("--output", "--input", "--workers", "--format", "--only", "--dry-run", "--quiet"):
        assert option in result.stdout
    options = result.stdout.split("Options:")[1].split("Examples:")[0]
    assert "--run " not in options and "--exclude-run" not in options


@pytest.mark.parametrize("before", [True, False])
def test_run_takes_options_before_or_after_the_run_name(example: Path, tmp_path: Path, before: bool) -> None:
    options = ["--output", str(tmp_path / "o"), "--dry-run", "--format", "json"]
    args = [*options, str(example), "TS_001"] if before else [str(example), "TS_001", *options]
    result = invoke("run", *args)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [run["run"] for run in plan["runs"]] == ["TS_001"]


@pytest.mark.parametrize("option", ["--run", "--exclude-run"])
def test_run_refuses_other_run_selections(example: Path, tmp_path: Path, option: str) -> None:
    result = invoke("run", str(example), "TS_001", option, "TS_002", "--output", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "ingest run ingests exactly one run, RUN_NAME" in result.stderr
    assert not (tmp_path / "o").exists()


# ingest schema: one schema at a time


def test_schema_refuses_two_schemas_at_once() -> None:
    result = invoke("schema", "--json-schema", "--metadata")
    assert result.exit_code == 2
    assert "give one of them" in result.stderr
    assert result.stdout == ""


# the same through real processes


def ingest_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, text=True, check=False)


def test_in_a_real_process_old_spelling_warns_and_suggestions_exit_2(tmp_path: Path) -> None:
    source = picks_csv(tmp_path)
    old = ingest_process("convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--format", "csv")
    assert old.returncode == 0, old.stderr
    assert old.stderr.splitlines() == ["warning: --format is deprecated here, use --from (same meaning)"]
    miss = ingest_process("convert", "picks", str(source), str(tmp_path / "p.ndjson"), "--from", "tsvv")
    assert miss.returncode == 2
    assert "(did you mean 'tsv'?)" in miss.stderr
    assert not (tmp_path / "p.ndjson").exists()


def test_in_a_real_process_run_refuses_run_and_schema_refuses_both(example: Path, tmp_path: Path) -> None:
    refused = ingest_process("run", str(example), "TS_001", "--run", "TS_00[12]", "--output", str(tmp_path / "o"))
    assert refused.returncode == 2
    assert "exactly one run" in refused.stderr
    both = ingest_process("schema", "--metadata", "--json-schema")
    assert (both.returncode, both.stdout) == (2, "")


# --option keys and values are choices too (a reader ignores keys it does not know)


@pytest.mark.parametrize(
    ("pair", "file_format", "message"),
    [
        ("colour=red", "csv", "unknown key 'colour', expected one of table_map, label, coordinates"),
        ("coordinate=normalized", "relion3_star", "(did you mean 'coordinates'?)"),
        ("coordinates=normalized", "csv", "coordinates applies to --from relion3_star"),
        ("coordinates=normalised", "relion3_star", "(did you mean 'normalized'?)"),
    ],
)
def test_format_options_are_checked(tmp_path: Path, pair: str, file_format: str, message: str) -> None:
    result = invoke("convert", "picks", str(picks_csv(tmp_path)), str(tmp_path / "o.ndjson"), "--from", file_format,
                    "--option", pair)  # fmt: skip
    assert result.exit_code == 2
    assert "Invalid value for '--option'" in result.stderr and message in result.stderr
    assert not (tmp_path / "o.ndjson").exists()
