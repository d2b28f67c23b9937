"""The conversion layer: inside-the-volume bounds, atomic writes, the requested shape reaching the reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.conversion import convert_picks_file, require_inside_volume
from ingest.converters.picks.ndjson import PointShape
from ingest.converters.picks.registry import Picks, ReadOptions
from ingest.errors import InputFileError
from ingest.storage.staging import write_atomically


@pytest.mark.parametrize(
    ("point", "inside"),
    [((0.0, 0.0, 0.0), True), ((9.999, 4.5, 2.0), True), ((10.0, 1.0, 1.0), False), ((1.0, -1e-9, 1.0), False)],
)
def test_bounds_are_half_open(point: tuple[float, float, float], inside: bool) -> None:
    picks = Picks(np.array([point]), source="p.csv")
    if inside:
        require_inside_volume(picks, (10, 5, 3))
    else:
        with pytest.raises(InputFileError, match=r"p\.csv: row 1: point outside the tomogram"):
            require_inside_volume(picks, (10, 5, 3))


def test_atomic_write_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.ndjson"
    write_atomically(target, b"one\n")
    write_atomically(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.ndjson"]


def test_bad_input_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    source, target = tmp_path / "p.csv", tmp_path / "out.ndjson"
    target.write_bytes(b"previous\n")
    source.write_text("1,2,3\n1,x,3\n")
    with pytest.raises(InputFileError, match="not a number"):
        convert_picks_file(source, target, "csv", PointShape.POINT, ReadOptions())
    assert target.read_bytes() == b"previous\n"


def test_requested_shape_reaches_the_reader_for_imod(corpus: Path, tmp_path: Path) -> None:
    model = corpus / "annotations/imod-mod/imodmodel_multiple_objects_example.mod"
    points = convert_picks_file(model, tmp_path / "p.ndjson", "mod", PointShape.POINT, ReadOptions())
    oriented = convert_picks_file(model, tmp_path / "o.ndjson", "mod", PointShape.ORIENTED_POINT, ReadOptions())
    assert (points.count, oriented.count) == (6, 4)  # 6 contour points, 4 slicer angles (SOURCES.md)


def test_failing_chunks_leave_no_file(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"first\n"
        raise InputFileError("bad row")

    with pytest.raises(InputFileError, match="bad row"):
        write_atomically(tmp_path / "out.ndjson", chunks())
    assert list(tmp_path.iterdir()) == []
