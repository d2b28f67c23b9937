"""The output contract (docs/design.md §4) asserted on the tree the pipeline writes for the example: folder
layout and file names, ids, dates, nesting, required fields per entity, relative paths, enum values, deterministic
bytes and computed fields. Each test names one rule of the portal's tree or of its database importer."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mrcfile
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.domain.entities import annotation_slug
from ingest.models import metadata_files as mf
from ingest.models.metadata_files import (
    AlignmentMethodTypeEnum,
    AlignmentTypeEnum,
    AnnotationFileFormatEnum,
    AnnotationFileShapeEnum,
    AnnotationMethodTypeEnum,
    DepositionTypeEnum,
    FiducialAlignmentStatusEnum,
    SampleTypeEnum,
    TomogramProcessingEnum,
    TomogramReconstructionMethodEnum,
)
from ingest.pipeline.example import write_example

TIMESTAMP = 1767225600  # 2026-01-01T00:00:00Z
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ID = r"(?P<id>\d+)"
RUN = r"(?P<dataset>[^/]+)/(?P<run>[^/]+)"
VS = rf"{RUN}/Reconstructions/VoxelSpacing(?P<vs>\d+\.\d{{3}})"
STEM = r"(?P<stem>[0-9a-z_]+-[^/]*\d)"
# Every file of the canonical tree, by pattern (zarr folders are matched by their top-level name).
TREE_PATTERNS = {
    "deposition": r"depositions_metadata/(?P<id>\d+)/deposition_metadata\.json",
    "deposition_image": r"depositions_metadata/\d+/Images/(snapshot|thumbnail)\.png",
    "dataset": r"(?P<dataset>[^/]+)/dataset_metadata\.json",
    "dataset_image": r"[^/]+/Images/(snapshot|thumbnail)\.png",
    "run": rf"{RUN}/run_metadata\.json",
    "tiltseries": rf"{RUN}/TiltSeries/{ID}/tiltseries_metadata\.json",
    "tiltseries_data": rf"{RUN}/TiltSeries/{ID}/(?P=run)\.(mrc|zarr|rawtlt)",
    "alignment": rf"{RUN}/Alignments/{ID}/alignment_metadata\.json",
    "collection_metadata": rf"{RUN}/Frames/[^/]+\.mdoc",
    "frames": rf"{RUN}/Frames/frames_metadata\.json",
    "gain": rf"{RUN}/Gains/[^/]+",
    "tomogram": rf"{VS}/Tomograms/{ID}/tomogram_metadata\.json",
    "tomogram_data": rf"{VS}/Tomograms/{ID}/(?P=run)\.(mrc|zarr)",
    "key_photo": rf"{VS}/Images/{ID}/key-photo-(original|snapshot|thumbnail|expanded)\.png",
    "neuroglancer": rf"{VS}/NeuroglancerPrecompute/{ID}-neuroglancer_config\.json",
    "precomputed": rf"{VS}/NeuroglancerPrecompute/\d+-{STEM}_(point|orientedpoint|instancesegmentation)/"
    r"(info|spatial0/0_0_0|by_id/0\.shard)",
    "precomputed_segmentation": rf"{VS}/NeuroglancerPrecompute/\d+-{STEM}_segmentationmask/"
    r"(info|data/\d+-\d+_\d+-\d+_\d+-\d+|mesh/(info|\d+:0|\d+:0:0))",
    "annotation": rf"{VS}/Annotations/{ID}/{STEM}\.json",
    "annotation_points": rf"{VS}/Annotations/{ID}/{STEM}_(point|orientedpoint|instancesegmentation)\.ndjson",
    "annotation_mask": rf"{VS}/Annotations/{ID}/{STEM}_(segmentationmask|instancesegmentationmask)\.(mrc|zarr)",
}
PATH_FIELDS = {"mrc_file", "omezarr_dir", "alignment_metadata_path", "neuroglancer_config_path", "tiltseries_path"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example generated and ingested once (serially, fixed timestamp); the output root."""
    root = tmp_path_factory.mktemp("contract")
    write_example(root / "example")
    args = ["deposition", str(root / "example/example.yaml"), "--output", str(root / "out"), "--workers", "1"]
    result = CliRunner().invoke(main, [*args, "--timestamp", str(TIMESTAMP)])
    assert result.exit_code == 0, result.output
    return root / "out"


def entries(tree: Path) -> list[str]:
    """Every file of the canonical tree (zarr folders as one entry), relative to the root."""
    found = []
    for path in sorted(tree.rglob("*")):
        key = path.relative_to(tree).as_posix()
        if key.startswith(".ingest") or ".zarr/" in key:
            continue
        if path.is_file() or key.endswith(".zarr"):
            found.append(key)
    return found


