"""Reruns verify outputs against the digests in the run manifest and repair what differs: the damaged entity is
written again and the tree ends byte-identical to the original. Plain ``ingest check`` sees missing chunks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import FsspecTree, LocalTree
from ingest.cli import main
from ingest.pipeline.example import write_example
from ingest.storage.local import SAMPLE_BLOCK, sample_offsets
from tests.test_crash_every_step import s3_tree
from tests.test_execute_backends import local_tree

RUN_DIR = "90001/TS_001"
TS_ZARR = f"{RUN_DIR}/TiltSeries/100/TS_001.zarr"
UNSAMPLED_CHUNK = f"{TS_ZARR}/0/5/0/0"  # neither the first nor the last chunk of level 0: plain check skips it
TOMO_MRC = f"{RUN_DIR}/Reconstructions/VoxelSpacing10.000/Tomograms/100/TS_001.mrc"
POINTS = f"{RUN_DIR}/Reconstructions/VoxelSpacing10.000/Annotations/100/cytosolic_ribosome-1.0_point.ndjson"
TOMO_METADATA = f"{RUN_DIR}/Reconstructions/VoxelSpacing10.000/Tomograms/100/tomogram_metadata.json"
ANNOTATION_METADATA = f"{RUN_DIR}/Reconstructions/VoxelSpacing10.000/Annotations/100/cytosolic_ribosome-1.0.json"
PRECOMPUTED = f"{RUN_DIR}/Reconstructions/VoxelSpacing10.000/NeuroglancerPrecompute/100-cytosolic_ribosome-1.0_point"
SHARD = f"{PRECOMPUTED}/by_id/0.shard"


def arguments(config: Path, output: str, *extra: str) -> list[str]:
    return ["deposition", str(config), "--output", output, "--workers", "1", "--timestamp", "2026-03-01",
            "--run", "TS_001", "--format", "json", *extra]  # fmt: skip


def ingest(config: Path, output: str, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, arguments(config, output, *extra))
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example's config and its run TS_001 ingested once (copied by each test)."""
    folder = tmp_path_factory.mktemp("repairs")
    write_example(folder / "example")
    config = folder / "example/example.yaml"
    ingest(config, str(folder / "original"))
    return config, folder / "original"


def flip(offset: int) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = bytearray(path.read_bytes())
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))

    return damage


def edit_date(path: Path) -> None:
    """Still valid JSON of the same size."""
    text = path.read_text()
    assert '"release_date": "2026-02-01"' in text
    path.write_text(text.replace('"release_date": "2026-02-01"', '"release_date": "2026-02-02"'))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def delete(path: Path) -> None:
    path.unlink()


def unsampled_offset(size: int) -> int:
    """An offset no sampled block covers (quick verification cannot see a change there)."""
    covered = [(start, start + SAMPLE_BLOCK) for start in sample_offsets(size)]
    offset = covered[0][1] + 1
    assert not any(start <= offset < end for start, end in covered)
    return offset


