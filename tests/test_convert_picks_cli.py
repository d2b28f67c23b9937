"""``ingest convert picks`` and ``ingest export picks`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
from click.testing import CliRunner

from ingest.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_convert_csv_to_point_ndjson(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("2,4,6\n8,10,12\n")
    code, output = run("convert", "picks", str(source), str(tmp_path / "out.ndjson"), "--from", "csv", "--binning", "2")
    assert code == 0, output
    assert "wrote 2 point line(s)" in output
    first = json.loads((tmp_path / "out.ndjson").read_text().splitlines()[0])
    assert first == {"type": "point", "location": {"x": 1.0, "y": 2.0, "z": 3.0}}


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("1,2,3\n")
    code, output = run("convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--from", "pdb")
    assert code == 2  # click's usage error
    assert "Invalid value for '--from': 'pdb' is not one of" in output
    for name in ("copick", "csv", "dynamo_tbl", "mod", "relion5_star", "stopgap_star", "tardis", "tom_em"):
        assert name in output
    assert not (tmp_path / "o.ndjson").exists()


def test_point_outside_the_tomogram_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("1,2,3\n5,60,7\n")
    destination = tmp_path / "o.ndjson"
    code, output = run(
        "convert", "picks", str(source), str(destination), "--from", "csv", "--tomogram-size", "10,50,10"
    )
    assert code == 1
    assert "p.csv: row 2: point outside the tomogram" in output
    assert "found (5.0, 60.0, 7.0)" in output
    assert not destination.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_tomogram_mrc_gives_the_size(tmp_path: Path) -> None:
    tomogram = tmp_path / "t.mrc"
    with mrcfile.new(tomogram) as mrc:
        mrc.set_data(np.zeros((4, 5, 6), dtype=np.float32))  # z, y, x
    source = tmp_path / "p.csv"
    source.write_text("5.5,4.5,3.5\n")
    ok, _ = run(
        "convert", "picks", str(source), str(tmp_path / "a.ndjson"), "--from", "csv", "--tomogram", str(tomogram)
    )
    assert ok == 0
    source.write_text("5.5,4.5,4.0\n")
    code, output = run(
        "convert", "picks", str(source), str(tmp_path / "b.ndjson"), "--from", "csv", "--tomogram", str(tomogram)
    )
    assert code == 1 and "0 <= z < 4" in output


def test_bad_tomogram_size_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("1,2,3\n")
    code, output = run("convert", "picks", str(source), str(tmp_path / "o"), "--from", "csv", "--tomogram-size", "10,x")
    assert code == 2 and "X,Y,Z" in output


def test_empty_source_is_an_error_not_an_empty_file(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("")
    code, output = run("convert", "picks", str(source), str(tmp_path / "o.ndjson"), "--from", "csv")
    assert code == 1 and "no points to convert" in output
    assert not (tmp_path / "o.ndjson").exists()


def test_oriented_shape_from_a_format_without_angles_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("1,2,3\n")
    code, output = run(
        "convert", "picks", str(source), str(tmp_path / "o"), "--from", "csv", "--shape", "oriented-point"
    )
    assert code == 2 and "oriented points need rotations" in output


def test_export_to_copick_and_back(tmp_path: Path) -> None:
    ndjson = tmp_path / "p.ndjson"
    ndjson.write_text('{"type": "point", "location": {"x": 1.5, "y": 2.0, "z": 3.0}}\n')
    copick = tmp_path / "TS_01.json"
    code, output = run("export", "picks", str(ndjson), str(copick), "--to", "copick", "--voxel-spacing", "10")
    assert code == 0, output
    document = json.loads(copick.read_text())
    assert document["run_name"] == "TS_01"
    assert document["points"][0]["location"] == {"x": 15.0, "y": 20.0, "z": 30.0}
    back = tmp_path / "back.ndjson"
    code, output = run(
        "convert",
        "picks",
        str(copick),
        str(back),
        "--from",
        "copick",
        "--voxel-spacing",
        "10",
        "--filter-value",
        "TS_01",
    )
    assert code == 0, output
    assert back.read_text() == ndjson.read_text()


def test_export_relion5_writes_the_tomograms_star_companion(tmp_path: Path) -> None:
    ndjson = tmp_path / "p.ndjson"
    line = '{"type": "orientedPoint", "location": {"x": 1.0, "y": 2.0, "z": 3.0}, "xyz_rotation_matrix": '
    ndjson.write_text(line + "[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]}")  # no final newline
    star = tmp_path / "particles.star"
    code, output = run(
        "export",
        "picks",
        str(ndjson),
        str(star),
        "--to",
        "relion5_star",
        "--voxel-spacing",
        "7.5",
        "--tomogram-size",
        "10,10,10",
        "--run-name",
        "TS_01",
    )
    assert code == 0, output
    assert (tmp_path / "particles_tomograms.star").is_file()
    back = tmp_path / "back.ndjson"
    code, output = run(
        "convert",
        "picks",
        str(star),
        str(back),
        "--from",
        "relion5_star",
        "--shape",
        "oriented-point",
        "--voxel-spacing",
        "7.5",
        "--tomograms-star",
        str(tmp_path / "particles_tomograms.star"),
    )
    assert code == 0, output
    assert json.loads(back.read_text())["location"] == {"x": 1.0, "y": 2.0, "z": 3.0}


def test_export_unknown_target_lists_the_known_ones(tmp_path: Path) -> None:
    ndjson = tmp_path / "p.ndjson"
    ndjson.write_text('{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n')
    code, output = run("export", "picks", str(ndjson), str(tmp_path / "o"), "--to", "dynamo", "--voxel-spacing", "1")
    assert code == 2 and "copick, csv, relion4_star, relion5_star" in output


def test_warp_normalized_coordinates_take_the_tomogram_size_from_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "TS_1_clean.star"
    source.write_text(
        "data_\n\nloop_\n_rlnCoordinateX #1\n_rlnCoordinateY #2\n_rlnCoordinateZ #3\n_rlnMicrographName #4\n"
        "0.5 0.25 0.75 TS_1.tomostar\n"
    )
    out = tmp_path / "out.ndjson"
    code, output = run(
        "convert", "picks", str(source), str(out), "--from", "relion3_star",
        "--option", "coordinates=normalized", "--tomogram-size", "400,200,100",
    )  # fmt: skip
    assert code == 0, output
    assert json.loads(out.read_text())["location"] == {"x": 200.0, "y": 50.0, "z": 75.0}
