"""The output checker: a good tree checks clean, and each smallest corruption trips exactly its own code."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest
import zarr

from ingest.checks.codes import CHECK_CODES
from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from tests.good_tree import SPACING, TOMO_SHAPE, build_good_tree, write_ome_zarr
from tests.test_check_consistency import CONSISTENCY_MUTATIONS

RUN = "10000/RUN1"
VS = f"{RUN}/Reconstructions/VoxelSpacing10.000"
TOMO = f"{VS}/Tomograms/100"
TOMO_MRC = f"{TOMO}/RUN1.mrc"
TOMO_ZARR = f"{TOMO}/RUN1.zarr"
POINTS = f"{VS}/Annotations/100/ribosome-1.0_point.ndjson"
ORIENTED = f"{VS}/Annotations/101/ribosome-1.0_orientedpoint.ndjson"
MASK = f"{VS}/Annotations/103/membrane-1.0_segmentationmask"
TS = f"{RUN}/TiltSeries/100"
INSTANCE_MASK = f"{VS}/Annotations/104/vesicle-1.0_instancesegmentationmask"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_good_tree(tmp_path_factory.mktemp("good") / "tree")


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "tree"))


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))


def edit_lines(path: Path, change: Callable[[list[str]], None]) -> None:
    lines = path.read_text().splitlines()
    change(lines)
    path.write_text("\n".join(lines) + "\n")


def edit_mrc_header(path: Path, field: str, value: Any) -> None:
    with mrcfile.open(path, mode="r+", permissive=True) as mrc:
        mrc.header[field] = value


def edit_mrc_data(path: Path, change: Callable[[np.ndarray], None]) -> None:
    with mrcfile.open(path, mode="r+") as mrc:
        data = mrc.data.copy()
        change(data)
        mrc.set_data(data)
        mrc.update_header_stats()


def _overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as stream:
        stream.seek(offset)
        stream.write(data)


def _extended_header(exttyp: bytes) -> Callable[[Path], None]:
    """The tomogram MRC rewritten with a 64-byte extended header of type ``exttyp``."""

    def change(root: Path) -> None:
        with mrcfile.open(root / TOMO_MRC, mode="r+") as mrc:
            mrc.set_extended_header(np.zeros(64, dtype="V1"))
            mrc.header.exttyp = exttyp

    return change


def _put_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


def set_point(index: int, **location: float) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        item = json.loads(lines[index])
        item["location"].update(location)
        lines[index] = json.dumps(item)

    return change


def test_good_tree_checks_clean(pristine: Path) -> None:
    report = check_tree(pristine)
    assert report.findings == ()


def test_pipeline_bookkeeping_is_not_part_of_the_tree(tree: Path) -> None:
    (tree / ".ingest" / "manifests").mkdir(parents=True)
    (tree / ".ingest" / "manifests" / "deposition.json").write_text("{}")
    (tree / RUN / "run_metadata.json.ingest-tmp-1234").write_text("{}")
    report = check_tree(tree)
    assert [(f.code, f.file) for f in report.findings] == [("C-TREE-STRAY", f"{RUN}/run_metadata.json.ingest-tmp-1234")]


@pytest.mark.parametrize("key", [TOMO_MRC, POINTS, f"{VS}/Images/100/key-photo-snapshot.png", f"{TOMO_ZARR}/0/0/0/0"])
def test_unreadable_data_files_are_reported_not_raised(tree: Path, key: str) -> None:
    _dangling(key)(tree)
    report = check_tree(tree, runs=("RUN1",))
    assert any(f.file == key for f in report.findings), [(f.code, f.file) for f in report.findings]


def test_good_tree_checks_clean_in_depth_on_two_workers(pristine: Path) -> None:
    assert check_tree(pristine, chunks=ChunkCoverage.EVERY, workers=2).findings == ()


def _cellb(alpha: float) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        with mrcfile.open(root / TOMO_MRC, mode="r+") as mrc:
            mrc.header.cellb.alpha = alpha

    return change


def _zattrs(key: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda root: edit_json(root / key / ".zattrs", change)


def _multiscale(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda attrs: change(attrs["multiscales"][0])


def _truncate(key: str, size: int) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / key
        path.write_bytes(path.read_bytes()[:size])

    return change


def _rewrite_zarr(
    key: str, data: Callable[[np.ndarray], np.ndarray], labels: list[int] | None = None
) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        volume = np.asarray(zarr.open_array(root / key / "0", mode="r")[...])
        shutil.rmtree(root / key)
        write_ome_zarr(root / key, data(volume), SPACING, labels=labels)

    return change


def _dangling(key: str) -> Callable[[Path], None]:
    """Replace a file by a link to nothing: listed, but unreadable (permissions do not stop root)."""

    def change(root: Path) -> None:
        (root / key).unlink()
        (root / key).symlink_to(root / "nowhere")

    return change


def _mask_shape(root: Path) -> None:
    with mrcfile.open(root / f"{MASK}.mrc", mode="r") as mrc:
        cropped = np.ascontiguousarray(mrc.data[:, :, :-1])
    with mrcfile.new(root / f"{MASK}.mrc", overwrite=True) as mrc:
        mrc.set_data(cropped)
        mrc.voxel_size = SPACING
        mrc.update_header_stats()
    _rewrite_zarr(f"{MASK}.zarr", lambda v: np.ascontiguousarray(v[:, :, :-1]))(root)


def _mask_value_two(root: Path) -> None:
    edit_mrc_data(root / f"{MASK}.mrc", lambda d: d.__setitem__((0, 0, 0), 2))
    _rewrite_zarr(f"{MASK}.zarr", lambda v: np.where(np.arange(v.size).reshape(v.shape) == 0, 2, v).astype(v.dtype))(
        root
    )


MUTATIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "C-TREE-UNREADABLE": (_dangling(f"{RUN}/run_metadata.json"), f"{RUN}/run_metadata.json"),
    "C-TREE-STRAY": (lambda root: (root / RUN / "notes.txt").write_text("hello"), f"{RUN}/notes.txt"),
    "C-TREE-LEGACY": (
        lambda root: (
            (root / RUN / "TomogramVoxelSpacing10.000").mkdir()
            or (root / RUN / "TomogramVoxelSpacing10.000" / "a.mrc").write_bytes(b"")
        ),
        f"{RUN}/TomogramVoxelSpacing10.000/",
    ),
    "C-TREE-NO-METADATA": (lambda root: (root / RUN / "run_metadata.json").unlink(), f"{RUN}/"),
    "C-TREE-NO-DATA": (lambda root: (root / POINTS).unlink(), f"{VS}/Annotations/100/"),
    "C-TREE-KEY-PHOTO": (
        lambda root: (root / VS / "Images/100/key-photo-thumbnail.png").unlink(),
        f"{TOMO}/tomogram_metadata.json",
    ),
    "C-META-JSON": (lambda root: (root / RUN / "run_metadata.json").write_text("{"), f"{RUN}/run_metadata.json"),
    "C-META-SCHEMA": (
        lambda root: edit_json(
            root / VS / "Annotations/100/ribosome-1.0.json", lambda c: c.update(method_type="guessed")
        ),
        f"{VS}/Annotations/100/ribosome-1.0.json",
    ),
    "C-META-IMPORTER": (
        lambda root: edit_json(root / TOMO / "tomogram_metadata.json", lambda c: c["scales"].pop()),
        f"{TOMO}/tomogram_metadata.json",
    ),
    "C-META-PATH-MISSING": (
        lambda root: edit_json(
            root / TOMO / "tomogram_metadata.json", lambda c: c.update(mrc_file=f"{TOMO}/missing.mrc")
        ),
        f"{TOMO}/tomogram_metadata.json",
    ),
    "C-META-ID-FOLDER": (
        lambda root: edit_json(root / RUN / "run_metadata.json", lambda c: c.update(run_name="RUN9")),
        f"{RUN}/run_metadata.json",
    ),
    "C-META-VOXEL-SPACING": (
        lambda root: edit_json(root / TOMO / "tomogram_metadata.json", lambda c: c.update(voxel_spacing=10.5)),
        f"{TOMO}/tomogram_metadata.json",
    ),
    "C-META-DEPOSITION": (
        lambda root: edit_json(root / RUN / "run_metadata.json", lambda c: c.update(deposition_id=999)),
        f"{RUN}/run_metadata.json",
    ),
    "C-META-SIZE": (
        lambda root: edit_json(root / TOMO / "tomogram_metadata.json", lambda c: c["size"].update(x=18)),
        f"{TOMO}/tomogram_metadata.json",
    ),
    "C-MRC-HEADER": (_truncate(TOMO_MRC, 100), TOMO_MRC),
    "C-MRC-MAP-ID": (lambda root: edit_mrc_header(root / TOMO_MRC, "map", b"XXXX"), TOMO_MRC),
    "C-MRC-MODE": (lambda root: edit_mrc_header(root / f"{INSTANCE_MASK}.mrc", "mode", 1), f"{INSTANCE_MASK}.mrc"),
    "C-MRC-CELLA": (lambda root: edit_mrc_header(root / TOMO_MRC, "mx", TOMO_SHAPE[2] + 1), TOMO_MRC),
    "C-MRC-AXES": (lambda root: edit_mrc_header(root / TOMO_MRC, "mapc", 2), TOMO_MRC),
    "C-MRC-ANGLES": (_cellb(80.0), TOMO_MRC),
    "C-MRC-ORIGIN": (lambda root: edit_mrc_header(root / TOMO_MRC, "nxstart", 5), TOMO_MRC),
    "C-MRC-NSYMBT": (lambda root: edit_mrc_header(root / TOMO_MRC, "nsymbt", 10**6), TOMO_MRC),
    "C-MRC-FILE-SIZE": (
        lambda root: (root / TOMO_MRC).write_bytes((root / TOMO_MRC).read_bytes() + b"\0\0\0\0"),
        TOMO_MRC,
    ),
    "C-MRC-VOXEL-SIZE": (
        lambda root: edit_mrc_header(
            root / TOMO_MRC,
            "cella",
            ((SPACING + 0.01) * TOMO_SHAPE[2], SPACING * TOMO_SHAPE[1], SPACING * TOMO_SHAPE[0]),
        ),
        TOMO_MRC,
    ),
    "C-MRC-ISPG": (lambda root: edit_mrc_header(root / TOMO_MRC, "ispg", 0), TOMO_MRC),
    "C-MRC-MACHST": (lambda root: _overwrite(root / TOMO_MRC, 212, b"\x00\x00\x00\x00"), TOMO_MRC),
    "C-MRC-LABELS": (lambda root: edit_mrc_header(root / TOMO_MRC, "nlabl", 2), TOMO_MRC),
    "C-MRC-NVERSION": (lambda root: edit_mrc_header(root / TOMO_MRC, "nversion", 20100), TOMO_MRC),
    "C-MRC-EXTTYP": (_extended_header(b"ABCD"), TOMO_MRC),
    "C-NG-LAYERS": (
        lambda root: _put_json(root / VS / "NeuroglancerPrecompute/100-neuroglancer_config.json", {"layers": []}),
        f"{VS}/NeuroglancerPrecompute/100-neuroglancer_config.json",
    ),
    "C-ZARR-NGFF": (lambda root: (root / TOMO_ZARR / ".zattrs").unlink(), TOMO_ZARR),
    "C-ZARR-AXES": (_zattrs(TOMO_ZARR, _multiscale(lambda m: m["axes"].reverse())), f"{TOMO_ZARR}/.zattrs"),
    "C-ZARR-LEVELS": (_zattrs(TOMO_ZARR, _multiscale(lambda m: m["datasets"].pop())), f"{TOMO_ZARR}/.zattrs"),
    "C-ZARR-LEVEL-SHAPE": (
        lambda root: edit_json(root / TOMO_ZARR / "1/.zarray", lambda a: a.update(shape=[4, 7, 9])),
        f"{TOMO_ZARR}/1",
    ),
    "C-ZARR-SCALE": (
        _zattrs(
            TOMO_ZARR,
            _multiscale(lambda m: m["datasets"][1]["coordinateTransformations"][0].update(scale=[25.0, 20.0, 20.0])),
        ),
        f"{TOMO_ZARR}/.zattrs",
    ),
    "C-ZARR-DTYPE": (_rewrite_zarr(TOMO_ZARR, lambda v: v.astype(np.float64)), f"{TOMO_ZARR}/0"),
    "C-ZARR-MRC-SHAPE": (_rewrite_zarr(TOMO_ZARR, lambda v: np.ascontiguousarray(v[:, :, :-1])), TOMO_ZARR),
    "C-ZARR-CHUNK": (_truncate(f"{TOMO_ZARR}/0/0/0/0", 40), f"{TOMO_ZARR}/0/0/0/0"),
    "C-ZARR-MRC-VOXELS": (
        lambda root: edit_mrc_data(root / TOMO_MRC, lambda d: d.__setitem__((0, 0, 0), d[0, 0, 0] + 1)),
        f"{TOMO_ZARR}/0/0/0/0",
    ),
    "C-NDJSON-PARSE": (lambda root: edit_lines(root / POINTS, lambda lines: lines.__setitem__(2, "{broken")), POINTS),
    "C-NDJSON-TYPE": (
        lambda root: edit_lines(
            root / POINTS, lambda lines: lines.__setitem__(1, lines[1].replace('"point"', '"pointt"'))
        ),
        POINTS,
    ),
    "C-NDJSON-COUNT": (lambda root: edit_lines(root / POINTS, lambda lines: lines.append(lines[-1])), POINTS),
    "C-NDJSON-OUTSIDE": (lambda root: edit_lines(root / POINTS, set_point(0, x=TOMO_SHAPE[2] + 0.5)), POINTS),
    "C-NDJSON-ROTATION": (
        lambda root: edit_lines(
            root / ORIENTED,
            lambda lines: lines.__setitem__(
                0,
                json.dumps(
                    {
                        **json.loads(lines[0]),
                        "xyz_rotation_matrix": (
                            np.asarray(json.loads(lines[0])["xyz_rotation_matrix"]) * [[1.01], [1], [1]]
                        ).tolist(),
                    }
                ),
            ),
        ),
        ORIENTED,
    ),
    "C-TS-RAWTLT-NAME": (
        lambda root: shutil.copyfile(root / f"{TS}/RUN1.rawtlt", root / f"{TS}/bar.rawtlt"),
        f"{TS}/bar.rawtlt",
    ),
    "C-TS-NO-SECTIONS": (
        lambda root: edit_json(root / f"{TS}/tiltseries_metadata.json", lambda m: m.pop("per_section_parameter")),
        f"{TS}/tiltseries_metadata.json",
    ),
    "C-TS-SECTION-FRAME": (
        lambda root: edit_json(
            root / f"{TS}/tiltseries_metadata.json",
            lambda m: m["per_section_parameter"][2].__setitem__("frame_acquisition_order", 99),
        ),
        f"{TS}/tiltseries_metadata.json",
    ),
    "C-ANN-NO-TOMOGRAM": (lambda root: shutil.rmtree(root / f"{VS}/Tomograms"), f"{VS}/Annotations/100/"),
    "C-MASK-SHAPE": (_mask_shape, f"{MASK}.mrc"),
    "C-MASK-VALUES": (_mask_value_two, f"{MASK}.mrc"),
    "C-MASK-LABELS": (
        _zattrs(f"{INSTANCE_MASK}.zarr", lambda attrs: attrs["image-label"]["colors"].pop()),
        f"{INSTANCE_MASK}.zarr",
    ),
}


def _broken_mesh(root: Path) -> None:
    """A mesh annotation whose glb is not a glb (its metadata is right)."""
    folder = root / f"{VS}/Annotations/105"
    folder.mkdir(parents=True)
    glb = f"{VS}/Annotations/105/surface-1.0_triangularmesh.glb"
    (root / glb).write_bytes(b"glTF\x02\x00\x00\x00 not a real binary glTF")
    metadata = json.loads((root / f"{VS}/Annotations/100/ribosome-1.0.json").read_text())
    metadata["annotation_object"]["name"] = "surface"
    metadata["annotation_ingest_id"] = "surface-1"
    metadata["object_count"] = 1
    metadata["files"] = [{"shape": "Mesh", "format": "glb", "path": glb, "is_visualization_default": False}]
    (folder / "surface-1.0.json").write_text(json.dumps(metadata))


MUTATIONS["C-MESH-GLB"] = (_broken_mesh, f"{VS}/Annotations/105/surface-1.0_triangularmesh.glb")
PRECOMPUTED = f"{VS}/NeuroglancerPrecompute/101-ribosome-1.0_orientedpoint"


def _truncated_shard(root: Path) -> None:
    """The oriented points' precomputed annotations, their by_id shard cut short by one byte."""
    from ingest.converters.viewers.neuroglancer_points import write_precomputed_points

    points = [json.loads(line) for line in (root / ORIENTED).read_text().splitlines()]
    write_precomputed_points(
        points, root / PRECOMPUTED, voxel_spacing=SPACING, object_name="ribosome", diameter=None, oriented=True
    )
    shard = root / PRECOMPUTED / "by_id/0.shard"
    shard.write_bytes(shard.read_bytes()[:-1])


