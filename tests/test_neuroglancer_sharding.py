"""The sharded ``by_id`` index of precomputed point annotations (Neuroglancer's ``neuroglancer_uint64_sharded_v1``,
as the portal shards it): a shard laid out byte for byte as the format's text says, every point read back by an
independent decoder (tensorstore's ``neuroglancer_uint64_sharded`` key-value store), the rest of the folder as the
``neuroglancer`` package's own writer writes it, deterministic bytes, and ``ingest check`` on intact and damaged
folders (C-NG-PRECOMPUTED)."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorstore as ts

from ingest.checks.precomputed import precomputed_annotation_findings
from ingest.checks.tree_access import LocalTree
from ingest.converters.viewers.neuroglancer_points import BY_ID_SHARDING, write_precomputed_points
from ingest.converters.viewers.neuroglancer_sharding import (
    ShardingError,
    ShardingSpec,
    read_shard,
    shard_files,
)
from ingest.domain.listing import Listing

SMALL = ShardingSpec(preshift_bits=0, minishard_bits=1, shard_bits=1, minishard_index_encoding="raw")


def _u64(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}Q", *values)


def _kvstore(folder: Path, sharding: dict[str, Any]) -> Any:
    """tensorstore's reader of the sharded index in ``folder`` (keys: big-endian uint64 ids)."""
    spec = {"driver": "neuroglancer_uint64_sharded", "base": f"file://{folder}/", "metadata": sharding}
    return ts.KvStore.open(spec).result()


