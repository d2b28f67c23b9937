"""Source checks before ingestion (``ingest validate --input DIR --deep``, ``ingest deposition``): the synthetic
example with MRC frames and gains validates clean, each single defect of a source file trips exactly its
E-SOURCE-*/W-SOURCE-* code at the config section that found the file, and ``ingest deposition`` refuses the run
(only it) unless ``--skip-source-checks``, after which ``ingest check`` reports the same rule as its C- code."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import TILT_ANGLES, write_example
from tests.good_tree import write_mrc

TS = "phantom/tiltseries"
FRAMES = "phantom/frames"
GAINS = "phantom/gains"
SUB_FRAMES = 4
FRAME_CONFIG = """frames:
- metadata:
    dose_rate: 4.76
    is_gain_corrected: false
  sources:
  - source_glob:
      list_glob: frames/{run_name}_*.mrc

gains:
- sources:
  - source_glob:
      list_glob: gains/{run_name}_gain.mrc
"""


def frame_mdoc(run: str) -> str:
    """The example's mdoc with MRC movies of 4 sub-frames each."""
    header = "PixelSpacing = 10.00\nImageFile = {run}.mrc\n\n[T = SerialEM: test   Tilt axis angle = 90.0]\n"
    return header + "".join(
        f"\n[ZValue = {z}]\nTiltAngle = {angle:.2f}\nExposureDose = 4.7619\nExposureTime = 1.00\n"
        f"NumSubFrames = {SUB_FRAMES}\nSubFramePath = X:\\frames\\{run}_{z:03d}.mrc\n"
        for z, angle in enumerate(TILT_ANGLES)
    )


def put_frame(
    root: Path, run: str, z: int, shape: tuple[int, int, int] = (SUB_FRAMES, 8, 8), size: float = 5.0
) -> None:
    write_mrc(root / FRAMES / f"{run}_{z:03d}.mrc", np.zeros(shape, dtype=np.float32), size, stack=True)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example (2 runs) with MRC frames (5 Å, binned 2× in the 10 Å tilt series), one gain per run and an
    mdoc that names the frames."""
    root = tmp_path_factory.mktemp("sources") / "input"
    write_example(root)
    config = root / "example.yaml"
    text = config.read_text()
    start = text.index("frames:\n")
    end = text.index("\ntomograms:")
    config.write_text(text[:start] + FRAME_CONFIG + text[end:])
    for run in ("TS_001", "TS_002"):
        (root / TS / f"{run}.mdoc").write_text(frame_mdoc(run))
        for z in range(len(TILT_ANGLES)):
            put_frame(root, run, z)
        write_mrc(root / GAINS / f"{run}_gain.mrc", np.ones((1, 8, 8), dtype=np.float32), 5.0, stack=True)
    return root


@pytest.fixture
def source(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "input"))


def validate(root: Path) -> tuple[int, list[dict[str, Any]]]:
    args = ["validate", str(root / "example.yaml"), "--input", str(root), "--deep", "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in {0, 1}, result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_the_example_with_frames_and_gains_validates_clean_in_depth(pristine: Path) -> None:
    assert validate(pristine) == (0, [])


def text(key: str, content: str) -> Callable[[Path], object]:
    return lambda root: (root / key).write_text(content)


def config_edit(old: str, new: str) -> Callable[[Path], object]:
    def apply(root: Path) -> None:
        path = root / "example.yaml"
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new, 1))

    return apply


NARROW_RANGE = (
    "run_name,tilt_series_min_tilt,tilt_series_max_tilt,tilt_series_quality\nTS_001,-60,60,4\nTS_002,-50,45,5\n"
)
"""The run data map with TS_002's tilt_range -50..45 (its mdoc: -60..60)."""

