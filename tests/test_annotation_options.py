"""Annotation source options as a typed hand-off: built once in the plan with the schema's defaults, read by
attribute in execution, refused at their config path when a rendered value has the wrong kind, and fingerprinted
exactly as the JSON hand-off they replace (so trees ingested before stay up to date)."""

from __future__ import annotations

import pickle
from dataclasses import replace
from typing import Any, get_args

import pytest
from plan_helpers import annotation, base_config, example_plan, plan_of

from ingest.domain.annotation_options import AnnotationSourceOptions
from ingest.domain.tasks import AnnotationTask, Metadata
from ingest.errors import PlanError
from ingest.models.ingestion_config import AnnotationShapeBase, AnnotationSource
from ingest.pipeline.manifest import fingerprint
from ingest.plan.annotation_options import KNOWN_OPTIONS, source_options

KEYS = [
    *(f"{folder}/TS_{n}.{suffix}" for n in (1, 2) for folder, suffix in [("tomograms", "mrc"), ("picks", "star")]),
    "picks/all.csv",
    *(f"{folder}/TS_{n}.mrc" for n in (1, 2) for folder in ("masks", "labels", "inst")),
    *(f"meshes/TS_{n}.obj" for n in (1, 2)),
    *(f"groups/TS_{n}.hff" for n in (1, 2)),
    "meshes/particle.glb",
]
POINT = {
    "file_format": "csv",
    "glob_string": "picks/all.csv",
    "delimiter": ";",
    "columns": "zyx",
    "binning": 2,
    "order": "zyx",
    "filter_value": "{run_name}",
    "is_visualization_default": True,
    "is_portal_standard": False,
}
ORIENTED = {
    "file_format": "relion3_star",
    "glob_string": "picks/{run_name}.star",
    "mesh_source_path": "meshes/particle.glb",
    "filter_value": "x_{run_name}",
}
ENTRIES = [
    annotation("p-1", "ribosome", [{"Point": POINT}, {"OrientedPoint": ORIENTED}]),
    annotation(
        "m-1",
        "membrane",
        [
            {
                "SemanticSegmentationMask": {
                    "file_format": "mrc",
                    "glob_string": "masks/{run_name}.mrc",
                    "threshold": 0.5,
                    "rescale": True,
                }
            }
        ],
    ),
    annotation(
        "s-1", "vesicle", [{"SegmentationMask": {"file_format": "mrc", "glob_string": "labels/{run_name}.mrc"}}]
    ),
    annotation(
        "i-1",
        "lipid",
        [
            {
                "InstanceSegmentationMask": {
                    "file_format": "mrc",
                    "glob_strings": ["inst/{run_name}.mrc"],
                    "is_portal_standard": True,
                }
            }
        ],
    ),
    annotation(
        "t-1",
        "actin",
        [{"TriangularMesh": {"file_format": "obj", "glob_string": "meshes/{run_name}.obj", "scale_factor": 3}}],
    ),
    annotation(
        "g-1",
        "tubulin",
        [
            {
                "TriangularMeshGroup": {
                    "file_format": "hff",
                    "glob_string": "groups/{run_name}.hff",
                    "name": "seg {run_name}",
                }
            }
        ],
    ),
]


def first_run_annotations() -> dict[str, AnnotationTask]:
    plan = plan_of(base_config(annotations=ENTRIES), KEYS)
    return {task.annotation.slug.split("-")[0]: task for task in plan.runs[0].annotations}


def test_example_annotation_fingerprints_are_those_of_the_json_hand_off() -> None:
    """Pinned on main before the options were typed: a tree ingested then must not re-convert its annotations."""
    task = example_plan().runs[0].annotations[0]
    assert task.metadata_key.endswith("Annotations/100/cytosolic_ribosome-1.0.json")
    assert fingerprint((task, None), []) == "895d05fe26856cc9443787e6c7d7827472155de611f16a5ea180049f9a7d9b3f"
    made_from = (replace(task, metadata=Metadata()), (128, 128, 64))  # the data fingerprint's task description
    assert fingerprint(("data", made_from), []) == "ea908ed140335f35645d692306979b45191e2af5f01342c6c5f49e26b6a76f70"