CASES = {
    "deleted-chunk": (UNSAMPLED_CHUNK, delete),
    "truncated-chunk": (UNSAMPLED_CHUNK, truncate),
    "mrc-header-bytes": (TOMO_MRC, flip(200)),
    "mrc-last-bytes": (TOMO_MRC, flip(-1)),
    "truncated-ndjson": (POINTS, truncate),
    "deleted-shard": (SHARD, delete),
    "truncated-shard": (SHARD, truncate),
    "shard-bytes": (SHARD, flip(-30)),  # inside a minishard index
    "ndjson-bytes": (POINTS, flip(10)),
    "metadata-edited": (TOMO_METADATA, edit_date),
    "metadata-bytes": (TOMO_METADATA, flip(20)),
    "truncated-annotation-metadata": (ANNOTATION_METADATA, truncate),
    "truncated-tiltseries-metadata": (f"{RUN_DIR}/TiltSeries/100/tiltseries_metadata.json", truncate),
    "truncated-run-metadata": (f"{RUN_DIR}/run_metadata.json", truncate),
    "truncated-dataset-metadata": ("90001/dataset_metadata.json", truncate),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_quick_rerun_repairs(original: tuple[Path, Path], tmp_path: Path, case: str) -> None:
    config, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    key, damage = CASES[case]
    damage(output / key)
    assert local_tree(output) != local_tree(source)
    report = ingest(config, str(output))
    assert report["totals"]["written"] >= 1
    assert local_tree(output) == local_tree(source)


def test_unchanged_rerun_writes_nothing(original: tuple[Path, Path], tmp_path: Path) -> None:
    config, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    assert ingest(config, str(output))["totals"]["written"] == 0
    assert ingest(config, str(output), "--verify")["totals"]["written"] == 0


@pytest.mark.parametrize("key", [UNSAMPLED_CHUNK, TOMO_MRC], ids=["chunk", "mrc"])
def test_same_size_damage_outside_the_quick_sample_is_repaired_with_verify(
    original: tuple[Path, Path], tmp_path: Path, key: str
) -> None:
    config, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    path = output / key
    offset = unsampled_offset(path.stat().st_size) if key == TOMO_MRC else path.stat().st_size // 2
    flip(offset)(path)
    quick = ingest(config, str(output), "--no-check")
    assert quick["totals"]["written"] == 0  # quick: sizes and samples agree (documented)
    assert local_tree(output) != local_tree(source)
    assert ingest(config, str(output), "--verify")["totals"]["written"] >= 1
    assert local_tree(output) == local_tree(source)


def test_plain_check_reports_a_missing_chunk(original: tuple[Path, Path], tmp_path: Path) -> None:
    _, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    (output / UNSAMPLED_CHUNK).unlink()
    findings = check_tree(LocalTree(output)).findings
    assert [(f.code, f.file) for f in findings] == [("C-ZARR-CHUNK", UNSAMPLED_CHUNK)]


def test_plain_check_reports_a_corrupted_sampled_chunk(original: tuple[Path, Path], tmp_path: Path) -> None:
    _, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    level1 = f"{TS_ZARR}/1/0/0/0"
    truncate(output / level1)
    findings = check_tree(LocalTree(output)).findings
    assert [(f.code, f.file) for f in findings] == [("C-ZARR-CHUNK", level1)]


def test_s3_rerun_repairs_a_deleted_chunk(
    original: tuple[Path, Path], s3_endpoint: str, s3_client: Any, s3_bucket: str
) -> None:
    config, _ = original
    option = ("--storage-option", f"endpoint_url={s3_endpoint}")
    ingest(config, f"s3://{s3_bucket}/out", *option)
    before = s3_tree(s3_client, s3_bucket, "out")
    s3_client.delete_object(Bucket=s3_bucket, Key=f"out/{UNSAMPLED_CHUNK}")
    s3_client.put_object(Bucket=s3_bucket, Key=f"out/{POINTS}", Body=before[POINTS][:40])
    report = ingest(config, f"s3://{s3_bucket}/out", *option)
    assert report["totals"]["written"] == 2
    assert s3_tree(s3_client, s3_bucket, "out") == before
    assert check_tree(FsspecTree(f"s3://{s3_bucket}/out", {"endpoint_url": s3_endpoint})).findings == ()


def test_unreadable_metadata_we_did_not_write_stops_planning(original: tuple[Path, Path], tmp_path: Path) -> None:
    config, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    foreign = output / f"{RUN_DIR}/Reconstructions/VoxelSpacing10.000/Tomograms/107/tomogram_metadata.json"
    foreign.parent.mkdir()
    foreign.write_text("{not json")
    result = CliRunner().invoke(main, arguments(config, str(output)))
    assert result.exit_code != 0
    assert "an existing metadata file cannot be read" in result.output


def test_the_manifest_records_three_digests_per_precomputed_point_folder(original: tuple[Path, Path]) -> None:
    """A precomputed point folder is three files whatever the number of points (the by_id index sharded), so the
    manifest holds three digests for it, not one per point."""
    _config, source = original
    manifest = json.loads((source / f".ingest/manifests/{RUN_DIR}.json").read_text())
    recorded = manifest["outputs"][f"{PRECOMPUTED}/info"]
    assert sorted(recorded) == [f"{PRECOMPUTED}/{name}" for name in ("by_id/0.shard", "info", "spatial0/0_0_0")]


def test_a_point_folder_of_the_unsharded_writer_is_written_again_sharded(
    original: tuple[Path, Path], tmp_path: Path
) -> None:
    """A tree of an earlier version holds one by_id file per point, and the manifest a fingerprint without the
    sharding: the rerun writes the folder again, sharded, and removes the per-point files."""
    config, source = original
    output = tmp_path / "out"
    shutil.copytree(source, output)
    (output / SHARD).unlink()
    for index in range(3):
        (output / PRECOMPUTED / f"by_id/{index}").write_bytes(b"an annotation")
    manifest = output / f".ingest/manifests/{RUN_DIR}.json"
    document = json.loads(manifest.read_text())
    document["entries"][f"{PRECOMPUTED}/info"] = "the fingerprint an earlier version wrote"
    manifest.write_text(json.dumps(document))
    assert ingest(config, str(output))["totals"]["written"] >= 1
    assert sorted(path.name for path in (output / PRECOMPUTED / "by_id").iterdir()) == ["0.shard"]
    assert local_tree(output) == local_tree(source)
