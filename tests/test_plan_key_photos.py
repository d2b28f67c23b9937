"""Dataset and deposition key photos: given literally or found by a glob in the input they are copied into the
owner's ``Images/`` folder as PNGs; found by a ``destination_glob`` in the output tree they are referenced."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

from ingest.config.example import EXAMPLE_CONFIG_TEXT
from ingest.errors import PlanError
from ingest.plan.existing import ExistingTree
from ingest.plan.sources import Listing
from tests.plan_helpers import base_config, plan_of

EXAMPLE = YAML(typ="safe").load(EXAMPLE_CONFIG_TEXT)
INPUT = ["tomograms/TS_1.mrc", "images/snapshot.png", "images/thumbnail.png", "images/other.png"]


def config_with(section: str, source: dict[str, Any]) -> dict[str, Any]:
    dataset = {"metadata": EXAMPLE["datasets"][0]["metadata"], "sources": [{"literal": {"value": ["10001"]}}]}
    deposition = {"metadata": EXAMPLE["depositions"][0]["metadata"], "sources": [{"literal": {"value": [10300]}}]}
    return base_config(datasets=[dataset], depositions=[deposition], **{section: [{"sources": [source]}]})


def literal(snapshot: str, thumbnail: str) -> dict[str, Any]:
    return {"literal": {"value": {"snapshot": snapshot, "thumbnail": thumbnail}}}


def test_literal_key_photos_are_copied_into_the_dataset_images_folder() -> None:
    plan = plan_of(config_with("dataset_keyphotos", literal("images/snapshot.png", "images/thumbnail.png")), INPUT)
    images = [(image.kind, image.source, image.output_key) for image in plan.datasets[0].images]
    assert images == [
        ("snapshot", "images/snapshot.png", "10001/Images/snapshot.png"),
        ("thumbnail", "images/thumbnail.png", "10001/Images/thumbnail.png"),
    ]


def test_globbed_key_photos_are_named_by_their_kind() -> None:
    source = {"source_glob": {"list_glob": "images/*.png", "match_regex": "(snapshot|thumbnail)"}}
    plan = plan_of(config_with("deposition_keyphotos", source), INPUT)
    assert plan.deposition is not None
    images = {image.kind: image.output_key for image in plan.deposition.images}
    assert images == {
        "snapshot": "depositions_metadata/10300/Images/snapshot.png",
        "thumbnail": "depositions_metadata/10300/Images/thumbnail.png",
    }


def test_a_globbed_picture_that_is_no_key_photo_is_refused() -> None:
    with pytest.raises(PlanError, match="neither the snapshot nor the thumbnail") as info:
        plan_of(config_with("dataset_keyphotos", {"source_glob": {"list_glob": "images/*.png"}}), INPUT)
    assert "other.png" in str(info.value) and "dataset_keyphotos[0].sources[0]" in str(info.value)


def test_a_key_photo_file_that_is_not_an_image_is_refused() -> None:
    with pytest.raises(PlanError, match="not an image") as info:
        plan_of(config_with("dataset_keyphotos", literal("images/snapshot.txt", "images/thumbnail.png")), INPUT)
    assert "snapshot.txt" in str(info.value)


def test_a_key_photo_literal_leading_outside_the_roots_is_refused() -> None:
    for value in ("/etc/passwd.png", "../../../../etc/x.png", "bucket/../../x.png"):
        with pytest.raises(PlanError, match="outside") as info:
            plan_of(config_with("dataset_keyphotos", literal(value, "images/thumbnail.png")), INPUT)
        assert "dataset_keyphotos[0].sources[0]" in str(info.value)


def test_key_photo_urls_are_planned_for_the_executor_to_report() -> None:
    urls = literal("https://example.org/a.gif", "https://example.org/b.gif")
    plan = plan_of(config_with("dataset_keyphotos", urls), INPUT)
    assert [image.source for image in plan.datasets[0].images] == [
        "https://example.org/a.gif",
        "https://example.org/b.gif",
    ]


def test_key_photos_already_in_the_tree_are_referenced_not_copied() -> None:
    keys = ["10001/Images/snapshot.png", "10001/Images/thumbnail.png"]
    existing = ExistingTree(Listing.of(keys, root="/out"), {})
    source = {
        "destination_glob": {
            "list_glob": "{dataset_output_path}/Images/*",
            "match_regex": "(snapshot|thumbnail)\\.png$",
            "name_regex": "(snapshot|thumbnail)",
        }
    }
    plan = plan_of(config_with("dataset_keyphotos", source), INPUT, existing=existing)
    (dataset,) = plan.datasets
    assert dataset.images == ()
    assert dataset.metadata.get("key_photos") == {"snapshot": keys[0], "thumbnail": keys[1]}