# code -> (one defect of run TS_002's sources, the config section reported, the file named in the message)
SOURCE_MUTATIONS: dict[str, tuple[Callable[[Path], object], str, str]] = {
    "E-SOURCE-TILT-RAWTLT-MDOC": (text(f"{TS}/TS_002.rawtlt", "-60.0\n-50.0\n"), "rawtilts[0]", "TS_002.rawtlt"),
    "E-SOURCE-TILT-RAWTLT-COUNT": (
        text(f"{TS}/TS_002.rawtlt", "".join(f"{a:.1f}\n" for a in (*TILT_ANGLES, 0))),
        "rawtilts[0]",
        "TS_002.rawtlt",
    ),
    "E-SOURCE-TILT-FILE": (text(f"{TS}/TS_002.rawtlt", "-60.0\nninety\n"), "rawtilts[0]", "TS_002.rawtlt"),
    "E-SOURCE-TILT-RANGE": (
        text("phantom/run_data_map.csv", NARROW_RANGE),
        "tiltseries[0].metadata.tilt_range",
        "TS_002.mrc",
    ),
    "E-SOURCE-FRAMES-NUMSUBFRAMES": (
        lambda root: put_frame(root, "TS_002", 3, shape=(3, 8, 8)),
        "frames[0]",
        "TS_002_003.mrc",
    ),
    "E-SOURCE-FRAMES-CONSISTENT": (
        lambda root: put_frame(root, "TS_002", 3, size=5.5),
        "frames[0]",
        "TS_002_003.mrc",
    ),
    "E-SOURCE-GAIN-HEADER": (
        lambda root: write_mrc(root / GAINS / "TS_002_gain.mrc", np.ones((2, 8, 8), np.float32), 5.0, stack=True),
        "gains[0]",
        "TS_002_gain.mrc",
    ),
    "E-SOURCE-TILT-AXIS": (
        text(f"{TS}/TS_002.mdoc", frame_mdoc("TS_002").replace("angle = 90.0]", "angle = 60.0]")),
        "tiltseries[0].metadata.tilt_axis",
        "TS_002.mrc",
    ),
    "W-SOURCE-FRAMES-GAIN": (
        lambda root: (root / GAINS / "TS_002_gain.mrc").unlink(),
        "frames[0].metadata.is_gain_corrected",
        "frames_metadata.json",
    ),
    "W-SOURCE-MRC-ISPG": (
        lambda root: write_mrc(root / FRAMES / "TS_002_003.mrc", np.zeros((SUB_FRAMES, 8, 8), np.float32), 5.0),
        "frames[0]",
        "TS_002_003.mrc",
    ),
    "W-SOURCE-TILT-NO-MDOC": (
        lambda root: (root / TS / "TS_002.mdoc").rename(root / TS / "TS_002.txt"),
        "tiltseries[0]",
        "TS_002.mrc",
    ),
    "W-SOURCE-TILT-NO-RAWTLT": (
        lambda root: (root / TS / "TS_002.rawtlt").rename(root / TS / "TS_002.tilts"),
        "tiltseries[0]",
        "TS_002.mrc",
    ),
}

CONSEQUENCES: dict[str, set[str]] = {
    # 22 raw tilts beside 21 sections are also 22 angles for 21 mdoc sections (0° used twice).
    "E-SOURCE-TILT-RAWTLT-COUNT": {"E-SOURCE-TILT-RAWTLT-MDOC"},
    # a frame of another pixel spacing is also another voxel size than the gain's (compared with the first frame
    # only when it is that frame) — here frame 3 is not the first, so nothing more.
}


@pytest.mark.parametrize("code", sorted(SOURCE_MUTATIONS))
def test_one_defect_in_the_sources_trips_exactly_its_code(source: Path, code: str) -> None:
    change, section, named = SOURCE_MUTATIONS[code]
    change(source)
    status, findings = validate(source)
    assert {f["code"] for f in findings} == {code} | CONSEQUENCES.get(code, set()), findings
    mine = [f for f in findings if f["code"] == code]
    assert all(f["path"] == section and f["line"] is not None for f in mine), mine
    assert all("'TS_002'" in f["message"] and named in f["message"] for f in mine), mine
    assert status == (1 if code.startswith("E-") else 0)


def test_a_configured_pixel_spacing_unlike_the_tilt_series_header_is_reported_for_each_run(source: Path) -> None:
    config_edit("pixel_spacing: 10.0", "pixel_spacing: 10.25")(source)
    status, findings = validate(source)
    assert status == 1
    # 10.25 Å is no whole multiple of the frames' 5 Å either
    assert sorted((f["code"], f["path"]) for f in findings) == [
        ("E-SOURCE-FRAMES-PIXEL-SPACING", "tiltseries[0].metadata.pixel_spacing"),
        ("E-SOURCE-FRAMES-PIXEL-SPACING", "tiltseries[0].metadata.pixel_spacing"),
        ("E-SOURCE-MRC-VOXEL-SIZE", "tiltseries[0].metadata.pixel_spacing"),
        ("E-SOURCE-MRC-VOXEL-SIZE", "tiltseries[0].metadata.pixel_spacing"),
    ], findings
    assert {f["message"].split(",")[0] for f in findings} == {"run 'TS_001'", "run 'TS_002'"}


