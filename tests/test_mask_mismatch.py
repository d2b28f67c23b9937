"""Bad input in viewers: a mask whose size is not its tomogram's fails its annotation with one line naming the
source file (expected and found sizes); the rest of the run goes on (tomogram, the other annotations, key images
and the Neuroglancer state without the mask), nothing of the failed annotation is published, the run is reported
failed, and once the mask is fixed the next run adds it and redraws the viewers."""

from __future__ import annotations

import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest, run_counts

VS10 = "90001/TS_001/Reconstructions/VoxelSpacing10.000"
STATE = f"{VS10}/NeuroglancerPrecompute/100-neuroglancer_config.json"
MASK = "phantom/masks/TS_001_membrane.mrc"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    write_example(tmp_path / "example")
    return tmp_path / "example"


def test_a_mask_of_another_size_fails_its_annotation_alone(example: Path, tmp_path: Path) -> None:
    good = (example / MASK).read_bytes()
    with mrcfile.new(example / MASK, overwrite=True) as mrc:
        mrc.set_data(np.ones((40, 100, 100), dtype=np.int8))
        mrc.voxel_size = 10
    out = tmp_path / "out"
    report = ingest(example / "example.yaml", out)
    assert report["ok"] is False
    _, _, error = run_counts(report)["90001/TS_001"]
    assert error is not None and "\n" not in error
    assert f"{MASK}: a mask does not match its tomogram" in error
    assert "(128, 128, 64)" in error and "found (100, 100, 40)" in error
    assert run_counts(report)["90001/TS_002"][2] is None
    # nothing of the failed annotation; the rest of the run is there, viewers without the mask
    assert not (out / f"{VS10}/Annotations/101").exists()
    assert not list((out / f"{VS10}/NeuroglancerPrecompute").glob("101-*"))
    assert (out / f"{VS10}/Annotations/100/cytosolic_ribosome-1.0.json").is_file()
    assert (out / f"{VS10}/Images/100/key-photo-snapshot.png").is_file()
    state = json.loads((out / STATE).read_text())
    assert [layer["type"] for layer in state["layers"]] == ["image", "annotation", "annotation"]
    tomogram = json.loads((out / f"{VS10}/Tomograms/100/tomogram_metadata.json").read_text())
    assert tomogram["neuroglancer_config_path"] == STATE
    snapshot = (out / f"{VS10}/Images/100/key-photo-snapshot.png").read_bytes()

    (example / MASK).write_bytes(good)
    again = ingest(example / "example.yaml", out)
    assert again["ok"] is True
    assert (out / f"{VS10}/Annotations/101/membrane-1.0.json").is_file()
    state = json.loads((out / STATE).read_text())
    assert [layer["type"] for layer in state["layers"]] == ["image", "annotation", "annotation", "segmentation"]
    assert (out / f"{VS10}/Images/100/key-photo-snapshot.png").read_bytes() != snapshot  # the mask drawn now
