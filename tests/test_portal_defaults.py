"""Field by field against the portal's own ingestion tests: the same fixture inputs, the values its
``ingestion_tools/scripts/tests/s3_import/test_*.py`` assert (chanzuckerberg/cryoet-data-portal-backend).

- ``test_frames.py``: with ``fixtures/dataset1.yaml`` (dose rate 1.881, gain corrected, frames
  ``VPP/frames/{run}_*.tiff``) the five entries of ``frames_metadata.json`` carry acquisition order 0..4, exposure
  doses 1.881 × ExposureTime (1, 1.58, 1.59, 1.58, 1.58), their running sum, ``is_gain_corrected: true`` and the
  frame's path; with ``fixtures/frames/default.yaml`` (a ``default`` literal) every ``path`` is ``null`` (the
  portal's test also expects ``is_gain_corrected: null``, as the fixture omits it; the portal's config schema
  requires it, so it is given as false here). The acquisition file is named ``{run}.mdoc`` as the portal's
  current collection-metadata importer and ``test_collection_metadata.py`` have it (an older ``test_frames.py``
  still expects the source name ``foo-TS_run1.mdoc``; the importer code wins).
- ``test_gains.py``: ``Gains/CountRef_{run}.gain`` copied, ``Gains/CountRef_{run}.mrc`` from the ``.dm4`` (the
  portal's test mocks ``dm2mrc``; the fixture ``.dm4`` is empty, so a tiny valid one replaces it here).
- ``test_annotations.py``: the point annotation of ``points.csv`` has ``object_count`` 3 and an ``ndjson`` file of
  shape ``Point``; file entries carry ``is_visualization_default`` (false unless set); a segmentation mask counts 0.
- ``test_per_section_parameter.py`` and ``test_tiltseries.py``: see
  :func:`test_tiltseries_as_the_portals_tiltseries_and_per_section_parameter_tests`.
- ``test_raw_tilt.py`` and ``test_ctf.py``: see :func:`test_raw_tilt_and_ctf_as_the_portals_raw_tilt_and_ctf_tests`.
- ``test_tomograms.py``: see :func:`test_tomogram_as_the_portals_tomograms_test` and
  :func:`test_tomogram_ids_as_the_portals_tomogram_import_test`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest
import zarr
from ruamel.yaml import YAML

from tests.dm4_file import dm4_bytes
from tests.ingest_cli import ingest, run_counts
from tests.test_portal_fixtures_ingest import (
    completed_annotation_fixture,
    load,
    metadata,
    with_keys_the_portal_requires,
)
from tests.test_portal_fixtures_ingest import ingest as ingest_fixture
from tests.test_section_parameters import expected as expected_psp

INPUTS = "portal-fixtures/test_infra/test_files/input_bucket/10001_input"
EXPOSURE_TIMES = (1, 1.58, 1.59, 1.58, 1.58)
DOSE_RATE = 1.881
FRAMES = "10001/TS_run1/Frames"
GAIN_IMAGE = np.arange(12, dtype=np.float32).reshape(3, 4)


def portal_frames_config(corpus: Path, frames_fixture: str | None = None) -> dict[str, Any]:
    """``fixtures/dataset1.yaml`` cut to what frames, mdoc and gains need, completed as the fixture tests do."""
    source = load(corpus, "dataset1.yaml")
    dataset = completed_annotation_fixture(corpus)["datasets"][0]["metadata"]
    config = {key: source[key] for key in ("runs", "voxel_spacings", "collection_metadata", "frames", "gains")}
    if frames_fixture is not None:
        config["frames"] = load(corpus, frames_fixture)["frames"]
        # The portal's config schema requires is_gain_corrected, which frames/default.yaml leaves out.
        config["frames"][0]["metadata"].setdefault("is_gain_corrected", False)
    config["version"] = "1.3.0"
    config["standardization_config"] = {"deposition_id": 10301, "source_prefix": "10001_input"}
    config["depositions"] = [
        {"metadata": source["depositions"][0]["metadata"], "sources": [{"literal": {"value": [10301]}}]}
    ]
    config["datasets"] = [
        {"metadata": {**dataset, "dataset_identifier": 10001}, "sources": [{"literal": {"value": ["10001"]}}]}
    ]
    config["runs"][0]["sources"][0]["source_glob"]["name_regex"] = r"(.*)\.rec"
    return with_keys_the_portal_requires(config)


def ingest_portal_inputs(
    corpus: Path, tmp_path: Path, config: dict[str, Any], *, dm4: bytes | None = None, extra: tuple[str, ...] = ()
) -> tuple[Path, dict[str, Any]]:
    """The fixture inputs copied, the empty ``CountRef_TS_run2.dm4`` replaced by ``dm4`` (default: a valid one),
    and ingested: (output folder, JSON report)."""
    inputs = tmp_path / "in" / "10001_input"
    shutil.copytree(corpus / INPUTS, inputs)
    for path in [inputs, *inputs.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (inputs / "VPP/frames/CountRef_TS_run2.dm4").write_bytes(
        dm4_bytes(GAIN_IMAGE, pixel_size=0.1) if dm4 is None else dm4
    )
    with (tmp_path / "in/config.yaml").open("w") as stream:
        YAML(typ="safe").dump(config, stream)
    return tmp_path / "out", ingest(tmp_path / "in/config.yaml", tmp_path / "out", *extra)


def ingested_portal_inputs(corpus: Path, tmp_path: Path, config: dict[str, Any]) -> Path:
    output, report = ingest_portal_inputs(corpus, tmp_path, config)
    assert report["ok"] is True, report
    return output


def expected_frames(paths: bool, is_gain_corrected: bool | None) -> list[dict[str, Any]]:
    entries, accumulated = [], 0.0
    for index, time in enumerate(EXPOSURE_TIMES):
        path = f"{FRAMES}/TS_run1_{index + 1}.tiff" if paths else None
        entry = {"acquisition_order": index, "accumulated_dose": accumulated, "exposure_dose": DOSE_RATE * time}
        entries.append({**entry, "is_gain_corrected": is_gain_corrected, "path": path})
        accumulated += DOSE_RATE * time
    return entries


def assert_frames_equal(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [sorted(entry) for entry in actual] == [sorted(entry) for entry in expected]
    for mine, theirs in zip(actual, expected, strict=True):
        for key, value in theirs.items():
            assert mine[key] == (pytest.approx(value) if isinstance(value, float) else value), (key, mine)


def test_frames_as_the_portals_frames_test(corpus: Path, tmp_path: Path) -> None:
    output = ingested_portal_inputs(corpus, tmp_path, portal_frames_config(corpus))
    document = json.loads((output / FRAMES / "frames_metadata.json").read_text())
    assert document["frames_acquisition_file"] == f"{FRAMES}/TS_run1.mdoc"
    assert_frames_equal(document["frames"], expected_frames(paths=True, is_gain_corrected=True))
    assert (document["dose_rate"], document["is_gain_corrected"], document["deposition_id"]) == (DOSE_RATE, True, 10301)
    for index in range(1, 6):
        assert (output / FRAMES / f"TS_run1_{index}.tiff").is_file()


def test_default_frames_as_the_portals_default_frames_test(corpus: Path, tmp_path: Path) -> None:
    output = ingested_portal_inputs(corpus, tmp_path, portal_frames_config(corpus, "frames/default.yaml"))
    assert sorted(path.name for path in (output / FRAMES).iterdir()) == ["TS_run1.mdoc", "frames_metadata.json"]
    document = json.loads((output / FRAMES / "frames_metadata.json").read_text())
    assert document["frames_acquisition_file"] == f"{FRAMES}/TS_run1.mdoc"
    assert_frames_equal(document["frames"], expected_frames(paths=False, is_gain_corrected=False))


def test_mdoc_and_gains_as_the_portals_collection_metadata_and_gains_tests(corpus: Path, tmp_path: Path) -> None:
    output = ingested_portal_inputs(corpus, tmp_path, portal_frames_config(corpus))
    mdoc = corpus / INPUTS / "metadata/mdocs_modified/foo-TS_run1.mdoc"
    assert (output / FRAMES / "TS_run1.mdoc").read_bytes() == mdoc.read_bytes()
    assert [path.name for path in (output / "10001/TS_run1/Gains").iterdir()] == ["CountRef_TS_run1.gain"]
    assert [path.name for path in (output / "10001/TS_run2/Gains").iterdir()] == ["CountRef_TS_run2.mrc"]
    with mrcfile.open(output / "10001/TS_run2/Gains/CountRef_TS_run2.mrc", permissive=False) as mrc:
        np.testing.assert_array_equal(mrc.data, GAIN_IMAGE[::-1])  # shown as in DigitalMicrograph
        assert mrc.data.dtype == np.float32 and float(mrc.voxel_size.x) == pytest.approx(1.0)  # 0.1 nm


def test_annotation_defaults_as_the_portals_annotation_test(corpus: Path, tmp_path: Path) -> None:
    output, report = ingest_fixture(corpus, completed_annotation_fixture(corpus), tmp_path)
    assert run_counts(report)["20002/run1"][2] is None
    folder = "20002/run1/Reconstructions/VoxelSpacing1.123/Annotations"
    points = metadata(output, f"{folder}/100/ribosome-1.0.json")
    assert points["object_count"] == 3
    assert points["files"] == [
        {
            "format": "ndjson",
            "is_visualization_default": False,
            "path": f"{folder}/100/ribosome-1.0_point.ndjson",
            "shape": "Point",
        }
    ]
    mask = metadata(output, f"{folder}/101/membrane-1.0.json")
    assert mask["object_count"] == 0
    assert {(entry["format"], entry["is_visualization_default"]) for entry in mask["files"]} == {
        ("mrc", False),
        ("zarr", False),
    }


@pytest.mark.parametrize("content", [b"", b"not a DigitalMicrograph file" * 4], ids=["empty", "garbage"])
def test_an_unreadable_dm4_fails_its_run_naming_the_file_and_writes_no_gain(
    corpus: Path, tmp_path: Path, content: bytes
) -> None:
    output, report = ingest_portal_inputs(corpus, tmp_path, portal_frames_config(corpus), dm4=content)
    runs = run_counts(report)
    assert runs["10001/TS_run1"][2] is None
    error = runs["10001/TS_run2"][2]
    assert error is not None and "VPP/frames/CountRef_TS_run2.dm4" in error and "DigitalMicrograph" in error
    assert not (output / "10001/TS_run2/Gains").exists()
    assert [path for path in output.rglob("*") if "gain" in path.name.lower() and "TS_run2" in str(path)] == []


def test_dataset_sample_descriptors_as_the_portals_dataset_importer_fills_them(corpus: Path, tmp_path: Path) -> None:
    """``importers/dataset.py`` (format_data): every sample descriptor with a name and an id, ``not_reported``
    where the config has none: here no cell type at all, and the fixture's cell component without an id."""
    output = ingested_portal_inputs(corpus, tmp_path, portal_frames_config(corpus))
    document = metadata(output, "10001/dataset_metadata.json")
    assert {key: document[key] for key in ("organism", "tissue", "cell_strain", "cell_type", "cell_component")} == {
        "organism": {"name": "Organism 1", "taxonomy_id": 9999},
        "tissue": {"id": "BTO:0000142", "name": "brain"},
        "cell_strain": {"id": "NCBITaxon:88888", "name": "Strain 1"},
        "cell_type": {"id": "not_reported", "name": "not_reported"},
        "cell_component": {"id": "not_reported", "name": "cell component"},
    }
    assert {key: document[key] for key in ("assay", "development_stage", "disease")} == {
        "assay": {"id": "EFO:0002909", "name": "cryo-electron tomography"},
        "development_stage": {"id": "unknown", "name": "unknown"},
        "disease": {"id": "PATO:0000461", "name": "normal"},
    }