def test_without_deep_the_sources_are_not_read(source: Path) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RAWTLT-MDOC"][0](source)
    args = ["validate", str(source / "example.yaml"), "--input", str(source)]
    assert CliRunner().invoke(main, args).exit_code == 0


def deposition(source: Path, output: Path, *extra: str) -> Any:
    args = ["deposition", str(source / "example.yaml"), "--output", str(output), "--workers", "1", "-q", *extra]
    return CliRunner().invoke(main, [*args, "--only", "tiltseries,rawtilts,collection_metadata,frames,gains"])


def test_deposition_refuses_only_the_run_whose_sources_disagree(source: Path, tmp_path: Path) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RAWTLT-MDOC"][0](source)
    output = tmp_path / "output"
    result = deposition(source, output)
    assert result.exit_code == 1, result.output
    assert "E-SOURCE-TILT-RAWTLT-MDOC" in result.stderr and "refused 1 run(s)" in result.stderr, result.stderr
    assert (output / "90001/TS_001/TiltSeries").is_dir()
    assert not (output / "90001/TS_002").exists()


def test_skipping_source_checks_ingests_and_the_tree_check_reports_the_same_rule(source: Path, tmp_path: Path) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RANGE"][0](source)
    output = tmp_path / "output"
    result = deposition(source, output, "--skip-source-checks", "--no-check")
    assert result.exit_code == 0, result.output
    assert "E-SOURCE" not in result.stderr
    checked = CliRunner().invoke(main, ["check", str(output), "--format", "json"])
    codes = {(f["code"], f["file"]) for f in json.loads(checked.stdout)["findings"]}
    assert ("C-TILT-RANGE", "90001/TS_002/TiltSeries/100/tiltseries_metadata.json") in codes, codes


def test_a_run_refused_alone_writes_nothing(source: Path, tmp_path: Path) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RAWTLT-MDOC"][0](source)
    output = tmp_path / "output"
    result = deposition(source, output, "--run", "TS_002", "--format", "json")
    assert result.exit_code == 1
    assert not output.exists() or not any(output.rglob("*.json")), sorted(output.rglob("*"))
    document = json.loads(result.stdout)  # --format json: the failure document, with the findings
    assert document["ok"] is False and "TS_002" in document["error"]["message"] + str(document["findings"])
    assert [f["code"] for f in document["findings"]] == ["E-SOURCE-TILT-RAWTLT-MDOC"]
    (refused,) = document["refused"]
    assert refused["run"] == "90001/TS_002" and [f["code"] for f in refused["findings"]] == [
        "E-SOURCE-TILT-RAWTLT-MDOC"
    ]


def test_a_refused_run_is_listed_in_the_json_document_with_its_findings(source: Path, tmp_path: Path) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RAWTLT-MDOC"][0](source)
    result = deposition(source, tmp_path / "output", "--format", "json", "--no-check")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False  # TS_001 went well, but TS_002 was not ingested
    assert [run["run"] for run in document["runs"]] == ["90001/TS_001"] and document["totals"]["failed"] == 0
    (refused,) = document["refused"]
    assert refused["run"] == "90001/TS_002"
    (finding,) = refused["findings"]
    assert finding["code"] == "E-SOURCE-TILT-RAWTLT-MDOC" and finding["path"] == "rawtilts[0]"
    assert finding["file"] == str(source / "example.yaml") and finding["line"] is not None
    last = json.loads((tmp_path / "output" / ".ingest" / "last_ingestion.json").read_text())
    assert last["refused"] == ["90001/TS_002"] and last["ok"] is False
    log = (tmp_path / "output" / last["log"]).read_text()
    assert "run 90001/TS_002 REFUSED by the source checks" in log


def test_no_refused_run_is_an_empty_list(source: Path, tmp_path: Path) -> None:
    result = deposition(source, tmp_path / "output", "--format", "json", "--run", "TS_001", "--no-check")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["refused"] == [] and document["source_warnings"] == [] and document["ok"] is True


def test_the_source_warnings_of_an_ingested_run_are_in_its_documents(source: Path, tmp_path: Path) -> None:
    SOURCE_MUTATIONS["W-SOURCE-TILT-NO-RAWTLT"][0](source)
    result = deposition(source, tmp_path / "output", "--format", "json", "--no-check")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["refused"] == []
    (warned,) = document["source_warnings"]
    assert warned["run"] == "90001/TS_002"
    assert [(f["code"], f["severity"]) for f in warned["findings"]] == [("W-SOURCE-TILT-NO-RAWTLT", "warning")]
    github = deposition(source, tmp_path / "github", "--format", "github", "--no-check")
    assert github.exit_code == 0
    (line,) = [line for line in github.stdout.splitlines() if "W-SOURCE-TILT-NO-RAWTLT" in line]
    assert line.startswith(f"::warning file={source / 'example.yaml'},line="), github.stdout