MUTATIONS["C-NG-PRECOMPUTED"] = (_truncated_shard, PRECOMPUTED)

UNTESTABLE: dict[str, str] = {}


def test_every_documented_code_has_a_mutation() -> None:
    assert set(CHECK_CODES) == set(MUTATIONS) | set(UNTESTABLE) | set(CONSISTENCY_MUTATIONS)


@pytest.mark.parametrize("code", sorted(MUTATIONS))
def test_smallest_corruption_trips_exactly_its_code(tree: Path, code: str) -> None:
    mutate, named = MUTATIONS[code]
    mutate(tree)
    report = check_tree(tree, runs=("RUN1",))
    assert {f.code for f in report.findings} == {code}, [f"{f.code} {f.file} {f.describe()}" for f in report.findings]
    assert any((f.file or "").startswith(named) for f in report.findings), [f.file for f in report.findings]


@pytest.mark.parametrize("layers", [[], [{"type": "image", "name": "RUN1"}]])
def test_a_state_at_its_former_name_is_read_as_a_state(tree: Path, layers: list[dict[str, str]]) -> None:
    """Trees of earlier versions hold ``{tomogram_id}/neuroglancer_config.json``: a state, checked like one."""
    former = f"{VS}/NeuroglancerPrecompute/100/neuroglancer_config.json"
    _put_json(tree / former, {"layers": layers})
    report = check_tree(tree, runs=("RUN1",))
    expected = [] if layers else [("C-NG-LAYERS", former)]
    assert [(f.code, f.file) for f in report.findings] == expected


