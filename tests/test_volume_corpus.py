"""Every reference MRC, mask and OME-Zarr converts; outputs validate with ome-zarr-models and open with ome-zarr-py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydantic_zarr.v2
import pytest
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
from ome_zarr_models import v04, v05

from ingest.converters.volumes.convert import NgffVersion, VolumeKind, convert_volume, open_volume
from ingest.converters.volumes.masks import MaskThreshold
from ingest.errors import InputFileError

TOMOGRAMS = [
    "cylindra_beta-tubulin.mrc",
    "mrcfile_EMD-3001.map",
    "mrcfile_EMD-3197.map",
    "mrcfile_float16_relion.mrc",
    "portal_signed_ints.mrc",
    "portal_unsigned_ints.mrc",
]
# ome-zarr-models 1.6 with pydantic 2.14 leaves its v0.4 models "not fully defined" until rebuilt with the
# pydantic-zarr names they refer to.
for _model in (v04.Image, v04.ImageLabel):
    _model.model_rebuild(
        _types_namespace={"ArraySpec": pydantic_zarr.v2.ArraySpec, "GroupSpec": pydantic_zarr.v2.GroupSpec}
    )

MASKS = ["portal_segmask.mrc", "portal_semantic_mask.mrc", "portal_small_semantic_mask.mrc"]
PROBABILITY_MAPS = ["portal_large_probability_map.mrc", "portal_small_probability_map.mrc"]


def check_output(zarr_path: Path, ngff: NgffVersion, kind: VolumeKind) -> None:
    group = zarr.open_group(str(zarr_path), mode="r")
    models = v04 if ngff is NgffVersion.V04 else v05
    model = models.ImageLabel if kind is VolumeKind.INSTANCE_MASK else models.Image
    model.from_zarr(group)
    fmt = None
    if ngff is NgffVersion.V04:
        from ome_zarr.format import FormatV04

        fmt = FormatV04()
    location = parse_url(str(zarr_path), fmt=fmt) if fmt else parse_url(str(zarr_path))
    assert location is not None
    nodes = list(Reader(location)())
    assert len(nodes[0].data) == 3
    assert np.array_equal(np.asarray(nodes[0].data[0]), group["0"][...])


@pytest.mark.corpus
@pytest.mark.parametrize("ngff", [NgffVersion.V04, NgffVersion.V05])
@pytest.mark.parametrize("name", TOMOGRAMS)
def test_reference_mrc_converts_and_validates(corpus: Path, tmp_path: Path, name: str, ngff: NgffVersion) -> None:
    source = corpus / "mrc" / name
    _, info = open_volume(source)
    result = convert_volume(source, tmp_path / "t.zarr", voxel_spacing=7.0, ngff=ngff, mrc_out=tmp_path / "t.mrc")
    assert result.shape == info.shape
    check_output(tmp_path / "t.zarr", ngff, VolumeKind.TOMOGRAM)


@pytest.mark.corpus
def test_unsigned_mode0_is_read_as_uint8(corpus: Path, tmp_path: Path) -> None:
    result = convert_volume(corpus / "mrc" / "portal_unsigned_ints.mrc", tmp_path / "u.zarr", voxel_spacing=1.0)
    assert (result.stats.min, result.stats.max) == (0.0, 255.0)
    assert any("unsigned" in warning for warning in result.warnings)


@pytest.mark.corpus
def test_reference_tilt_series_stub_converts(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "mrc" / "etomofiles_TS_001.st"
    result = convert_volume(source, tmp_path / "ts.zarr", voxel_spacing=2.0, kind=VolumeKind.TILTSERIES)
    assert [lv.shape for lv in result.levels] == [(40, 1, 1)] * 3
    check_output(tmp_path / "ts.zarr", NgffVersion.V04, VolumeKind.TILTSERIES)


@pytest.mark.corpus
@pytest.mark.parametrize("ngff", [NgffVersion.V04, NgffVersion.V05])
@pytest.mark.parametrize("name", MASKS + PROBABILITY_MAPS)
def test_reference_masks_convert_both_kinds(corpus: Path, tmp_path: Path, name: str, ngff: NgffVersion) -> None:
    source = corpus / "annotations" / "mrc-masks" / name
    rule = MaskThreshold(0.5) if name in PROBABILITY_MAPS else None
    convert_volume(source, tmp_path / "s.zarr", voxel_spacing=3.0, kind=VolumeKind.SEMANTIC_MASK, mask=rule, ngff=ngff)
    check_output(tmp_path / "s.zarr", ngff, VolumeKind.SEMANTIC_MASK)
    if name in MASKS:
        result = convert_volume(
            source, tmp_path / "i.zarr", voxel_spacing=3.0, kind=VolumeKind.INSTANCE_MASK, ngff=ngff
        )
        assert result.object_count >= 1
        check_output(tmp_path / "i.zarr", ngff, VolumeKind.INSTANCE_MASK)
    else:
        with pytest.raises(InputFileError, match="non-integer"):
            convert_volume(source, tmp_path / "p.zarr", voxel_spacing=3.0, kind=VolumeKind.INSTANCE_MASK)


@pytest.mark.corpus
@pytest.mark.parametrize("ngff", [NgffVersion.V04, NgffVersion.V05])
def test_reference_ome_zarr_converts(corpus: Path, tmp_path: Path, ngff: NgffVersion) -> None:
    source = corpus / "annotations" / "ome-zarr" / "portal_input_omezarr.zarr"
    result = convert_volume(source, tmp_path / "z.zarr", voxel_spacing=14.08, ngff=ngff, mrc_out=tmp_path / "z.mrc")
    assert result.shape == (4, 4, 4) and (result.stats.min, result.stats.max) == (1.0, 4.0)
    assert any("axes listed as x,y,z" in warning for warning in result.warnings)
    check_output(tmp_path / "z.zarr", ngff, VolumeKind.TOMOGRAM)


@pytest.mark.corpus
def test_non_volume_file_in_corpus_fails_clearly(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "mrc" / "SOURCES.md"
    with pytest.raises(InputFileError, match="not an MRC") as caught:
        convert_volume(source, tmp_path / "x.zarr", voxel_spacing=1.0)
    assert str(source) in caught.value.message
    assert list(tmp_path.iterdir()) == []