def test_every_option_kind_keeps_its_fingerprint() -> None:
    """Pinned on main: options of every shape, rendered templates, defaults and flags."""
    tasks = first_run_annotations()
    assert {name: fingerprint((task, None), []) for name, task in tasks.items()} == {
        "ribosome": "ce30cddbcc71df2e0a4bc97ec5de79942d1fdaaff2e83a4228cf9011110e734d",
        "membrane": "b28650286763bc77af95572bd2a589c0b8ebdbc2df92db2f0dd3908d819a2149",
        "vesicle": "bc2b064e1cf70b41793578b811a7e72299384a3b91fb1b38c8ada60dc8b71eec",
        "lipid": "c93f38c8738d36ea423e6010084f75f5588324b1ce6a0a3749af0bcae71337f0",
        "actin": "3c6e85a35806670579561b45b34bc3496ccd23553db2aa7a83cca3fa4f9624b9",
        "tubulin": "087a8f976321aa1a528e63ed9d20b9eee5f55f6fcd064fe61381559a6f029e81",
    }


def test_options_are_typed_with_the_schema_defaults_and_rendered_per_run() -> None:
    tasks = first_run_annotations()
    point, oriented = (file.options for file in tasks["ribosome"].files)
    assert point == replace(
        AnnotationSourceOptions(),
        binning=2.0,
        order="zyx",
        filter_value="TS_1",
        delimiter=";",
        columns="zyx",
        is_visualization_default=True,
        is_portal_standard=False,
        entry=point.entry,
    )
    assert (oriented.binning, oriented.order, oriented.filter_value) == (1.0, "xyz", "x_TS_1")
    assert oriented.mesh_source_path == "meshes/particle.glb" and oriented.is_visualization_default is None
    (membrane,) = (file.options for file in tasks["membrane"].files)
    assert (membrane.threshold, membrane.mask_label, membrane.rescale) == (0.5, 1, True)
    (vesicle,) = (file.options for file in tasks["vesicle"].files)
    assert (vesicle.threshold, vesicle.mask_label, vesicle.rescale) == (None, 1, False)
    (actin,) = (file.options for file in tasks["actin"].files)
    (tubulin,) = (file.options for file in tasks["tubulin"].files)
    assert (actin.scale_factor, actin.mesh_name, tubulin.scale_factor, tubulin.mesh_name) == (
        3.0,
        None,
        1.0,
        "seg TS_1",
    )
    assert isinstance(point.binning, float) and isinstance(actin.scale_factor, float)


def test_tasks_with_typed_options_pickle_compare_and_hash_as_before() -> None:
    plan = plan_of(base_config(annotations=ENTRIES), KEYS)
    again = pickle.loads(pickle.dumps(plan))
    assert again == plan
    assert [hash(task) for task in again.runs[0].annotations] == [hash(task) for task in plan.runs[0].annotations]
    first, second = (run.annotations[0].files[0].options for run in plan.runs)
    assert first != second  # rendered per run: TS_1 and TS_2 select different rows


def where(option: str) -> str:
    return f"test.yaml annotations[0].sources[0].Point.{option}"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("binning", True, "a number"),
        ("mask_label", 1.5, "an integer"),
        ("order", "yxz", "xyz or zyx"),
        ("is_visualization_default", "yes", "true or false"),
        ("filter_value", ["TS_1"], "a text"),
    ],
)
def test_a_rendered_value_of_the_wrong_kind_is_refused_at_its_config_path(
    option: str, value: Any, expected: str
) -> None:
    with pytest.raises(PlanError) as caught:
        source_options({option: value}, where)
    assert caught.value.where == where(option)
    assert caught.value.expected == expected and caught.value.found == repr(value)


def test_a_number_rendered_into_a_text_option_is_its_text() -> None:
    """``filter_value: int {tomo_num}`` renders 3: readers compare row names as text, as they always did."""
    options = source_options({"filter_value": 3, "file_format": "stopgap_star"}, where)
    assert options.filter_value == "3"
    assert options.entry == '{"file_format":"stopgap_star","filter_value":3}'  # the fingerprint sees what was given


def test_an_option_this_version_does_not_pass_on_is_refused() -> None:
    with pytest.raises(PlanError) as caught:
        source_options({"sampling": 2}, where)
    assert caught.value.where == where("sampling")


def test_every_option_of_every_ingested_shape_is_passed_on() -> None:
    """A new schema option needs a typed field (and a reader of it), or plans refuse configs that use it."""
    ingested = ("Point", "OrientedPoint", "InstanceSegmentation", "SegmentationMask", "SemanticSegmentationMask")
    ingested += ("InstanceSegmentationMask", "TriangularMesh", "TriangularMeshGroup")
    for shape in ingested:
        (model,) = (arg for arg in get_args(AnnotationSource.model_fields[shape].annotation) if arg is not type(None))
        assert issubclass(model, AnnotationShapeBase)
        assert set(model.model_fields) - {"glob_string", "glob_strings"} <= KNOWN_OPTIONS, shape
