"""Exporters round-trip through the readers: format → ndJSON → export → ndJSON is lossless.

Positions agree to 1e-9 voxels (Å ↔ voxel conversions round), matrices to 1e-7: scipy's Euler decomposition
snaps tilts below about 1e-6 degrees to the gimbal-lock solution, which moves a matrix element by up to 2·tilt.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import starfile
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ingest.converters.picks.conversion import convert_picks_file, export_picks_file, read_ndjson_file
from ingest.converters.picks.export import ExportOptions, export_copick, export_relion5_star, exporter_for
from ingest.converters.picks.ndjson import PointShape
from ingest.converters.picks.registry import Picks, ReadOptions
from ingest.converters.picks.rotations import relion_to_matrix
from ingest.errors import UnknownFormatError, UsageError
from tests.star_text import loop_block, write_star

coordinates = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=st.floats(1, 3999, width=64))
angles = st.tuples(st.floats(-180, 180), st.floats(0, 180), st.floats(-180, 180))
spacings = st.floats(0.5, 30)


def round_trip(
    folder: Path,
    source: Path,
    file_format: str,
    shape: PointShape,
    options: ReadOptions,
    target: str,
    export: ExportOptions,
) -> tuple[Picks, Picks]:
    """source → first.ndjson → exported file → second.ndjson; both ndJSON files read back."""
    first, exported, second = folder / "first.ndjson", folder / f"exported.{target}", folder / "second.ndjson"
    convert_picks_file(source, first, file_format, shape, options)
    export_picks_file(first, exported, target, export)
    companion = folder / "exported_tomograms.star"
    reread = ReadOptions(voxel_spacing=export.voxel_spacing, tomograms_star=companion if companion.exists() else None)
    convert_picks_file(exported, second, file_format, shape, reread)
    return read_ndjson_file(first), read_ndjson_file(second)


def assert_same(first: Picks, second: Picks) -> None:
    np.testing.assert_allclose(second.positions, first.positions, rtol=0, atol=1e-9)
    if first.rotations is not None:
        assert second.rotations is not None
        np.testing.assert_allclose(second.rotations, first.rotations, rtol=0, atol=1e-7)
    if first.instance_ids is not None:
        assert second.instance_ids is not None
        np.testing.assert_array_equal(second.instance_ids, first.instance_ids)


@settings(max_examples=20, deadline=None)
@given(points=coordinates, binning=st.sampled_from([1.0, 2.0, 4.0]))
def test_csv_round_trip_is_byte_identical(points: np.ndarray, binning: float) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = folder / "in.csv"
        source.write_text("".join(f"{x!r},{y!r},{z!r}\n" for x, y, z in points.tolist()))
        export = ExportOptions(voxel_spacing=10.0, run_name="TS_01")
        round_trip(folder, source, "csv", PointShape.POINT, ReadOptions(binning=binning), "csv", export)
        assert (folder / "first.ndjson").read_bytes() == (folder / "second.ndjson").read_bytes()


@settings(max_examples=20, deadline=None)
@given(points=coordinates, spacing=spacings, data=st.data())
def test_copick_round_trip(points: np.ndarray, spacing: float, data: st.DataObject) -> None:
    rotations = [data.draw(angles) for _ in points]
    ids = [data.draw(st.integers(0, 1000)) for _ in points]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = folder / "in.json"
        # Start from a copick file written by the exporter from arbitrary rotations, then go round once more.
        picks = Picks(points, relion_to_matrix(*np.array(rotations).T), np.array(ids, dtype=np.int64))
        source.write_bytes(export_copick(picks, ExportOptions(voxel_spacing=spacing, run_name="r")).main)
        options = ReadOptions(voxel_spacing=spacing)
        export = ExportOptions(voxel_spacing=spacing, run_name="r")
        for shape in (PointShape.ORIENTED_POINT, PointShape.INSTANCE_POINT):
            assert_same(*round_trip(folder, source, "copick", shape, options, "copick", export))


def relion4_source(folder: Path, points: np.ndarray, triples: list[tuple[float, float, float]]) -> Path:
    table: dict[str, list[object]] = {"rlnTomoName": ["TS_01"] * len(points)}
    for axis, column in enumerate(("rlnCoordinateX", "rlnCoordinateY", "rlnCoordinateZ")):
        table[column] = points[:, axis].tolist()
    for index, column in enumerate(("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi")):
        table[column] = [triple[index] for triple in triples]
    table["rlnOpticsGroup"] = [1] * len(points)
    optics = loop_block("optics", {"rlnOpticsGroup": [1], "rlnTomoTiltSeriesPixelSize": [1.5]})
    return write_star(folder / "in.star", optics, loop_block("particles", table))


@settings(max_examples=10, deadline=None)
@given(points=coordinates, data=st.data())
def test_relion4_round_trip(points: np.ndarray, data: st.DataObject) -> None:
    triples = [data.draw(angles) for _ in points]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = relion4_source(folder, points, triples)
        export = ExportOptions(voxel_spacing=6.0, run_name="TS_01")
        first, second = round_trip(
            folder, source, "relion4_star", PointShape.ORIENTED_POINT, ReadOptions(), "relion4_star", export
        )
        assert_same(first, second)


@settings(max_examples=10, deadline=None)
@given(points=coordinates, data=st.data(), spacing=spacings)
def test_relion5_round_trip(points: np.ndarray, data: st.DataObject, spacing: float) -> None:
    triples = [data.draw(angles) for _ in points]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        tomograms = write_star(
            folder / "tomograms.star",
            loop_block(
                "global",
                {
                    "rlnTomoName": ["TS_01"],
                    "rlnTomoSizeX": [4000],
                    "rlnTomoSizeY": [4000],
                    "rlnTomoSizeZ": [4000],
                    "rlnTomoTiltSeriesPixelSize": [spacing],
                },
            ),
        )
        table: dict[str, list[object]] = {"rlnTomoName": ["TS_01"] * len(points)}
        for axis, column in enumerate(("X", "Y", "Z")):
            table[f"rlnCenteredCoordinate{column}Angst"] = ((points[:, axis] - 2000.0) * spacing).tolist()
        for index, column in enumerate(("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi")):
            table[column] = [triple[index] for triple in triples]
        source = write_star(folder / "in.star", loop_block("particles", table))
        options = ReadOptions(voxel_spacing=spacing, tomograms_star=tomograms)
        export = ExportOptions(voxel_spacing=spacing, run_name="TS_01", tomogram_size=(4000, 4000, 4000))
        first, second = round_trip(
            folder, source, "relion5_star", PointShape.ORIENTED_POINT, options, "relion5_star", export
        )
        assert_same(first, second)


def test_relion5_export_writes_tomograms_star_with_the_size(tmp_path: Path) -> None:
    picks = Picks(np.array([[10.0, 20.0, 5.0]]), np.eye(3)[np.newaxis])
    files = export_relion5_star(picks, ExportOptions(voxel_spacing=2.0, run_name="TS_07", tomogram_size=(100, 50, 20)))
    ((suffix, data),) = files.companions
    assert suffix == "_tomograms.star"
    (tmp_path / "t.star").write_bytes(data)
    table = starfile.read(tmp_path / "t.star")
    assert table["rlnTomoName"].tolist() == ["TS_07"]
    assert table[["rlnTomoSizeX", "rlnTomoSizeY", "rlnTomoSizeZ"]].to_numpy().tolist() == [[100, 50, 20]]
    (tmp_path / "p.star").write_bytes(files.main)
    particles = starfile.read(tmp_path / "p.star")["particles"]
    assert particles[["rlnCenteredCoordinateXAngst", "rlnCenteredCoordinateYAngst"]].to_numpy().tolist() == [
        [-80.0, -10.0]
    ]


def test_relion5_export_without_size_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="need the tomogram size"):
        export_relion5_star(Picks(np.zeros((1, 3))), ExportOptions(voxel_spacing=1.0, run_name="r"))


def test_copick_export_golden_fields() -> None:
    picks = Picks(np.array([[1.0, 2.0, 3.0]]), instance_ids=np.array([5]))
    document = json.loads(export_copick(picks, ExportOptions(voxel_spacing=10.0, run_name="TS_01")).main)
    assert document["unit"] == "angstrom" and document["run_name"] == "TS_01"
    point = document["points"][0]
    assert point["location"] == {"x": 10.0, "y": 20.0, "z": 30.0}
    assert point["instance_id"] == 5
    assert point["transformation_"] == [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0, 0, 0, 1]]


def test_unknown_export_format_lists_the_known_ones() -> None:
    with pytest.raises(UnknownFormatError, match="copick, csv, relion4_star, relion5_star"):
        exporter_for("dynamo")


def test_star_exports_are_deterministic_bytes() -> None:
    picks = Picks(np.array([[1.0, 2.0, 3.0]]), np.eye(3)[np.newaxis])
    options = ExportOptions(voxel_spacing=2.0, run_name="TS_01", tomogram_size=(10, 10, 10))
    first, second = export_relion5_star(picks, options), export_relion5_star(picks, options)
    assert first == second
    assert first.main.startswith(b"# version 50001\n")
    assert b"Created by" not in first.main + first.companions[0][1]
    relion4 = exporter_for("relion4_star")(picks, options).main
    assert relion4.startswith(b"# version 30001\n") and b"Created by" not in relion4
