"""The input listing, glob matching and every finder."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.config.templates import TemplateError
from ingest.errors import InputFileError, PlanError
from ingest.models.ingestion_config import (
    DestinationFilter,
    DestinationGlobFinder,
    ParentFilters,
    SourceGlobFinder,
    SourceMultiGlobFinder,
    TomogramHeaderFinder,
)
from ingest.pipeline.inputs import StorageMrcHeaders, list_input, parse_run_data_map, read_run_data_map
from ingest.plan.sources import (
    FinderInputs,
    Listing,
    NoHeaders,
    Origin,
    drop_excluded,
    find_by_glob,
    find_by_header,
    find_by_multi_glob,
    find_literals,
    metadata_matches,
    name_from,
    nothing_matched,
    parents_allowed,
)
from ingest.storage.base import open_storage

KEYS = [
    "tomograms/TS_1.rec",
    "tomograms/TS_2.rec",
    "tomograms/TS_2.mrc",
    "metadata/TS_1.xf",
    "metadata/TS_1.tlt",
    "metadata/mdocs/TS_1.mdoc",
    "10001/TS_1/labels/a.mrc",
    "10001/TS_2/labels/b.mrc",
    "run_map.csv",
]
LISTING = Listing.of(KEYS, root="/data/in")


def test_literal_glob_matches_one_file() -> None:
    assert LISTING.glob("tomograms/TS_1.rec") == ("tomograms/TS_1.rec",)
    assert LISTING.glob("tomograms/TS_3.rec") == ()


def test_star_does_not_cross_folders() -> None:
    assert LISTING.glob("*.rec") == ()
    assert LISTING.glob("tomograms/*.rec") == ("tomograms/TS_1.rec", "tomograms/TS_2.rec")
    assert LISTING.glob("tomograms/TS_?.*") == ("tomograms/TS_1.rec", "tomograms/TS_2.mrc", "tomograms/TS_2.rec")
    assert LISTING.glob("tomograms/TS_[2].rec") == ("tomograms/TS_2.rec",)


def test_folders_match_like_files() -> None:
    assert LISTING.glob("*") == ("10001", "metadata", "run_map.csv", "tomograms")
    assert LISTING.glob("10001/*") == ("10001/TS_1", "10001/TS_2")


def test_double_star_spans_any_depth() -> None:
    assert LISTING.glob("metadata/**/*.mdoc") == ("metadata/mdocs/TS_1.mdoc",)
    assert LISTING.glob("**/*.mrc") == ("10001/TS_1/labels/a.mrc", "10001/TS_2/labels/b.mrc", "tomograms/TS_2.mrc")


def test_empty_or_escaping_glob_matches_nothing() -> None:
    assert LISTING.glob("") == ()
    assert LISTING.glob("../etc/passwd") == ()
    assert LISTING.glob("/tomograms/TS_1.rec") == ("tomograms/TS_1.rec",)


keys_strategy = st.lists(
    st.lists(st.sampled_from(["a", "b", "c.mrc", "d_1", "e.rec"]), min_size=1, max_size=4).map("/".join),
    min_size=1,
    max_size=20,
)


@given(keys_strategy)
def test_every_listed_key_matches_itself_and_double_star(keys: list[str]) -> None:
    listing = Listing.of(keys, root="mem")
    everything = set(listing.glob("**/*"))
    for key in listing.files:
        assert listing.glob(key) == (key,)
        assert key in everything


def test_name_regex_takes_first_group_of_base_name() -> None:
    assert name_from("tomograms/TS_1.rec", "(.*)\\.rec") == "TS_1"
    assert name_from("a/VoxelSpacing13.480", "VoxelSpacing(.*)") == "13.480"
    assert name_from("tomograms/TS_1.rec", None) == "TS_1.rec"
    assert name_from("tomograms/TS_1.rec", "(.*)\\.st") is None


def test_name_regex_without_a_group_is_an_error_as_in_the_portal() -> None:
    with pytest.raises(PlanError, match="no group"):
        name_from("tomograms/TS_1.rec", "TS_")


def test_source_glob_renders_template_and_filters_by_match_regex() -> None:
    finder = SourceGlobFinder(list_glob="tomograms/{prefix}*", match_regex="\\.rec$", name_regex="(.*)\\.rec")
    result = find_by_glob(finder, {"prefix": "TS_"}, LISTING, Origin.SOURCE)
    assert [item.name for item in result.items] == ["TS_1", "TS_2"]
    assert result.items[0].keys == ("tomograms/TS_1.rec",)
    assert result.attempts[0].expanded == "tomograms/TS_*"


def test_unknown_template_field_names_the_field() -> None:
    finder = SourceGlobFinder(list_glob="tomograms/{run}.rec")
    with pytest.raises(TemplateError, match="run"):
        find_by_glob(finder, {"run_name": "TS_1"}, LISTING, Origin.SOURCE)


def test_multi_glob_gathers_every_key_into_one_item() -> None:
    finder = SourceMultiGlobFinder(list_globs=["metadata/{run_name}.xf", "metadata/{run_name}.tlt", "nope/*"])
    result = find_by_multi_glob(finder, {"run_name": "TS_1"}, LISTING)
    assert len(result.items) == 1
    assert result.items[0].keys == ("metadata/TS_1.xf", "metadata/TS_1.tlt")
    assert len(result.attempts) == 3


def test_destination_glob_matches_the_output_listing() -> None:
    output = Listing.of(["10001/TS_1/Reconstructions/VoxelSpacing13.480/Tomograms/100/t.json"], root="/out")
    finder = DestinationGlobFinder(
        list_glob="{run_output_path}/Reconstructions/VoxelSpacing*", name_regex="VoxelSpacing(.*)"
    )
    result = find_by_glob(finder, {"run_output_path": "10001/TS_1"}, output, Origin.DESTINATION)
    assert [(item.name, item.origin) for item in result.items] == [("13.480", Origin.DESTINATION)]


def test_literals_render_and_cast_with_run_data() -> None:
    result = find_literals(["float {vs}", 7.5, "10001"], {"vs": "13.48"})
    assert [item.name for item in result.items] == ["13.48", "7.5", "10001"]


class FakeHeaders:
    def voxel_spacing(self, key: str, header_key: str) -> float:
        return {"tomograms/TS_1.rec": 13.48, "tomograms/TS_2.rec": 7.0}[key]


def test_tomogram_header_names_items_by_voxel_size() -> None:
    inputs = FinderInputs(LISTING, Listing.of([], root="/out"), FakeHeaders())
    finder = TomogramHeaderFinder(list_glob="tomograms/{run_name}.rec")
    result = find_by_header(finder, {"run_name": "TS_2"}, inputs)
    assert [item.name for item in result.items] == ["7.0"]


def test_tomogram_header_without_reader_is_a_clear_error() -> None:
    inputs = FinderInputs(LISTING, Listing.of([], root="/out"), NoHeaders())
    with pytest.raises(PlanError, match="tomogram_header"):
        find_by_header(TomogramHeaderFinder(list_glob="tomograms/TS_1.rec"), {}, inputs)


def test_exclude_matches_the_found_name_at_its_start() -> None:
    finder = SourceGlobFinder(list_glob="tomograms/*", match_regex="\\.rec$", name_regex="(.*)\\.rec")
    result = find_by_glob(finder, {}, LISTING, Origin.SOURCE)
    assert [item.name for item in drop_excluded(result, ["TS_1"]).items] == ["TS_2"]
    assert [item.name for item in drop_excluded(result, ["^TS_2$"]).items] == ["TS_1"]
    # re.match on the name: neither the path nor a pattern found later in the name excludes anything
    assert [item.name for item in drop_excluded(result, ["tomograms", "_1", "\\.rec$"]).items] == ["TS_1", "TS_2"]


def test_parent_filters_include_and_exclude() -> None:
    filters = ParentFilters.model_validate({"include": {"run": ["^TS_1$", "^TS_3$"]}, "exclude": {"dataset": ["^9"]}})
    assert parents_allowed(filters, {"dataset": "10001", "run": "TS_1"})
    assert not parents_allowed(filters, {"dataset": "10001", "run": "TS_2"})
    assert not parents_allowed(filters, {"dataset": "90001", "run": "TS_1"})
    assert parents_allowed(filters, {"dataset": "10001"})
    assert parents_allowed(None, {"run": "x"})


def test_parent_filter_on_voxel_spacing_searches_its_name() -> None:
    filters = ParentFilters.model_validate({"include": {"voxel_spacing": ["10.000"]}})
    assert parents_allowed(filters, {"run": "a", "voxel_spacing": "10.000"})
    assert not parents_allowed(filters, {"run": "a", "voxel_spacing": "20.000"})


def test_destination_filter_compares_nested_values() -> None:
    metadata = {"annotation_object": {"id": "GO:0016020"}, "deposition_id": 10301}
    assert metadata_matches(metadata, [DestinationFilter(key=["annotation_object", "id"], value="GO:0016020")])
    assert not metadata_matches(metadata, [DestinationFilter(key=["deposition_id"], value=1)])
    assert not metadata_matches(metadata, [DestinationFilter(key=["missing", "x"], value="GO:0016020")])


def test_invalid_regex_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="invalid regular expression"):
        find_by_glob(SourceGlobFinder(list_glob="*", match_regex="("), {}, LISTING, Origin.SOURCE)


def test_nothing_matched_names_template_expansion_and_folder() -> None:
    finder = SourceGlobFinder(list_glob="tomograms/{run_name}.mrc")
    result = find_by_glob(finder, {"run_name": "TS_9"}, LISTING, Origin.SOURCE)
    error = nothing_matched("tomograms[0].sources[0] source_glob", "config.yaml", result.attempts)
    assert result.items == ()
    assert "'tomograms/{run_name}.mrc' expanded to 'tomograms/TS_9.mrc' in /data/in" in error.message
    assert error.message.startswith("config.yaml: tomograms[0].sources[0] source_glob matched nothing")


def test_run_data_map_csv_and_tsv() -> None:
    csv_map = parse_run_data_map("run_name,vs\nTS_1,13.48\nTS_2,7\n", source="m.csv")
    assert csv_map.values_for("TS_2") == {"run_name": "TS_2", "vs": "7"}
    tsv_map = parse_run_data_map("run_name\tts-tilt_range-max\nTS_1\t60.0\n\n", source="m.tsv")
    assert tsv_map.values_for("TS_1")["ts-tilt_range-max"] == "60.0"
    assert tsv_map.values_for("TS_9") == {}


def test_run_data_map_refuses_duplicates_and_missing_key_column() -> None:
    with pytest.raises(InputFileError, match="appears twice") as info:
        parse_run_data_map("run_name,a\nTS_1,1\nTS_1,2\n", source="m.csv")
    assert info.value.where == "m.csv:3"
    with pytest.raises(InputFileError, match="no run_name column"):
        parse_run_data_map("name,a\nTS_1,1\n", source="m.csv")


def test_local_folder_listing_headers_and_run_map(tmp_path: Path) -> None:
    (tmp_path / "tomograms").mkdir()
    with mrcfile.new(tmp_path / "tomograms/TS_1.rec") as mrc:
        mrc.set_data(np.zeros((2, 3, 4), dtype=np.float32))
        mrc.voxel_size = 13.4801
    (tmp_path / "map.csv").write_text("run_name,x\nTS_1,1\n")
    (tmp_path / ".ingest").mkdir()
    (tmp_path / ".ingest/manifest.json").write_text("{}")
    listing = list_input(open_storage(str(tmp_path)), "")
    assert sorted(listing.files) == ["map.csv", "tomograms/TS_1.rec"]
    assert StorageMrcHeaders(open_storage(str(tmp_path))).voxel_spacing("tomograms/TS_1.rec", "voxel_size") == 13.48
    assert read_run_data_map(open_storage(str(tmp_path)), "map.csv").values_for("TS_1")["x"] == "1"
    assert read_run_data_map(open_storage(str(tmp_path)), None).rows == {}
    with pytest.raises(InputFileError, match="MRC header"):
        StorageMrcHeaders(open_storage(str(tmp_path))).voxel_spacing("map.csv", "voxel_size")
    truncated = tmp_path / "short.mrc"
    truncated.write_bytes(b"MAP " * 10)
    with pytest.raises(InputFileError, match="shorter than an MRC header"):
        StorageMrcHeaders(open_storage(str(tmp_path))).voxel_spacing("short.mrc", "voxel_size")


def test_render_text_substitutes_keeps_literal_braces_and_names_unknown_fields() -> None:
    from ingest.config.template_cache import render_text, render_value

    assert render_text("a{{b}}/{run_name}/{ts-tilt_range-max}", {"run_name": "TS_1", "ts-tilt_range-max": "60"}) == (
        "a{b}/TS_1/60"
    )
    assert render_value("float {x}", {"x": "1.5"}) == 1.5
    assert render_value("int {x}", {"x": "4"}) == 4
    with pytest.raises(TemplateError, match="unknown field"):
        render_text("{missing}", {"run_name": "TS_1"})
    with pytest.raises(TemplateError):
        render_text("{run_name.__class__}", {"run_name": "TS_1"})


@given(
    names=st.lists(st.text(alphabet="ab_.1*", min_size=1, max_size=6), max_size=30),
    prefix=st.text(alphabet="ab_.1", max_size=3),
    tail=st.sampled_from(["*", "*.1", "?", "[ab]*", "*_*"]),
)
def test_a_segment_pattern_with_a_literal_prefix_matches_what_fnmatch_matches(
    names: list[str], prefix: str, tail: str
) -> None:
    listing = Listing.of([f"frames/{name}" for name in names], root="mem")
    expected = sorted({f"frames/{name}" for name in names if fnmatch.fnmatchcase(name, prefix + tail)})
    assert list(listing.glob(f"frames/{prefix}{tail}")) == expected
