"""MRC header and storage variants found in real files, synthesised with mrcfile: each converts right or fails clearly.

Decisions (docs/design.md §4): big-endian files are read in their byte order and written little-endian;
``mapc/mapr/maps`` permutations are honoured by transposing to z, y, x (with a warning); values that are not a
permutation of 1, 2, 3 are read as 1/2/3 with a warning; the caller's voxel spacing always wins (header voxel size
0, a wrong ``cella``, a nonzero origin or ``nxstart`` are all replaced); extended headers of every type are copied
byte for byte; volume stacks of several volumes, 4-bit mode 101, complex and RGB modes, truncated files and
trailing bytes are refused naming the file, leaving no output.
"""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr
from numpy.typing import NDArray
from ome_zarr_models import v05

from ingest.converters.volumes.convert import NgffVersion, VolumeKind, convert_volume, open_volume
from ingest.converters.volumes.masks import MaskLabel, MaskThreshold
from ingest.errors import InputFileError

VOLUME = np.random.default_rng(11).normal(size=(5, 6, 7)).astype(np.float32)
EXTENDED = bytes(range(256)) * 3


def write(path: Path, data: NDArray[np.generic], **header: object) -> Path:
    with mrcfile.new(path, data, overwrite=True) as mrc:
        mrc.voxel_size = 2.0
        for field, value in header.items():
            setattr(mrc.header, field, value)
    return path


def patch_header(path: Path, **fields: object) -> Path:
    """Set raw header fields mrcfile would refuse to write (mode 101, negative nsymbt, no MAP stamp...)."""
    raw = bytearray(path.read_bytes())
    header = np.frombuffer(bytes(raw[:1024]), dtype=mrcfile.dtypes.HEADER_DTYPE).copy()
    for field, value in fields.items():
        header[field] = value
    raw[:1024] = header.tobytes()
    path.write_bytes(bytes(raw))
    return path


def level0(zarr_path: Path) -> NDArray[np.generic]:
    return np.asarray(zarr.open_array(str(zarr_path / "0"), mode="r")[...])


def converted(source: Path, tmp_path: Path, **options: object) -> tuple[NDArray[np.generic], Path, tuple[str, ...]]:
    options = {"voxel_spacing": 3.0, **options}
    result = convert_volume(source, tmp_path / "o.zarr", mrc_out=tmp_path / "o.mrc", **options)  # type: ignore[arg-type]
    data = level0(tmp_path / "o.zarr")
    with mrcfile.open(tmp_path / "o.mrc") as mrc:
        assert mrc.data.dtype.byteorder in ("<", "=", "|"), "canonical MRC must be little-endian"
        assert np.array_equal(mrc.data, data), "canonical MRC and level 0 differ"
    return data, tmp_path / "o.mrc", result.warnings


def refused(source: Path, tmp_path: Path, match: str, **options: object) -> InputFileError:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputFileError, match=match) as caught:
        convert_volume(source, out / "o.zarr", mrc_out=out / "o.mrc", **{"voxel_spacing": 3.0, **options})  # type: ignore[arg-type]
    assert str(source) in caught.value.message
    assert list(out.iterdir()) == [], "partial output was left behind"
    return caught.value


@pytest.mark.parametrize("dtype", [">f4", ">i2", ">u2", ">f2"])
def test_big_endian_source_is_read_in_its_byte_order(tmp_path: Path, dtype: str) -> None:
    values = (np.abs(VOLUME) * 100).astype(dtype)
    data, _, _ = converted(write(tmp_path / "be.mrc", values), tmp_path)
    assert np.array_equal(data, values.astype(np.float32))


def test_big_endian_masks_keep_their_values(tmp_path: Path) -> None:
    labels = (np.arange(VOLUME.size) % 4).reshape(VOLUME.shape).astype(">u2")
    data, _, _ = converted(write(tmp_path / "l.mrc", labels), tmp_path, kind=VolumeKind.INSTANCE_MASK)
    assert data.dtype == np.uint16 and np.array_equal(data, labels)
    probability = write(tmp_path / "p.mrc", (np.abs(VOLUME) / 3).astype(">f4"))
    mask, _, _ = converted(probability, tmp_path, kind=VolumeKind.SEMANTIC_MASK, mask=MaskThreshold(0.2))
    assert np.array_equal(mask, (np.abs(VOLUME) / 3 >= 0.2).astype(np.int8))


