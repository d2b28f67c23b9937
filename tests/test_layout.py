"""Golden output keys of the canonical layout, slugs and safe names."""

from __future__ import annotations

import pytest

from ingest.domain.entities import (
    Alignment,
    Annotation,
    AnnotationFile,
    Dataset,
    Deposition,
    Run,
    Shape,
    TiltSeries,
    Tomogram,
    VoxelSpacing,
    annotation_slug,
    format_version,
)
from ingest.domain.layout import DEFAULT_LAYOUT
from ingest.errors import PlanError

RUN = Run(Dataset("10001"), "TS_026")
VS = VoxelSpacing(RUN, 13.48)
TOMO = Tomogram(VS, 100)
ANN = Annotation(VS, 101, "cytosolic_ribosome", "1.0")


def test_canonical_keys_are_golden() -> None:
    layout = DEFAULT_LAYOUT
    assert layout.deposition_metadata(Deposition(10300)) == "depositions_metadata/10300/deposition_metadata.json"
    assert layout.deposition_image(Deposition(10300), "snapshot") == "depositions_metadata/10300/Images/snapshot.png"
    assert layout.dataset_metadata(RUN.dataset) == "10001/dataset_metadata.json"
    assert layout.dataset_image(RUN.dataset, "thumbnail") == "10001/Images/thumbnail.png"
    assert layout.run_metadata(RUN) == "10001/TS_026/run_metadata.json"
    ts = TiltSeries(RUN, 100)
    assert layout.tiltseries_mrc(ts) == "10001/TS_026/TiltSeries/100/TS_026.mrc"
    assert layout.tiltseries_zarr(ts) == "10001/TS_026/TiltSeries/100/TS_026.zarr"
    assert layout.tiltseries_rawtlt(ts) == "10001/TS_026/TiltSeries/100/TS_026.rawtlt"
    assert layout.tiltseries_metadata(ts) == "10001/TS_026/TiltSeries/100/tiltseries_metadata.json"
    alignment = Alignment(RUN, 100)
    assert layout.alignment_metadata(alignment) == "10001/TS_026/Alignments/100/alignment_metadata.json"
    assert layout.alignment_file(alignment, ".xf") == "10001/TS_026/Alignments/100/TS_026.xf"
    vs_dir = "10001/TS_026/Reconstructions/VoxelSpacing13.480"
    assert layout.voxel_spacing_dir(VS) == vs_dir
    assert layout.tomogram_mrc(TOMO) == f"{vs_dir}/Tomograms/100/TS_026.mrc"
    assert layout.tomogram_zarr(TOMO) == f"{vs_dir}/Tomograms/100/TS_026.zarr"
    assert layout.tomogram_metadata(TOMO) == f"{vs_dir}/Tomograms/100/tomogram_metadata.json"
    assert layout.key_photo(TOMO, "snapshot") == f"{vs_dir}/Images/100/key-photo-snapshot.png"
    assert layout.neuroglancer_config(TOMO) == f"{vs_dir}/NeuroglancerPrecompute/100-neuroglancer_config.json"
    former = (f"{vs_dir}/NeuroglancerPrecompute/100/neuroglancer_config.json",)
    assert layout.former_neuroglancer_configs(TOMO) == former
    assert layout.annotation_metadata(ANN) == f"{vs_dir}/Annotations/101/cytosolic_ribosome-1.0.json"


@pytest.mark.parametrize(
    ("shape", "file_format", "name"),
    [
        (Shape.POINT, "ndjson", "cytosolic_ribosome-1.0_point.ndjson"),
        (Shape.ORIENTED_POINT, "ndjson", "cytosolic_ribosome-1.0_orientedpoint.ndjson"),
        (Shape.INSTANCE_SEGMENTATION, "ndjson", "cytosolic_ribosome-1.0_instancesegmentation.ndjson"),
        (Shape.SEGMENTATION_MASK, "mrc", "cytosolic_ribosome-1.0_segmentationmask.mrc"),
        (Shape.SEMANTIC_SEGMENTATION_MASK, "zarr", "cytosolic_ribosome-1.0_segmentationmask.zarr"),
        (Shape.INSTANCE_SEGMENTATION_MASK, "mrc", "cytosolic_ribosome-1.0_instancesegmentationmask.mrc"),
    ],
)
def test_annotation_file_names_end_with_shape_suffix(shape: Shape, file_format: str, name: str) -> None:
    key = DEFAULT_LAYOUT.annotation_file(AnnotationFile(ANN, shape, file_format))
    assert key == f"10001/TS_026/Reconstructions/VoxelSpacing13.480/Annotations/101/{name}"


