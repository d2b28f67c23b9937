"""Hostile sizes (issue 18 item 5): sizes declared by a file are checked against what is possible before anything
is allocated, and out-of-core conversion stays bounded in memory whatever shape a header declares.

Memory is measured in a child process (peak anonymous memory, as benchmarks/volume.py does), so that the
allocation a regression would make cannot hurt the test run itself.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from ingest.cli import main
from ingest.converters.picks.tables import MAX_COLUMNS

MIB = 1 << 20


def _child(code: str, timeout: float = 120) -> tuple[dict[str, object], float]:
    """Run ``code`` in a fresh interpreter that prints one JSON line; return it and the peak RssAnon (MiB)."""
    script = textwrap.dedent(code)
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak, started = 0, time.monotonic()
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        if time.monotonic() - started > timeout:
            process.kill()
            process.wait()
            pytest.fail(f"still running after {timeout} s (peak RssAnon {peak / 1024:.0f} MiB)")
        try:
            anon = next(line for line in status.read_text().splitlines() if line.startswith("RssAnon"))
            peak = max(peak, int(anon.split()[1]))
        except (OSError, StopIteration):
            pass
        time.sleep(0.01)
    out, err = process.communicate()
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1]), peak / 1024


def _mrc_with_nsymbt(path: Path, nsymbt: int) -> Path:
    with mrcfile.new(path, np.zeros((60, 32, 32), np.float32)) as mrc:
        mrc.voxel_size = 10.0
    raw = bytearray(path.read_bytes())
    struct.pack_into("<i", raw, 92, nsymbt)
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("reader", ["read_mrc", "tomogram_size_from_mrc"])
def test_an_extended_header_larger_than_the_file_is_refused_before_allocating(tmp_path: Path, reader: str) -> None:
    source = _mrc_with_nsymbt(tmp_path / "ext.mrc", 2**31 - 1)
    assert source.stat().st_size == 246784  # the 246 KB file of the report
    module = "ingest.converters.volumes.mrc" if reader == "read_mrc" else "ingest.converters.picks.conversion"
    result, peak = _child(
        f"""
        import json
        from pathlib import Path
        from ingest.errors import InputFileError
        from {module} import {reader}
        try:
            {reader}(Path({str(source)!r}))
            print(json.dumps({{"error": None}}))
        except InputFileError as error:
            print(json.dumps({{"error": error.message}}))
        """
    )
    assert result["error"] == (
        f"{source}: MRC extended header runs past the end of the file "
        "(expected at least 2147484671 bytes (1024-byte header + nsymbt 2147483647), found 246784 bytes)"
    )
    assert peak < 400, f"peak RssAnon {peak:.0f} MiB"  # was 2.1 GiB: mrcfile read the whole extended header


def _hostile_zarr(
    path: Path, shape: tuple[int, int, int], chunks: tuple[int, int, int], *, with_data: bool = True
) -> Path:
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    array = group.create_array("0", shape=shape, chunks=chunks, dtype="float32")
    if with_data:
        array[: chunks[0], : chunks[1], : chunks[2]] = 1.0  # the only chunk present: a few hundred KB on disk
    axes = [{"name": axis, "type": "space"} for axis in "zyx"]
    scale = [{"type": "scale", "scale": [1.0, 1.0, 1.0]}]
    group.attrs["multiscales"] = [
        {"version": "0.4", "axes": axes, "datasets": [{"path": "0", "coordinateTransformations": scale}]}
    ]
    return path


def test_an_ome_zarr_declaring_100000_cubed_is_refused_quickly(tmp_path: Path) -> None:
    source = _hostile_zarr(tmp_path / "hostile.zarr", (100000,) * 3, (256,) * 3)
    started = time.monotonic()
    result = CliRunner().invoke(
        main, ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "1"]
    )
    assert time.monotonic() - started < 60
    assert result.exit_code == 1, result.output
    assert "volume too large to convert (expected at most 1.1e+12 voxels, found 100000x100000x100000" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.zarr"]


def test_an_ome_zarr_with_chunks_too_large_to_decode_is_refused(tmp_path: Path) -> None:
    source = _hostile_zarr(tmp_path / "big-chunks.zarr", (4096, 4096, 4096), (2048, 2048, 2048), with_data=False)
    result = CliRunner().invoke(
        main, ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "1"]
    )
    assert result.exit_code == 1, result.output
    assert "zarr chunks too large to read in bounded memory" in result.output and "2048x2048x2048" in result.output


def test_the_canonical_mrc_of_a_declared_shape_that_cannot_fit_the_disk_is_refused(tmp_path: Path) -> None:
    import shutil

    source = _hostile_zarr(tmp_path / "h.zarr", (10000, 10000, 10000), (256, 256, 256))  # 4 TB as float32
    if shutil.disk_usage(tmp_path).free >= 4 * 10**12:
        pytest.skip("this disk has 4 TB free: the canonical MRC would fit")
    args = ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "1"]
    result = CliRunner().invoke(main, [*args, "--mrc", str(tmp_path / "o.mrc")])
    assert result.exit_code == 1, result.output
    assert (
        f"{tmp_path / 'o.mrc'}: not enough free space for the canonical MRC (expected 4000000000000 bytes"
        in result.output
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.zarr"]


def test_a_huge_declared_shape_streams_in_bounded_memory(tmp_path: Path) -> None:
    """10000³ in 64³ chunks (3.8 million chunks): memory must not grow with the chunk count.

    The conversion is stopped after its first chunks (it would take hours); before the fix no chunk was ever
    written: each block read materialised the dask graph of every chunk (0.95 GiB after 40 s and rising), and
    the visiting order listed every chunk index up front.
    """
    source = _hostile_zarr(tmp_path / "h.zarr", (10000, 10000, 10000), (64, 64, 64))
    result, peak = _child(
        f"""
        import json, time
        from pathlib import Path
        from ingest.converters.volumes.convert import convert_volume

        class Enough(Exception):
            pass

        def progress(done, total):
            if done >= 40:
                raise Enough(total)

        started = time.monotonic()
        try:
            convert_volume(Path({str(source)!r}), Path({str(tmp_path / "o.zarr")!r}), voxel_spacing=1.0,
                           progress=progress, workers=2)
        except Enough as stop:
            print(json.dumps({{"total": stop.args[0], "seconds": time.monotonic() - started}}))
        """,
        timeout=180,
    )
    assert result["total"] == 40**3 + 20**3 + 10**3  # 10000/256 = 40 chunks of 256³ per axis at level 0
    assert peak < 600, f"peak RssAnon {peak:.0f} MiB"
    assert [p.name for p in tmp_path.iterdir()] == ["h.zarr"]  # the interrupted conversion left nothing


def test_rescale_to_an_absurd_shape_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "mask.mrc"
    with mrcfile.new(source, np.zeros((32, 32, 32), np.int8)) as mrc:
        mrc.voxel_size = 10.0
    args = ["convert", "volume", str(source), str(tmp_path / "o.zarr"), "--voxel-spacing", "10"]
    result = CliRunner().invoke(main, [*args, "--kind", "semantic-mask", "--rescale-to", "100000,100000,100000"])
    assert result.exit_code == 2, result.output
    assert (
        "rescale target too far from the source shape" in result.output and "(100000, 100000, 100000)" in result.output
    )


def test_rescale_reads_only_what_it_samples(tmp_path: Path) -> None:
    """Upsampling 64x per axis (a 32³ mask to 2048³) streams in bounded memory."""
    source = tmp_path / "mask.mrc"
    with mrcfile.new(source, (np.arange(32**3) % 3).reshape(32, 32, 32).astype(np.int8)) as mrc:
        mrc.voxel_size = 10.0
    result, peak = _child(
        f"""
        import json
        from pathlib import Path
        from ingest.converters.volumes.convert import VolumeKind, convert_volume

        class Enough(Exception):
            pass

        def progress(done, total):
            if done >= 30:
                raise Enough(total)

        try:
            convert_volume(Path({str(source)!r}), Path({str(tmp_path / "o.zarr")!r}), voxel_spacing=1.0,
                           kind=VolumeKind.SEMANTIC_MASK, rescale_to=(2048, 2048, 2048), progress=progress, workers=2)
        except Enough as stop:
            print(json.dumps({{"total": stop.args[0]}}))
        """,
        timeout=180,
    )
    assert result["total"] == 8**3 + 4**3 + 2**3
    assert peak < 600, f"peak RssAnon {peak:.0f} MiB"


@pytest.mark.parametrize("file_format", ["csv", "csv_with_header", "tsv", "tardis"])
def test_a_csv_line_of_a_million_columns_is_refused_quickly(tmp_path: Path, file_format: str) -> None:
    """A 2 MB line of 1M columns: pandas took 610 s and 2.9 GB (csv_with_header) or 44 s and 2.8 GB (csv)."""
    source = tmp_path / "wide.csv"
    delimiter = "\t" if file_format == "tsv" else ","
    source.write_text(delimiter.join(["1"] * 1_000_000) + "\n")
    started = time.monotonic()
    result = CliRunner().invoke(
        main, ["convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--from", file_format]
    )
    assert time.monotonic() - started < 10
    assert result.exit_code == 1, result.output
    assert f"{source}:1: line too long for a pick table" in result.output


@pytest.mark.parametrize(
    ("file_format", "suffix"), [("csv", ".csv"), ("relion3_star", ".star"), ("dynamo_tbl", ".tbl")]
)
def test_a_line_with_too_many_columns_is_refused(tmp_path: Path, file_format: str, suffix: str) -> None:
    source = tmp_path / f"wide{suffix}"
    delimiter = "," if file_format == "csv" else " "
    line = delimiter.join(["1"] * (MAX_COLUMNS + 1))
    header = "data_particles\nloop_\n_rlnCoordinateX #1\n" if suffix == ".star" else ""
    source.write_text(header + line + "\n")
    result = CliRunner().invoke(
        main, ["convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--from", file_format]
    )
    assert result.exit_code == 1, result.output
    number = 4 if suffix == ".star" else 1
    assert (
        f"{source}:{number}: too many columns for a pick table (expected at most 1024 columns, found 1025"
        in result.output
    )