@pytest.mark.parametrize(("mapc", "mapr", "maps"), [(3, 2, 1), (2, 1, 3), (1, 3, 2), (3, 1, 2)])
def test_axis_permutation_is_transposed_to_zyx(tmp_path: Path, mapc: int, mapr: int, maps: int) -> None:
    # The file stores sections along `maps`, rows along `mapr`, columns along `mapc` (1 = x, 2 = y, 3 = z).
    axis_of = {3: 0, 2: 1, 1: 2}  # MRC axis number -> position in (z, y, x)
    stored = np.ascontiguousarray(VOLUME.transpose(axis_of[maps], axis_of[mapr], axis_of[mapc]))
    source = write(tmp_path / "perm.mrc", stored, mapc=mapc, mapr=mapr, maps=maps)
    data, mrc_path, notes = converted(source, tmp_path)
    assert np.array_equal(data, VOLUME)
    assert any("transposed to z, y, x" in note for note in notes)
    with mrcfile.open(mrc_path) as mrc:
        assert (int(mrc.header.mapc), int(mrc.header.mapr), int(mrc.header.maps)) == (1, 2, 3)


def test_axis_permutation_streams_masks_too(tmp_path: Path) -> None:
    labels = (np.arange(VOLUME.size) % 3).reshape(VOLUME.shape).astype(np.int16)
    source = write(tmp_path / "perm.mrc", np.ascontiguousarray(labels.transpose(2, 1, 0)), mapc=3, mapr=2, maps=1)
    data, _, _ = converted(source, tmp_path, kind=VolumeKind.INSTANCE_MASK)
    assert np.array_equal(data, labels)


def test_axis_fields_that_are_no_permutation_are_read_as_123_with_a_warning(tmp_path: Path) -> None:
    source = patch_header(write(tmp_path / "zero.mrc", VOLUME), mapc=0, mapr=0, maps=0)
    data, _, notes = converted(source, tmp_path)
    assert np.array_equal(data, VOLUME)
    assert any("not a permutation" in note for note in notes)


@pytest.mark.parametrize("exttyp", [b"FEI1", b"FEI2", b"SERI", b"AGAR", b"CCP4", b"MRCO", b""])
def test_extended_header_is_preserved_byte_for_byte(tmp_path: Path, exttyp: bytes) -> None:
    source = tmp_path / "ext.mrc"
    with mrcfile.new(source, VOLUME, overwrite=True) as mrc:
        mrc.set_extended_header(np.frombuffer(EXTENDED, dtype="V1"))
        mrc.header.exttyp = exttyp
    data, mrc_path, _ = converted(source, tmp_path)
    assert np.array_equal(data, VOLUME)
    with mrcfile.open(mrc_path) as mrc:
        assert mrc.extended_header.tobytes() == EXTENDED and bytes(mrc.header.exttyp).rstrip(b"\0") == exttyp


def test_nsymbt_without_exttyp_skips_the_symmetry_block(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain.mrc", VOLUME).read_bytes()
    source = tmp_path / "sym.mrc"
    source.write_bytes(plain[:1024] + b"\x7f" * 80 + plain[1024:])
    patch_header(source, nsymbt=80, exttyp=b"")
    data, mrc_path, _ = converted(source, tmp_path)
    assert np.array_equal(data, VOLUME)
    with mrcfile.open(mrc_path) as mrc:
        assert int(mrc.header.nsymbt) == 80 and mrc.extended_header.tobytes() == b"\x7f" * 80


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.float32, np.uint16, np.float16])
def test_every_supported_mode_converts_exactly(tmp_path: Path, dtype: type) -> None:
    values = (VOLUME * 10).astype(dtype)
    data, _, _ = converted(write(tmp_path / "m.mrc", values), tmp_path)
    assert np.array_equal(data, values.astype(np.float32))


def test_mode0_is_unsigned_when_dmax_exceeds_127_and_signed_otherwise(tmp_path: Path) -> None:
    raw = (np.arange(VOLUME.size) % 256).astype(np.uint8).reshape(VOLUME.shape)
    unsigned = patch_header(write(tmp_path / "u.mrc", raw.view(np.int8)), dmin=0, dmax=255)
    data, _, notes = converted(unsigned, tmp_path)
    assert np.array_equal(data, raw.astype(np.float32)) and any("unsigned" in n for n in notes)
    signed = write(tmp_path / "s.mrc", raw.view(np.int8))
    data, _, _ = converted(signed, tmp_path)
    assert np.array_equal(data, raw.view(np.int8).astype(np.float32))


def test_missing_map_stamp_and_nversion_0_convert_with_a_warning(tmp_path: Path) -> None:
    source = patch_header(write(tmp_path / "old.mrc", VOLUME), map=b"\0\0\0\0", nversion=0)
    data, _, notes = converted(source, tmp_path)
    assert np.array_equal(data, VOLUME)
    assert any("Map ID string not found" in note for note in notes)


