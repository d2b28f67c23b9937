"""URLs wherever a path to data is: ``convert volume``, ``convert picks`` and ``export picks`` read and write
``s3://`` (a real moto server on 127.0.0.1) and ``file://`` exactly as they read and write local files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest
from click.testing import CliRunner, Result

from ingest.cli import main
from tests.conftest import FAKE_AWS_ENVIRONMENT, free_port


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def write_mrc(path: Path, data: np.ndarray, voxel: float = 9.0) -> Path:
    with mrcfile.new(path, data, overwrite=True) as mrc:
        mrc.voxel_size = voxel
    return path


def upload(s3_client: Any, bucket: str, local: Path, key: str) -> str:
    """Upload a file, or every file of a folder under ``key``; the ``s3://`` URL."""
    if local.is_dir():
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            s3_client.upload_file(str(path), bucket, f"{key}/{path.relative_to(local).as_posix()}")
    else:
        s3_client.upload_file(str(local), bucket, key)
    return f"s3://{bucket}/{key}"


def download(s3_client: Any, bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix/`` (or the object ``prefix`` itself, as ``""``) by relative key."""
    found: dict[str, bytes] = {}
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if key == prefix or key.startswith(prefix + "/"):
                found[key[len(prefix) + 1 :]] = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return found


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def endpoint(s3_endpoint: str) -> list[str]:
    """The ``--storage-option`` arguments that point at the test server."""
    return ["--storage-option", f"endpoint_url={s3_endpoint}"]


@pytest.fixture
def volume(tmp_path: Path) -> Path:
    data = np.random.default_rng(3).normal(size=(9, 10, 11)).astype(np.float32)
    return write_mrc(tmp_path / "in.mrc", data)


def convert_volume(source: str, zarr_out: str, mrc_out: str, *extra: str) -> Result:
    return invoke("convert", "volume", source, zarr_out, "--voxel-spacing", "4", "--mrc", mrc_out, *extra)


def test_volume_from_an_s3_mrc_equals_the_local_conversion(
    tmp_path: Path, volume: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    local = convert_volume(str(volume), str(tmp_path / "a" / "v.zarr"), str(tmp_path / "a.mrc"))
    assert local.exit_code == 0, local.output
    url = upload(s3_client, s3_bucket, volume, "raw/in.mrc")
    remote = convert_volume(url, str(tmp_path / "b" / "v.zarr"), str(tmp_path / "b.mrc"), *endpoint)
    assert remote.exit_code == 0, remote.output
    assert files(tmp_path / "b" / "v.zarr") == files(tmp_path / "a" / "v.zarr") != {}
    assert (tmp_path / "b.mrc").read_bytes() == (tmp_path / "a.mrc").read_bytes()
    assert f"fetching {url} to a temporary local copy" in remote.stderr
    assert str(tmp_path / "b" / "v.zarr") in remote.stdout


def test_volume_from_an_s3_ome_zarr_equals_the_local_conversion(
    tmp_path: Path, volume: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    made = convert_volume(str(volume), str(tmp_path / "src.zarr"), str(tmp_path / "src.mrc"))
    assert made.exit_code == 0, made.output
    local = invoke(
        "convert", "volume", str(tmp_path / "src.zarr"), str(tmp_path / "a" / "v.zarr"), "--voxel-spacing", "5"
    )
    assert local.exit_code == 0, local.output
    url = upload(s3_client, s3_bucket, tmp_path / "src.zarr", "zarr/src.zarr")
    remote = invoke("convert", "volume", url, str(tmp_path / "b" / "v.zarr"), "--voxel-spacing", "5", *endpoint)
    assert remote.exit_code == 0, remote.output
    assert files(tmp_path / "b" / "v.zarr") == files(tmp_path / "a" / "v.zarr") != {}
    assert "fetching" not in remote.stderr  # read in place, not copied


def test_volume_outputs_to_s3_equal_the_local_outputs(
    tmp_path: Path, volume: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    local = convert_volume(str(volume), str(tmp_path / "a" / "v.zarr"), str(tmp_path / "a.mrc"))
    assert local.exit_code == 0, local.output
    zarr_url, mrc_url = f"s3://{s3_bucket}/out/v.zarr", f"s3://{s3_bucket}/out/v.mrc"
    remote = convert_volume(str(volume), zarr_url, mrc_url, *endpoint)
    assert remote.exit_code == 0, remote.output
    assert download(s3_client, s3_bucket, "out/v.zarr") == files(tmp_path / "a" / "v.zarr")
    assert download(s3_client, s3_bucket, "out/v.mrc") == {"": (tmp_path / "a.mrc").read_bytes()}
    assert remote.stdout.splitlines()[0].startswith(f"{zarr_url}: tomogram float32")
    assert f"{mrc_url}: canonical MRC" in remote.stdout
    assert "/tmp" not in remote.output
    listed = s3_client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])
    assert all(item["Key"].startswith(("out/v.zarr/", "out/v.mrc")) for item in listed), listed  # no probe left


def test_volume_over_file_urls(tmp_path: Path, volume: Path) -> None:
    local = convert_volume(str(volume), str(tmp_path / "a" / "v.zarr"), str(tmp_path / "a.mrc"))
    by_url = convert_volume(volume.as_uri(), (tmp_path / "b" / "v.zarr").as_uri(), (tmp_path / "b.mrc").as_uri())
    assert local.exit_code == by_url.exit_code == 0, by_url.output
    assert files(tmp_path / "b" / "v.zarr") == files(tmp_path / "a" / "v.zarr")
    assert (tmp_path / "b.mrc").read_bytes() == (tmp_path / "a.mrc").read_bytes()


def test_bad_mrc_at_a_url_is_named_by_its_url(
    tmp_path: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    bad = tmp_path / "bad.mrc"
    bad.write_text("not a volume")
    url = upload(s3_client, s3_bucket, bad, "raw/bad.mrc")
    result = invoke("convert", "volume", url, str(tmp_path / "o.zarr"), "--voxel-spacing", "1", *endpoint)
    assert result.exit_code == 1
    assert error_lines(result)[-1].startswith(f"error: {url}: not an MRC file")
    assert "ingest-fetch" not in result.output
    assert not (tmp_path / "o.zarr").exists()


def picks_files(tmp_path: Path) -> tuple[Path, Path]:
    tomogram = write_mrc(tmp_path / "t.mrc", np.zeros((4, 5, 6), dtype=np.float32))  # z, y, x
    source = tmp_path / "p.csv"
    source.write_text("5.5,4.5,3.5\n1,2,3\n")
    return source, tomogram


def test_picks_from_s3_with_an_s3_tomogram_equal_the_local_conversion(
    tmp_path: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    source, tomogram = picks_files(tmp_path)
    local = invoke(
        "convert", "picks", str(source), str(tmp_path / "a.ndjson"), "--from", "csv", "--tomogram", str(tomogram)
    )
    assert local.exit_code == 0, local.output
    src_url = upload(s3_client, s3_bucket, source, "picks/p.csv")
    mrc_url = upload(s3_client, s3_bucket, tomogram, "tomo/t.mrc")
    dst_url = f"s3://{s3_bucket}/out/p.ndjson"
    remote = invoke("convert", "picks", src_url, dst_url, "--from", "csv", "--tomogram", mrc_url, *endpoint)
    assert remote.exit_code == 0, remote.output
    assert remote.stdout.strip() == f"wrote 2 point line(s) to {dst_url}"
    assert download(s3_client, s3_bucket, "out/p.ndjson") == {"": (tmp_path / "a.ndjson").read_bytes()}


def test_picks_point_outside_an_s3_tomogram_names_the_source_url(
    tmp_path: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    source, tomogram = picks_files(tmp_path)
    source.write_text("1,2,3\n5,60,7\n")
    src_url = upload(s3_client, s3_bucket, source, "picks/p.csv")
    mrc_url = upload(s3_client, s3_bucket, tomogram, "tomo/t.mrc")
    dst_url = f"s3://{s3_bucket}/out/p.ndjson"
    result = invoke("convert", "picks", src_url, dst_url, "--from", "csv", "--tomogram", mrc_url, *endpoint)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {src_url}: row 2: point outside the tomogram (1 of 2 points are) "
        "(expected 0 <= x < 6, 0 <= y < 5, 0 <= z < 4 voxels, found (5.0, 60.0, 7.0))"
    ]
    assert download(s3_client, s3_bucket, "out") == {}  # nothing published


def test_relion5_round_trip_through_s3_with_companion_files(
    tmp_path: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    ndjson = tmp_path / "p.ndjson"
    line = '{"type": "orientedPoint", "location": {"x": 1.0, "y": 2.0, "z": 3.0}, "xyz_rotation_matrix": '
    ndjson.write_text(line + "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}\n")
    ndjson_url = upload(s3_client, s3_bucket, ndjson, "in/p.ndjson")
    star_url = f"s3://{s3_bucket}/star/particles.star"
    args = ["--to", "relion5_star", "--voxel-spacing", "7.5", "--tomogram-size", "10,10,10", "--run-name", "TS_01"]
    exported = invoke("export", "picks", ndjson_url, star_url, *args, *endpoint)
    assert exported.exit_code == 0, exported.output
    companion = f"s3://{s3_bucket}/star/particles_tomograms.star"
    assert exported.stdout.strip() == f"wrote 1 point(s) to {star_url}, {companion}"
    local = invoke("export", "picks", str(ndjson), str(tmp_path / "particles.star"), *args)
    assert local.exit_code == 0, local.output
    assert download(s3_client, s3_bucket, "star/particles.star") == {"": (tmp_path / "particles.star").read_bytes()}
    back_url = f"s3://{s3_bucket}/back/p.ndjson"
    back = invoke(
        "convert", "picks", star_url, back_url, "--from", "relion5_star", "--shape", "oriented-point",
        "--voxel-spacing", "7.5", "--tomograms-star", companion, *endpoint,
    )  # fmt: skip
    assert back.exit_code == 0, back.output
    (data,) = download(s3_client, s3_bucket, "back/p.ndjson").values()
    assert json.loads(data)["location"] == {"x": 1.0, "y": 2.0, "z": 3.0}


def test_dynamo_table_map_at_a_url(tmp_path: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]) -> None:
    import dynamotable
    import pandas as pd

    rows = [{"tag": 1, "x": 4.0, "y": 5.0, "z": 6.0, "tomo": 1, "tomo_file": "/data/TS_01.mrc"},
            {"tag": 2, "x": 9.0, "y": 5.0, "z": 6.0, "tomo": 2, "tomo_file": "/data/TS_02.mrc"}]  # fmt: skip
    table = tmp_path / "t.tbl"
    dynamotable.write(pd.DataFrame(rows), str(table))
    table_map = tmp_path / "map.doc"
    (tmp_path / "t.doc").rename(table_map)  # not beside the table: named by --option table_map=
    table_url = upload(s3_client, s3_bucket, table, "dyn/t.tbl")
    map_url = upload(s3_client, s3_bucket, table_map, "dyn/map.doc")
    out = tmp_path / "o.ndjson"
    result = invoke(
        "convert", "picks", table_url, str(out), "--from", "dynamo_tbl", "--filter-value", "TS_02",
        "--option", f"table_map={map_url}", *endpoint,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["location"]["x"] for line in out.read_text().splitlines()] == [9.0]
    missing = invoke(
        "convert", "picks", table_url, str(out), "--from", "dynamo_tbl", "--filter-value", "TS_02",
        "--option", f"table_map={map_url}.gone", *endpoint,
    )  # fmt: skip
    assert missing.exit_code == 2
    assert error_lines(missing) == [f"error: {map_url}.gone: the table map does not exist (found no such object)"]


def test_picks_over_file_urls(tmp_path: Path) -> None:
    source, tomogram = picks_files(tmp_path)
    local = invoke(
        "convert", "picks", str(source), str(tmp_path / "a.ndjson"), "--from", "csv", "--tomogram", str(tomogram)
    )
    by_url = invoke(
        "convert", "picks", source.as_uri(), (tmp_path / "b.ndjson").as_uri(), "--from", "csv",
        "--tomogram", tomogram.as_uri(),
    )  # fmt: skip
    assert local.exit_code == by_url.exit_code == 0, by_url.output
    assert (tmp_path / "b.ndjson").read_bytes() == (tmp_path / "a.ndjson").read_bytes()


@pytest.mark.parametrize("command", ["volume", "picks", "export", "tomogram"])
def test_missing_object_exits_two_with_one_line_naming_the_url(
    tmp_path: Path, s3_bucket: str, endpoint: list[str], command: str
) -> None:
    url = f"s3://{s3_bucket}/nothing/here.dat"
    source, _ = picks_files(tmp_path)
    args = {
        "volume": ["convert", "volume", url, str(tmp_path / "o.zarr"), "--voxel-spacing", "1"],
        "picks": ["convert", "picks", url, str(tmp_path / "o.ndjson"), "--from", "csv"],
        "export": ["export", "picks", url, str(tmp_path / "o.csv"), "--to", "csv", "--voxel-spacing", "1"],
        "tomogram": ["convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--from", "csv", "--tomogram", url],
    }[command]
    result = invoke(*args, *endpoint)
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result)
    assert line.startswith(f"error: {url}: the ") and "does not exist" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "t.mrc"]


def test_missing_local_source_exits_two_naming_it(tmp_path: Path) -> None:
    result = invoke("convert", "volume", str(tmp_path / "none.mrc"), str(tmp_path / "o.zarr"), "--voxel-spacing", "1")
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: {tmp_path / 'none.mrc'}: the source volume does not exist"]


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``--storage-option`` arguments naming an S3 endpoint on loopback where nothing listens."""
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return ["--storage-option", f"endpoint_url=http://127.0.0.1:{free_port()}"]


@pytest.mark.parametrize("side", ["input", "output"])
def test_unreachable_storage_exits_two_within_seconds_naming_the_url(
    tmp_path: Path, unreachable: list[str], side: str
) -> None:
    source, _ = picks_files(tmp_path)
    url = "s3://bucket/picks/p.csv" if side == "input" else "s3://bucket/out/p.ndjson"
    src, dst = (url, str(tmp_path / "o.ndjson")) if side == "input" else (str(source), url)
    start = time.monotonic()
    result = invoke("convert", "picks", src, dst, "--from", "csv", *unreachable)
    elapsed = time.monotonic() - start
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result)
    assert line.startswith(f"error: {url}: ") and "failed after 5 attempts" in line, line
    assert unreachable[1].removeprefix("endpoint_url=") in line
    assert elapsed < 15, elapsed


