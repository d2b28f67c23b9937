"""NGFF 0.5 pyramids (zarr v3, the pipeline's option) check like NGFF 0.4 ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import zarr
from zarr.codecs import BloscCodec

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from tests.good_tree import SPACING, build_good_tree

TOMO_ZARR = "10000/RUN1/Reconstructions/VoxelSpacing10.000/Tomograms/100/RUN1.zarr"


def rewrite_as_ngff05(folder: Path) -> None:
    data = np.asarray(zarr.open_array(folder / "0", mode="r")[...])
    shutil.rmtree(folder)
    group = zarr.open_group(folder, mode="w", zarr_format=3)
    datasets = []
    for level in range(3):
        step = 2**level
        reduced = data[::step, ::step, ::step]
        array = group.create_array(
            str(level),
            shape=reduced.shape,
            dtype=reduced.dtype,
            chunks=tuple(min(256, n) for n in reduced.shape),
            compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
            dimension_names=("z", "y", "x"),
        )
        array[...] = reduced
        datasets.append(
            {"path": str(level), "coordinateTransformations": [{"type": "scale", "scale": [SPACING * step] * 3}]}
        )
    axes = [{"name": name, "type": "space", "unit": "angstrom"} for name in "zyx"]
    group.attrs["ome"] = {"version": "0.5", "multiscales": [{"axes": axes, "datasets": datasets, "name": "/"}]}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = build_good_tree(tmp_path / "tree", runs=("RUN1",), tilt_series=False)
    rewrite_as_ngff05(root / TOMO_ZARR)
    return root


def test_ngff05_pyramid_checks_clean_in_depth(tree: Path) -> None:
    assert check_tree(tree, chunks=ChunkCoverage.EVERY).findings == ()


def test_ngff05_without_zarr_json_is_not_ngff(tree: Path) -> None:
    (tree / TOMO_ZARR / "zarr.json").unlink()
    report = check_tree(tree)
    assert [(f.code, f.file) for f in report.findings] == [("C-ZARR-NGFF", TOMO_ZARR)]


def test_ngff05_truncated_chunk_is_named(tree: Path) -> None:
    chunk = tree / TOMO_ZARR / "0" / "c" / "0" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[:40])
    report = check_tree(tree)
    assert [(f.code, f.file) for f in report.findings] == [("C-ZARR-CHUNK", f"{TOMO_ZARR}/0/c/0/0/0")]