def test_default_alignment_as_the_portals_alignment_importer_fills_it(corpus: Path, tmp_path: Path) -> None:
    """``importers/alignment.py``: the default alignment's metadata (identity affine, GLOBAL, not portal standard,
    zero offsets, method undefined), no files."""
    output, _ = ingest_fixture(corpus, completed_annotation_fixture(corpus), tmp_path)
    document = metadata(output, "20002/run1/Alignments/100/alignment_metadata.json")
    identity = [[float(row == column) for column in range(4)] for row in range(4)]
    expected = {
        "affine_transformation_matrix": identity,
        "alignment_type": "GLOBAL",
        "is_portal_standard": False,
        "volume_offset": {"x": 0, "y": 0, "z": 0},
        "tilt_offset": 0,
        "x_rotation_offset": 0,
        "method_type": "undefined",
        "files": [],
        "deposition_id": 20302,
    }
    assert {key: document[key] for key in expected} == expected
    assert document["volume_dimension"] == pytest.approx({"x": 4 * 1.123, "y": 4 * 1.123, "z": 4 * 1.123})


def portal_tiltseries_config(corpus: Path, *, ctf: bool) -> dict[str, Any]:
    """:func:`portal_frames_config` with ``fixtures/dataset1.yaml``'s tilt series, raw tilts and (when ``ctf``) CTF
    estimates: the inputs of the portal's ``test_tiltseries.py`` and ``test_per_section_parameter.py``."""
    source = load(corpus, "dataset1.yaml")
    config = portal_frames_config(corpus)
    for key in ("tiltseries", "rawtilts", *(("ctfs",) if ctf else ())):
        config[key] = source[key]
    return with_keys_the_portal_requires(config)


