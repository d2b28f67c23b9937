"""``ingest check``: exit codes, output formats, selection flags, depth, workers and non-local trees."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import fsspec
import mrcfile
import pytest
from click.testing import CliRunner

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import FsspecTree, UnreadableTreeError
from ingest.cli import main
from tests.good_tree import build_good_tree

TILT_SERIES_MRC = "10000/RUN1/TiltSeries/100/RUN1.mrc"
INSTANCE_MASK_ZARR = (
    "10000/RUN1/Reconstructions/VoxelSpacing10.000/Annotations/104/vesicle-1.0_instancesegmentationmask.zarr"
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good_tree(tmp_path_factory.mktemp("good") / "tree")


@pytest.fixture
def broken(pristine: Path, tmp_path: Path) -> Path:
    """The good tree with one stray file in each run."""
    tree = Path(shutil.copytree(pristine, tmp_path / "tree"))
    for run in ("RUN1", "RUN2"):
        (tree / "10000" / run / "stray.txt").write_text("x")
    return tree


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.output


def test_clean_tree_exits_zero_with_a_summary(pristine: Path) -> None:
    code, output = invoke(str(pristine))
    assert code == 0
    assert "0 error(s)" in output and "clean" in output


def test_findings_exit_one_grouped_by_dataset_and_run(broken: Path) -> None:
    code, output = invoke(str(broken))
    assert code == 1
    assert "dataset 10000 · run RUN1" in output and "dataset 10000 · run RUN2" in output
    assert "C-TREE-STRAY" in output and "10000/RUN1/stray.txt" in output


def test_unreadable_tree_exits_two(tmp_path: Path) -> None:
    code, output = invoke(str(tmp_path / "absent"))
    assert code == 2
    assert "cannot read the output tree" in output


def test_invalid_run_regex_exits_two(pristine: Path) -> None:
    assert invoke(str(pristine), "--run", "(")[0] == 2


def test_run_regex_selects_runs(broken: Path) -> None:
    code, output = invoke(str(broken), "--run", "RUN2", "--format", "json")
    files = {finding["file"] for finding in json.loads(output)["findings"]}
    assert code == 1
    assert files == {"10000/RUN2/stray.txt"}


def test_dataset_filter_matching_nothing_exits_two_naming_the_datasets(broken: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(broken), "--dataset", "99999", "--format", "json"])
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["findings"] == []
    assert "found datasets 10000" in document["error"]["message"]


def test_github_format_annotates_files(broken: Path) -> None:
    _code, output = invoke(str(broken), "--format", "github")
    assert "::error file=10000/RUN1/stray.txt,title=C-TREE-STRAY::" in output


def test_junit_format_has_one_failing_case_per_run(broken: Path) -> None:
    _code, output = invoke(str(broken), "--format", "junit")
    root = ET.fromstring(output)
    failing = [case.get("name") for case in root.iter("testcase") if case.find("failure") is not None]
    assert failing == ["run RUN1", "run RUN2"]
    assert root.get("failures") == "2"


def test_deep_compares_chunks_the_sample_skips(pristine: Path, tmp_path: Path) -> None:
    tree = Path(shutil.copytree(pristine, tmp_path / "tree"))
    with mrcfile.open(tree / TILT_SERIES_MRC, mode="r+") as mrc:
        mrc.data[2, 0, 0] += 1.0  # the middle tilt: neither the first nor the last chunk
    assert check_tree(tree, runs=("RUN1",)).findings == ()
    deep = check_tree(tree, runs=("RUN1",), chunks=ChunkCoverage.EVERY)
    assert [(f.code, f.file) for f in deep.findings] == [
        ("C-ZARR-MRC-VOXELS", "10000/RUN1/TiltSeries/100/RUN1.zarr/0/2/0/0")
    ]


def test_two_workers_find_what_one_finds(broken: Path) -> None:
    assert check_tree(broken, workers=2) == check_tree(broken, workers=1)


def test_memory_tree_checks_like_a_folder(pristine: Path) -> None:
    fs = fsspec.filesystem("memory")
    for path in pristine.rglob("*"):
        if path.is_file():
            fs.pipe(f"/checked/{path.relative_to(pristine).as_posix()}", path.read_bytes())
    fs.pipe("/checked/10000/RUN2/stray.txt", b"x")
    try:
        report = check_tree(FsspecTree("memory://checked"))
    finally:
        fs.rm("/checked", recursive=True)
    assert [(f.code, f.file) for f in report.findings] == [("C-TREE-STRAY", "10000/RUN2/stray.txt")]


def test_missing_memory_tree_is_unreadable() -> None:
    with pytest.raises(UnreadableTreeError):
        check_tree(FsspecTree("memory://nothing-here"))


def test_deep_finds_declared_labels_missing_from_the_data(pristine: Path, tmp_path: Path) -> None:
    tree = Path(shutil.copytree(pristine, tmp_path / "tree"))
    attrs_path = tree / INSTANCE_MASK_ZARR / ".zattrs"
    attrs = json.loads(attrs_path.read_text())
    attrs["image-label"]["colors"][2]["label-value"] = 7  # still three labels, but 7 is nowhere in the data
    attrs_path.write_text(json.dumps(attrs))
    shallow = check_tree(tree, runs=("RUN1",))
    deep = check_tree(tree, runs=("RUN1",), chunks=ChunkCoverage.EVERY)
    assert {f.message for f in shallow.findings} == {"the data holds labels image-label does not list"}
    assert {f.message for f in deep.findings} == {
        "the data holds labels image-label does not list",
        "image-label lists labels the data does not hold",
    }


def test_code_table_in_docs_matches_the_module() -> None:
    import ingest.checks.codes as codes

    doc = codes.__doc__ or ""
    table = doc[doc.index("| code |") :].strip()
    assert table in (Path(__file__).parents[1] / "docs" / "check-codes.md").read_text()
