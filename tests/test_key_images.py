"""Key images: the pure drawing (projection, overlays, crop, sizes), the slab reader (only the chunks the central slab
touches, zarr 2 and 3) and the example ingested with them (metadata, --only key_images, re-ingestion)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import mrcfile
import numpy as np
import pytest
from PIL import Image

from ingest.converters.viewers.key_image import (
    MaskOverlay,
    PointOverlay,
    compose_preview,
    crop_4_3,
    grey_projection,
    key_images,
)
from ingest.converters.volumes.convert import convert_volume
from ingest.converters.volumes.ome_zarr import NgffVersion
from ingest.domain.viewers import PALETTE
from ingest.pipeline.example import write_example
from ingest.pipeline.zarr_slab import choose_level, read_central_slab, read_levels
from ingest.storage.base import open_storage
from tests.ingest_cli import ingest, run_counts

VS10 = "90001/TS_001/Reconstructions/VoxelSpacing10.000"


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        return image.size


def test_projection_is_clipped_to_three_sigma_and_scaled() -> None:
    slab = np.zeros((4, 20, 20), dtype=np.float32)
    slab[:, 0, 0] = 1000.0  # one outlier: clipped at mean + 3 sigma, so it is the only white pixel
    grey = grey_projection(slab)
    assert grey.max() == pytest.approx(255.0) and grey[0, 0] == pytest.approx(255.0)
    background = np.delete(grey.ravel(), 0)
    assert np.ptp(background) == 0 and 0 < background[0] < 255  # mean - 3 sigma is below the background
    ramp = grey_projection(np.linspace(0, 1, 100, dtype=np.float32).reshape(1, 10, 10))
    assert ramp.min() > 0 and ramp.max() < 255  # within 3 sigma: scaled, not clipped
    assert not grey_projection(np.zeros((2, 3, 3))).any()  # a flat slab is black, not NaN


def test_taller_images_are_turned_and_cropped_to_4_3() -> None:
    tall = np.zeros((400, 100, 3), dtype=np.uint8)
    tall[:, :10] = 255  # the left edge becomes the bottom edge after a counter-clockwise quarter turn
    cropped = crop_4_3(tall)
    assert cropped.shape == (75, 100, 3)
    wide = crop_4_3(np.zeros((200, 300, 3), dtype=np.uint8))
    assert wide.shape == (150, 200, 3)


def test_four_images_at_the_portal_widths() -> None:
    preview = np.full((200, 300, 3), 90, dtype=np.uint8)
    images = key_images(preview, tomogram_width=600)
    assert list(images) == ["original", "thumbnail", "snapshot", "expanded"]
    sizes = {kind: size_of(data) for kind, data in images.items()}
    assert sizes == {"original": (600, 400), "thumbnail": (134, 100), "snapshot": (512, 384), "expanded": (1024, 768)}
    assert key_images(preview, tomogram_width=600) == images  # deterministic bytes


def test_points_in_the_slab_and_masks_are_drawn_in_their_colours() -> None:
    slab = np.zeros((4, 64, 64), dtype=np.float32)
    inside = PointOverlay(PALETTE[0], np.array([[20.0, 30.0, 5.0]]))
    behind = PointOverlay(PALETTE[1], np.array([[40.0, 10.0, 50.0]]))  # z outside the slab: not drawn
    mask = np.zeros((4, 64, 64), dtype=np.int8)
    mask[1, 50:60, 5:15] = 1
    preview = compose_preview(
        slab,
        factor=1,
        z_range=(0, 8),
        tomogram_width=2000,
        points=[inside, behind],
        masks=[MaskOverlay(PALETTE[2], mask)],
    )
    assert preview.shape == (64, 64, 3)
    assert tuple(preview[30, 20]) == tuple(round(0.8 * c) for c in PALETTE[0])
    assert not preview[5:15, 35:45].any()
    assert tuple(preview[55, 10]) == tuple(round(0.1 * c) for c in PALETTE[2])


@pytest.mark.parametrize("ngff", [NgffVersion.V04, NgffVersion.V05])
def test_slab_reader_reads_only_the_chunks_of_the_central_slab(tmp_path: Path, ngff: NgffVersion) -> None:
    data = np.random.default_rng(1).normal(size=(600, 64, 48)).astype(np.float32)
    with mrcfile.new(tmp_path / "v.mrc") as mrc:
        mrc.set_data(data)
    convert_volume(tmp_path / "v.mrc", tmp_path / "t/v.zarr", voxel_spacing=10.0, ngff=ngff, workers=1)
    storage = open_storage(str(tmp_path / "t"))
    levels = read_levels(storage, "v.zarr")
    assert [level.shape for level in levels] == [(600, 64, 48), (300, 32, 24), (150, 16, 12)]
    assert choose_level(levels, 512) == 0 and choose_level(levels, 24) == 1 and choose_level(levels, 12) == 2
    slab = read_central_slab(storage, "v.zarr", depth=40)
    assert slab.level == 0 and slab.factor == 1 and slab.z_range == (280, 320)
    np.testing.assert_array_equal(slab.data, data[280:320])
    layer = [key for key in storage.list_keys("v.zarr/0") if key.split("/")[-3] == "1"]  # z chunk 1 of 256³
    assert layer and slab.bytes_read == sum(storage.size(key) for key in layer)
    level0 = [key for key in storage.list_keys("v.zarr/0") if key.rsplit("/", 1)[-1][0].isdigit()]
    assert slab.bytes_read < sum(storage.size(key) for key in level0) / 2
    coarse = read_central_slab(storage, "v.zarr", depth=40, min_pixels=24)
    assert coarse.level == 1 and coarse.factor == 2 and coarse.z_range == (280, 320) and coarse.data.shape[0] == 20


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("keyimages")
    write_example(root / "example")
    report = ingest(root / "example/example.yaml", root / "out")
    assert report["ok"] is True
    return root / "example", root / "out"


def test_every_tomogram_has_its_four_key_images_named_in_its_metadata(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    metadata_files = sorted(out.glob("*/*/Reconstructions/*/Tomograms/*/tomogram_metadata.json"))
    assert len(metadata_files) == 4
    for path in metadata_files:
        tomogram = json.loads(path.read_text())
        vs_folder = path.parents[2].relative_to(out).as_posix()
        folder = f"{vs_folder}/Images/{path.parent.name}"
        assert tomogram["key_photo"] == {
            "snapshot": f"{folder}/key-photo-snapshot.png",
            "thumbnail": f"{folder}/key-photo-thumbnail.png",
        }
        kinds = ("original", "thumbnail", "snapshot", "expanded")
        sizes = {kind: size_of((out / folder / f"key-photo-{kind}.png").read_bytes()) for kind in kinds}
        width = tomogram["size"]["x"]
        assert sizes["original"][0] == width
        assert sizes["thumbnail"] == (134, 100) and sizes["snapshot"] == (512, 384) and sizes["expanded"] == (1024, 768)


def test_default_points_are_drawn_over_the_key_image(ingested: tuple[Path, Path]) -> None:
    _, out = ingested
    image = np.asarray(Image.open(out / VS10 / "Images/100/key-photo-original.png")).astype(int)
    blue = image[..., 2] - image[..., 0] > 60  # the ribosome picks, in the first colour (blue) at alpha 0.8
    assert 0 < blue.mean() < 0.1
    bare = np.asarray(compose_preview(np.ones((2, 8, 8)), factor=1, z_range=(0, 2), tomogram_width=8))
    assert not (bare[..., 2] - bare[..., 0] > 60).any()


def test_only_key_images_restores_a_deleted_image(ingested: tuple[Path, Path], tmp_path: Path) -> None:
    example, out = ingested
    tree = Path(shutil.copytree(out, tmp_path / "copy"))
    image = tree / VS10 / "Images/100/key-photo-snapshot.png"
    before = image.read_bytes()
    image.unlink()
    report = ingest(example / "example.yaml", tree, "--only", "key_images", "--run", "TS_001")
    assert run_counts(report) == {"90001/TS_001": (1, 1, None)}
    assert image.read_bytes() == before
    again = ingest(example / "example.yaml", tree)
    assert all(run["written"] == 0 for run in again["runs"])


def without_dataset_keyphotos(text: str, replacement: str = "") -> str:
    start = text.index("dataset_keyphotos:")
    end = text.index("\n\n", start) + 2
    return text[:start] + replacement + text[end:]


@pytest.mark.parametrize("given", ["none", "snapshot null"])
def test_dataset_images_fall_back_to_the_first_tomogram_key_images(tmp_path: Path, given: str) -> None:
    write_example(tmp_path / "example")
    config = tmp_path / "example/example.yaml"
    text = config.read_text()
    if given == "none":
        config.write_text(without_dataset_keyphotos(text))
    else:
        literal = "dataset_keyphotos:\n- sources:\n  - literal:\n      value:\n        snapshot: null\n        thumbnail: keyphotos/thumbnail.png\n\n"  # noqa: E501
        config.write_text(without_dataset_keyphotos(text, literal))
    report = ingest(config, tmp_path / "out")
    assert report["ok"] is True
    out = tmp_path / "out"
    dataset = json.loads((out / "90001/dataset_metadata.json").read_text())
    assert dataset["key_photos"] == {"snapshot": "90001/Images/snapshot.png", "thumbnail": "90001/Images/thumbnail.png"}
    first = out / VS10 / "Images/100"
    assert (out / "90001/Images/snapshot.png").read_bytes() == (first / "key-photo-snapshot.png").read_bytes()
    thumbnail = (out / "90001/Images/thumbnail.png").read_bytes()
    if given == "none":
        assert thumbnail == (first / "key-photo-thumbnail.png").read_bytes()
    else:
        assert thumbnail == next((tmp_path / "example").rglob("keyphotos/thumbnail.png")).read_bytes()
    again = ingest(config, tmp_path / "out")
    assert again["deposition_level"]["written"] == 0 and all(run["written"] == 0 for run in again["runs"])
