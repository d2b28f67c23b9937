"""Neuroglancer: the state JSON per default tomogram (layers, sources, contrast), the precomputed point annotations
(decoded back: count, locations, rotation properties), the metadata path, --only neuroglancer, and the portal's
importer on the example tree."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest

from ingest.converters.viewers.neuroglancer_points import write_precomputed_points
from ingest.converters.viewers.neuroglancer_state import NEUROGLANCER_URL_PREFIX
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest, run_counts
from tests.portal_importer import needs_portal_importer, portal_import

VS10 = "90001/TS_001/Reconstructions/VoxelSpacing10.000"
STATE = f"{VS10}/NeuroglancerPrecompute/100-neuroglancer_config.json"


def decode_points(folder: Path) -> tuple[dict[str, Any], np.ndarray, list[dict[str, float]]]:
    """The info, locations and numeric properties of a precomputed point folder's single spatial chunk."""
    info = json.loads((folder / "info").read_text())
    data = (folder / "spatial0/0_0_0").read_bytes()
    (count,) = struct.unpack("<Q", data[:8])
    sizes = {"float32": 4, "uint8": 1, "uint16": 2, "uint32": 4, "rgb": 3, "rgba": 4}
    record = 12 + sum(sizes[p["type"]] for p in info["properties"])
    record += -record % 4
    locations, properties = [], []
    for index in range(count):
        start = 8 + index * record
        locations.append(struct.unpack("<3f", data[start : start + 12]))
        offset, values = start + 12, {}
        for prop in info["properties"]:
            if prop["type"] == "float32":
                values[prop["id"]] = struct.unpack("<f", data[offset : offset + 4])[0]
            offset += sizes[prop["type"]]
        properties.append(values)
    return info, np.asarray(locations), properties


def test_precomputed_points_hold_every_point_with_its_rotation(tmp_path: Path) -> None:
    points = [
        {"type": "orientedPoint", "location": {"x": 1.5, "y": 2, "z": 3}, "xyz_rotation_matrix": np.eye(3).tolist()},
        {
            "type": "orientedPoint",
            "location": {"x": 10, "y": 20, "z": 30},
            "xyz_rotation_matrix": [[0, -1, 0], [1, 0, 0], [0, 0, 1]],
        },
    ]
    write_precomputed_points(
        points, tmp_path / "p", voxel_spacing=13.48, object_name="ribosome", diameter=250.0, oriented=True
    )
    info, locations, properties = decode_points(tmp_path / "p")
    assert info["@type"] == "neuroglancer_annotations_v1" and info["annotation_type"] == "point"
    assert info["dimensions"] == {axis: [pytest.approx(13.48e-10), "m"] for axis in "xyz"}
    assert locations.tolist() == [[1.5, 2.0, 3.0], [10.0, 20.0, 30.0]]
    assert [p["diameter"] for p in properties] == [25.0, 25.0]
    assert [p["point_index"] for p in properties] == [0.0, 1.0]
    assert properties[1]["rot_mat_0_1"] == -1.0 and properties[1]["rot_mat_1_0"] == 1.0
    names = next(p for p in info["properties"] if p["id"] == "name")
    assert names["enum_labels"] == ["ribosome"]
    assert sorted(path.name for path in (tmp_path / "p/by_id").iterdir()) == ["0.shard"]


def test_points_are_encoded_as_the_writers_add_point_encodes_them() -> None:
    """All rows at once give the records and bounds that ``AnnotationWriter.add_point`` gives row by row."""
    from neuroglancer import AnnotationPropertySpec, CoordinateSpace
    from neuroglancer.write_annotations import AnnotationWriter

    from ingest.converters.viewers.neuroglancer_points import encode_points

    def writer() -> AnnotationWriter:
        properties = [
            AnnotationPropertySpec(id="name", type="uint16", enum_values=[0, 7], enum_labels=["a", "b"]),
            AnnotationPropertySpec(id="color", type="rgb"),
            AnnotationPropertySpec(id="score", type="float32"),
        ]
        space = CoordinateSpace(names=["x", "y", "z"], units=["m"] * 3, scales=[1e-9] * 3)
        return AnnotationWriter(coordinate_space=space, annotation_type="point", properties=properties)

    rng = np.random.default_rng(3)
    locations = rng.uniform(-5, 50, (9, 3))
    names, colors, scores = rng.choice([0, 7], 9), rng.integers(0, 256, (9, 3)), rng.standard_normal(9)
    one_by_one, at_once = writer(), writer()
    for row in range(9):
        one_by_one.add_point(list(locations[row]), name=names[row], color=tuple(colors[row]), score=scores[row])
    records = encode_points(at_once, locations, {"name": names, "color": colors, "score": scores})
    assert [record.tobytes() for record in records] == [annotation.encoded for annotation in one_by_one.annotations]
    assert [annotation.id for annotation in one_by_one.annotations] == list(range(9))
    assert at_once.lower_bound.tolist() == one_by_one.lower_bound.tolist()
    assert at_once.upper_bound.tolist() == one_by_one.upper_bound.tolist()


