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
from click.testing import CliRunner
from portal_importer import assert_imports_one_row_per_entity, needs_portal_importer, portal_import
from synthesize_inputs import synthesize_inputs

from ingest.cli import main

pytestmark = pytest.mark.corpus

TIMESTAMP = "2024-06-01T00:00:00+00:00"


@dataclass(frozen=True)
class Case:
    """One config to ingest; ``base`` is the dataset config a ``deposition_*.yaml`` extends."""

    config: str
    base: str | None = None
    runs: int = 1


CASES = [
    pytest.param(Case("10000.yaml"), id="10000"),
    pytest.param(Case("10001.yaml"), id="10001"),
    pytest.param(Case("10002.yaml"), id="10002"),
    pytest.param(Case("10004.yaml"), id="10004"),
    pytest.param(Case("10005.yaml"), id="10005"),
    pytest.param(Case("10006.yaml"), id="10006"),
    pytest.param(Case("10007.yaml", runs=2), id="10007"),
    pytest.param(Case("10008.yaml", runs=2), id="10008"),
    pytest.param(Case("10010.yaml"), id="10010"),
    pytest.param(Case("10301.yaml"), id="10301"),
    pytest.param(Case("10302.yaml"), id="10302"),
    pytest.param(Case("10426.yaml"), id="10426"),
    pytest.param(Case("10436.yaml"), id="10436"),
    pytest.param(Case("10440.yaml"), id="10440"),
    pytest.param(Case("10441.yaml"), id="10441"),
    pytest.param(Case("10442.yaml", runs=2), id="10442"),
    pytest.param(Case("10445.yaml"), id="10445"),
    pytest.param(Case("10455.yaml"), id="10455"),
    pytest.param(Case("10473.yaml"), id="10473"),
    pytest.param(Case("10478.yaml"), id="10478"),
    pytest.param(Case("10508.yaml"), id="10508"),
    pytest.param(Case("gjensen/10014.yaml", runs=2), id="gjensen-10014"),
    pytest.param(Case("deposition_10304.yaml", base="10004.yaml"), id="deposition_10304"),
    pytest.param(Case("deposition_10301.yaml", base="10000.yaml"), id="deposition_10301"),
    pytest.param(Case("deposition_10302.yaml", base="10004.yaml"), id="deposition_10302"),
    pytest.param(Case("deposition_10330.yaml", base="10004.yaml"), id="deposition_10330"),
    pytest.param(Case("deposition_10308.yaml", base="gjensen/10014.yaml"), id="deposition_10308"),
    pytest.param(Case("deposition_10340.yaml", base="gjensen/10027.yaml"), id="deposition_10340"),
]


@dataclass(frozen=True)
class Ingested:
    """A finished tree and what to import from it."""

    tree: Path
    dataset: str
    depositions: tuple[str, ...]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output + (f"\n{result.exception!r}" if result.exception else "")


def _ingest(config: Path, root: Path, tree: Path, runs: int) -> tuple[str, list[str]]:
    inputs = synthesize_inputs(config, root, runs=runs, output=tree if tree.exists() else None)
    assert inputs.runs, f"{config.name}: no run could be synthesized"
    assert inputs.unmatched == [], inputs.unmatched
    command = ["deposition", str(config), "--input", str(inputs.input_root), "--output", str(tree)]
    command += ["--workers", "1", "--timestamp", TIMESTAMP, "--no-check"]
    if "--bucket-root" in _invoke("deposition", "--help")[1]:
        command += ["--bucket-root", str(inputs.bucket_root)]
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
    dataset, _ = _ingest(configs / case.config, work / "inputs", tree, case.runs)
    status, output = _invoke("check", str(tree))
    assert status == 0, f"ingest check of {case.config}'s tree exited {status}:\n{output[-3000:]}"
    depositions = tuple(sorted(p.name for p in (tree / "depositions_metadata").iterdir()))
    _TREES[case.config] = Ingested(tree, dataset, depositions)
    return _TREES[case.config]


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal-configs-e2e")


@pytest.mark.parametrize("case", CASES)
def test_config_ingests_end_to_end_and_checks(case: Case, corpus: Path, scratch: Path) -> None:
    result = ingested(case, corpus, scratch)
    runs = [p for p in (result.tree / result.dataset).iterdir() if (p / "run_metadata.json").is_file()]
    assert runs, f"no run in {result.tree / result.dataset}"
    metadata = json.loads((result.tree / result.dataset / "dataset_metadata.json").read_text())
    assert str(metadata["dataset_identifier"]) == result.dataset


@pytest.mark.slow
@needs_portal_importer
@pytest.mark.parametrize("case", CASES)
def test_portal_importer_loads_the_tree(case: Case, corpus: Path, scratch: Path, tmp_path: Path) -> None:
    result = ingested(case, corpus, scratch)
    report = portal_import(result.tree, result.dataset, *result.depositions, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(report)
