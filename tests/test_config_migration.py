"""The portal's config migrations 1.0.0 → 1.1.0 → 1.2.0 → 1.3.0: golden files per step and ``ingest migrate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from configs_under_test import Edit, edited, minimal_text, write_config

from ingest.cli import main
from ingest.config.migration import migrate_config
from ingest.config.migration_steps import upgrade_1_0_to_1_1, upgrade_1_1_to_1_2, upgrade_1_2_to_1_3

GOLDEN = Path(__file__).parent / "data" / "migrations"
CASES = sorted(path.name.removesuffix(".input.yaml") for path in GOLDEN.glob("*.input.yaml"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", CASES)
def test_migration_step_matches_golden(case: str) -> None:
    target = case.split("-to-v")[1].split("-")[0]
    migrated = migrate_config(GOLDEN / f"{case}.input.yaml", target)
    assert migrated.text == (GOLDEN / f"{case}.expected.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(migrated.text)["version"] == target


def test_golden_cases_cover_every_step() -> None:
    assert {case.split("-")[0] + "-" + case.split("-")[2] for case in CASES} >= {
        "v1.0.0-v1.1.0",
        "v1.1.0-v1.2.0",
        "v1.2.0-v1.3.0",
    }


def _tomogram(**metadata: Any) -> dict[str, Any]:
    return {"metadata": metadata, "sources": [{"source_glob": {"list_glob": "t.mrc"}}]}


def _with_alignment(*tomograms: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "depositions": [{"metadata": {"dates": {"deposition_date": "2024-01-01"}}}],
        "tomograms": list(tomograms),
        "alignments": [{"metadata": {"format": "IMOD"}, "sources": [{"literal": {"value": ["a.xf"]}}]}],
    }


@pytest.mark.parametrize(
    ("metadata", "method"),
    [
        ({"fiducial_alignment_status": "FIDUCIAL", "reconstruction_software": "AreTomo3"}, "fiducial_based"),
        ({"reconstruction_software": "AreTomo 1.3"}, "projection_matching"),
        ({"reconstruction_software": "etomo (IMOD)"}, "patch_tracking"),
    ],
)
def test_alignment_method_type_follows_the_tomogram(metadata: dict[str, Any], method: str) -> None:
    tree = _with_alignment(_tomogram(**metadata))
    upgrade_1_0_to_1_1(tree)
    assert tree["alignments"][0]["metadata"]["method_type"] == method


def test_alignment_method_type_untouched_when_tomograms_imply_none() -> None:
    tree = _with_alignment(_tomogram(reconstruction_software="Warp"))
    upgrade_1_0_to_1_1(tree)
    assert "method_type" not in tree["alignments"][0]["metadata"]


def test_identity_affine_is_not_copied_to_the_alignment() -> None:
    identity = [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]]
    tree = _with_alignment(_tomogram(affine_transformation_matrix=identity))
    tree["rawtilts"] = [{"sources": [{"source_multi_glob": {"list_globs": ["r/{run_name}.tlt"]}}]}]
    upgrade_1_0_to_1_1(tree)
    imod = tree["alignments"][0]
    assert imod["sources"][-1] == {"source_multi_glob": {"list_globs": ["r/{run_name}.tlt"]}}
    assert "affine_transformation_matrix" not in imod["metadata"]
    assert "rawtilts" not in tree  # emptied, then removed with the other empty fields


def test_tomograms_with_different_affines_refuse_to_move_alignment_files() -> None:
    shifted = [[1, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    turned = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    tree = _with_alignment(
        _tomogram(affine_transformation_matrix=shifted), _tomogram(affine_transformation_matrix=turned)
    )
    tree["rawtilts"] = [{"sources": [{"source_multi_glob": {"list_globs": ["r/{run_name}.xf"]}}]}]
    with pytest.raises(Exception, match="different affine matrices"):
        upgrade_1_0_to_1_1(tree)


def test_no_frame_dose_rate_and_no_collection_metadata_leaves_frames_alone() -> None:
    tree = {"standardization_config": {}, "frames": [{"sources": []}], "tiltseries": [{}]}
    assert upgrade_1_1_to_1_2(tree) == []
    assert tree["frames"] == [{"sources": []}]


def test_collection_metadata_without_dose_rate_gives_dose_rate_zero_as_the_portal() -> None:
    tree: dict[str, Any] = {"standardization_config": {}, "collection_metadata": [{}], "tiltseries": [{}]}
    upgrade_1_1_to_1_2(tree)
    assert tree["frames"][0]["metadata"] == {"dose_rate": 0, "is_gain_corrected": False}


def test_annotation_ingest_ids_are_kept_and_generated() -> None:
    tree = {"annotations": [{"metadata": {"annotation_object": {"name": "---"}}}, {"sources": []}]}
    upgrade_1_2_to_1_3(tree)
    assert tree["annotations"][0]["metadata"]["annotation_ingest_id"] == "-1"  # the portal's slug of "---" is ""


# ``ingest migrate`` on the command line.


def _old_config(folder: Path, version: str = "1.2.0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_config(
        folder,
        edited(
            minimal_text(),
            Edit("version: 1.3.0", f"version: {version}"),
            Edit("    annotation_ingest_id: ribosome-1\n", ""),
        ),
    )


def test_migrate_several_configs_in_place(tmp_path: Path) -> None:
    first, second = _old_config(tmp_path / "a"), _old_config(tmp_path / "b", "1.0.0")
    status, out, _ = run("migrate", str(first), str(second))
    assert status == 0
    assert out.count("upgraded to 1.3.0") == 2
    for path in (first, second):
        assert "version: 1.3.0" in path.read_text()
        assert "annotation_ingest_id: ribosome-1" in path.read_text()
        assert run("validate", str(path))[0] == 0


def test_migrate_to_standard_output_leaves_files_alone(tmp_path: Path) -> None:
    first, second = _old_config(tmp_path / "a"), _old_config(tmp_path / "b", "1.1.0")
    before = first.read_text()
    status, out, err = run("migrate", str(first), str(second), "-o", "-")
    assert status == 0
    assert first.read_text() == before
    documents = list(yaml.safe_load_all(out))
    assert [d["version"] for d in documents] == ["1.3.0", "1.3.0"]
    assert [d["annotations"][0]["metadata"]["annotation_ingest_id"] for d in documents] == ["ribosome-1"] * 2
    assert err.count("upgraded to 1.3.0") == 2


def test_migrate_several_configs_into_a_folder(tmp_path: Path) -> None:
    config = _old_config(tmp_path / "a")
    (tmp_path / "out").mkdir()
    assert run("migrate", str(config), "-o", str(tmp_path / "out"))[0] == 0
    assert "version: 1.3.0" in (tmp_path / "out" / "config.yaml").read_text()
    status, _, err = run("migrate", str(config), str(config), "-o", str(tmp_path / "new.yaml"))
    assert status == 2 and "existing folder or -" in err


@pytest.mark.parametrize(("version", "shown"), [("2.0.0", "'2.0.0'"), ("0.0.1", "'0.0.1'"), ("1.0", "'1.0'")])
def test_unsupported_version_exits_two_naming_it(tmp_path: Path, version: str, shown: str) -> None:
    config = _old_config(tmp_path / "bad", version)
    good = _old_config(tmp_path / "good")
    status, _, err = run("migrate", str(config), str(good))
    assert status == 2
    assert f"unsupported config format version (expected one of 1.0.0, 1.1.0, 1.2.0, 1.3.0, found {shown})" in err
    assert str(config) in err
    assert "version: 1.3.0" in good.read_text()  # the other config is still migrated


def test_config_without_version_exits_two(tmp_path: Path) -> None:
    config = write_config(tmp_path, edited(minimal_text(), Edit("version: 1.3.0\n", "")))
    status, _, err = run("migrate", str(config))
    assert (status, "found no version" in err) == (2, True)


def test_migration_refusal_exits_one_naming_the_step(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("version: 1.3.0", "version: 1.0.0"), Edit("depositions:", "deposits:"))
    config = write_config(tmp_path, text)
    status, _, err = run("migrate", str(config))
    assert status == 1
    assert "cannot migrate 1.0.0 to 1.1.0: a 1.1.0 config needs a depositions section" in err
    assert config.read_text() == text


def test_migrate_stops_at_the_requested_version(tmp_path: Path) -> None:
    config = _old_config(tmp_path, "1.1.0")
    status, out, _ = run("migrate", "--to", "1.2.0", str(config), "-o", "-")
    assert status == 0
    assert yaml.safe_load(out)["version"] == "1.2.0"
    assert "annotation_ingest_id" not in out