def test_instance_points_get_one_name_per_instance(tmp_path: Path) -> None:
    points = [
        {"type": "instancePoint", "location": {"x": i, "y": 0, "z": 0}, "instance_id": i % 3 + 1} for i in range(6)
    ]
    write_precomputed_points(
        points, tmp_path / "p", voxel_spacing=10, object_name="vesicle", diameter=None, oriented=False
    )
    info, locations, _ = decode_points(tmp_path / "p")
    names = next(p for p in info["properties"] if p["id"] == "name")
    assert names["enum_values"] == [1, 2, 3] and names["enum_labels"] == ["vesicle 1", "vesicle 2", "vesicle 3"]
    assert len(locations) == 6


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("neuroglancer")
    write_example(root / "example")
    report = ingest(root / "example/example.yaml", root / "out")
    assert report["ok"] is True and "neuroglancer" not in report["skipped_sections"]
    return root / "example", root / "out"


def test_state_has_the_image_and_one_layer_per_annotation_file(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    tomogram = json.loads((out / f"{VS10}/Tomograms/100/tomogram_metadata.json").read_text())
    assert tomogram["neuroglancer_config_path"] == STATE
    state = json.loads((out / STATE).read_text())
    image, *annotations = state["layers"]
    assert image["type"] == "image" and image["name"] == "TS_001"
    assert image["source"]["url"] == f"zarr://{NEUROGLANCER_URL_PREFIX}{VS10}/Tomograms/100/TS_001.zarr"
    with mrcfile.open(out / f"{VS10}/Tomograms/100/TS_001.mrc", header_only=True) as mrc:
        mean, rms = float(mrc.header.dmean), float(mrc.header.rms)
    assert image["shaderControls"]["contrast"]["range"] == pytest.approx([mean - 3 * rms, mean + 3 * rms])
    assert state["dimensions"] == {axis: [pytest.approx(1e-9), "m"] for axis in "xyz"}
    assert state["position"] == [64.0, 64.0, 32.0] and state["layout"] == "4panel"
    kinds = [(layer["type"], layer["name"], layer["visible"]) for layer in annotations]
    assert kinds == [
        ("annotation", "100 cytosolic ribosome point", True),
        ("annotation", "100 cytosolic ribosome orientedpoint", False),
        ("segmentation", "101 membrane segmentation", True),
    ]
    colors = [layer.get("shaderControls", {}).get("color") or layer["segmentDefaultColor"] for layer in annotations]
    assert len(set(colors)) == 3
    for layer in annotations:  # every source is in the tree
        url = layer["source"]["url"].split("://", 1)[1].removeprefix(NEUROGLANCER_URL_PREFIX)
        assert (out / url).exists(), url
        if layer["type"] == "annotation":
            assert (out / url / "info").is_file()
    _, locations, _ = decode_points(out / f"{VS10}/NeuroglancerPrecompute/100-cytosolic_ribosome-1.0_point")
    ndjson = (out / f"{VS10}/Annotations/100/cytosolic_ribosome-1.0_point.ndjson").read_text().splitlines()
    expected = [[json.loads(line)["location"][axis] for axis in "xyz"] for line in ndjson]
    np.testing.assert_allclose(locations, expected, rtol=1e-6)


def test_only_neuroglancer_rewrites_a_deleted_state(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    example, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    before = (tree / STATE).read_bytes()
    (tree / STATE).unlink()
    report = ingest(example / "example.yaml", tree, "--only", "neuroglancer", "--run", "TS_001")
    written, skipped, error = run_counts(report)["90001/TS_001"]
    assert (written, error) == (1, None) and skipped > 0
    assert (tree / STATE).read_bytes() == before


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the importer's checks queue on one lock
@needs_portal_importer
def test_portal_importer_loads_the_tree_with_key_photos_and_states(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = ingested
    report = portal_import(out, 90001, 90000, tmp_path=tmp_path)
    assert report["exit_code"] == 0, report["stdout"]
