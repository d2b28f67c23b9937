"""``mesh_source_path`` of oriented-point sources: found in the input, kept on the planned annotation file, planned as
a precomputed oriented mesh (not reported as skipped), and refused at its config path when it does not exist."""

from __future__ import annotations

import pytest
from plan_helpers import annotation, base_config, plan_of

from ingest.cli.plan_render import plan_to_json
from ingest.errors import PlanError

KEYS = ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc", "picks/TS_1.star", "picks/TS_2.star", "meshes/TS_1.glb"]


def mesh_config(mesh: str) -> dict[str, object]:
    source = {"file_format": "relion4_star", "glob_string": "picks/{run_name}.star", "mesh_source_path": mesh}
    return base_config(annotations=[annotation("ferritin-1", "ferritin", [{"OrientedPoint": source}])])


def test_mesh_source_is_kept_on_the_planned_annotation_file_and_planned_as_an_oriented_mesh() -> None:
    plan = plan_of(mesh_config("meshes/TS_1.glb"), KEYS)
    files = [file for run in plan.runs for task in run.annotations for file in task.files]
    assert [(file.source_keys, file.mesh_source_key) for file in files] == [
        (("picks/TS_1.star",), "meshes/TS_1.glb"),
        (("picks/TS_2.star",), "meshes/TS_1.glb"),
    ]
    assert plan.skipped == ()
    (planned,) = plan_to_json(plan)["runs"][0]["voxel_spacings"][0]["annotations"][0]["files"]
    assert planned["mesh_source"] == "meshes/TS_1.glb"
    meshes = [(task.mesh_source_key, task.points_key, task.folder) for run in plan.runs for task in run.meshes]
    assert [(source, points.rsplit("/", 1)[1], folder.rsplit("/", 1)[1]) for source, points, folder in meshes] == [
        ("meshes/TS_1.glb", "ferritin-1.0_orientedpoint.ndjson", "100-ferritin-1.0_orientedmesh"),
    ] * 2


def test_templated_mesh_source_is_rendered_per_run() -> None:
    with pytest.raises(PlanError) as caught:  # TS_2 has no mesh of its own
        plan_of(mesh_config("meshes/{run_name}.glb"), KEYS)
    assert caught.value.where == "test.yaml annotations[0].sources[0].OrientedPoint.mesh_source_path"
    assert caught.value.found == "'meshes/TS_2.glb'"


def test_annotation_without_mesh_source_has_none() -> None:
    source = {"file_format": "relion4_star", "glob_string": "picks/{run_name}.star"}
    plan = plan_of(base_config(annotations=[annotation("f-1", "f", [{"OrientedPoint": source}])]), KEYS)
    assert {file.mesh_source_key for run in plan.runs for task in run.annotations for file in task.files} == {None}
    assert plan.skipped == () and all(run.meshes == () for run in plan.runs)
