"""The streaming pyramid engine on tiny chunks: many pieces per coarse chunk at every level, several threads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from pyramid_oracle import reference_level

from ingest.converters.volumes.pyramid import Pooling, plan_geometry
from ingest.converters.volumes.spilled_pieces import SpilledPieces
from ingest.converters.volumes.streaming import Region, stream_pyramid


def stream(data: NDArray[Any], pooling: Pooling, scratch: Path, *, workers: int) -> list[NDArray[Any]]:
    """Run the engine over ``data`` with 4³ chunks; return the levels as written, chunk by chunk."""
    geometry = plan_geometry(data.shape, (2, 2, 2), (4, 4, 4), 3)  # type: ignore[arg-type]
    levels = [np.full(shape, np.nan, dtype=data.dtype) for shape in geometry.shapes]
    writes: list[tuple[int, Region]] = []
    lock = threading.Lock()

    def read(region: Region, out: NDArray[Any]) -> None:
        out[...] = data[region]

    def write(level: int, region: Region, chunk: NDArray[Any]) -> None:
        with lock:
            writes.append((level, region))
        levels[level][region] = chunk

    stream_pyramid(geometry, pooling, data.dtype, read_level0=read, write_chunk=write, workers=workers, scratch=scratch)
    assert len(writes) == len({(level, str(region)) for level, region in writes}), "a chunk was written twice"
    return levels


@pytest.mark.parametrize("pooling", [Pooling.MEAN, Pooling.ANY, Pooling.STRIDE])
@pytest.mark.parametrize("workers", [1, 3])
def test_every_level_matches_the_reference(tmp_path: Path, pooling: Pooling, workers: int) -> None:
    data = np.random.default_rng(3).integers(0, 4, size=(37, 21, 18)).astype(np.float32)
    levels = stream(data, pooling, tmp_path, workers=workers)
    np.testing.assert_array_equal(levels[0], data)
    for index in (1, 2):
        expected = reference_level(data, (2**index,) * 3, pooling)
        np.testing.assert_allclose(levels[index], expected, rtol=1e-6)


def test_pieces_are_read_back_and_files_reused(tmp_path: Path) -> None:
    dtype = np.dtype(np.float32)
    pieces = SpilledPieces(tmp_path)
    chunk = np.arange(4 * 4 * 3, dtype=dtype).reshape(4, 4, 3)
    for offset in ((0, 0, 0), (0, 0, 2), (0, 2, 0), (0, 2, 2), (2, 0, 0), (2, 0, 2), (2, 2, 0), (2, 2, 2)):
        z, y, x = offset
        piece = np.ascontiguousarray(chunk[z : z + 2, y : y + 2, x : x + 2])
        pieces.put((1, (0, 0, 0)), offset, [piece[:1], piece[1:]])  # given as two slabs of planes
    assert len(pieces) == 8 and len(list(tmp_path.iterdir())) == 8
    out = np.zeros_like(chunk)
    pieces.assemble((1, (0, 0, 0)), out)
    np.testing.assert_array_equal(out, chunk)
    assert len(pieces) == 0
    pieces.put((1, (0, 0, 1)), (0, 0, 0), [np.full((2, 2, 2), 7.0, dtype=dtype)])
    assert len(list(tmp_path.iterdir())) == 8, "a free piece file is overwritten, not a new one made"
    again = np.zeros((2, 2, 2), dtype=dtype)
    pieces.assemble((1, (0, 0, 1)), again)
    assert np.all(again == 7.0)


def test_a_short_piece_file_is_an_error_naming_it(tmp_path: Path) -> None:
    pieces = SpilledPieces(tmp_path)
    pieces.put((1, (0, 0, 0)), (0, 0, 0), [np.ones((2, 2, 2), dtype=np.float32)])
    (victim,) = tmp_path.iterdir()
    victim.write_bytes(b"\0" * 8)
    with pytest.raises(OSError, match=victim.name):
        pieces.assemble((1, (0, 0, 0)), np.zeros((2, 2, 2), dtype=np.float32))


def test_the_scratch_folder_is_gone_after_a_conversion(tmp_path: Path) -> None:
    import mrcfile

    from ingest.converters.volumes.convert import convert_volume

    source = tmp_path / "s.mrc"
    with mrcfile.new(source, np.ones((300, 4, 260), dtype=np.float32)) as mrc:
        mrc.voxel_size = 1.0
    convert_volume(source, tmp_path / "s.zarr", voxel_spacing=1.0, workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mrc", "s.zarr"]


@pytest.mark.parametrize(
    ("shape", "factors", "chunks"),
    [((13, 17, 9), (2, 2, 2), (4, 4, 4)), ((5, 33, 31), (1, 2, 2), (1, 8, 8)), ((40, 7, 65), (2, 2, 2), (8, 3, 16))],
)
def test_the_generated_visiting_order_is_the_hierarchical_order_and_counts_every_piece(
    tmp_path: Path, shape: tuple[int, int, int], factors: tuple[int, int, int], chunks: tuple[int, int, int]
) -> None:
    """The order is generated lazily (a list of every chunk index cost gigabytes for a declared 100000³ volume):
    it must equal the sort of all indices by ancestry, and each parent's child count its delivered pieces."""
    from ingest.converters.volumes import streaming

    geometry = plan_geometry(shape, factors, chunks, 3)
    run = streaming._StreamRun(
        geometry, Pooling.MEAN, np.dtype(np.float32), lambda r, o: None, lambda *a: None, None, tmp_path
    )

    def ancestry(index: tuple[int, int, int]) -> tuple[tuple[int, int, int], ...]:
        chain = [index]
        for level in range(geometry.levels - 1):
            chain.append(run._parent(level, chain[-1]))
        return tuple(reversed(chain))

    everything = [tuple(int(i) for i in index) for index in np.ndindex(*streaming._grid(geometry, 0))]
    assert list(run._order()) == sorted(everything, key=ancestry)
    for level in (1, 2):
        parents: dict[tuple[int, int, int], int] = {}
        for index in np.ndindex(*streaming._grid(geometry, level - 1)):
            parent = run._parent(level - 1, index)
            parents[parent] = parents.get(parent, 0) + 1
        for parent, count in parents.items():
            assert np.prod([len(axis) for axis in run._children(level, parent)]) == count