def _oriented_points(count: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    locations = rng.uniform(0, 500, (count, 3))
    return [
        {
            "type": "orientedPoint",
            "location": dict(zip("xyz", location.tolist(), strict=True)),
            "xyz_rotation_matrix": np.eye(3)[[index % 3, (index + 1) % 3, (index + 2) % 3]].tolist(),
        }
        for index, location in enumerate(locations)
    ]


def test_a_shard_is_laid_out_as_the_format_says() -> None:
    """ids 1, 2, 3, 5 under 2 shards × 2 minishards (identity hash): the minishard is bit 0, the shard bit 1.
    Shard 0 holds 1 and 5 (minishard 1), shard 1 holds 2 (minishard 0) and 3 (minishard 1). Each file: the shard
    index ([start, end) of each minishard index, relative to the index's end), the data, the minishard indices
    ([3, n]: delta ids, offsets relative to the previous chunk's end, sizes)."""
    records = np.frombuffer(b"A1B2C3E5", dtype=np.uint8).reshape(4, 2)
    files = shard_files(SMALL, np.array([1, 2, 3, 5], dtype=np.uint64), records)
    assert files == {
        "0.shard": _u64(0, 0, 4, 52) + b"A1E5" + _u64(1, 4, 0, 0, 2, 2),
        "1.shard": _u64(4, 28, 28, 52) + b"B2C3" + _u64(2, 0, 2) + _u64(3, 2, 2),
    }
    assert read_shard(SMALL, files["0.shard"]) == {1: b"A1", 5: b"E5"}
    assert read_shard(SMALL, files["1.shard"]) == {2: b"B2", 3: b"C3"}


def test_the_hand_built_shards_read_back_with_tensorstore(tmp_path: Path) -> None:
    records = np.frombuffer(b"A1B2C3E5", dtype=np.uint8).reshape(4, 2)
    for name, data in shard_files(SMALL, np.array([1, 2, 3, 5], dtype=np.uint64), records).items():
        (tmp_path / name).write_bytes(data)
    store = _kvstore(tmp_path, SMALL.to_json())
    found = {int.from_bytes(key, "big"): bytes(store.read(key).result().value) for key in store.list().result()}
    assert found == {1: b"A1", 2: b"B2", 3: b"C3", 5: b"E5"}


def test_tensorstore_finds_every_point_id_with_its_position(tmp_path: Path) -> None:
    """3000 points over the portal's 1024 minishards (about 3 ids each): every id 0..2999 is in the sharded
    by_id index and its record starts with the point's location (float32 x, y, z)."""
    points = _oriented_points(3000)
    write_precomputed_points(
        points, tmp_path / "p", voxel_spacing=10.0, object_name="ribosome", diameter=None, oriented=True
    )
    info = json.loads((tmp_path / "p/info").read_text())
    assert info["by_id"] == {"key": "by_id", "sharding": BY_ID_SHARDING.to_json()}
    assert BY_ID_SHARDING.to_json() == {
        "@type": "neuroglancer_uint64_sharded_v1",
        "preshift_bits": 0,
        "hash": "identity",
        "minishard_bits": 10,
        "shard_bits": 0,
        "minishard_index_encoding": "gzip",
        "data_encoding": "raw",
    }
    assert sorted(path.name for path in (tmp_path / "p/by_id").iterdir()) == ["0.shard"]
    store = _kvstore(tmp_path / "p/by_id", info["by_id"]["sharding"])
    keys = store.list().result()
    assert sorted(int.from_bytes(key, "big") for key in keys) == list(range(3000))
    for index, point in enumerate(points):
        record = bytes(store.read(index.to_bytes(8, "big")).result().value)
        expected = np.array([point["location"][axis] for axis in "xyz"], dtype=np.float32)
        assert np.frombuffer(record[:12], dtype="<f4").tolist() == expected.tolist(), index


def test_the_folder_is_the_package_writers_but_for_the_sharded_by_id(tmp_path: Path) -> None:
    """The ``info`` (but for ``by_id.sharding``) and ``spatial0/0_0_0`` are byte for byte what the ``neuroglancer``
    package's ``AnnotationWriter.write`` writes for the same points, and each id's entry in the shard is its
    unsharded ``by_id/<id>`` file."""
    from neuroglancer import AnnotationPropertySpec, CoordinateSpace
    from neuroglancer.write_annotations import AnnotationWriter

    points = _oriented_points(40, seed=1)
    write_precomputed_points(points, tmp_path / "ours", voxel_spacing=7.5, object_name="r", diameter=80, oriented=True)
    ours = json.loads((tmp_path / "ours/info").read_text())
    properties = [AnnotationPropertySpec(**p) for p in ours["properties"]]
    space = CoordinateSpace(names=["x", "y", "z"], units=["m"] * 3, scales=[7.5e-10] * 3)
    writer = AnnotationWriter(coordinate_space=space, annotation_type="point", properties=properties)
    for index, point in enumerate(points):
        rotation = np.array(point["xyz_rotation_matrix"])
        writer.add_point(
            [point["location"][axis] for axis in "xyz"],
            name=0,
            diameter=8.0,
            point_index=float(index),
            color=(255, 255, 255),
            **{f"rot_mat_{i}_{j}": rotation[i, j] for i in range(3) for j in range(3)},
        )
    writer.write(tmp_path / "package")
    theirs = json.loads((tmp_path / "package/info").read_text())
    assert ours["by_id"].pop("sharding") == BY_ID_SHARDING.to_json()
    assert ours == theirs
    assert (tmp_path / "ours/spatial0/0_0_0").read_bytes() == (tmp_path / "package/spatial0/0_0_0").read_bytes()
    entries = read_shard(BY_ID_SHARDING, (tmp_path / "ours/by_id/0.shard").read_bytes())
    assert entries == {i: (tmp_path / f"package/by_id/{i}").read_bytes() for i in range(len(points))}


def test_the_same_points_give_the_same_bytes(tmp_path: Path) -> None:
    points = _oriented_points(2500, seed=2)
    for name in ("a", "b"):
        write_precomputed_points(
            points, tmp_path / name, voxel_spacing=10.0, object_name="ribosome", diameter=None, oriented=True
        )
    files = sorted(path.relative_to(tmp_path / "a") for path in (tmp_path / "a").rglob("*") if path.is_file())
    assert [str(f) for f in files] == ["by_id/0.shard", "info", "spatial0/0_0_0"]
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)


def test_a_truncated_shard_does_not_decode() -> None:
    records = np.zeros((3000, 8), dtype=np.uint8)
    shard = shard_files(BY_ID_SHARDING, np.arange(3000, dtype=np.uint64), records)["0.shard"]
    with pytest.raises(ShardingError, match="outside the file"):
        read_shard(BY_ID_SHARDING, shard[:-5])
    with pytest.raises(ShardingError, match="shorter than"):
        read_shard(BY_ID_SHARDING, shard[:100])


