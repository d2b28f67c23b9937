"""Meshes ingested end to end (the example deposition with a TriangularMesh, a TriangularMeshGroup and oriented
points with a mesh_source_path): glb files and annotation metadata as the portal writes them, precomputed meshes
and their layers in the Neuroglancer state, ``ingest check`` clean; bad meshes fail their annotation only."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
import yaml
from click.testing import CliRunner

from ingest.cli import main
from ingest.converters.viewers.neuroglancer_meshes import read_precomputed_mesh
from ingest.pipeline.example import write_example
from tests.ingest_cli import ingest, run_counts
from tests.mesh_files import box, write_hff, write_mesh

VS10 = "90001/{run}/Reconstructions/VoxelSpacing10.000"
ONLY_VS10 = {"include": {"voxel_spacing": ["^10\\.000$"]}}


def mesh_annotation(ingest_id: str, name: str, source: dict[str, Any]) -> dict[str, Any]:
    metadata = {
        "annotation_ingest_id": ingest_id,
        "annotation_method": "drawn",
        "annotation_object": {"id": "GO:0031982", "name": name},
        "authors": [{"name": "Ada Example", "primary_author_status": True, "corresponding_author_status": True}],
        "dates": {"deposition_date": "2026-01-15", "release_date": "2026-02-01", "last_modified_date": "2026-02-01"},
        "ground_truth_status": False,
        "method_type": "manual",
        "version": 1.0,
    }
    return {"metadata": metadata, "sources": [{**source, "parent_filters": ONLY_VS10}]}


def mesh_example(root: Path, *, group_name: str = "vesicle") -> Path:
    """The example deposition with mesh annotations added; returns its config."""
    example = root / "example"
    write_example(example)
    for run in ("TS_001", "TS_002"):
        write_mesh(example / f"phantom/meshes/{run}_membrane.obj", "obj")
    write_hff(example / "phantom/meshes/vesicles.hff", {"vesicle": [box(4.0)], "other": [box(1.0)]})
    write_mesh(example / "phantom/meshes/ribosome.glb", "glb", box(10.0))
    config = yaml.safe_load((example / "example.yaml").read_text())
    ribosome = config["annotations"][0]["sources"][1]["OrientedPoint"]
    ribosome["mesh_source_path"] = "meshes/ribosome.glb"
    ribosome["is_visualization_default"] = True
    obj = {"file_format": "obj", "glob_string": "meshes/{run_name}_membrane.obj", "scale_factor": 2.0}
    hff = {"file_format": "hff", "glob_string": "meshes/vesicles.hff", "name": group_name}
    config["annotations"] += [
        mesh_annotation("mesh-1", "membrane surface", {"TriangularMesh": {**obj, "is_visualization_default": True}}),
        mesh_annotation("group-1", "vesicle", {"TriangularMeshGroup": hff}),
    ]
    path = example / "example.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def metadata_of(out: Path, run: str, name: str) -> tuple[str, dict[str, Any]]:
    for path in sorted((out / VS10.format(run=run) / "Annotations").glob("*/*.json")):
        document = json.loads(path.read_text())
        if document["annotation_object"]["name"] == name:
            return str(path.relative_to(out)), document
    raise AssertionError(f"no annotation {name!r} in {run}")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("meshes")
    report = ingest(mesh_example(root), root / "out")
    return root / "out", report


def test_meshes_are_ingested_and_checked(ingested: tuple[Path, dict[str, Any]]) -> None:
    _, report = ingested
    assert report["ok"] is True, report
    assert report["skipped_sections"] == {} and report["checks"]["errors"] == 0 and report["checks"]["findings"] == []


def test_mesh_annotation_metadata_is_the_portals(ingested: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ingested
    key, document = metadata_of(out, "TS_001", "membrane surface")
    folder = key.rsplit("/", 1)[0]
    assert document["object_count"] == 1
    assert [(f["shape"], f["format"], f["path"], f["is_visualization_default"]) for f in document["files"]] == [
        ("Mesh", "glb", f"{folder}/membrane_surface-1.0_triangularmesh.glb", True)
    ]
    mesh = trimesh.load(out / document["files"][0]["path"], force="mesh")
    assert np.allclose(mesh.bounds, [[0, 0, 0], [40, 40, 40]])  # the 20 Å box × scale_factor 2
    _, group = metadata_of(out, "TS_002", "vesicle")
    assert [(f["shape"], f["format"]) for f in group["files"]] == [("Mesh", "glb")]
    assert group["object_count"] == 1
    vesicle = trimesh.load(io.BytesIO((out / group["files"][0]["path"]).read_bytes()), file_type="glb", force="mesh")
    assert np.allclose(vesicle.bounds, [[0, 0, 0], [4, 4, 4]])  # the named mesh, not "other"


def test_state_shows_meshes_and_oriented_points_as_meshes(ingested: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ingested
    vs = VS10.format(run="TS_001")
    state = json.loads((out / f"{vs}/NeuroglancerPrecompute/100-neuroglancer_config.json").read_text())
    layers = {layer["name"]: layer for layer in state["layers"][1:]}
    assert layers["100 cytosolic ribosome orientedpoint"]["visible"] is False  # hidden behind its mesh
    oriented = layers["100 cytosolic ribosome orientedmesh"]
    surface = next(layer for name, layer in layers.items() if name.endswith("membrane surface mesh"))
    vesicle = next(layer for name, layer in layers.items() if name.endswith("vesicle mesh"))
    assert (surface["visible"], vesicle["visible"], oriented["visible"]) == (True, False, True)
    for layer in (oriented, surface, vesicle):
        assert layer["type"] == "segmentation" and layer["segments"] == [1]
        assert layer["source"]["subsources"] == {"default": True, "mesh": True}
        folder = out / layer["source"]["url"].split("cziscience.com/", 1)[1]
        assert (folder / "info").is_file() and (folder / "mesh/1:0").is_file()
        assert (folder / "segment_properties/info").is_file()
    assert oriented["source"]["url"].endswith("/100-cytosolic_ribosome-1.0_orientedmesh")


def test_oriented_mesh_has_a_copy_of_the_mesh_at_every_point(ingested: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ingested
    vs = out / VS10.format(run="TS_001")
    points = [
        json.loads(line)
        for line in (vs / "Annotations/100/cytosolic_ribosome-1.0_orientedpoint.ndjson").read_text().splitlines()
    ]
    vertices, faces = read_precomputed_mesh(vs / "NeuroglancerPrecompute/100-cytosolic_ribosome-1.0_orientedmesh")
    mesh = box(10.0)
    assert len(faces) == 12 * len(points) and len(vertices) == 8 * len(points)
    for index, point in enumerate(points):
        rotation = np.asarray(point["xyz_rotation_matrix"])
        location = np.array([point["location"][axis] for axis in "xyz"])
        expected = (rotation @ (np.asarray(mesh.vertices) * 0.1).T).T + location
        assert np.allclose(vertices[8 * index : 8 * index + 8], expected, atol=1e-4)


def test_rerun_skips_every_mesh(ingested: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _ = ingested
    config = out.parent / "example/example.yaml"
    again = ingest(config, out)
    assert again["ok"] is True and all(written == 0 for written, _, _ in run_counts(again).values())


def test_bad_meshes_fail_their_annotation_and_the_run_goes_on(tmp_path: Path) -> None:
    config = mesh_example(tmp_path, group_name="lipid droplet")
    (tmp_path / "example/phantom/meshes/TS_001_membrane.obj").write_text("v 0 0 0\nf 1 2 3\nnot an obj\n")
    out = tmp_path / "out"
    report = ingest(config, out)
    counts = run_counts(report)
    assert report["ok"] is False
    error_1, error_2 = counts["90001/TS_001"][2], counts["90001/TS_002"][2]
    assert error_1 is not None and error_2 is not None
    assert "2 annotations failed" in error_1 and "phantom/meshes/TS_001_membrane.obj" in error_1
    assert "phantom/meshes/vesicles.hff: mesh name 'lipid droplet' not found in the hff file" in error_2
    assert "found 'vesicle', 'other'" in error_2 and "TS_002_membrane" not in error_2
    for run in ("TS_001", "TS_002"):
        annotations = out / VS10.format(run=run) / "Annotations"
        names = {json.loads(path.read_text())["annotation_object"]["name"] for path in annotations.glob("*/*.json")}
        expected = {"cytosolic ribosome", "membrane"} | ({"membrane surface"} if run == "TS_002" else set())
        assert names == expected  # the other annotations of the failed run were written
        assert [path.name for path in annotations.rglob("*.glb")] == (
            ["membrane_surface-1.0_triangularmesh.glb"] if run == "TS_002" else []
        )  # nothing half-published
    state = json.loads(
        (out / VS10.format(run="TS_001") / "NeuroglancerPrecompute/100-neuroglancer_config.json").read_text()
    )
    assert not any(layer["name"].endswith(("membrane surface mesh", "vesicle mesh")) for layer in state["layers"])
    checked = CliRunner().invoke(main, ["check", str(out), "--format", "json"])
    assert checked.exit_code == 0, checked.output


def test_a_failed_annotation_leaves_none_of_its_files(tmp_path: Path) -> None:
    """The ribosome's Point file is written before its OrientedPoint source fails: it is deleted again."""
    config = mesh_example(tmp_path)
    (tmp_path / "example/phantom/picks/TS_001_ribosome.star").write_text("data_\nloop_\n_rlnNothing #1\n")
    out = tmp_path / "out"
    report = ingest(config, out)
    error = run_counts(report)["90001/TS_001"][2]
    assert error is not None and "phantom/picks/TS_001_ribosome.star" in error
    vs = out / VS10.format(run="TS_001")
    folders = {
        json.loads(path.read_text())["annotation_object"]["name"]: path.parent
        for path in (vs / "Annotations").glob("*/*.json")
    }
    assert "cytosolic ribosome" not in folders and "membrane surface" in folders
    assert not list((vs / "Annotations").rglob("cytosolic_ribosome*"))
    assert not list((vs / "NeuroglancerPrecompute").glob("*cytosolic_ribosome*"))
    state = json.loads((vs / "NeuroglancerPrecompute/100-neuroglancer_config.json").read_text())
    assert not any("cytosolic ribosome" in layer["name"] for layer in state["layers"])
    checked = CliRunner().invoke(main, ["check", str(out), "--format", "json"])
    assert checked.exit_code == 0, checked.output


def test_only_neuroglancer_selects_every_precomputed_folder_and_state(tmp_path: Path) -> None:
    """``--only neuroglancer`` plans the states with all their precomputed folders (points, the semantic masks'
    segmentations, meshes and oriented meshes) and nothing else."""
    config = mesh_example(tmp_path)
    result = CliRunner().invoke(
        main, ["deposition", str(config), "--dry-run", "--format", "json", "--only", "neuroglancer"]
    )
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert {name: count for name, count in counts.items() if count} == {
        "runs": 2,
        "neuroglancer_states": 4,
        "precomputed_annotations": 6,
        "precomputed_segmentations": 2,
        "precomputed_meshes": 6,  # per run: the membrane surface, the vesicle group, the ribosomes' oriented mesh
    }