def kind_of(key: str) -> tuple[str, re.Match[str]] | None:
    for kind, pattern in TREE_PATTERNS.items():
        match = re.fullmatch(pattern, key)
        if match:
            return kind, match
    return None


def documents(tree: Path, kind: str) -> Iterator[tuple[str, re.Match[str], dict[str, Any]]]:
    """Every metadata file of ``kind``: its key, the match of its path and its JSON object."""
    for key in entries(tree):
        found = kind_of(key)
        if found is not None and found[0] == kind:
            yield key, found[1], json.loads((tree / key).read_text())


def every_document(tree: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in entries(tree):
        if key.endswith(".json"):
            yield key, json.loads((tree / key).read_text())


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted path, value) pair of a JSON value, containers included."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def test_every_file_is_in_its_canonical_place(tree: Path) -> None:
    stray = [key for key in entries(tree) if kind_of(key) is None]
    assert not stray
    kinds = {found[0] for key in entries(tree) if (found := kind_of(key))}
    assert {"deposition", "dataset", "run", "tiltseries", "alignment", "tomogram", "annotation"} <= kinds


def test_ids_start_at_100_and_are_contiguous_in_their_container(tree: Path) -> None:
    containers: dict[str, set[int]] = {}
    for key in entries(tree):
        found = kind_of(key)
        if found is None or "id" not in found[1].groupdict() or found[0] in {"deposition"}:
            continue
        container = key[: found[1].start("id")]
        if found[0].startswith("tomogram") or found[0] in {"key_photo", "neuroglancer"}:
            # tomogram ids (and the key images named by them) count per run, across its voxel spacings
            container = container.split("/Reconstructions/")[0] + "/ (tomograms)"
        containers.setdefault(container, set()).add(int(found[1]["id"]))
    assert containers
    for container, ids in containers.items():
        assert sorted(ids) == list(range(100, 100 + len(ids))), container


def test_voxel_spacing_folder_is_the_tomogram_spacing_with_three_decimals(tree: Path) -> None:
    for key, match, document in documents(tree, "tomogram"):
        assert match["vs"] == f"{document['voxel_spacing']:.3f}", key


def test_annotation_file_names_follow_the_slug_and_version(tree: Path) -> None:
    seen = 0
    for key, match, document in documents(tree, "annotation"):
        obj = document["annotation_object"]
        expected = f"{annotation_slug(obj['name'], obj.get('description'))}-{document['version']}"
        assert match["stem"] == expected, key
        assert re.search(r"\d\.json$", key), key
        for entry in document["files"]:
            name = entry["path"].rsplit("/", 1)[-1]
            assert name.startswith(f"{expected}_{entry['shape'].lower()}."), entry
            assert name.endswith("." + entry["format"]), entry
            seen += 1
    assert seen


def test_dates_are_plain_iso_days(tree: Path) -> None:
    dates = 0
    for key, document in every_document(tree):
        for path, value in walk(document):
            if path.endswith("_date"):
                assert isinstance(value, str) and DATE.fullmatch(value), (key, path, value)
                dates += 1
    assert dates


def test_nested_fields_are_objects_at_every_level(tree: Path) -> None:
    for key, document in every_document(tree):
        for path, value in walk(document):
            if isinstance(value, dict):
                assert not any("." in name for name in value), (key, path, sorted(value))
        for field in ("size", "offset", "dates", "annotation_object", "volume_offset", "volume_dimension"):
            if field in document:
                assert isinstance(document[field], dict), (key, field)
        for field in ("scales", "authors", "files"):
            if field in document:
                assert isinstance(document[field], list), (key, field)
        for scale in document.get("scales", []):
            assert set(scale) == {"x", "y", "z"}, key
        for author in document.get("authors", []):
            assert isinstance(author, dict) and isinstance(author["name"], str), key


def test_every_document_has_the_timestamp_and_deterministic_bytes(tree: Path) -> None:
    for key, document in every_document(tree):
        assert document["last_updated_at"] == TIMESTAMP, key
        text = (tree / key).read_text()
        assert text == json.dumps(document, indent=2, sort_keys=True) + "\n", key


def test_deposition_has_what_the_importer_reads(tree: Path) -> None:
    found = list(documents(tree, "deposition"))
    assert len(found) == 1
    _, match, document = found[0]
    for field in ("deposition_title", "deposition_description", "dates", "deposition_identifier", "authors"):
        assert field in document, field
    assert set(document["dates"]) == {"deposition_date", "release_date", "last_modified_date"}
    assert document["deposition_id"] == document["deposition_identifier"] == int(match["id"])
    assert all(author.get("name") for author in document["authors"])
    assert set(document["deposition_types"]) <= {item.value for item in DepositionTypeEnum}