def test_destination_url_that_is_the_source_url_is_refused(s3_bucket: str, endpoint: list[str]) -> None:
    url = f"s3://{s3_bucket}/p.csv"
    result = invoke("convert", "picks", url, url, "--from", "csv", *endpoint)
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"error: {url}: the output would overwrite the source "
        f"(expected a destination that is not an input or another output, found {url} overlaps {url})"
    ]


def test_a_real_process_converts_picks_between_s3_urls(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str
) -> None:
    source, tomogram = picks_files(tmp_path)
    src_url = upload(s3_client, s3_bucket, source, "picks/p.csv")
    mrc_url = upload(s3_client, s3_bucket, tomogram, "tomo/t.mrc")
    dst_url = f"s3://{s3_bucket}/out/p.ndjson"
    environment = {**os.environ, **FAKE_AWS_ENVIRONMENT}
    command = [sys.executable, "-m", "ingest", "convert", "picks", src_url, dst_url, "--from", "csv"]
    options = ["--tomogram", mrc_url, "--storage-option", f"endpoint_url={s3_endpoint}"]
    done = subprocess.run([*command, *options], capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 2 point line(s) to {dst_url}"
    local = invoke(
        "convert", "picks", str(source), str(tmp_path / "a.ndjson"), "--from", "csv", "--tomogram", str(tomogram)
    )
    assert local.exit_code == 0, local.output
    assert download(s3_client, s3_bucket, "out/p.ndjson") == {"": (tmp_path / "a.ndjson").read_bytes()}
    missing = subprocess.run(
        [*command[:5], f"{src_url}.gone", *command[6:], *options], capture_output=True, text=True, env=environment,
        timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"error: {src_url}.gone: the pick file does not exist (found no such object)"
    ]


def test_existing_folder_as_file_destination_is_a_usage_error(tmp_path: Path) -> None:
    source, _ = picks_files(tmp_path)
    (tmp_path / "out").mkdir()
    result = invoke("convert", "picks", str(source), str(tmp_path / "out"), "--from", "csv")
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: {tmp_path / 'out'}: DST is an existing folder (expected a file name)"]
    assert list((tmp_path / "out").iterdir()) == []


def test_folder_url_that_is_not_a_zarr_is_named_by_its_url(
    tmp_path: Path, s3_client: Any, s3_bucket: str, endpoint: list[str]
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("no zarr here")
    url = upload(s3_client, s3_bucket, folder, "data/notes.zarr")
    result = invoke("convert", "volume", url, str(tmp_path / "o.zarr"), "--voxel-spacing", "1", *endpoint)
    assert result.exit_code == 1
    (line,) = error_lines(result)
    assert line.startswith(f"error: {url}: not an MRC file or a zarr group"), line
    assert not (tmp_path / "o.zarr").exists()


def test_published_outputs_appear_whole_or_not_at_all(tmp_path: Path) -> None:
    """Through fsspec's in-process object store: a block that fails publishes nothing; one that succeeds
    publishes its file and the companions written beside it."""
    import fsspec

    from ingest.errors import InputFileError
    from ingest.storage.locations import published

    store = fsspec.filesystem("memory")
    with pytest.raises(InputFileError) as failure, published("memory://urls/out/p.star", {}, what="DST") as output:
        output.path.write_text("half")
        raise InputFileError("bad row", where=f"{output.path}: row 3")
    assert failure.value.message == "memory://urls/out/p.star: row 3: bad row"
    assert not store.exists("/urls/out/p.star")
    with published("memory://urls/out/p.star", {}, what="DST") as output:
        output.path.write_text("main")
        output.path.with_name("p_tomograms.star").write_text("companion")
        assert output.named(str(output.path.with_name("p_tomograms.star"))) == "memory://urls/out/p_tomograms.star"
    assert store.cat_file("/urls/out/p.star") == b"main"
    assert store.cat_file("/urls/out/p_tomograms.star") == b"companion"


@pytest.mark.parametrize("url", ["gs://bucket/p.csv", "s3://bucket"])
def test_unsupported_or_keyless_url_is_a_usage_error_naming_it(tmp_path: Path, url: str) -> None:
    result = invoke("convert", "picks", url, str(tmp_path / "o.ndjson"), "--from", "csv")
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert line.startswith(f"error: {url}: the URL names no file") or line.startswith(
        f"error: unsupported storage URL '{url}'"
    ), line
    assert list(tmp_path.iterdir()) == []
