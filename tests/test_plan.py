"""The planner: entity tree, templates, ids and their reuse, selection, errors."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from ingest.domain.tasks import Section, Selection, parse_sections
from ingest.errors import PlanError, UsageError
from ingest.pipeline.inputs import parse_run_data_map
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing
from tests.plan_helpers import TOMOGRAM, annotation, base_config, example_plan, plan_of

VS = "10001/TS_1/Reconstructions/VoxelSpacing13.480"


def existing_tree(files: dict[str, dict[str, Any]]) -> ExistingTree:
    """An output tree holding ``files`` (metadata by key) and nothing else."""
    return ExistingTree(Listing.of(files, root="/out"), dict(files))


def test_example_plans_every_entity_of_both_runs() -> None:
    plan = example_plan()
    assert plan.deposition is not None
    assert plan.deposition.metadata_key == "depositions_metadata/90000/deposition_metadata.json"
    assert [task.metadata_key for task in plan.datasets] == ["90001/dataset_metadata.json"]
    assert [run.run.name for run in plan.runs] == ["TS_001", "TS_002"]
    run = plan.runs[0]
    assert run.metadata_key == "90001/TS_001/run_metadata.json"
    assert [vs.voxel_spacing.name for vs in run.voxel_spacings] == ["10.000", "20.000"]
    assert [task.source_key for task in run.tomograms] == ["tomograms/TS_001_bin1.mrc", "tomograms/TS_001_bin2.mrc"]
    assert [task.annotation.stem for task in run.annotations] == [
        "cytosolic_ribosome-1.0",
        "membrane-1.0",
        "proteasome_complex-1.0",
    ]
    assert [task.annotation.annotation_id for task in run.annotations] == [100, 101, 100]
    assert {skipped.section: skipped.count for skipped in plan.skipped} == {}
    assert [(task.section.value, task.output_key) for task in run.copies] == [
        ("rawtilts", "90001/TS_001/TiltSeries/100/TS_001.rawtlt"),
        ("collection_metadata", "90001/TS_001/Frames/TS_001.mdoc"),
    ]


def test_run_data_map_values_render_with_casts() -> None:
    tiltseries = [task for run in example_plan().runs for task in run.tiltseries]
    assert [task.metadata.get("tilt_range") for task in tiltseries] == [{"max": 60.0, "min": -60.0}] * 2
    assert [task.metadata.get("tilt_series_quality") for task in tiltseries] == [4, 5]
    assert tiltseries[0].mrc_key == "90001/TS_001/TiltSeries/100/TS_001.mrc"


def test_default_alignment_is_planned_and_referenced_by_tomograms_and_annotations() -> None:
    run = example_plan().runs[0]
    (alignment,) = run.alignments
    assert alignment.is_default and alignment.metadata_key == "90001/TS_001/Alignments/100/alignment_metadata.json"
    assert alignment.metadata.get("alignment_type") == "GLOBAL"
    assert alignment.metadata.get("method_type") == "undefined"
    assert {task.alignment_metadata_key for task in (*run.tomograms, *run.annotations)} == {alignment.metadata_key}


def test_plan_is_picklable_and_deterministic() -> None:
    plan = example_plan()
    assert pickle.loads(pickle.dumps(plan)) == plan
    assert example_plan() == plan


def test_templates_use_run_data_map_columns() -> None:
    config = base_config(
        tomograms=[
            {
                "metadata": {**TOMOGRAM, "processing_software": "{software}"},
                "sources": [{"source_glob": {"list_glob": "{folder}/{run_name}.mrc"}}],
            }
        ]
    )
    run_data = parse_run_data_map("run_name,folder,software\nTS_1,tomograms,IsoNet\n", source="map.csv")
    plan = plan_of(config, ["tomograms/TS_1.mrc"], run_data=run_data)
    (task,) = plan.runs[0].tomograms
    assert task.metadata.get("processing_software") == "IsoNet"
    assert task.metadata.get("voxel_spacing") == 13.48
    assert task.metadata.get("deposition_id") == 10300


def test_unknown_template_field_is_an_error_naming_it() -> None:
    config = base_config(
        tomograms=[{"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "{nope}/{run_name}.mrc"}}]}]
    )
    with pytest.raises(Exception, match="nope"):
        plan_of(config, ["tomograms/TS_1.mrc"])


def test_glob_matching_nothing_names_template_expansion_and_folder() -> None:
    config = base_config(
        tomograms=[{"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "recs/{run_name}.rec"}}]}]
    )
    with pytest.raises(PlanError) as info:
        plan_of(config, ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc"])
    message = info.value.message
    assert "tomograms[0].sources[0] matched nothing" in message
    assert "'recs/{run_name}.rec' expanded to 'recs/TS_1.rec' in /in" in message


def test_glob_matching_for_some_runs_only_is_not_an_error() -> None:
    plan = plan_of(
        base_config(tiltseries=[{"sources": [{"source_glob": {"list_glob": "ts/{run_name}.st"}}]}]),
        ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc", "ts/TS_2.st"],
    )
    assert [len(run.tiltseries) for run in plan.runs] == [0, 1]


def test_no_runs_found_is_an_error() -> None:
    with pytest.raises(PlanError) as info:
        plan_of(base_config(), ["other/TS_1.mrc"])
    assert "runs[0].sources[0] matched nothing" in info.value.message
    assert "'tomograms/*.mrc' expanded to 'tomograms/*.mrc' in /in" in info.value.message


@pytest.mark.parametrize(
    ("runs", "keys"),
    [
        (
            [{"sources": [{"source_glob": {"list_glob": "tomograms/*", "name_regex": "(.*)\\.mrc"}}]}],
            ["tomograms/...mrc"],
        ),
        ([{"sources": [{"literal": {"value": ["../../etc"]}}]}], ["tomograms/x.mrc"]),
        ([{"sources": [{"literal": {"value": ["/abs"]}}]}], ["tomograms/x.mrc"]),
    ],
)
def test_unsafe_run_names_are_refused(runs: list[dict[str, Any]], keys: list[str]) -> None:
    with pytest.raises(PlanError, match="unsafe run name") as info:
        plan_of(base_config(runs=runs, tomograms=[]), keys)
    assert "runs[0].sources[0]" in (info.value.where or "")


def test_unsafe_dataset_name_is_refused() -> None:
    with pytest.raises(PlanError, match="unsafe dataset name"):
        plan_of(base_config(datasets=[{"sources": [{"literal": {"value": [".."]}}]}]), ["tomograms/TS_1.mrc"])


def test_ids_count_from_100_and_skip_existing_ids_of_other_entities() -> None:
    other = {**TOMOGRAM, "voxel_spacing": 13.48, "processing": "denoised", "deposition_id": 1}
    existing = existing_tree({f"{VS}/Tomograms/100/tomogram_metadata.json": other})
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"], existing=existing)
    (task,) = plan.runs[0].tomograms
    assert task.tomogram.tomogram_id == 101 and not task.reused_id


def test_ids_are_reused_when_identity_matches_existing_metadata() -> None:
    alignment = "10001/TS_1/Alignments/100/alignment_metadata.json"
    same = {**TOMOGRAM, "voxel_spacing": 13.48, "deposition_id": 10300, "alignment_metadata_path": alignment}
    existing = existing_tree(
        {
            f"{VS}/Tomograms/100/tomogram_metadata.json": {**same, "processing": "denoised"},
            f"{VS}/Tomograms/104/tomogram_metadata.json": same,
            alignment: {"deposition_id": 10300, "method_type": "undefined", "files": []},
        }
    )
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"], existing=existing)
    (task,) = plan.runs[0].tomograms
    assert (task.tomogram.tomogram_id, task.reused_id) == (104, True)
    assert plan.runs[0].alignments[0].reused_id


def test_annotation_ids_are_reused_by_ingest_id_even_with_bucket_prefixed_paths() -> None:
    old = {
        "annotation_ingest_id": "membrane-1",
        "deposition_id": 10300,
        "alignment_metadata_path": "bucket/10001/TS_1/Alignments/100/alignment_metadata.json",
    }
    existing = existing_tree({f"{VS}/Annotations/102/membrane-1.0.json": old, f"{VS}/Annotations/100/x-1.0.json": {}})
    config = base_config(
        annotations=[
            annotation("ribosome-1", "ribosome", [{"Point": {"file_format": "csv", "glob_string": "{run_name}.csv"}}]),
            annotation("membrane-1", "membrane", [{"Point": {"file_format": "csv", "glob_string": "{run_name}.csv"}}]),
        ]
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc", "TS_1.csv"], existing=existing)
    ids = [(task.annotation.slug, task.annotation.annotation_id, task.reused_id) for task in plan.runs[0].annotations]
    assert ids == [("ribosome", 101, False), ("membrane", 102, True)]


def test_two_entities_with_one_identity_are_refused() -> None:
    config = base_config(
        tomograms=[{"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "tomograms/{run_name}*"}}]}]
    )
    with pytest.raises(PlanError, match="share one output folder"):
        plan_of(config, ["tomograms/TS_1.mrc", "tomograms/TS_1_b.mrc"])


def test_second_tilt_series_in_a_run_is_refused() -> None:
    config = base_config(tiltseries=[{"sources": [{"source_glob": {"list_glob": "ts/{run_name}*.st"}}]}])
    with pytest.raises(PlanError, match="2 tilt series"):
        plan_of(config, ["tomograms/TS_1.mrc", "ts/TS_1.st", "ts/TS_1_b.st"])


def test_destination_glob_alignment_replaces_the_default() -> None:
    key = "10001/TS_1/Alignments/100/alignment_metadata.json"
    config = base_config(
        alignments=[{"sources": [{"destination_glob": {"list_glob": "{run_output_path}/Alignments/100/*.json"}}]}]
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc"], existing=existing_tree({key: {"deposition_id": 1}}))
    assert plan.runs[0].alignments == ()
    assert plan.runs[0].tomograms[0].alignment_metadata_key == key


def test_destination_filter_references_existing_tomograms_only() -> None:
    existing = existing_tree({f"{VS}/Tomograms/100/tomogram_metadata.json": {"processing": "raw"}})
    config = base_config(
        tomograms=[{"sources": [{"destination_filter": {"filters": [{"key": ["processing"], "value": "raw"}]}}]}]
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc"], existing=existing)
    assert plan.runs[0].tomograms == ()


def test_tomogram_entry_for_another_voxel_spacing_is_not_planned_there() -> None:
    config = base_config(
        voxel_spacings=[{"sources": [{"literal": {"value": [13.48, 6.74]}}]}],
        tomograms=[
            {
                "metadata": {**TOMOGRAM, "voxel_spacing": 6.74},
                "sources": [{"source_glob": {"list_glob": "b/{run_name}"}}],
            }
        ],
    )
    plan = plan_of(config, ["tomograms/TS_1.mrc", "b/TS_1"])
    assert [(vs.voxel_spacing.name, len(vs.tomograms)) for vs in plan.runs[0].voxel_spacings] == [
        ("13.480", 0),
        ("6.740", 1),
    ]


def test_skipped_sections_are_counted_per_file() -> None:
    config = base_config(
        key_images=[{"sources": [{"source_glob": {"list_glob": "key/{run_name}_*.png"}}]}],
        gains=[{"sources": [{"source_glob": {"list_glob": "gain.dm4"}}]}],
        annotations=[
            annotation("m-1", "m", [{"TriangularMesh": {"file_format": "obj", "glob_string": "{run_name}.obj"}}])
        ],
    )
    keys = ["tomograms/TS_1.mrc", "key/TS_1_1.png", "key/TS_1_2.png", "gain.dm4", "TS_1.obj"]
    plan = plan_of(config, keys)
    assert {item.section: item.count for item in plan.skipped} == {}  # meshes are ingested
    assert [(task.source_key, task.output_key.rsplit("/", 2)[-2:]) for task in plan.runs[0].copies] == [
        ("gain.dm4", ["Gains", "gain.mrc"])  # converted when written, as the portal does
    ]
    (mesh,) = plan.runs[0].annotations
    assert [(file.shape.value, [o.key.rsplit("/", 1)[-1] for o in file.outputs]) for file in mesh.files] == [
        ("TriangularMesh", ["m-1.0_triangularmesh.glb"])
    ]


def test_finder_matching_only_in_runs_left_out_by_run_selection_is_not_an_error() -> None:
    config = base_config(tiltseries=[{"sources": [{"source_glob": {"list_glob": "ts/{run_name}.st"}}]}])
    keys = ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc", "ts/TS_2.st"]
    plan = plan_of(config, keys, selection=Selection(runs=("TS_1",)))
    assert [r.run.name for r in plan.runs] == ["TS_1"]
    with pytest.raises(PlanError, match=r"tiltseries\[0\].sources\[0\] matched nothing"):
        plan_of(config, ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc"])


def test_selection_filters_runs_datasets_and_sections() -> None:
    keys = ["tomograms/TS_1.mrc", "tomograms/TS_2.mrc", "tomograms/TS_10.mrc"]
    assert [r.run.name for r in plan_of(base_config(), keys, selection=Selection(runs=("TS_1",))).runs] == ["TS_1"]
    excluded = plan_of(base_config(), keys, selection=Selection(exclude_runs=("TS_1.*",)))
    assert [r.run.name for r in excluded.runs] == ["TS_2"]
    with pytest.raises(PlanError, match="no run is selected"):
        plan_of(base_config(), keys, selection=Selection(datasets=("999",)))
    only = plan_of(base_config(), keys, selection=Selection(only=frozenset({Section.ANNOTATIONS})))
    assert all(run.tomograms == () and run.alignments == () and run.metadata_key is None for run in only.runs)
    assert only.deposition is None and only.datasets == ()


def test_parse_sections_names_unknown_ones() -> None:
    assert parse_sections("tomograms, annotations") == {Section.TOMOGRAMS, Section.ANNOTATIONS}
    assert parse_sections("frames") == {Section.FRAMES}
    assert parse_sections("key_images") == {Section.KEY_IMAGES}
    assert parse_sections("identified_objects") == {Section.IDENTIFIED_OBJECTS}
    with pytest.raises(UsageError, match="captions"):
        parse_sections("tomograms,captions")


def test_run_of_another_deposition_keeps_its_metadata() -> None:
    existing = existing_tree({"10001/TS_1/run_metadata.json": {"run_name": "TS_1", "deposition_id": 1}})
    plan = plan_of(base_config(), ["tomograms/TS_1.mrc"], existing=existing)
    assert plan.runs[0].metadata_key is None


class FakeHeaders:
    def voxel_spacing(self, key: str, header_key: str) -> float:
        return 7.0 if key.endswith("TS_1.mrc") else 13.48


def test_tomogram_header_voxel_spacing_per_run() -> None:
    from ingest.models.ingestion_config import DepositionConfig
    from ingest.plan.deposition import PlanInputs, plan_deposition

    config = base_config(voxel_spacings=[{"sources": [{"tomogram_header": {"list_glob": "tomograms/{run_name}.mrc"}}]}])
    inputs = PlanInputs(Listing.of(["tomograms/TS_1.mrc", "tomograms/TS_2.mrc"], root="/in"), headers=FakeHeaders())
    plan = plan_deposition(DepositionConfig.model_validate(config), inputs, ExistingTree.empty())
    assert [run.voxel_spacings[0].voxel_spacing.name for run in plan.runs] == ["7.000", "13.480"]