def test_caller_spacing_replaces_zero_voxel_size_wrong_cell_and_origin(tmp_path: Path) -> None:
    source = patch_header(
        write(tmp_path / "odd.mrc", VOLUME),
        cella=(0.0, 999.0, 1.0),
        origin=(10.0, -20.0, 30.0),
        nxstart=-5,
        nystart=3,
        nzstart=7,
    )
    data, mrc_path, _ = converted(source, tmp_path, voxel_spacing=4.5)
    assert np.array_equal(data, VOLUME)
    with mrcfile.open(mrc_path) as mrc:
        assert tuple(float(v) for v in mrc.voxel_size.item()) == (4.5, 4.5, 4.5)
        assert tuple(float(c) for c in mrc.header.cella.item()) == (7 * 4.5, 6 * 4.5, 5 * 4.5)
        assert tuple(float(o) for o in mrc.header.origin.item()) == (0.0, 0.0, 0.0)
        assert (int(mrc.header.nxstart), int(mrc.header.nystart), int(mrc.header.nzstart)) == (0, 0, 0)


def test_volume_stack_of_one_volume_converts(tmp_path: Path) -> None:
    data, _, _ = converted(write(tmp_path / "one.mrc", VOLUME, ispg=401, mz=5), tmp_path)
    assert np.array_equal(data, VOLUME)


def test_volume_stack_of_several_volumes_is_refused(tmp_path: Path) -> None:
    source = write(tmp_path / "stack.mrc", np.concatenate([VOLUME, VOLUME + 1]), ispg=401, mz=5)
    error = refused(source, tmp_path, "volume stack")
    assert "2 volumes" in (error.found or "")


def test_mode_101_four_bit_is_refused_with_the_way_out(tmp_path: Path) -> None:
    source = write(tmp_path / "m101.mrc", np.zeros((2, 4, 8), dtype=np.int8))
    source.write_bytes(source.read_bytes()[: 1024 + 2 * 4 * 4])
    error = refused(patch_header(source, mode=101), tmp_path, "mode 101")
    assert "newstack" in (error.expected or "")


@pytest.mark.parametrize("mode", [3, 4, 16])
def test_complex_and_rgb_modes_are_refused(tmp_path: Path, mode: int) -> None:
    source = patch_header(write(tmp_path / "c.mrc", VOLUME), mode=mode)
    error = refused(source, tmp_path, "not an MRC volume this converter reads")
    assert f"mode {mode}" in (error.found or "")


def test_header_claiming_more_data_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    source = patch_header(write(tmp_path / "big.mrc", VOLUME), nz=9)
    refused(source, tmp_path, "truncated")


def test_trailing_bytes_are_refused(tmp_path: Path) -> None:
    source = write(tmp_path / "tail.mrc", VOLUME)
    source.write_bytes(source.read_bytes() + bytes(4))
    refused(source, tmp_path, "disagree with the file size")


def test_negative_nsymbt_is_refused(tmp_path: Path) -> None:
    source = patch_header(write(tmp_path / "neg.mrc", VOLUME), nsymbt=-80)
    refused(source, tmp_path, "not a readable MRC")


@pytest.mark.parametrize("suffix", [".st", ".ali", ".rec", ".map", ".mrcs"])
def test_imod_and_relion_suffixes_are_mrc(tmp_path: Path, suffix: str) -> None:
    data, _, _ = converted(write(tmp_path / f"v{suffix}", VOLUME), tmp_path)
    assert np.array_equal(data, VOLUME)


def test_ngff05_instance_mask_validates_and_lists_its_labels(tmp_path: Path) -> None:
    labels = np.zeros(VOLUME.shape, dtype=">u2")
    labels[1:3, 2:4, 1:5], labels[4, 5, 6] = 7, 300
    source = write(tmp_path / "l.mrc", labels)
    result = convert_volume(
        source, tmp_path / "l.zarr", voxel_spacing=3.0, kind=VolumeKind.INSTANCE_MASK, ngff=NgffVersion.V05
    )
    group = zarr.open_group(str(tmp_path / "l.zarr"), mode="r", zarr_format=3)
    v05.ImageLabel.from_zarr(group)
    image_label = group.attrs["ome"]["image-label"]
    assert [c["label-value"] for c in image_label["colors"]] == [7, 300] == list(result.label_values)
    assert np.array_equal(group["0"][...], labels)