@pytest.mark.parametrize("ctf", [True, False], ids=["with-ctf", "without-ctf"])
def test_tiltseries_as_the_portals_tiltseries_and_per_section_parameter_tests(
    corpus: Path, tmp_path: Path, ctf: bool
) -> None:
    """``test_per_section_parameter.py`` (``test_psp_success``, ``test_psp_no_ctf``): the per-section vector, every
    CTF value null without a CTF file, ``raw_tlt_path`` ``{run}.rawtlt``, ``ctf_path`` ``{run}_CTFFIND_ctf.txt`` or
    null; ``test_tiltseries.py`` (``dataset1.yaml``): the configured pixel spacing, size and the scales of a stack
    of images (z never binned)."""
    config = portal_tiltseries_config(corpus, ctf=ctf)
    # the fixture's tilt_range, tilt_axis and total_flux disagree with its 5-section mdoc (the consistency checks
    # say so); the values compared here are the importer's, so the source and output checks are left out
    output, report = ingest_portal_inputs(corpus, tmp_path, config, extra=("--no-check", "--skip-source-checks"))
    assert report["ok"] is True, report
    folder = "10001/TS_run1/TiltSeries/100"
    document = json.loads((output / folder / "tiltseries_metadata.json").read_text())
    assert document["per_section_parameter"] == expected_psp(ctf)
    assert document["raw_tlt_path"] == f"{folder}/TS_run1.rawtlt" and (output / folder / "TS_run1.rawtlt").is_file()
    assert document["ctf_path"] == (f"{folder}/TS_run1_CTFFIND_ctf.txt" if ctf else None)
    assert document["pixel_spacing"] == 3.3702
    assert document["size"] == {"z": 4, "y": 10, "x": 20}
    assert document["scales"] == [{"z": 4, "y": 10, "x": 20}, {"z": 4, "y": 5, "x": 10}, {"z": 4, "y": 3, "x": 5}]


