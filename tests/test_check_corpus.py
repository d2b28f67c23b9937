"""The checker over the portal's own test fixtures: every finding is pinned here with its explanation.

``portal-fixtures/test_infra/test_files`` is not one finished tree: it mixes the portal's expected outputs
in three arrangements and the input bucket its tests read from. Each pinned (code, top folder) is explained.
"""

from __future__ import annotations

from pathlib import Path

from ingest.checks.outputs import check_tree

EXPLAINED: dict[tuple[str, str], str] = {
    # 20001 and 20002: the portal's oldest layout ({run}/TomogramVoxelSpacing{vs}/CanonicalTomogram, tilt series
    # files directly in {run}/TiltSeries/), and no dataset or run metadata files at all.
    ("C-TREE-LEGACY", "20001"): "TomogramVoxelSpacing*/ and TiltSeries/ without id folders: older layout",
    ("C-TREE-LEGACY", "20002"): "same older layout as 20001",
    ("C-TREE-NO-METADATA", "20001"): "no dataset_metadata.json and no run_metadata.json in the older fixtures",
    ("C-TREE-NO-METADATA", "20002"): "same as 20001",
    # 30001: the current portal arrangement, partly populated (metadata written, most data files absent).
    ("C-TREE-LEGACY", "30001"): "{run}/Tomograms/VoxelSpacing*/CanonicalTomogram and TiltSeries/ts_foo.zarr",
    ("C-TREE-STRAY", "30001"): "VoxelSpacing9.876/foo.txt, and a *_globalcaption.json (captions not yet a shape)",
    ("C-TREE-NO-DATA", "30001"): "tomogram and annotation folders that hold only their metadata",
    ("C-TREE-KEY-PHOTO", "30001"): "dataset and tomogram key photos named but not present",
    ("C-META-PATH-MISSING", "30001"): "mrc/zarr/alignment/annotation paths named but absent; some prefixed with "
    "the bucket name (test-public-bucket/...), one alignment path is literally 'foo'",
    ("C-META-ID-FOLDER", "30001"): "annotation files named {id}-{slug}-{version}_* beside the id folder, not in it",
    ("C-META-SCHEMA", "30001"): "placeholder identifiers (GO:000000, EMPIAR-XYZ, TEST-1243435), numeric ontology "
    "ids, a non-boolean ctf_corrected, a flat 4-number in_plane_rotation (the importer writes a 2×2)",
    # 30001's tilt series, frames and mdoc are placeholders: foo.mdoc and bar.rawtlt are empty files, two frame
    # files beside three frames entries whose doses add to 5.42 while total_flux is 122, one per_section_parameter
    # (raw_angle -52.01, phase_shift 2699) outside tilt_range -40.012..40.967.
    ("C-TILT-FILE", "30001"): "Frames/foo.mdoc and TiltSeries/100/bar.rawtlt are empty files",
    ("C-TILT-MDOC-COUNT", "30001"): "the empty mdoc has 0 sections for a 31-section tilt series",
    ("C-TILT-RANGE", "30001"): "tilt_range angles are in no (empty) mdoc; raw_angle -52.01 outside -40.012..40.967",
    ("C-TILT-SECTION", "30001"): "per_section_parameter[0].phase_shift 2699 (radians: 0..2π)",
    ("C-TILT-SECTION-MDOC", "30001"): "raw_angle -52.01 is in no (empty) mdoc",
    ("C-FRAMES-MDOC", "30001"): "0 mdoc sections, 2 frame files, 3 frames entries",
    ("C-FRAMES-DOSE", "30001"): "frames' exposure doses add up to 5.42, total_flux is 122",
    ("C-TS-RAWTLT-NAME", "30001"): "RUN1/TiltSeries/100/bar.rawtlt keeps a source name (the importer writes "
    "{run}.rawtlt)",
    ("C-META-VALUES", "30001"): "tomogram and annotation authors without a primary or corresponding author, RUN2's "
    "tomogram with none (the portal's basic_metadata_check fails them too)",
    ("C-NG-LAYERS", "30001"): "RUN1's neuroglancer_config.json is a placeholder without layers",
    ("C-TILT-NO-MDOC", "30001"): "RUN3 has a tilt series and no mdoc (warning)",
    ("C-TILT-NO-RAWTLT", "30001"): "RUN3's tilt series has no raw tilt file (warning)",
    ("C-TILT-NO-MDOC", "20001"): "frames (Frames/frame1) without an mdoc (warning)",
    ("C-TS-NO-SECTIONS", "30001"): "its tilt series metadata predate per_section_parameter (warning)",
    ("C-ANN-NO-TOMOGRAM", "30001"): "annotation in a voxel spacing whose tomogram has no data (note)",
    # depositions_metadata: fixture depositions.
    ("C-TREE-KEY-PHOTO", "depositions_metadata"): "key photos named under deposition_metadata/ (singular), absent",
    ("C-META-SCHEMA", "depositions_metadata"): "related_database_entries 'TEST-...' is not an EMPIAR/EMDB/PDB id",
    # input_bucket: the portal tests' INPUT files, not an output tree at all.
    ("C-TREE-STRAY", "input_bucket"): "source files (star, mod, csv, rec, tiff, ...) are not part of any output tree",
    ("C-TREE-NO-METADATA", "input_bucket"): "its folders read as a dataset and runs without metadata",
}


def test_portal_fixtures_findings_are_all_explained(corpus: Path) -> None:
    root = corpus / "portal-fixtures" / "test_infra" / "test_files"
    report = check_tree(root)
    found = {(f.code, (f.file or "").split("/")[0]) for f in report.findings}
    assert found == set(EXPLAINED)


def test_portal_fixtures_dataset_filter_limits_the_check(corpus: Path) -> None:
    root = corpus / "portal-fixtures" / "test_infra" / "test_files"
    report = check_tree(root, datasets=("20002",))
    assert {(f.file or "").split("/")[0] for f in report.findings} == {"20002", "depositions_metadata"}