def test_ngff05_five_dimensional_source_reads_as_zyx(tmp_path: Path) -> None:
    source = tmp_path / "tczyx.zarr"
    group = zarr.open_group(str(source), mode="w", zarr_format=3)
    group.create_array("0", data=VOLUME[None, None], chunks=(1, 1, 2, 3, 4))
    axes = [{"name": "t", "type": "time"}, {"name": "c", "type": "channel"}] + [
        {"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"
    ]
    transform = [{"type": "scale", "scale": [1.0, 1.0, 8.0, 8.0, 8.0]}]
    group.attrs["ome"] = {
        "version": "0.5",
        "multiscales": [{"axes": axes, "datasets": [{"path": "0", "coordinateTransformations": transform}]}],
    }
    result = convert_volume(source, tmp_path / "o.zarr", voxel_spacing=8.0, ngff=NgffVersion.V05)
    assert result.shape == VOLUME.shape and result.warnings == ()
    assert np.array_equal(level0(tmp_path / "o.zarr"), VOLUME)


def test_ngff04_big_endian_channel_singleton_source_reads_as_zyx(tmp_path: Path) -> None:
    source = tmp_path / "czyx.zarr"
    group = zarr.open_group(str(source), mode="w", zarr_format=2)
    group.create_array("0", data=VOLUME.astype(">f4")[None], chunks=(1, 2, 3, 4))
    axes = [{"name": "c", "type": "channel"}] + [{"name": a, "type": "space", "unit": "angstrom"} for a in "zyx"]
    group.attrs["multiscales"] = [{"version": "0.4", "axes": axes, "datasets": [{"path": "0"}]}]
    convert_volume(source, tmp_path / "o.zarr", voxel_spacing=2.0)
    assert np.array_equal(level0(tmp_path / "o.zarr"), VOLUME)


def test_zarr_source_with_two_channels_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "c2.zarr"
    zarr.create_array(str(source), data=np.stack([VOLUME, VOLUME]), chunks=(1, 2, 3, 4), zarr_format=3)
    error = refused(source, tmp_path, "not a volume")
    assert error.found == "(2, 5, 6, 7)"


@pytest.mark.parametrize(
    "multiscales",
    [[{"axes": [], "datasets": [{"path": "s0"}]}], [{"axes": [], "datasets": []}], [{"datasets": [{}]}]],
)
def test_multiscales_naming_a_missing_or_no_dataset_is_refused(tmp_path: Path, multiscales: object) -> None:
    source = tmp_path / "bad.zarr"
    group = zarr.open_group(str(source), mode="w", zarr_format=3)
    group.create_array("0", data=VOLUME, chunks=(2, 3, 4))
    group.attrs["ome"] = {"version": "0.5", "multiscales": multiscales}
    refused(source, tmp_path, "multiscales")


@pytest.mark.parametrize(("suffix", "compression"), [(".map.gz", "gzip"), (".map.bz2", "bzip2")])
def test_compressed_mrc_is_refused_naming_the_compression(tmp_path: Path, suffix: str, compression: str) -> None:
    source = tmp_path / f"emd{suffix}"
    with mrcfile.new(source, VOLUME, compression=compression):
        pass
    error = refused(source, tmp_path, f"{compression}-compressed")
    assert "decompress" in (error.expected or "")


@pytest.mark.parametrize("cella", [(14.0, 12.0, 10.0), (np.nan, np.nan, np.nan)])
def test_undefined_header_voxel_size_reads_as_zero_and_caller_spacing_wins(tmp_path: Path, cella: object) -> None:
    source = patch_header(write(tmp_path / "mx0.mrc", VOLUME), mx=0, my=0, mz=0, cella=cella)
    _, info = open_volume(source)
    assert info.voxel_size == (0.0, 0.0, 0.0)
    assert any("voxel size undefined" in note for note in info.warnings)
    assert not any("encountered in" in note for note in info.warnings)
    data, mrc_path, _ = converted(source, tmp_path, voxel_spacing=2.5)
    assert np.array_equal(data, VOLUME)
    with mrcfile.open(mrc_path) as mrc:
        assert tuple(float(v) for v in mrc.voxel_size.item()) == (2.5, 2.5, 2.5)


def test_mask_label_no_voxel_of_the_source_can_hold_is_refused(tmp_path: Path) -> None:
    # Mode 0 with dmax <= 127 reads as signed bytes: label 255 could never match (a silently empty mask).
    source = write(tmp_path / "m0.mrc", (VOLUME > 0).astype(np.int8))
    error = refused(source, tmp_path, "mask label cannot occur", kind=VolumeKind.SEMANTIC_MASK, mask=MaskLabel(255))
    assert "int8" in (error.expected or "")
    refused(source, tmp_path / "out", "mask label cannot occur", kind=VolumeKind.SEMANTIC_MASK, mask=MaskLabel(1.5))


def test_semantic_mask_selecting_nothing_is_reported(tmp_path: Path) -> None:
    source = write(tmp_path / "p.mrc", (np.abs(VOLUME) / 10).astype(np.float32))
    result = convert_volume(
        source, tmp_path / "p.zarr", voxel_spacing=1.0, kind=VolumeKind.SEMANTIC_MASK, mask=MaskThreshold(5.0)
    )
    assert any("selects no voxel" in note for note in result.warnings)
    labelled = convert_volume(
        source, tmp_path / "q.zarr", voxel_spacing=1.0, kind=VolumeKind.SEMANTIC_MASK, mask=MaskThreshold(0.01)
    )
    assert not any("selects no voxel" in note for note in labelled.warnings)