def portal_tomograms_config(corpus: Path) -> dict[str, Any]:
    """:func:`portal_tiltseries_config` with CTF and ``fixtures/dataset1.yaml``'s tomograms (``tomograms/{run}.rec``,
    a 6 × 8 × 10 int8 volume at 13.48 Å): the inputs of the portal's ``test_tomograms.py``."""
    config = portal_tiltseries_config(corpus, ctf=True)
    config["tomograms"] = load(corpus, "dataset1.yaml")["tomograms"]
    return with_keys_the_portal_requires(config)


def test_raw_tilt_and_ctf_as_the_portals_raw_tilt_and_ctf_tests(corpus: Path, tmp_path: Path) -> None:
    """``test_raw_tilt.py`` (``test_raw_tilt_import``) and ``test_ctf.py`` (``test_ctf_import``): the source raw
    tilt angles copied line for line into ``TiltSeries/100`` under the source's name, the CTFFIND file under
    ``{run}_{format}_ctf.txt``; ``test_*_no_import``: nothing of the kind without the section."""
    output, report = ingest_portal_inputs(
        corpus, tmp_path, portal_tiltseries_config(corpus, ctf=True), extra=("--no-check", "--skip-source-checks")
    )
    assert report["ok"] is True, report
    folder = output / "10001/TS_run1/TiltSeries/100"
    sources = corpus / INPUTS / "metadata"
    assert (folder / "TS_run1.rawtlt").read_bytes() == (sources / "TS_run1.rawtlt").read_bytes()
    assert (folder / "TS_run1_CTFFIND_ctf.txt").read_bytes() == (sources / "TS_run1_ctffind4.txt").read_bytes()

    config = portal_tiltseries_config(corpus, ctf=False)
    del config["rawtilts"]
    bare, report = ingest_portal_inputs(corpus, tmp_path / "bare", config, extra=("--no-check", "--skip-source-checks"))
    assert report["ok"] is True, report
    files = sorted(path.name for path in (bare / "10001/TS_run1/TiltSeries/100").iterdir())
    assert files == ["TS_run1.mrc", "TS_run1.zarr", "tiltseries_metadata.json"]