def _findings(root: Path, folder: str) -> list[tuple[str, str | None]]:
    listing = Listing.of(LocalTree(root).list_keys())
    findings = precomputed_annotation_findings(LocalTree(root), listing, f"{folder}/info")
    return [(finding.code, finding.found) for finding in findings]


def test_check_passes_an_intact_sharded_folder_and_names_a_missing_shard(tmp_path: Path) -> None:
    write_precomputed_points(
        _oriented_points(1500), tmp_path / "p", voxel_spacing=10.0, object_name="r", diameter=None, oriented=True
    )
    assert _findings(tmp_path, "p") == []
    (tmp_path / "p/by_id/0.shard").unlink()
    assert _findings(tmp_path, "p") == [("C-NG-PRECOMPUTED", "no shard file p/by_id/0.shard")]


def test_check_finds_a_shard_that_lost_an_id(tmp_path: Path) -> None:
    """A shard rewritten without id 7 (well-formed, but the spatial index still holds 7)."""
    write_precomputed_points(
        _oriented_points(20), tmp_path / "p", voxel_spacing=10.0, object_name="r", diameter=None, oriented=True
    )
    entries = read_shard(BY_ID_SHARDING, (tmp_path / "p/by_id/0.shard").read_bytes())
    kept = sorted(set(entries) - {7})
    rows = np.array([np.frombuffer(entries[i], dtype=np.uint8) for i in kept])
    shard = shard_files(BY_ID_SHARDING, np.array(kept, dtype=np.uint64), rows)["0.shard"]
    (tmp_path / "p/by_id/0.shard").write_bytes(shard)
    assert _findings(tmp_path, "p") == [("C-NG-PRECOMPUTED", "1 ids not in the by_id shards, e.g. [7]")]


def test_check_reads_an_older_unsharded_folder(tmp_path: Path) -> None:
    """Trees written before the sharding hold one by_id file per id (the package writer's own layout)."""
    from neuroglancer import CoordinateSpace
    from neuroglancer.write_annotations import AnnotationWriter

    space = CoordinateSpace(names=["x", "y", "z"], units=["m"] * 3, scales=[1e-9] * 3)
    writer = AnnotationWriter(coordinate_space=space, annotation_type="point")
    for index in range(5):
        writer.add_point([index, 0, 0])
    writer.write(tmp_path / "old")
    assert _findings(tmp_path, "old") == []
    (tmp_path / "old/by_id/3").unlink()
    assert _findings(tmp_path, "old") == [("C-NG-PRECOMPUTED", "1 ids without a by_id file, e.g. [3]")]


def test_a_broken_line_of_the_point_file_is_named_with_its_number(tmp_path: Path) -> None:
    from ingest.errors import InputFileError
    from ingest.pipeline.execute_neuroglancer import iter_points
    from ingest.storage.base import open_storage

    (tmp_path / "p.ndjson").write_bytes(b'{"type": "point", "location": {"x": 1, "y": 2, "z": 3}}\n\n{"type": \n')
    storage = open_storage(str(tmp_path))
    with pytest.raises(InputFileError, match=r"p\.ndjson:3: not a JSON object"):
        write_precomputed_points(
            iter_points(storage, "p.ndjson"), tmp_path / "p", voxel_spacing=10, object_name="r", diameter=None,
            oriented=False,
        )  # fmt: skip
    assert not (tmp_path / "p").exists()


def test_gzip_encoded_chunks_read_back_with_tensorstore(tmp_path: Path) -> None:
    """The portal's data_encoding (gzip per chunk), over 4 shards: tensorstore decodes every chunk."""
    spec = ShardingSpec(preshift_bits=1, minishard_bits=2, shard_bits=2, data_encoding="gzip")
    ids = np.array([0, 3, 17, 64, 65, 1000, 2**40 + 5], dtype=np.uint64)
    records = np.arange(len(ids) * 6, dtype=np.uint8).reshape(len(ids), 6)
    files = shard_files(spec, ids, records)
    assert sorted(files) == ["0.shard", "1.shard", "2.shard", "3.shard"]
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    store = _kvstore(tmp_path, spec.to_json())
    found = {int.from_bytes(key, "big"): bytes(store.read(key).result().value) for key in store.list().result()}
    assert found == {int(i): records[row].tobytes() for row, i in enumerate(ids)}
