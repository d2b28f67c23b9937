"""The e2e input synthesizer invents paths that the finders of real configs match (tests/synthetic_paths.py)."""

from __future__ import annotations

import re

import pytest
from synthetic_context import RunValues, fill_template
from synthetic_paths import invent_path, regex_samples, with_group


@pytest.mark.parametrize(
    "pattern",
    [r".*/rawdata/[^\._].*\.(mrc|st|ali)$", r"/TS_\d\d\d_dose-filt_lp50.rec$", r"(10014|10015|10016)$", r"\w+_(a|b)"],
)
def test_every_regex_sample_matches_its_regex(pattern: str) -> None:
    samples = regex_samples(pattern)
    assert samples
    assert all(re.search(pattern, sample) for sample in samples), samples


def test_match_regex_is_searched_in_the_full_path_with_the_bucket_and_prefix() -> None:
    path = invent_path("tomos/*", full_prefix="bucket/prefix", match_regex=r"/[^.][^/]*_Align\.mrc$")
    assert path is not None and path.startswith("tomos/") and path.endswith("_Align.mrc")
    assert re.search(r"/[^.][^/]*_Align\.mrc$", f"bucket/prefix/{path}")


def test_wanted_run_name_comes_out_of_name_regex() -> None:
    path = invent_path("10004/*", name_regex=r"(.*?)_.*?_MS.mod", want_name="PositionTS001")
    assert path is not None
    found = re.match(r"(.*?)_.*?_MS.mod", path.rsplit("/", 1)[-1])
    assert found is not None and found.group(1) == "PositionTS001"


def test_question_marks_and_classes_are_filled_from_the_regex() -> None:
    assert invent_path("10???", full_prefix="b/p", match_regex="(10014|10015|10016)$") == "10014"
    path = invent_path("{d}/[!._]*_mask.mrc".replace("{d}", "10004"), want_name="TS1", name_regex=r"(.*)_mask\.mrc")
    assert path == "10004/TS1_mask.mrc"


def test_exclusions_and_hidden_names_are_avoided() -> None:
    first = invent_path("runs/*", name_regex="(.*)")
    second = invent_path("runs/*", name_regex="(.*)", avoid_names=[first.rsplit("/", 1)[-1]] if first else [])
    assert first and second and first != second
    assert not any(part.startswith(".") for part in (first + "/" + second).split("/"))


def test_free_template_field_takes_the_value_the_filled_path_gives() -> None:
    run = RunValues({"run_name": "TS1"}, {"mapped_tomo_name"})
    path = fill_template("{run_name}/{mapped_tomo_name}", run, match_regex=r".*\.(mrc|rec)$")
    assert path is not None and path.startswith("TS1/") and re.search(r"\.(mrc|rec)$", path)
    assert run.values["mapped_tomo_name"] == path.split("/", 1)[1]
    assert "mapped_tomo_name" not in run.free


def test_with_group_substitutes_the_first_capturing_group_only() -> None:
    assert with_group(r"(?:x)(TS_\d+)_(a)", "R1") == r"(?:x)R1_(a)"
    assert with_group("no group", "R1") is None