def test_tomogram_as_the_portals_tomograms_test(corpus: Path, tmp_path: Path) -> None:
    """``test_tomograms.py`` (``test_tomogram_import``, ``test_tomogram_import_metadata``, current layout
    ``Tomograms/{id}/``): ``{run}.mrc``, ``{run}.zarr`` and ``tomogram_metadata.json`` in ``Tomograms/100``, and the
    metadata's paths (the Neuroglancer state as ``NeuroglancerPrecompute/100-neuroglancer_config.json``, the
    name the portal's ``importers/visualization_config.py`` writes), voxel spacing, size and three scales; the
    volume's headers agree with them."""
    output, report = ingest_portal_inputs(
        corpus, tmp_path, portal_tomograms_config(corpus), extra=("--no-check", "--skip-source-checks")
    )
    assert report["ok"] is True, report
    spacing = "10001/TS_run1/Reconstructions/VoxelSpacing13.480"
    prefix = f"{spacing}/Tomograms/100"
    assert sorted(path.name for path in (output / prefix).iterdir()) == [
        "TS_run1.mrc",
        "TS_run1.zarr",
        "tomogram_metadata.json",
    ]
    document = metadata(output, f"{prefix}/tomogram_metadata.json")
    expected = {
        "omezarr_dir": f"{prefix}/TS_run1.zarr",
        "mrc_file": f"{prefix}/TS_run1.mrc",
        "voxel_spacing": 13.48,
        "scales": [{"x": 6, "y": 8, "z": 10}, {"x": 3, "y": 4, "z": 5}, {"x": 2, "y": 2, "z": 3}],
        "size": {"x": 6, "y": 8, "z": 10},
        "alignment_metadata_path": "10001/TS_run1/Alignments/100/alignment_metadata.json",
        "neuroglancer_config_path": f"{spacing}/NeuroglancerPrecompute/100-neuroglancer_config.json",
        "key_photo": {
            "snapshot": f"{spacing}/Images/100/key-photo-snapshot.png",
            "thumbnail": f"{spacing}/Images/100/key-photo-thumbnail.png",
        },
    }
    assert {key: document[key] for key in expected} == expected
    paths = [document["alignment_metadata_path"], document["neuroglancer_config_path"], *document["key_photo"].values()]
    assert [path for path in paths if not (output / path).is_file()] == []

    source = corpus / INPUTS / "tomograms/TS_run1.rec"
    with mrcfile.open(source, permissive=True) as mrc:
        values = np.asarray(mrc.data, dtype=np.float32)
    with mrcfile.open(output / f"{prefix}/TS_run1.mrc", permissive=False) as mrc:
        assert mrc.data.shape == (10, 8, 6) and mrc.data.dtype == np.float32
        np.testing.assert_array_equal(mrc.data, values)
        assert (float(mrc.voxel_size.x), float(mrc.voxel_size.y)) == pytest.approx((13.48, 13.48))
        assert float(mrc.voxel_size.z) == pytest.approx(13.48, abs=1e-5)
    zarr_folder = output / f"{prefix}/TS_run1.zarr"
    multiscales = json.loads((zarr_folder / ".zattrs").read_text())["multiscales"][0]
    levels = [(entry["path"], entry["coordinateTransformations"][0]["scale"]) for entry in multiscales["datasets"]]
    assert levels == [("0", [13.48] * 3), ("1", [26.96] * 3), ("2", [53.92] * 3)]
    shapes = [tuple(zarr.open_array(zarr_folder / path, mode="r").shape) for path, _ in levels]
    assert shapes == [(scale["z"], scale["y"], scale["x"]) for scale in expected["scales"]]  # type: ignore[index]
    np.testing.assert_array_equal(zarr.open_array(zarr_folder / "0", mode="r")[...], values)


