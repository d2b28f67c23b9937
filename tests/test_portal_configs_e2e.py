"""Real portal configs end to end: inputs synthesized from each config alone, ingested, checked, imported.

For each config of ``portal-configs/`` below, :func:`synthesize_inputs.synthesize_inputs` writes a minimal input
tree that satisfies its finders; ``ingest deposition`` (limited to the synthesized runs) must ingest it and
``ingest check`` must pass the result; the portal's own database importer must then load it with one row per
entity. A ``deposition_*.yaml`` is layered on the tree of the dataset config it extends (given beside it), as the
portal ingests annotation-only depositions. The configs are chosen to cover every finder type, every annotation
shape and file format of the corpus, parent filters, run data maps and run-to-name maps, zarr sources and key
photos by path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from portal_importer import assert_imports_one_row_per_entity, needs_portal_importer, portal_import
from synthesize_inputs import synthesize_inputs

from ingest.cli import main
from ingest.domain.portal_defaults import SECTION_CTF_KEYS

pytestmark = pytest.mark.corpus

TIMESTAMP = "2024-06-01T00:00:00+00:00"
SECTION_KEYS = ("z_index", "frame_acquisition_order", "raw_angle", *SECTION_CTF_KEYS)


@dataclass(frozen=True)
class Case:
    """One config to ingest; ``base`` is the dataset config a ``deposition_*.yaml`` extends. Every tree is also
    loaded with the portal's importer (10-20 s each)."""

    config: str
    base: str | None = None
    runs: int = 1
    fails: str | None = None
    """Why ingesting or checking this config fails today (a strict xfail), naming the work item that fixes it."""
    import_fails: str | None = None
    """Why the portal's importer refuses the tree today (a strict xfail of the import test only)."""

    @property
    def name(self) -> str:
        return self.config.removesuffix(".yaml").replace("/", "-")


TABLE = [
    Case("10000.yaml"),  # csv points, mrc semantic masks, multi-glob alignments, key photos bucket/key
    Case("10001.yaml", base="10000.yaml"),  # a dozen mrc masks with mask_label; deposition from 10000
    Case("10002.yaml", base="10000.yaml"),  # run_to_frame_map_csv + {mapped_frame_name}
    Case("10004.yaml"),  # csv_with_header
    Case("10005.yaml"),  # csv with delimiter ' '
    Case("10006.yaml"),  # relion4_star with filter_value; match_regex anchored on '/'
    Case("10007.yaml", runs=2),  # tomoman star, run-level parent_filters, made-up run data map, gains
    Case("10008.yaml", runs=2),  # stopgap_star shared by runs; run-data-map columns in source globs
    Case("10010.yaml"),  # run data map, semantic masks
    Case("10301.yaml"),  # runs match_regex '/.*_BrnoKrios_.*$' (full-path semantics)
    Case("10302.yaml", base="10301.yaml"),  # runs exclude; deposition from 10301
    Case("10426.yaml"),  # MRC frames with binning_from_frames 2, CTFFIND estimates, AreTomo .aln
    Case("10436.yaml"),  # one source per data-set folder (alternative places of a run's files), tomogram filters
    Case("10440.yaml"),  # copick points
    Case("10441.yaml", base="10440.yaml"),  # relion3_star oriented points, mesh_source_path; deposition from 10440
    Case("10442.yaml", runs=2),  # relion3_star points shared by runs (filter_value)
    Case("10445.yaml", base="10440.yaml"),  # a second dataset of 10440's deposition
    Case("10455.yaml"),  # copick oriented points
    Case("10473.yaml"),  # OME-Zarr tomograms and zarr semantic masks
    # tomogram_header voxel spacing; frames `literal: default` (no frame files deposited: `path: null`)
    Case("10478.yaml"),
    # InstanceSegmentationMask (mrc) beside copick points; 4 tomograms of one voxel spacing, two raw WBP ones that
    # differ only in processing_software (the portal importer's tomogram key keeps them apart)
    Case("10490.yaml"),
    Case("gjensen/10014.yaml", runs=2),  # real run data map + run_to_tomo_map_csv, key photos by bucket/key path
    Case("deposition_10304.yaml", base="10004.yaml"),  # SegmentationMask mrc; destination_glob
    Case("deposition_10301.yaml", base="10000.yaml"),  # tardis instance segmentation
    Case("deposition_10302.yaml", base="10004.yaml"),  # IMOD .mod oriented points
    Case("deposition_10330.yaml", base="10004.yaml"),  # copick instance segmentation
    Case("deposition_10308.yaml", base="gjensen/10014.yaml"),  # SegmentationMask zarr
    Case("deposition_10340.yaml", base="gjensen/10027.yaml"),  # GlobalCaption (saber)
]


