"""The viewer files (key images, Neuroglancer states, precomputed annotations and segmentations) on re-ingestion:
a second run writes none of them, ``--only key_images`` and ``--only neuroglancer`` each write their part alone,
another ``--url-prefix`` rewrites the states and nothing else, and an S3 tree holds the same bytes as a local one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ingest.checks.outputs import check_tree
from ingest.converters.viewers.neuroglancer_state import NEUROGLANCER_URL_PREFIX
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest

VS10 = "90001/TS_001/Reconstructions/VoxelSpacing10.000"
KEY_IMAGES = f"{VS10}/Images"
NEUROGLANCER = f"{VS10}/NeuroglancerPrecompute"
STATE = f"{NEUROGLANCER}/100-neuroglancer_config.json"


def viewer_files(tree: Path) -> dict[str, tuple[bytes, int]]:
    """Every viewer file of the example tree: relative path → (bytes, mtime in ns)."""
    files = {}
    for part in ("Images", "NeuroglancerPrecompute"):
        for path in sorted(tree.glob(f"90001/*/Reconstructions/*/{part}/**/*")):
            if path.is_file():
                files[str(path.relative_to(tree))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("viewers")
    write_example(root / "example")
    assert ingest(root / "example/example.yaml", root / "out")["ok"] is True
    return root / "example/example.yaml", root / "out"


def test_the_tree_has_every_viewer_part(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    names = set(viewer_files(out))
    assert f"{KEY_IMAGES}/100/key-photo-snapshot.png" in names
    assert STATE in names
    assert f"{NEUROGLANCER}/100-cytosolic_ribosome-1.0_point/info" in names
    assert f"{NEUROGLANCER}/101-membrane-1.0_segmentationmask/info" in names
    assert any("_segmentationmask/data/" in name for name in names)


def test_a_second_run_writes_no_viewer_file(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    before = viewer_files(tree)
    report = ingest(config, tree)
    assert [run["written"] for run in report["runs"]] == [0, 0]
    assert viewer_files(tree) == before  # same bytes, not even touched


@pytest.mark.parametrize(
    ("section", "part", "other"),
    [("key_images", KEY_IMAGES, STATE), ("neuroglancer", NEUROGLANCER, f"{KEY_IMAGES}/100")],
)
def test_only_writes_its_own_viewer_part(
    ingested: tuple[Path, Path], tmp_path: Path, section: str, part: str, other: str
) -> None:
    config, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    before = viewer_files(tree)
    shutil.rmtree(tree / part)
    moved = tree / f"{other}.moved"
    (tree / other).rename(moved)  # were --only to write the other part, it would show
    report = ingest(config, tree, "--only", section, "--run", "TS_001")
    assert [run["error"] for run in report["runs"]] == [None]
    assert not (tree / other).exists()
    moved.rename(tree / other)
    after = viewer_files(tree)
    assert sorted(after) == sorted(before)
    for name, (data, mtime) in after.items():
        assert data == before[name][0], name
        assert (mtime == before[name][1]) is not name.startswith(part), name  # its part rewritten, the rest kept


def test_another_url_prefix_rewrites_the_states_alone(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    before = viewer_files(tree)
    report = ingest(config, tree, "--url-prefix", "http://127.0.0.1:8000/portal")
    states = sorted(name for name in before if name.endswith("-neuroglancer_config.json"))
    assert len(states) == 4  # two runs, a default tomogram in each of two voxel spacings
    assert [run["written"] for run in report["runs"]] == [2, 2]
    after = viewer_files(tree)
    assert sorted(name for name in after if after[name] != before[name]) == states
    state = after[STATE][0].decode()
    assert "http://127.0.0.1:8000/portal/90001/TS_001/" in state and NEUROGLANCER_URL_PREFIX not in state


def test_s3_and_local_viewer_files_are_identical(
    ingested: tuple[Path, Path], s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    config, out = ingested
    report = ingest(config, f"s3://{s3_bucket}/portal", "--storage-option", f"endpoint_url={s3_endpoint}")
    assert report["ok"] is True
    local = {name: data for name, (data, _) in viewer_files(out).items()}
    found = {}
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket, Prefix="portal/90001/"):
        for item in page.get("Contents", []):
            name = item["Key"].removeprefix("portal/")
            if "/Reconstructions/" in name and ("/Images/" in name or "/NeuroglancerPrecompute/" in name):
                found[name] = s3_client.get_object(Bucket=s3_bucket, Key=item["Key"])["Body"].read()
    assert sorted(found) == sorted(local)
    assert found == local


def _former_layout(tree: Path) -> list[str]:
    """``tree`` as earlier versions wrote it: each state at ``{tomogram_id}/neuroglancer_config.json``, named so by
    its tomogram's metadata and recorded so in the run manifests. Returns the former keys."""
    former = []
    for state in sorted(tree.glob("90001/*/Reconstructions/*/NeuroglancerPrecompute/*-neuroglancer_config.json")):
        tomogram_id = state.name.split("-")[0]
        old = state.parent / tomogram_id / "neuroglancer_config.json"
        old.parent.mkdir()
        state.rename(old)
        new_key, old_key = (str(path.relative_to(tree)) for path in (state, old))
        metadata = state.parents[1] / f"Tomograms/{tomogram_id}/tomogram_metadata.json"
        metadata.write_text(metadata.read_text().replace(new_key, old_key))
        manifest = tree / ".ingest/manifests" / f"{'/'.join(new_key.split('/')[:2])}.json"
        manifest.write_text(manifest.read_text().replace(new_key, old_key))
        former.append(old_key)
    return former


def _tomogram_states(tree: Path) -> set[str]:
    return {
        json.loads(path.read_text())["neuroglancer_config_path"]
        for path in tree.glob("90001/*/Reconstructions/*/Tomograms/*/tomogram_metadata.json")
    }


def test_a_rerun_over_a_tree_of_the_former_layout_moves_the_states(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    config, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    states = sorted(name for name in viewer_files(tree) if name.endswith("-neuroglancer_config.json"))
    former = _former_layout(tree)
    assert len(former) == len(states) == 4
    assert _tomogram_states(tree) == set(former)
    assert check_tree(tree).findings == ()  # the former names are states the checker reads

    assert ingest(config, tree)["ok"] is True
    assert not any((tree / key).exists() or (tree / key).parent.exists() for key in former)
    assert sorted(name for name in viewer_files(tree) if name.endswith("neuroglancer_config.json")) == states
    assert _tomogram_states(tree) == set(states)
    manifests = "".join(path.read_text() for path in (tree / ".ingest/manifests").rglob("*.json"))
    assert not any(key in manifests for key in former)
    assert check_tree(tree).findings == ()

    again = ingest(config, tree)
    assert [run["written"] for run in again["runs"]] == [0, 0]  # converged


def test_only_neuroglancer_keeps_a_former_state_its_tomogram_still_names(
    ingested: tuple[Path, Path], tmp_path: Path
) -> None:
    config, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    former = _former_layout(tree)
    assert ingest(config, tree, "--only", "neuroglancer")["ok"] is True
    assert all((tree / key).is_file() for key in former)  # tomogram_metadata.json was not rewritten: still named
    assert _tomogram_states(tree) == set(former)
    assert ingest(config, tree)["ok"] is True  # the next full run rewrites the tomograms, then removes them
    assert not any((tree / key).exists() for key in former)