EXISTING = "10001/TS_run1/Reconstructions/VoxelSpacing{spacing}/Tomograms/100/tomogram_metadata.json"
WBP_RAW = {"reconstruction_method": "WBP", "processing": "raw"}


@pytest.mark.parametrize(
    ("existing", "alignment", "expected_id"),
    [
        (None, None, 100),
        ({"deposition_id": 10301, **WBP_RAW}, None, 100),
        ({"deposition_id": 10301, **WBP_RAW}, "100/alignment_metadata.json", 100),
        ({"deposition_id": 100001, **WBP_RAW}, "100/alignment_metadata.json", 101),
        ({"deposition_id": 100001, **WBP_RAW}, None, 101),
        ({"deposition_id": 10301, **WBP_RAW}, "foo.json", 101),
        ({"deposition_id": 10301, "reconstruction_method": "SIRT", "processing": "raw"}, None, 101),
        ({"deposition_id": 10301, "reconstruction_method": "WBP", "processing": "denoised"}, None, 101),
        ({"deposition_id": 10301, **WBP_RAW, "voxel_spacing": 20}, "100/alignment_metadata.json", 101),
    ],
)
def test_tomogram_ids_as_the_portals_tomogram_import_test(
    corpus: Path, tmp_path: Path, existing: dict[str, Any] | None, alignment: str | None, expected_id: int
) -> None:
    """``test_tomograms.py`` (``test_tomogram_import``): a ``Tomograms/100/tomogram_metadata.json`` already in the
    tree keeps id 100 for the same tomogram (same deposition, reconstruction method, processing, voxel spacing and
    alignment; a missing alignment path or voxel spacing counts as the new tomogram's), anything else gets 101."""
    output = tmp_path / "out"
    if existing is not None:
        document = dict(existing)
        if alignment is not None:
            document["alignment_metadata_path"] = f"10001/TS_run1/Alignments/{alignment}"
        spacing = f"{float(document.get('voxel_spacing', 13.48)):.3f}"
        key = output / EXISTING.format(spacing=spacing)
        key.parent.mkdir(parents=True)
        key.write_text(json.dumps(document))
    _, report = ingest_portal_inputs(
        corpus, tmp_path, portal_tomograms_config(corpus), extra=("--no-check", "--skip-source-checks")
    )
    assert report["ok"] is True, report
    folder = output / f"10001/TS_run1/Reconstructions/VoxelSpacing13.480/Tomograms/{expected_id}"
    assert sorted(path.name for path in folder.iterdir()) == ["TS_run1.mrc", "TS_run1.zarr", "tomogram_metadata.json"]
