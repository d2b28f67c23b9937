"""``mesh_source_path`` of oriented-point (and instance) sources: found in the input, kept on the planned annotation
file, reported as skipped (meshes are not ingested yet), and refused at its config path when it does not exist."""

from __future__ import annotations

import pytest
from plan_helpers import annotation, base_config, plan_of

from ingest.cli.plan_render import plan_to_json
from ingest.errors import PlanError
from ingest.plan.annotations import MESH_SOURCES_SKIPPED

KEYS = ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc", "picks/TS_1.star", "picks/TS_2.star", "meshes/TS_1.glb"]


def mesh_config(mesh: str) -> dict[str, object]:
    source = {"file_format": "relion4_star", "glob_string": "picks/{run_name}.star", "mesh_source_path": mesh}
    return base_config(annotations=[annotation("ferritin-1", "ferritin", [{"OrientedPoint": source}])])


def test_mesh_source_is_kept_on_the_planned_annotation_file_and_reported_as_skipped() -> None:
    plan = plan_of(mesh_config("meshes/TS_1.glb"), KEYS)
    files = [file for run in plan.runs for task in run.annotations for file in task.files]
    assert [(file.source_keys, file.mesh_source_key) for file in files] == [
        (("picks/TS_1.star",), "meshes/TS_1.glb"),
        (("picks/TS_2.star",), "meshes/TS_1.glb"),
    ]
    assert {item.section: item.count for item in plan.skipped}[MESH_SOURCES_SKIPPED] == 2
    (planned,) = plan_to_json(plan)["runs"][0]["voxel_spacings"][0]["annotations"][0]["files"]
    assert (planned["mesh_source"], planned["mesh"]) == ("meshes/TS_1.glb", "not ingested yet")


def test_templated_mesh_source_is_rendered_per_run() -> None:
    with pytest.raises(PlanError) as caught:  # TS_2 has no mesh of its own
        plan_of(mesh_config("meshes/{run_name}.glb"), KEYS)
    assert caught.value.where == "test.yaml annotations[0].sources[0].OrientedPoint.mesh_source_path"
    assert caught.value.found == "'meshes/TS_2.glb'"


def test_annotation_without_mesh_source_has_none() -> None:
    source = {"file_format": "relion4_star", "glob_string": "picks/{run_name}.star"}
    plan = plan_of(base_config(annotations=[annotation("f-1", "f", [{"OrientedPoint": source}])]), KEYS)
    assert {file.mesh_source_key for run in plan.runs for task in run.annotations for file in task.files} == {None}
    assert MESH_SOURCES_SKIPPED not in {item.section for item in plan.skipped}
