"""The STAR parser gives exactly what ``starfile.read(always_dict=True, parse_as_string=...)`` gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import starfile

from ingest.converters import star_parser
from ingest.converters.star_parser import read_star_file

NAMES = ["rlnMicrographName", "rlnTomoName"]


def assert_same_blocks(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert list(ours) == list(theirs)
    for name, block in theirs.items():
        if isinstance(block, pd.DataFrame):
            pd.testing.assert_frame_equal(ours[name], block)
        else:
            assert ours[name] == block
            assert [type(v) for v in ours[name].values()] == [type(v) for v in block.values()]


def assert_like_starfile(path: Path, text_columns: list[str]) -> None:
    assert_same_blocks(
        read_star_file(path, text_columns), starfile.read(path, always_dict=True, parse_as_string=text_columns)
    )


OPTICS = "data_optics\n\nloop_\n_rlnOpticsGroup #1\n_rlnTomoTiltSeriesPixelSize #2\n1 1.35\n\n"
CASES = {
    "plain": OPTICS + "data_particles\n\nloop_\n_rlnTomoName #1\n_rlnCoordinateX #2\nTS_01 1.5\nTS_02 2\n",
    "indented crlf comments": (
        "# header\r\ndata_\r\n\r\nloop_\r\n  _rlnTomoName #1\r\n_rlnCoordinateX\r\n\r\n"
        "  001 1.5  \r\n# a comment\r\n\r\n002 nan # trailing\r\n"
    ),
    "key values": "data_general\n\n_rlnTomoSizeX 4000\n_rlnTomoName '01'\n_rlnPixel 1.5\n_rlnText abc\n\n" + OPTICS,
    "empty loop then another block": "data_a\nloop_\n_rlnA\n_rlnB\n\ndata_b\nloop_\n_rlnC\n1\n",
    "empty loop at the end": "data_a\nloop_\n_rlnA\n",
    "text column and all-text columns": "data_p\nloop_\n_rlnTomoName\n_rlnLabel\n_rlnX\n10 abc 1\n11 def 2\n",
    "missing cell": "data_p\nloop_\n_rlnX\n_rlnY\n1 2\n3\n",
    "whitespace-only lines": "data_p\nloop_\n_rlnX\n_rlnY\n1 2\n   \n\t\n3 4\n  ",
    "quoted names": "data_p\nloop_\n_rlnTomoName\n_rlnX\n'TS 1' 1\n\"TS 2\" 2\n",
    "second loop in a block": "data_p\nloop_\n_rlnX\n1\nloop_\n_rlnY\n2\n",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_same_blocks_as_starfile_without_calling_it(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.star"
    path.write_bytes(text.encode())
    expected = [starfile.read(path, always_dict=True, parse_as_string=columns) for columns in (NAMES, [])]

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the plain layout must not need starfile")

    monkeypatch.setattr(star_parser.starfile, "read", forbidden)
    assert_same_blocks(read_star_file(path, NAMES), expected[0])
    assert_same_blocks(read_star_file(path, []), expected[1])


FALLBACK = {
    "block without loop or keys": "data_a\n\ndata_b\nloop_\n_rlnX\n1\n",
    "name not utf-8": "data_\xff\nloop_\n_rlnX\n1\n",
}


@pytest.mark.parametrize("text", FALLBACK.values(), ids=FALLBACK.keys())
def test_unusual_layouts_are_read_by_starfile(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.star"
    path.write_bytes(text.encode("latin-1"))
    calls: list[Path] = []
    real = starfile.read

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(star_parser.starfile, "read", counting)
    ours = read_star_file(path, NAMES)
    assert calls == [path]
    assert_same_blocks(ours, real(path, always_dict=True, parse_as_string=NAMES))


def test_row_wider_than_header_fails_like_starfile(tmp_path: Path) -> None:
    path = tmp_path / "f.star"
    path.write_bytes(b"data_p\nloop_\n_rlnX\n1 2\n")
    with pytest.raises(ValueError):
        starfile.read(path, always_dict=True)
    with pytest.raises(ValueError):
        read_star_file(path)


def test_every_reference_star_file(corpus: Path) -> None:
    paths = sorted(corpus.rglob("*.star"))
    assert paths
    for path in paths:
        assert_like_starfile(path, NAMES)
