"""The portal's own database importer on a tree with everything a tilt series carries: per-section parameters
(raw tilts × mdoc × CTF, each frame_acquisition_order a deposited frame), an IMOD alignment computed with
cryoet-alignment, and the portal's file names. One row per entity, per section and per aligned section."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.ingest_cli import ingest
from tests.portal_importer import assert_imports_one_row_per_entity, needs_portal_importer, portal_import
from tests.test_execute_copies import example_with_gains

SECTIONS = 21  # the example's tilt series: -60° to 60° in 6° steps


def example_with_frames_and_alignment(root: Path) -> Path:
    """The example with CTF files, every frame file its mdoc names, and an IMOD alignment per run."""
    config_path = example_with_gains(root)
    yaml = YAML(typ="safe")
    config = yaml.load(config_path.read_text())
    config.pop("gains")
    config["frames"][0]["sources"] = [{"source_glob": {"list_glob": "frames/{run_name}_*.tif"}}]
    globs = [f"alignment/{{run_name}}{suffix}" for suffix in (".xf", ".tlt")]
    config["alignments"] = [
        {
            "metadata": {"format": "IMOD", "method_type": "patch_tracking"},
            "sources": [{"source_multi_glob": {"list_globs": globs}}],
        }
    ]
    with config_path.open("w") as stream:
        yaml.dump(config, stream)
    for folder in ("frames", "alignment"):
        (root / "phantom" / folder).mkdir()
    for run in ("TS_001", "TS_002"):
        for section in range(SECTIONS):
            (root / f"phantom/frames/{run}_{section:03d}.tif").write_bytes(b"II*\x00" + bytes(8))
        (root / f"phantom/alignment/{run}.xf").write_text("0.999 -0.035 0.035 0.999 1.5 -2.5\n" * SECTIONS)
        # the portal's data validation wants every .tlt angle among the raw tilt angles (C-ALN-TLT)
        (root / f"phantom/alignment/{run}.tlt").write_text("".join(f"{-60 + 6 * i}\n" for i in range(SECTIONS)))
    return config_path


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the importer's checks queue on one lock per machine
@needs_portal_importer
def test_portal_imports_per_section_parameters_and_alignments(tmp_path: Path) -> None:
    config = example_with_frames_and_alignment(tmp_path / "example")
    out = tmp_path / "out"
    report = ingest(config, out)
    assert report["ok"] is True, report
    metadata = json.loads((out / "90001/TS_001/TiltSeries/100/tiltseries_metadata.json").read_text())
    assert len(metadata["per_section_parameter"]) == SECTIONS and metadata["frames_count"] == SECTIONS
    result = portal_import(out, 90001, 90000, tmp_path=tmp_path)
    assert_imports_one_row_per_entity(result)
    tables = result["tables"]
    assert tables["per_section_parameters"]["db"] == 2 * SECTIONS
    assert tables["per_section_alignment_parameters"]["db"] == 2 * SECTIONS
    assert tables["frame"]["db"] == 2 * SECTIONS
    assert tables["tiltseries"]["db"] == 2 and tables["alignment"]["db"] == 2