def test_dataset_has_what_the_importer_reads(tree: Path) -> None:
    found = list(documents(tree, "dataset"))
    assert found
    for key, match, document in found:
        for field in ("dataset_title", "dataset_description", "dates", "dataset_identifier", "sample_type"):
            assert field in document, (key, field)
        assert str(document["dataset_identifier"]) == match["dataset"]
        assert set(document["dates"]) == {"deposition_date", "release_date", "last_modified_date"}
        assert document["sample_type"] in {item.value for item in SampleTypeEnum}
        assert (tree / f"depositions_metadata/{document['deposition_id']}/deposition_metadata.json").is_file()


@pytest.mark.parametrize("kind", ["deposition", "dataset"])
def test_key_photos_given_as_files_are_copied_into_images(tree: Path, kind: str) -> None:
    for key, _, document in documents(tree, kind):
        photos = document["key_photos"]
        folder = key.rsplit("/", 1)[0]
        assert photos == {"snapshot": f"{folder}/Images/snapshot.png", "thumbnail": f"{folder}/Images/thumbnail.png"}
        for path in photos.values():
            assert (tree / path).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), path


def test_every_run_folder_holds_its_run_metadata(tree: Path) -> None:
    runs = list(documents(tree, "run"))
    assert len(runs) == 2
    for key, match, document in runs:
        assert document["run_name"] == match["run"], key
    for dataset in {m["dataset"] for _, m, _ in runs}:
        folders = [p.name for p in (tree / dataset).iterdir() if p.is_dir() and p.name != "Images"]
        assert sorted(folders) == sorted(m["run"] for _, m, _ in runs if m["dataset"] == dataset)


def zarr_shapes(tree: Path, key: str) -> list[list[int]]:
    attrs = json.loads((tree / key / ".zattrs").read_text())
    paths = [item["path"] for item in attrs["multiscales"][0]["datasets"]]
    return [json.loads((tree / key / path / ".zarray").read_text())["shape"] for path in paths]


def mrc_shape(tree: Path, key: str) -> list[int]:
    with mrcfile.open(tree / key, header_only=True, permissive=True) as mrc:
        header = mrc.header
        return [int(header.nz), int(header.ny), int(header.nx)]


def test_tomograms_have_what_the_importer_reads(tree: Path) -> None:
    found = list(documents(tree, "tomogram"))
    assert len(found) == 4
    for key, match, document in found:
        for field in ("run_name", "voxel_spacing", "processing", "offset", "deposition_id", "authors"):
            assert field in document, (key, field)
        assert document["run_name"] == match["run"]
        assert document["alignment_metadata_path"] is not None
        assert (tree / document["alignment_metadata_path"]).is_file()
        assert len(document["scales"]) == 3
        assert set(document["offset"]) == {"x", "y", "z"}
        assert document["processing"] in {item.value for item in TomogramProcessingEnum}
        assert document["reconstruction_method"] in {item.value for item in TomogramReconstructionMethodEnum}
        assert document["fiducial_alignment_status"] in {item.value for item in FiducialAlignmentStatusEnum}
        if "key_photo" in document:
            assert set(document["key_photo"]) >= {"snapshot", "thumbnail"}
        if "neuroglancer_config_path" in document:
            assert (tree / document["neuroglancer_config_path"]).is_file()


@pytest.mark.parametrize("kind", ["tomogram", "tiltseries"])
def test_sizes_and_scales_are_those_of_the_written_volumes(tree: Path, kind: str) -> None:
    for key, _, document in documents(tree, kind):
        shapes = zarr_shapes(tree, document["omezarr_dir"])
        assert [[s["z"], s["y"], s["x"]] for s in document["scales"]] == shapes, key
        size = document["size"]
        assert [size["z"], size["y"], size["x"]] == shapes[0] == mrc_shape(tree, document["mrc_file"]), key


def test_metadata_paths_are_relative_to_the_output_root_and_exist(tree: Path) -> None:
    checked = 0
    for key, document in every_document(tree):
        dataset = key.split("/", 1)[0]
        values = [(f, document[f]) for f in PATH_FIELDS if document.get(f) is not None]
        values += [("files", entry["path"]) for entry in document.get("files", []) if isinstance(entry, dict)]
        values += [(f"{f}.{k}", v) for f in ("key_photo", "key_photos") for k, v in document.get(f, {}).items()]
        for field, value in values:
            assert not value.startswith("/") and "://" not in value and ".." not in value.split("/"), (key, field)
            assert value.split("/", 1)[0] in {dataset, "depositions_metadata"}, (key, field, value)
            assert (tree / value).exists(), (key, field, value)
            checked += 1
    assert checked