def _xfail(reason: str | None) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


INGEST_CASES = [pytest.param(case, id=case.name, marks=_xfail(case.fails)) for case in TABLE]
IMPORT_CASES = [pytest.param(case, id=case.name, marks=_xfail(case.fails or case.import_fails)) for case in TABLE]


@dataclass(frozen=True)
class Ingested:
    """A finished tree and what to import from it."""

    tree: Path
    dataset: str
    runs: tuple[str, ...]
    depositions: tuple[str, ...]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output + (f"\n{result.exception!r}" if result.exception else "")


def offline(config: Path, work: Path) -> Path:
    """``config``, or, when it names key photos by URL, a copy without those URLs: ingestion downloads URLs, and
    tests stay on loopback (downloading is tested against a local server elsewhere)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    dropped = False
    for section in ("dataset_keyphotos", "deposition_keyphotos"):
        for entry in data.get(section) or []:
            for source in entry.get("sources") or []:
                value = (source.get("literal") or {}).get("value")
                if isinstance(value, dict):
                    for key, photo in value.items():
                        if isinstance(photo, str) and "://" in photo:
                            value[key], dropped = None, True
    if not dropped:
        return config
    copy = work / f"offline-{config.name}"
    copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return copy


def _ingest(config: Path, root: Path, tree: Path, runs: int) -> tuple[str, list[str]]:
    inputs = synthesize_inputs(config, root, runs=runs, output=tree if tree.exists() else None)
    assert inputs.runs, f"{config.name}: no run could be synthesized"
    assert inputs.unmatched == [], inputs.unmatched
    command = ["deposition", str(offline(config, root)), "--input", str(inputs.input_root), "--output", str(tree)]
    command += ["--workers", "1", "--timestamp", TIMESTAMP, "--no-check", "--bucket-root", str(inputs.bucket_root)]
    for run in inputs.runs:
        command += ["--run", re.escape(run)]
    status, output = _invoke(*command)
    assert status == 0, f"ingest deposition {config.name} exited {status}:\n{output[-3000:]}"
    return inputs.dataset, inputs.runs


_TREES: dict[str, Ingested] = {}


def ingested(case: Case, corpus: Path, scratch: Path) -> Ingested:
    """The tree of ``case`` (built once per session), after ``ingest check`` passed on it."""
    if case.config in _TREES:
        return _TREES[case.config]
    configs = corpus / "portal-configs"
    work = scratch / re.sub(r"\W", "_", case.config)
    tree = work / "tree"
    if case.base is not None:
        _ingest(configs / case.base, work / "base-inputs", tree, 1)
    dataset, runs = _ingest(configs / case.config, work / "inputs", tree, case.runs)
    status, output = _invoke("check", str(tree))
    assert status == 0, f"ingest check of {case.config} exited {status}:\n{output[-3000:]}"
    depositions = tuple(sorted(p.name for p in (tree / "depositions_metadata").iterdir()))
    _TREES[case.config] = Ingested(tree, dataset, tuple(runs), depositions)
    return _TREES[case.config]


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal-configs-e2e")


@pytest.mark.parametrize("case", INGEST_CASES)
def test_config_ingests_end_to_end_and_checks(case: Case, corpus: Path, scratch: Path) -> None:
    result = ingested(case, corpus, scratch)
    runs = {p.name for p in (result.tree / result.dataset).iterdir() if (p / "run_metadata.json").is_file()}
    assert set(result.runs) <= runs, f"synthesized runs {result.runs} not all in {result.tree / result.dataset}"
    metadata = json.loads((result.tree / result.dataset / "dataset_metadata.json").read_text())
    assert str(metadata["dataset_identifier"]) == result.dataset
    for path in (result.tree / result.dataset).glob("*/TiltSeries/*/tiltseries_metadata.json"):
        series = json.loads(path.read_text())
        if "per_section_parameter" not in series:
            continue  # no raw tilts in the config: a warning (C-TS-NO-SECTIONS), the portal's importer would fail
        # the keys the portal's tilt-series importer writes, null when unknown (no CTF file: every CTF value)
        assert "ctf_path" in series and "raw_tlt_path" in series, path
        assert all(set(SECTION_KEYS) <= set(entry) for entry in series["per_section_parameter"]), path


@pytest.mark.slow
@needs_portal_importer
@pytest.mark.parametrize("case", IMPORT_CASES)
def test_portal_importer_loads_the_tree(case: Case, corpus: Path, scratch: Path, tmp_path: Path) -> None:
    result = ingested(case, corpus, scratch)
    report = portal_import(result.tree, result.dataset, *result.depositions, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(report)
