"""Reading the existing output tree and allocating ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.errors import PlanError
from ingest.pipeline.existing_tree import read_existing_tree
from ingest.plan.existing import IdAllocator, is_metadata_key, relative_to_run
from ingest.storage.base import open_storage


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("10001/TS_1/run_metadata.json", True),
        ("10001/TS_1/Reconstructions/VoxelSpacing1.000/Annotations/100/membrane-1.0.json", True),
        ("10001/TS_1/Reconstructions/VoxelSpacing1.000/Annotations/100/100-foo-1.0_globalcaption.json", False),
        ("10001/TS_1/Reconstructions/VoxelSpacing1.000/NeuroglancerPrecompute/100-neuroglancer_config.json", False),
        ("10001/TS_1/TiltSeries/100/TS_1.zarr/.zattrs", False),
    ],
)
def test_metadata_keys_are_recognised(key: str, expected: bool) -> None:
    assert is_metadata_key(key) is expected


def test_existing_tree_reads_only_metadata_files(tmp_path: Path) -> None:
    run = tmp_path / "10001/TS_1"
    (run / "Alignments/100").mkdir(parents=True)
    (run / "Alignments/100/alignment_metadata.json").write_text(json.dumps({"deposition_id": 7}))
    (run / "Alignments/100/TS_1.xf").write_text("not json")
    (tmp_path / ".ingest").mkdir()
    (tmp_path / ".ingest/manifest.json").write_text("{}")
    tree = read_existing_tree(open_storage(str(tmp_path)))
    assert sorted(tree.listing.files) == [
        "10001/TS_1/Alignments/100/TS_1.xf",
        "10001/TS_1/Alignments/100/alignment_metadata.json",
    ]
    assert tree.ids_in("10001/TS_1/Alignments") == {100}
    assert tree.metadata_in("10001/TS_1/Alignments", "alignment_metadata.json") == {100: {"deposition_id": 7}}


def test_missing_output_is_an_empty_tree(tmp_path: Path) -> None:
    tree = read_existing_tree(open_storage(str(tmp_path / "nothing")))
    assert len(tree.listing) == 0 and tree.metadata == {}


def test_unreadable_metadata_is_a_plan_error(tmp_path: Path) -> None:
    (tmp_path / "10001").mkdir()
    (tmp_path / "10001/dataset_metadata.json").write_text("{broken")
    with pytest.raises(PlanError, match="cannot be read"):
        read_existing_tree(open_storage(str(tmp_path)))


def test_allocator_reuses_known_and_fills_lowest_free_ids() -> None:
    allocator = IdAllocator("c", {100, 101, 103}, {("a",): 103})
    assert allocator.assign(("b",), what="b") == (102, False)
    assert allocator.assign(("a",), what="a") == (103, True)
    assert allocator.assign(("c",), what="c") == (104, False)
    with pytest.raises(PlanError, match="share one output folder"):
        allocator.assign(("c",), what="c again")


def test_bucket_prefixes_are_dropped_from_metadata_paths() -> None:
    assert (
        relative_to_run("bucket/10001/TS_1/Alignments/100/a.json", "10001/TS_1") == "10001/TS_1/Alignments/100/a.json"
    )
    assert relative_to_run(None, "10001/TS_1") is None
