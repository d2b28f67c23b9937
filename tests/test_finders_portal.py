"""Finders and templates read as the portal's ingestion reads them (common/finders.py, common/config.py and
importers/base_importer.py of cryoet-data-portal-backend): match_regex over the full source path, name_regex
group 1, exclude with re.match on the name, parent_filters, destination_glob, every glob variable, run maps and
the deposition id. Sections of real portal configs are used where they show the rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ingest.domain.tasks import Plan
from ingest.errors import InputFileError, PlanError
from ingest.models.ingestion_config import DepositionConfig, ParentFilters
from ingest.pipeline.inputs import RunMaps, parse_run_data_map, parse_run_name_map
from ingest.plan.deposition import PlanInputs, plan_deposition
from ingest.plan.existing import ExistingTree
from ingest.plan.glob_vars import portal_glob_vars
from ingest.plan.sources import Listing, parents_allowed
from tests.plan_helpers import TOMOGRAM, annotation, base_config, plan_of


def portal_section(corpus: Path, config: str, section: str) -> Any:
    """One section of a real config of the portal's corpus, as plain data."""
    data = YAML(typ="safe").load((corpus / "portal-configs" / config).read_text())
    return data[section]


def run_names(plan: Plan) -> list[str]:
    return [run.run.name for run in plan.runs]


def tomograms_for_runs(*runs: str) -> list[str]:
    return [f"tomograms/{run}.mrc" for run in runs]


def plan_with(
    config: dict[str, Any], keys: list[str], *, root: str = "/in", maps: RunMaps | None = None, **extra: Any
) -> Plan:
    inputs = PlanInputs(Listing.of(keys, root=root), config_file="test.yaml", run_maps=maps or RunMaps(), **extra)
    return plan_deposition(DepositionConfig.model_validate(config), inputs, ExistingTree.empty())


# --- match_regex: searched in the full source path --------------------------------------------------------------


def test_anchored_match_regex_finds_runs_in_the_full_path() -> None:
    runs = [{"sources": [{"source_glob": {"list_glob": "a/*", "match_regex": "/[^.][^/]*_Align\\.mrc$"}}]}]
    config = base_config(runs=runs, tomograms=[])
    keys = ["a/TS_1_Align.mrc", "a/.TS_2_Align.mrc", "a/TS_3_Align.mrc.bak", *tomograms_for_runs("TS_1")]
    assert run_names(plan_with(config, keys)) == ["TS_1_Align.mrc"]


def test_match_regex_of_a_real_config_anchored_at_a_slash(corpus: Path) -> None:
    runs = portal_section(corpus, "10006.yaml", "runs")  # match_regex: /TS_\d\d\d_dose-filt_lp50.rec$
    keys = [
        "tomos_bin4/TS_001_dose-filt_lp50.rec",
        "tomos_bin4/TS_002_dose-filt_lp50.rec",
        "tomos_bin4/xTS_003_dose-filt_lp50.rec",  # no '/' right before TS_: not a run
        *tomograms_for_runs("TS_001", "TS_002"),
    ]
    assert run_names(plan_with(base_config(runs=runs), keys)) == ["TS_001", "TS_002"]


def test_match_regex_sees_the_bucket_of_an_s3_input() -> None:
    runs = [{"sources": [{"source_glob": {"list_glob": "*", "match_regex": "^portal-bucket/in/TS_\\d+$"}}]}]
    keys = ["TS_1/a.mrc", "TS_22/b.mrc", "TS_x/c.mrc", *tomograms_for_runs("TS_1", "TS_22")]
    plan = plan_with(base_config(runs=runs), keys, root="s3://portal-bucket/in")
    assert run_names(plan) == ["TS_1", "TS_22"]
    assert Listing.of(["k"], root="s3://b/p/").search_path("k") == "b/p/k"
    assert Listing.of(["k"], root="/data/in").search_path("k") == "/data/in/k"


def test_match_regex_of_a_real_config_on_folder_names(corpus: Path) -> None:
    runs = portal_section(corpus, "10441.yaml", "runs")  # list_glob TS_*, match_regex TS_\d{1,2}$
    keys = ["TS_1/x.mrc", "TS_12/x.mrc", "TS_123/x.mrc", "TS_1.log", *tomograms_for_runs("TS_1", "TS_12")]
    assert run_names(plan_with(base_config(runs=runs), keys)) == ["TS_1", "TS_12"]


# --- name_regex: group 1 at the start of the base name ----------------------------------------------------------