def test_default_alignment_is_the_portals_identity_alignment(tree: Path) -> None:
    found = list(documents(tree, "alignment"))
    assert len(found) == 2
    for key, match, document in found:
        assert match["id"] == "100"
        assert document["affine_transformation_matrix"] == [[float(i == j) for j in range(4)] for i in range(4)]
        assert document["alignment_type"] == "GLOBAL" and document["alignment_type"] in set(AlignmentTypeEnum)
        assert document["method_type"] == "undefined" and document["method_type"] in set(AlignmentMethodTypeEnum)
        assert document["volume_offset"] == {"x": 0, "y": 0, "z": 0}
        assert document["tilt_offset"] == 0 and document["x_rotation_offset"] == 0
        assert (
            document["tiltseries_path"] == f"{match['dataset']}/{match['run']}/TiltSeries/100/tiltseries_metadata.json"
        )
        run_prefix = f"{match['dataset']}/{match['run']}/"
        tomograms = [d for k, _, d in documents(tree, "tomogram") if k.startswith(run_prefix)]
        first = min(tomograms, key=lambda d: float(d["voxel_spacing"]))
        expected = {axis: first["size"][axis] * first["voxel_spacing"] for axis in "xyz"}
        assert document["volume_dimension"] == pytest.approx(expected), key
        pointing = [d for k, d in every_document(tree) if k.startswith(run_prefix) and "alignment_metadata_path" in d]
        assert pointing and all(d["alignment_metadata_path"] == key for d in pointing)


def test_tiltseries_have_what_the_importer_reads(tree: Path) -> None:
    found = list(documents(tree, "tiltseries"))
    assert len(found) == 2
    for key, match, document in found:
        assert set(document["tilt_range"]) == {"min", "max"}
        assert document["tilt_range"]["min"] <= document["tilt_range"]["max"]
        for field in (
            "acceleration_voltage",
            "spherical_aberration_constant",
            "tilt_step",
            "tilting_scheme",
            "tilt_axis",
            "total_flux",
            "data_acquisition_software",
            "tilt_series_quality",
            "pixel_spacing",
            "deposition_id",
        ):
            assert document.get(field) is not None, (key, field)
        for parent, field in (
            ("microscope", "manufacturer"),
            ("microscope", "model"),
            ("microscope_optical_setup", "energy_filter"),
            ("camera", "manufacturer"),
            ("camera", "model"),
        ):
            assert document[parent][field], (key, parent, field)
        assert document["run_name"] == match["run"]


def ndjson_lines(tree: Path, key: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tree / key).read_text().splitlines()]


def test_annotations_have_what_the_importer_reads(tree: Path) -> None:
    found = list(documents(tree, "annotation"))
    assert len(found) == 6
    for key, _, document in found:
        assert document["annotation_object"]["id"] and document["annotation_object"]["name"]
        for field in ("annotation_method", "method_type", "annotation_ingest_id", "dates", "deposition_id"):
            assert document.get(field) is not None, (key, field)
        assert document["method_type"] in {item.value for item in AnnotationMethodTypeEnum}
        assert document["files"] and document["alignment_metadata_path"]
        for entry in document["files"]:
            assert entry["shape"] in {item.value for item in AnnotationFileShapeEnum}, entry
            assert entry["format"] in {item.value for item in AnnotationFileFormatEnum}, entry


def test_object_count_is_the_number_of_points_or_zero_for_a_semantic_mask(tree: Path) -> None:
    for key, _, document in documents(tree, "annotation"):
        counts = []
        for entry in document["files"]:
            if entry["format"] == "ndjson":
                counts.append(len(ndjson_lines(tree, entry["path"])))
            elif entry["shape"] == "SegmentationMask":
                counts.append(0)  # what the portal's importer fills for a mask
        assert document["object_count"] == max(counts), key


MODELS = {
    "deposition": mf.DepositionMetadataFile,
    "dataset": mf.DatasetMetadataFile,
    "run": mf.RunMetadataFile,
    "tiltseries": mf.TiltSeriesMetadataFile,
    "alignment": mf.AlignmentMetadataFile,
    "tomogram": mf.TomogramMetadataFile,
    "annotation": mf.AnnotationMetadataFile,
}


def test_every_metadata_file_validates_against_its_model(tree: Path) -> None:
    checked = 0
    for kind, model in MODELS.items():
        for _, _, document in documents(tree, kind):
            model.model_validate(document)
            checked += 1
    assert checked == 1 + 1 + 2 + 2 + 2 + 4 + 6


def test_alignments_rewritten_alone_keep_their_computed_fields(tree: Path, tmp_path: Path) -> None:
    copy = tmp_path / "out"
    shutil.copytree(tree, copy)
    config = tree.parent / "example/example.yaml"
    args = ["deposition", str(config), "--output", str(copy), "--workers", "1", "--only", "alignments"]
    result = CliRunner().invoke(main, [*args, "--overwrite", "--timestamp", str(TIMESTAMP)])
    assert result.exit_code == 0, result.output
    keys = [key for key, _, _ in documents(tree, "alignment")]
    assert keys
    for key in keys:
        assert (copy / key).read_bytes() == (tree / key).read_bytes(), key