def refused_cases(xml: str) -> dict[str, tuple[str, str] | None]:
    """JUnit test case name → (type, message) of its failure, or None when it passed."""
    found: dict[str, tuple[str, str] | None] = {}
    for case in ET.fromstring(xml).iter("testcase"):
        failure = case.find("failure")
        found[case.get("name", "")] = None if failure is None else (failure.get("type", ""), failure.get("message", ""))
    return found


def test_a_refused_run_fails_its_junit_case_and_is_annotated_for_github(source: Path, tmp_path: Path) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RAWTLT-MDOC"][0](source)
    junit = deposition(source, tmp_path / "junit", "--format", "junit", "--no-check")
    assert junit.exit_code == 1
    found = refused_cases(junit.stdout)
    assert list(found) == ["run TS_001", "run TS_002"] and found["run TS_001"] is None
    kind, message = found["run TS_002"] or ("", "")
    assert kind == "E-SOURCE-TILT-RAWTLT-MDOC, RUN-REFUSED", kind
    assert message.startswith("90001/TS_002 refused (E-SOURCE-TILT-RAWTLT-MDOC): its source files disagree"), message
    github = deposition(source, tmp_path / "github", "--format", "github", "--no-check")
    assert github.exit_code == 1
    finding, refusal = github.stdout.splitlines()
    assert finding.startswith(f"::error file={source / 'example.yaml'},line="), finding
    assert "title=E-SOURCE-TILT-RAWTLT-MDOC::rawtilts[0]: run 'TS_002'" in finding
    assert refusal.startswith("::error file=90001/TS_002,title=RUN-REFUSED::refused: its source files disagree")


@pytest.mark.parametrize("output_format", ["github", "junit"])
def test_every_run_refused_is_still_a_document(source: Path, tmp_path: Path, output_format: str) -> None:
    SOURCE_MUTATIONS["E-SOURCE-TILT-RAWTLT-MDOC"][0](source)
    result = deposition(source, tmp_path / "output", "--run", "TS_002", "--format", output_format)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("error: every planned run (1)"), result.stderr
    if output_format == "junit":
        found = refused_cases(result.stdout)
        assert list(found) == ["run TS_002"] and (found["run TS_002"] or ("",))[0].endswith("RUN-REFUSED")
    else:
        lines = result.stdout.splitlines()
        assert [line.split("::")[1].rpartition("title=")[2] for line in lines] == [
            "E-SOURCE-TILT-RAWTLT-MDOC", "RUN-REFUSED", "ingest deposition",
        ]  # fmt: skip
        assert lines[-1].startswith("::error title=ingest deposition::every planned run (1)")


def test_deep_without_input_is_a_usage_error(pristine: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(pristine / "example.yaml"), "--deep"])
    assert result.exit_code == 2 and "--input" in result.output


def tiff_movies(root: Path, run: str) -> None:
    """``run``'s frames as TIFF movies of the mdoc's sub-frames (the frames finder takes any extension)."""
    config_edit("list_glob: frames/{run_name}_*.mrc", "list_glob: frames/{run_name}_*")(root)
    mdoc = root / TS / f"{run}.mdoc"
    mdoc.write_text(mdoc.read_text().replace(".mrc\n", ".tif\n"))
    for z in range(len(TILT_ANGLES)):
        (root / FRAMES / f"{run}_{z:03d}.mrc").unlink()
        tifffile.imwrite(
            root / FRAMES / f"{run}_{z:03d}.tif", np.zeros((SUB_FRAMES, 8, 8), np.uint16), photometric="minisblack"
        )


def test_tiff_movies_are_read_by_the_source_checks(source: Path) -> None:
    tiff_movies(source, "TS_002")
    assert validate(source) == (0, [])
    tifffile.imwrite(source / FRAMES / "TS_002_003.tif", np.zeros((3, 8, 8), np.uint16), photometric="minisblack")
    status, findings = validate(source)
    assert status == 1
    assert [(f["code"], f["path"]) for f in findings] == [("E-SOURCE-FRAMES-NUMSUBFRAMES", "frames[0]")], findings
    assert "TS_002_003.tif" in findings[0]["message"] and findings[0]["found"] == "3 TIFF pages"