def test_name_regex_that_does_not_match_an_accepted_file_is_an_error_at_its_config_path() -> None:
    runs = [{"sources": [{"source_glob": {"list_glob": "*.mrc", "name_regex": "(TS_\\d+)\\.mrc"}}]}]
    with pytest.raises(PlanError, match=r"runs\[0\]\.sources\[0\].*does not match the file name 'other\.mrc'"):
        plan_with(base_config(runs=runs, tomograms=[]), ["TS_1.mrc", "other.mrc"])


def test_one_name_is_one_item_the_last_path_wins() -> None:
    source = {"source_glob": {"list_glob": "tomograms/{run_name}*.mrc", "name_regex": "(TS_\\d)"}}
    config = base_config(tomograms=[{"metadata": TOMOGRAM, "sources": [source]}])
    plan = plan_with(config, ["tomograms/TS_1.mrc", "tomograms/TS_1_b.mrc"])
    assert [task.source_key for task in plan.runs[0].tomograms] == ["tomograms/TS_1_b.mrc"]


# --- exclude: re.match on the found name -------------------------------------------------------------------------


def test_exclude_of_a_real_config_matches_whole_run_names(corpus: Path) -> None:
    runs = portal_section(corpus, "10302.yaml", "runs")  # exclude: ^01122021_BrnoKrios_arctis_lam1_pos4$ ...
    names = ["01122021_BrnoKrios_arctis_lam1_pos4", "01122021_BrnoKrios_arctis_lam1_pos45", "20220101_x"]
    keys = [f"chlamy_visual_proteomics/{name}/a.mrc" for name in names] + ["chlamy_visual_proteomics/notes"]
    keys += tomograms_for_runs(*names)
    plan = plan_with(base_config(runs=runs), keys)
    assert run_names(plan) == ["01122021_BrnoKrios_arctis_lam1_pos45", "20220101_x"]


def test_exclude_is_not_searched_in_the_path() -> None:
    runs = [{"sources": [{"source_glob": {"list_glob": "runs/*"}, "exclude": ["runs", "_2"]}]}]
    plan = plan_with(base_config(runs=runs), ["runs/TS_1/a", "runs/TS_2/a", *tomograms_for_runs("TS_1", "TS_2")])
    assert run_names(plan) == ["TS_1", "TS_2"]


# --- parent_filters ---------------------------------------------------------------------------------------------


def test_parent_filters_of_a_real_config_exclude_runs_from_a_tomogram_source(corpus: Path) -> None:
    source = portal_section(corpus, "10436.yaml", "tomograms")[0]["sources"][0]
    assert source["parent_filters"] == {"exclude": {"run": ["^tomo_0001$"]}}
    tomograms = [{"metadata": TOMOGRAM, "sources": [{**source, "source_glob": {"list_glob": "{run_name}.mrc"}}]}]
    runs = [{"sources": [{"literal": {"value": ["tomo_0001", "tomo_0002"]}}]}]
    plan = plan_with(base_config(runs=runs, tomograms=tomograms), ["tomo_0001.mrc", "tomo_0002.mrc"])
    assert [(run.run.name, len(run.tomograms)) for run in plan.runs] == [("tomo_0001", 0), ("tomo_0002", 1)]


def test_parent_filters_of_a_real_deposition_config_select_by_dataset(corpus: Path) -> None:
    annotations = portal_section(corpus, "deposition_10324.yaml", "annotations")
    filters = [s["parent_filters"] for entry in annotations for s in entry["sources"] if "parent_filters" in s]
    include = ParentFilters.model_validate(filters[0])
    dataset = include.include.dataset[0] if include.include and include.include.dataset else ""
    assert parents_allowed(include, {"deposition": "10324", "dataset": dataset, "run": "r"})
    assert not parents_allowed(include, {"deposition": "10324", "dataset": "99999", "run": "r"})