def test_raw_tlt_path_naming_another_file_is_a_rawtlt_name_finding(tree: Path) -> None:
    (tree / f"{TS}/RUN1.rawtlt").rename(tree / f"{TS}/TS_01.rawtlt")
    edit_json(tree / f"{TS}/tiltseries_metadata.json", lambda m: m.__setitem__("raw_tlt_path", f"{TS}/TS_01.rawtlt"))
    report = check_tree(tree, runs=("RUN1",))
    assert {(f.code, f.file, f.path) for f in report.findings} == {
        ("C-TS-RAWTLT-NAME", f"{TS}/tiltseries_metadata.json", "raw_tlt_path"),
        ("C-TS-RAWTLT-NAME", f"{TS}/TS_01.rawtlt", None),
    }


def test_sections_without_frames_metadata_are_one_section_frame_finding(tree: Path) -> None:
    (tree / f"{RUN}/Frames/frames_metadata.json").unlink()
    report = check_tree(tree, runs=("RUN1",))
    assert [(f.code, f.path) for f in report.findings] == [
        ("C-TS-SECTION-FRAME", "per_section_parameter[0].frame_acquisition_order")
    ]
    assert "no frames metadata file" in report.findings[0].describe()


@pytest.mark.parametrize(
    "key",
    [f"{TOMO}/tomogram_metadata.json", f"{VS}/Annotations/100/ribosome-1.0.json"],
    ids=["tomogram", "annotation"],
)
def test_a_tomogram_or_annotation_without_authors_is_a_values_finding(tree: Path, key: str) -> None:
    edit_json(tree / key, lambda c: c.update(authors=[]))  # the portal's basic_metadata_check needs one or more
    report = check_tree(tree, runs=("RUN1",))
    assert [(f.code, f.file, f.path) for f in report.findings] == [("C-META-VALUES", key, "authors")]


def test_a_dataset_key_photo_under_50_pixels_is_a_key_photo_finding(tree: Path) -> None:
    from tests.good_tree import DATASET, write_png

    write_png(tree / DATASET / "Images" / "thumbnail.png", 60, 40)
    report = check_tree(tree, runs=("RUN1",))
    assert [(f.code, f.file, f.severity.value) for f in report.findings] == [
        ("C-TREE-KEY-PHOTO", f"{DATASET}/Images/thumbnail.png", "warning")
    ]