def test_voxel_spacing_is_rounded_to_three_decimals() -> None:
    assert VoxelSpacing(RUN, 13.4801).name == "13.480"
    assert VoxelSpacing(RUN, 13.4801) == VoxelSpacing(RUN, 13.48)
    assert VoxelSpacing(RUN, 7.0).name == "7.000"


def test_non_positive_voxel_spacing_is_refused() -> None:
    with pytest.raises(PlanError, match="voxel spacing"):
        VoxelSpacing(RUN, 0.0)


@pytest.mark.parametrize(
    ("name", "description", "slug"),
    [
        ("cytosolic ribosome", None, "cytosolic_ribosome"),
        ("Golgi apparatus", "", "golgi_apparatus"),
        ("membrane", "Lipid bilayer, inner", "lipid_bilayer__inner"),
        ("membrane", "x" * 51, "membrane"),
        ("fatty-acid Synthase", None, "fatty_acid_synthase"),
    ],
)
def test_slug_uses_short_description_else_name(name: str, description: str | None, slug: str) -> None:
    assert annotation_slug(name, description) == slug


def test_version_numbers_format_as_floats() -> None:
    assert format_version(1) == "1.0"
    assert format_version(1.5) == "1.5"
    assert format_version("2.0") == "2.0"


@pytest.mark.parametrize("name", ["..", ".", "", "/abs", "a/b", "a\\b", "../x", " run", "run\n"])
def test_unsafe_run_names_are_refused(name: str) -> None:
    with pytest.raises(PlanError, match="unsafe run name"):
        Run(Dataset("10001"), name)


@pytest.mark.parametrize("name", ["..", "/etc", "a/b"])
def test_unsafe_dataset_names_are_refused(name: str) -> None:
    with pytest.raises(PlanError, match="unsafe dataset name"):
        Dataset(name)


def test_negative_ids_are_refused() -> None:
    with pytest.raises(PlanError, match="tomogram id"):
        Tomogram(VS, -1)


def test_the_checker_places_every_key_the_layout_writes() -> None:
    """The checker's patterns come from the layout: each written key gets its role and its names back."""
    from ingest.domain.tree_roles import CANONICAL, Role

    layout = DEFAULT_LAYOUT
    ts, alignment = TiltSeries(RUN, 100), Alignment(RUN, 100)
    point = AnnotationFile(ANN, Shape.POINT, "ndjson")
    written = {
        layout.deposition_metadata(Deposition(10300)): Role.DEPOSITION_METADATA,
        layout.dataset_image(RUN.dataset, "thumbnail"): Role.DATASET_IMAGE,
        layout.run_metadata(RUN): Role.RUN_METADATA,
        layout.tiltseries_rawtlt(ts): Role.TILTSERIES_FILE,
        layout.tiltseries_zarr(ts) + "/0/zarr.json": Role.TILTSERIES_FILE,
        layout.alignment_file(alignment, ".xf"): Role.ALIGNMENT_FILE,
        layout.collection_metadata(RUN): Role.FRAMES_FILE,
        layout.gains_copy(RUN, "gain.dm4"): Role.GAINS_FILE,
        layout.tomogram_mrc(TOMO): Role.TOMOGRAM_FILE,
        layout.tomogram_metadata(TOMO): Role.TOMOGRAM_METADATA,
        layout.key_photo(TOMO, "expanded"): Role.KEY_PHOTO,
        layout.neuroglancer_config(TOMO): Role.NEUROGLANCER_STATE,
        **dict.fromkeys(layout.former_neuroglancer_configs(TOMO), Role.NEUROGLANCER_STATE),
        layout.neuroglancer_precomputed(point) + "/info": Role.NEUROGLANCER,
        layout.annotation_metadata(ANN): Role.ANNOTATION_METADATA,
        layout.annotation_file(point): Role.ANNOTATION_FILE,
        layout.annotation_file(AnnotationFile(ANN, Shape.INSTANCE_SEGMENTATION_MASK, "zarr")) + "/zarr.json": (
            Role.ANNOTATION_FILE
        ),
    }
    for key, role in written.items():
        placed = CANONICAL.place(key)
        assert placed is not None and placed.role is role, key
        if placed.run is not None:
            assert (placed.dataset, placed.run) == ("10001", "TS_026"), key
    assert CANONICAL.place(layout.tomogram_mrc(TOMO).replace("TS_026.mrc", "other.mrc")) is None
    placed = CANONICAL.place(layout.annotation_file(point))
    assert placed is not None and (placed.voxel_spacing, placed.entity_id) == ("13.480", "101")