def test_parent_filters_of_a_real_deposition_config_pick_each_datasets_runs(corpus: Path) -> None:
    datasets = portal_section(corpus, "deposition_10324.yaml", "datasets")  # literal 10445, 10446
    runs = portal_section(corpus, "deposition_10324.yaml", "runs")  # Public/... for 10445, Private/... for 10446
    keys = ["Public/copick/ExperimentRuns/TS_5_4/a", "Private/copick/ExperimentRuns/TS_1_1/a"]
    tomograms = [
        {"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "*/copick/ExperimentRuns/{run_name}"}}]}
    ]
    plan = plan_with(base_config(datasets=datasets, runs=runs, tomograms=tomograms), keys)
    assert [(run.run.dataset.name, run.run.name) for run in plan.runs] == [("10445", "TS_5_4"), ("10446", "TS_1_1")]


def test_parent_filters_on_the_deposition_search_its_id() -> None:
    filters = ParentFilters.model_validate({"exclude": {"deposition": ["^10300$"]}})
    assert not parents_allowed(filters, {"deposition": "10300", "dataset": "1"})
    assert parents_allowed(filters, {"deposition": "10301", "dataset": "1"})


# --- destination_glob -------------------------------------------------------------------------------------------


def test_destination_glob_over_the_output_root_with_a_slash_anchor() -> None:
    # 10311_draft.yaml: datasets found as '{output_path}/*' with match_regex '/\d*$'
    datasets = [{"sources": [{"destination_glob": {"list_glob": "{output_path}/*", "match_regex": "/\\d*$"}}]}]
    output = Listing.of(
        ["10001/dataset_metadata.json", "depositions_metadata/10300/deposition_metadata.json", "x1/a"],
        root="s3://out-bucket/portal",
    )
    inputs = PlanInputs(Listing.of(tomograms_for_runs("TS_1"), root="/in"), config_file="test.yaml")
    config = DepositionConfig.model_validate(base_config(datasets=datasets))
    plan = plan_deposition(config, inputs, ExistingTree(output))
    assert {run.run.dataset.name for run in plan.runs} == {"10001"}


# --- glob variables ---------------------------------------------------------------------------------------------


PORTAL_GLOB_VARS = {
    "output_path",
    *(f"{kind}_{suffix}" for kind in ("deposition", "dataset", "run", "voxel_spacing") for suffix in ("name", "path")),
    *(f"{kind}_output_path" for kind in ("deposition", "dataset", "run", "voxel_spacing")),
    *(f"int_{kind}_name" for kind in ("deposition", "dataset", "run", "voxel_spacing")),
    "mapped_tomo_name",
    "mapped_frame_name",
    "mapped_ts_name",
}
"""get_glob_vars of the portal's BaseImporter (``{type}_path``, ``{type}_name``, ``int_{type}_name``; for a run its
run data map columns and the three ``mapped_*`` names) for every parent type planned here, plus the factory's
``output_path`` and ``{type}_output_path``."""


def test_every_portal_glob_variable_is_provided() -> None:
    assert portal_glob_vars() == PORTAL_GLOB_VARS
    used = [
        "{output_path}",
        "{deposition_name}-{int_deposition_name}-{deposition_output_path}",
        "{dataset_name}-{int_dataset_name}-{dataset_path}-{dataset_output_path}",
        "{run_name}-{int_run_name}-{run_path}-{run_output_path}-{mapped_tomo_name}-{mapped_frame_name}",
        "{mapped_ts_name}-{voxel_spacing_name}-{voxel_spacing_path}-{voxel_spacing_output_path}-{column}",
    ]
    expected = "/".join(
        [
            "",
            "10300-10300-depositions_metadata/10300",
            "10001-10001-sets/10001-10001",
            "007-7-runs/007-10001/007-tomo_a-frames_a",
            "ts_a-13.480-spacings/13.480-10001/007/Reconstructions/VoxelSpacing13.480-value",
        ]
    )
    config = base_config(
        datasets=[{"sources": [{"source_glob": {"list_glob": "sets/*"}}]}],
        runs=[{"sources": [{"source_glob": {"list_glob": "runs/*"}}]}],
        voxel_spacings=[{"sources": [{"source_glob": {"list_glob": "spacings/*"}}]}],
        tomograms=[{"metadata": TOMOGRAM, "sources": [{"source_glob": {"list_glob": "/".join(used)}}]}],
    )
    maps = RunMaps(
        {
            "mapped_tomo_name": parse_run_name_map("007,tomo_a\n", source="tomo.csv"),
            "mapped_frame_name": parse_run_name_map("007,frames_a\n", source="frames.csv"),
            "mapped_ts_name": parse_run_name_map("007,ts_a\n", source="ts.csv"),
        }
    )
    run_data = parse_run_data_map("run_name,column\n007,value\n", source="map.csv")
    keys = ["sets/10001/x", "runs/007/x", "spacings/13.480/x", expected.lstrip("/")]
    plan = plan_with(config, keys, maps=maps, run_data=run_data)
    assert [task.source_key for task in plan.runs[0].tomograms] == [expected.lstrip("/")]


def test_a_parent_wins_over_a_run_data_map_column_of_the_same_name() -> None:
    run_data = parse_run_data_map("run_name,dataset_name,x\nTS_1,wrong,7\n", source="map.csv")
    source = {"source_glob": {"list_glob": "{dataset_name}/{x}.mrc"}}
    config = base_config(tomograms=[{"metadata": TOMOGRAM, "sources": [source]}])
    plan = plan_with(config, ["tomograms/TS_1.mrc", "10001/7.mrc"], run_data=run_data)
    assert plan.runs[0].tomograms[0].source_key == "10001/7.mrc"


# --- run-to-tomogram map ------------------------------------------------------------------------------------------


def test_run_to_tomo_map_of_a_real_config(corpus: Path) -> None:
    tomograms = portal_section(corpus, "gjensen/10080.yaml", "tomograms")
    source = tomograms[0]["sources"][0]
    assert source["source_glob"]["list_glob"] == "{run_name}/{mapped_tomo_name}"
    text = (corpus / "portal-configs/gjensen/run_tomo_map/10080.csv").read_text()
    maps = RunMaps({"mapped_tomo_name": parse_run_name_map(text, source="run_tomo_map/10080.csv")})
    first = text.splitlines()[0].split(",")
    runs = [{"sources": [{"literal": {"value": [first[0]]}}]}]
    config = base_config(runs=runs, tomograms=[{"metadata": TOMOGRAM, "sources": [source]}])
    plan = plan_with(config, [f"{first[0]}/{first[1]}", f"{first[0]}/other.rec"], maps=maps)
    assert [task.source_key for task in plan.runs[0].tomograms] == [f"{first[0]}/{first[1]}"]


def test_a_run_missing_from_the_tomo_map_names_the_map_and_the_run() -> None:
    maps = RunMaps({"mapped_tomo_name": parse_run_name_map("TS_1,a.rec\n", source="/in/maps/tomo.csv")})
    source = {"source_glob": {"list_glob": "{mapped_tomo_name}"}}
    runs = [{"sources": [{"literal": {"value": ["TS_1", "TS_2"]}}]}]
    config = base_config(runs=runs, tomograms=[{"metadata": TOMOGRAM, "sources": [source]}])
    with pytest.raises(PlanError) as error:
        plan_with(config, ["a.rec"], maps=maps)
    assert "{mapped_tomo_name} of run 'TS_2' has no row in run_to_tomo_map_csv" in error.value.message
    assert "/in/maps/tomo.csv (used by test.yaml tomograms[0].sources[0])" in error.value.message


def test_mapped_tomo_name_without_a_map_says_none_is_set() -> None:
    source = {"source_glob": {"list_glob": "{mapped_tomo_name}"}}
    config = base_config(tomograms=[{"metadata": TOMOGRAM, "sources": [source]}])
    with pytest.raises(PlanError, match="no run_to_tomo_map_csv is set"):
        plan_with(config, tomograms_for_runs("TS_1"))


def test_a_short_row_of_a_run_map_is_an_error_at_its_line_without_its_content() -> None:
    with pytest.raises(InputFileError) as error:
        parse_run_name_map("TS_1,a.rec\nsecret-value\n", source="tomo.csv")
    assert error.value.where == "tomo.csv:2"
    assert "secret" not in error.value.message


# --- the deposition id --------------------------------------------------------------------------------------------


def test_the_deposition_id_comes_from_the_depositions_entity() -> None:
    config = base_config(depositions=[{"sources": [{"literal": {"value": [10301]}}]}])
    plan = plan_of(config, tomograms_for_runs("TS_1"))
    assert plan.deposition_id == 10301  # standardization_config.deposition_id is 10300
    assert plan.runs[0].tomograms[0].metadata.to_dict()["deposition_id"] == 10301
    assert any("standardization_config.deposition_id is 10300" in warning for warning in plan.warnings)


# --- exclude on the files of an annotation source ---------------------------------------------------------------


def picks_plan(shape: dict[str, Any], exclude: list[str], keys: list[str]) -> list[str]:
    source = {"Point": {"file_format": "csv", "columns": "xyz", **shape}, "exclude": exclude}
    config = base_config(annotations=[annotation("picks-1", "ribosome", [source])])
    plan = plan_with(config, [*tomograms_for_runs("TS_1"), *keys])
    return [key for task in plan.runs[0].annotations for file in task.files for key in file.source_keys]


def test_exclude_on_a_glob_string_matches_each_file_base_name() -> None:
    keys = ["picks/TS_1_bad.csv", "picks/TS_1_good.csv", "picks/TS_1_x_bad.csv"]
    found = picks_plan({"glob_string": "picks/{run_name}_*.csv"}, ["TS_1_bad"], keys)
    assert found == ["picks/TS_1_good.csv", "picks/TS_1_x_bad.csv"]


def test_exclude_on_glob_strings_matches_each_file_full_path() -> None:
    keys = ["picks/TS_1_bad.csv", "picks/TS_1_good.csv"]
    shape = {"glob_strings": ["picks/{run_name}_*.csv"]}
    assert picks_plan(shape, ["TS_1_bad"], keys) == keys  # re.match on '/in/picks/...': nothing excluded
    assert picks_plan(shape, [".*_bad"], keys) == ["picks/TS_1_good.csv"]
