"""Cross-file consistency findings of ``ingest check``: a clean tree with a tilt series, its mdoc, frames and an
alignment ``.tlt`` checks clean, and each single defect trips exactly its own code (the portal's data validation)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile

from ingest.checks.ome_zarr import ChunkCoverage
from ingest.checks.outputs import check_tree
from tests.good_tree import build_good_tree, write_mrc

RUN = "10000/RUN1"
TS = f"{RUN}/TiltSeries/100"
TS_META = f"{TS}/tiltseries_metadata.json"
RAWTLT = f"{TS}/RUN1.rawtlt"
MDOC = f"{RUN}/Frames/RUN1.mdoc"
FRAMES_META = f"{RUN}/Frames/frames_metadata.json"
ALIGNMENT = f"{RUN}/Alignments/100"
TLT = f"{ALIGNMENT}/RUN1.tlt"
ANGLES = [-20, -10, 0, 10, 20]
ORDER = sorted(range(len(ANGLES)), key=lambda i: abs(ANGLES[i]))  # dose symmetric: 0°, then outwards


def mdoc_text(angles: list[float], *, axis: float = 84.7, ext: str = "tif") -> str:
    """A SerialEM mdoc with one section per angle (in the given order) and a title naming the tilt axis."""
    text = (
        f"PixelSpacing = 5.0\nImageFile = RUN1.mrc\n\n[T = SerialEM: Krios    Tilt axis angle = {axis}, binning = 1]\n"
    )
    for z, angle in enumerate(angles):
        text += (
            f"\n[ZValue = {z}]\nTiltAngle = {angle:.2f}\nExposureTime = 1.0\nNumSubFrames = 4\n"
            f"SubFramePath = X:\\frames\\RUN1_{z:03d}.{ext}\n"
        )
    return text


def add_acquisition(root: Path) -> Path:
    """RUN1 gets what a tilt series comes with: the mdoc and frames (5 sections, 20 e/Å² each = total_flux),
    per-section parameters, and an alignment .tlt naming the tilt series."""
    write_frames(root, "tif", lambda path: path.write_bytes(b"II*\x00"))
    sections = [
        {"z_index": i, "frame_acquisition_order": ORDER.index(i), "raw_angle": float(a)} for i, a in enumerate(ANGLES)
    ]
    edit(TS_META, lambda m: m.update(per_section_parameter=sections))(root)
    (root / TLT).write_text("".join(f"{a + 0.001:.3f}\n" for a in ANGLES))
    edit(f"{ALIGNMENT}/alignment_metadata.json", lambda m: m.update(tiltseries_path=TS_META))(root)
    return root


def write_frames(root: Path, ext: str, put: Callable[[Path], object]) -> None:
    """The mdoc, one frame file per section (written by ``put``) and the frames metadata naming them."""
    folder = root / RUN / "Frames"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    (root / MDOC).write_text(mdoc_text([ANGLES[i] for i in ORDER], ext=ext))
    for z in range(len(ANGLES)):
        put(folder / f"RUN1_{z:03d}.{ext}")
    frames = [
        {"acquisition_order": n, "accumulated_dose": 20.0 * n, "exposure_dose": 20.0, "is_gain_corrected": True,
         "path": f"{RUN}/Frames/RUN1_{n:03d}.{ext}"}
        for n in range(len(ANGLES))
    ]  # fmt: skip
    write(
        root,
        FRAMES_META,
        {"deposition_id": 300, "dose_rate": 20.0, "is_gain_corrected": True, "frames": frames,
         "frames_acquisition_file": MDOC},
    )  # fmt: skip


def mrc_frames(voxel_size: float) -> Callable[[Path], None]:
    """The same frames as MRC movies (the mdoc's 4 sub-frames of 4 × 4, image stacks) of this voxel size."""
    return lambda root: write_frames(
        root, "mrc", lambda path: write_mrc(path, np.zeros((4, 4, 4), dtype=np.float32), voxel_size, stack=True)
    )


def write(root: Path, key: str, content: Any) -> None:
    (root / key).write_text(json.dumps(content))


def edit(key: str, change: Callable[[dict[str, Any]], object]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        content = json.loads((root / key).read_text())
        change(content)
        write(root, key, content)

    return apply


def text(key: str, content: str) -> Callable[[Path], None]:
    return lambda root: (root / key).write_text(content)


def remove(*keys: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        for key in keys:
            (root / key).unlink()

    return apply


def both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        for change in changes:
            change(root)

    return apply


def put_mdoc(angles: list[float]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / MDOC).parent.mkdir(exist_ok=True)
        (root / MDOC).write_text(mdoc_text(angles))

    return apply


def put_mrc(key: str, shape: tuple[int, int, int], voxel_size: float) -> Callable[[Path], None]:
    return lambda root: write_mrc(root / key, np.zeros(shape, dtype=np.float32), voxel_size, stack=True)


def section(index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["per_section_parameter"][index].update(values)


def frame(index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["frames"][index].update(values)


def angles_file(angles: list[float]) -> str:
    return "".join(f"{a}\n" for a in angles)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good tree with RUN1's mdoc, frames, per-section parameters and alignment .tlt."""
    return add_acquisition(build_good_tree(tmp_path_factory.mktemp("consistency") / "tree", runs=("RUN1",)))


def findings_after(pristine: Path, tmp_path: Path, change: Callable[[Path], None]) -> Any:
    tree = Path(shutil.copytree(pristine, tmp_path / "tree"))
    change(tree)
    return check_tree(tree).findings


def test_clean_tree_has_no_finding(pristine: Path, tmp_path: Path) -> None:
    assert findings_after(pristine, tmp_path, lambda root: None) == ()


# code -> (one defect, on the clean tree or on the clean tree without an optional file; the file the finding names)
CONSISTENCY_MUTATIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "C-TILT-FILE": (text(RAWTLT, angles_file(ANGLES) + "ten\n"), RAWTLT),
    "C-TILT-RAWTLT-COUNT": (text(RAWTLT, angles_file(list(range(-20, 21, 5)))), RAWTLT),
    "C-TILT-RAWTLT-MDOC": (both(remove(TLT), text(RAWTLT, angles_file([-20, -10, 0, 12, 20]))), RAWTLT),
    "C-TILT-MDOC-COUNT": (put_mdoc([0, -10, 10, -20]), MDOC),
    "C-TILT-RANGE": (edit(TS_META, lambda m: m["tilt_range"].update(min=-50)), TS_META),
    "C-TILT-AXIS": (edit(TS_META, lambda m: m.update(tilt_axis=60.0)), TS_META),
    "C-TILT-SECTION": (edit(TS_META, section(2, z_index=7)), TS_META),
    "C-TILT-SECTION-MDOC": (edit(TS_META, section(3, raw_angle=11.0)), TS_META),
    "C-TILT-SECTION-FRAMES": (
        both(
            edit(TS_META, lambda m: m["per_section_parameter"].append(dict(m["per_section_parameter"][2]))),
            put_mdoc([ANGLES[i] for i in ORDER] + [0.0]),
        ),
        TS_META,
    ),
    "C-ALN-TLT": (text(TLT, angles_file([-20, -10, 0, 15, 20])), TLT),
    "C-FRAMES-MDOC": (text(f"{RUN}/Frames/RUN1_extra.tif", "II*"), FRAMES_META),
    "C-FRAMES-DOSE": (edit(TS_META, lambda m: m.update(total_flux=150)), TS_META),
    "C-FRAMES-ORDER": (
        both(edit(FRAMES_META, frame(1, accumulated_dose=60.0)), edit(FRAMES_META, frame(3, accumulated_dose=20.0))),
        FRAMES_META,
    ),
    "C-META-VALUES": (edit(TS_META, lambda m: m.update(spherical_aberration_constant=0)), TS_META),
    "C-GAIN-HEADER": (put_mrc(f"{RUN}/Gains/RUN1_gain.mrc", (2, 4, 4), 2.5), f"{RUN}/Gains/RUN1_gain.mrc"),
    "C-FRAMES-PIXEL-SPACING": (mrc_frames(2.0), TS_META),
    "C-FRAMES-GAIN": (edit(FRAMES_META, lambda m: m.update(is_gain_corrected=False)), FRAMES_META),
    "C-TILT-NO-RAWTLT": (both(remove(RAWTLT), edit(TS_META, lambda m: m.pop("raw_tlt_path"))), TS_META),
    "C-TILT-NO-MDOC": (remove(MDOC), TS_META),
    "C-FRAMES-NUMSUBFRAMES": (
        both(mrc_frames(2.5), put_mrc(f"{RUN}/Frames/RUN1_001.mrc", (3, 4, 4), 2.5)),
        f"{RUN}/Frames/RUN1_001.mrc",
    ),
    "C-FRAMES-CONSISTENT": (
        both(mrc_frames(2.5), put_mrc(f"{RUN}/Frames/RUN1_001.mrc", (4, 4, 6), 2.5)),
        f"{RUN}/Frames/RUN1_001.mrc",
    ),
    "C-GAIN-CONSISTENT": (
        both(put_mrc(f"{RUN}/Gains/RUN1_a.mrc", (1, 4, 4), 2.5), put_mrc(f"{RUN}/Gains/RUN1_b.mrc", (1, 4, 4), 2.0)),
        f"{RUN}/Gains/RUN1_b.mrc",
    ),
}

CONSEQUENCES: dict[str, set[str]] = {
    # frames_metadata.json names the acquisition file (frames_acquisition_file) the portal's importer reads.
    "C-TILT-NO-MDOC": {"C-META-PATH-MISSING"},
    # An mdoc without the 20° section leaves 20° unmatched in every file that lists the series' angles, and its
    # 4 sections no longer pair with the 5 frame files.
    "C-TILT-MDOC-COUNT": {"C-TILT-RAWTLT-MDOC", "C-TILT-SECTION-MDOC", "C-TILT-RANGE", "C-ALN-TLT", "C-FRAMES-MDOC"},
    # More raw tilts than sections are more raw tilts than the mdoc (one section per tilt) lists.
    "C-TILT-RAWTLT-COUNT": {"C-TILT-RAWTLT-MDOC"},
    # A sixth section (an mdoc section of 0° more, no frame for it) no longer pairs mdoc sections with frame files.
    "C-TILT-SECTION-FRAMES": {"C-FRAMES-MDOC"},
}


@pytest.mark.parametrize("code", sorted(CONSISTENCY_MUTATIONS))
def test_one_defect_trips_exactly_its_code(pristine: Path, tmp_path: Path, code: str) -> None:
    change, named = CONSISTENCY_MUTATIONS[code]
    findings = findings_after(pristine, tmp_path, change)
    expected = {code} | CONSEQUENCES.get(code, set())
    assert {f.code for f in findings} == expected, [f"{f.code} {f.file} {f.describe()}" for f in findings]
    assert any(f.code == code and f.file == named for f in findings), [(f.code, f.file) for f in findings]


def test_thirty_raw_tilts_beside_fewer_sections_are_reported_also_in_depth(pristine: Path, tmp_path: Path) -> None:
    tree = Path(shutil.copytree(pristine, tmp_path / "tree"))
    (tree / RAWTLT).write_text(angles_file([-58.0 + 4 * i for i in range(30)]))
    for chunks in (ChunkCoverage.SAMPLE, ChunkCoverage.EVERY):
        found = [f for f in check_tree(tree, chunks=chunks).findings if f.code == "C-TILT-RAWTLT-COUNT"]
        assert [(f.file, f.expected, f.found) for f in found] == [(RAWTLT, "at most 5", "30")]


def test_tilt_range_narrower_than_the_mdoc_angles_is_reported(pristine: Path, tmp_path: Path) -> None:
    tree = Path(shutil.copytree(pristine, tmp_path / "tree"))
    both(
        put_mdoc([float(a) for a in range(-60, 61, 3)]),
        edit(TS_META, lambda m: m.update(tilt_range={"min": -50, "max": 45}, tilt_step=5)),
    )(tree)
    found = [f for f in check_tree(tree).findings if f.code == "C-TILT-RANGE"]
    assert [(f.file, f.path) for f in found] == [(TS_META, "tilt_range")], [f.describe() for f in found]
    assert MDOC in found[0].message and "-50" in (found[0].found or "")


def test_gain_and_frame_of_one_size_and_a_whole_binning_check_clean(pristine: Path, tmp_path: Path) -> None:
    gain = f"{RUN}/Gains/RUN1_gain.mrc"
    change = both(mrc_frames(2.5), put_mrc(gain, (1, 4, 4), 2.5))
    assert findings_after(pristine, tmp_path, change) == ()  # tilt series pixel spacing 5.0 = 2 × 2.5
    (tmp_path / "tree" / gain).unlink()
    put_mrc(gain, (1, 4, 6), 2.5)(tmp_path / "tree")
    assert [(f.code, f.file) for f in check_tree(tmp_path / "tree").findings] == [("C-GAIN-HEADER", gain)]


def tiff_frame(path: Path, pages: int = 4, size: tuple[int, int] = (4, 4)) -> None:
    """A TIFF movie: ``pages`` grey pages of ``size`` (height, width)."""
    tifffile.imwrite(path, np.zeros((pages, *size), dtype=np.uint8), photometric="minisblack")


def tiff_frames(root: Path) -> None:
    """The frames as real TIFF movies of the mdoc's 4 sub-frames of 4 × 4."""
    write_frames(root, "tif", tiff_frame)


def test_tiff_frames_of_the_mdoc_sub_frames_check_clean(pristine: Path, tmp_path: Path) -> None:
    assert findings_after(pristine, tmp_path, tiff_frames) == ()


@pytest.mark.parametrize(
    ("code", "put", "found"),
    [
        ("C-FRAMES-NUMSUBFRAMES", lambda path: tiff_frame(path, pages=3), "3 TIFF pages"),
        ("C-FRAMES-CONSISTENT", lambda path: tiff_frame(path, size=(4, 6)), "6 × 4 px"),
    ],
)
def test_one_tiff_frame_unlike_the_others_is_reported(
    pristine: Path, tmp_path: Path, code: str, put: Callable[[Path], None], found: str
) -> None:
    odd = f"{RUN}/Frames/RUN1_001.tif"
    findings = findings_after(pristine, tmp_path, both(tiff_frames, lambda root: put(root / odd)))
    assert [(f.code, f.file, f.found) for f in findings] == [(code, odd, found)], [f.describe() for f in findings]


def test_a_tiff_frame_whose_pages_differ_in_size_is_reported(pristine: Path, tmp_path: Path) -> None:
    odd = f"{RUN}/Frames/RUN1_002.tif"

    def pages_of_two_sizes(root: Path) -> None:
        tiff_frames(root)
        with tifffile.TiffWriter(root / odd) as writer:
            for height in (4, 4, 4, 5):
                writer.write(np.zeros((height, 4), dtype=np.uint8), photometric="minisblack")

    findings = findings_after(pristine, tmp_path, pages_of_two_sizes)
    assert [(f.code, f.file) for f in findings] == [("C-FRAMES-CONSISTENT", odd)], [f.describe() for f in findings]
    assert "pages differ" in findings[0].message and findings[0].found == "4 × 4, 4 × 5"


def test_tiff_frames_are_compared_with_mrc_frames_by_size(pristine: Path, tmp_path: Path) -> None:
    mrc = f"{RUN}/Frames/RUN1_000.mrc"

    def mixed(width: int) -> Callable[[Path], None]:
        def apply(root: Path) -> None:
            tiff_frames(root)
            (root / mrc.replace(".mrc", ".tif")).unlink()
            put_mrc(mrc, (4, 4, width), 2.5)(root)

        return apply

    assert [f.code for f in findings_after(pristine, tmp_path, mixed(4)) if f.code.startswith("C-FRAMES-CONS")] == []
    shutil.rmtree(tmp_path / "tree")
    found = [f for f in findings_after(pristine, tmp_path, mixed(6)) if f.code == "C-FRAMES-CONSISTENT"]
    assert {f.file for f in found} == {f"{RUN}/Frames/RUN1_{z:03d}.tif" for z in range(1, 5)}
    assert found[0].expected == "6 × 4 px of 2.5 Å" and found[0].found == "4 × 4 px"


def test_tiff_gains_of_two_sizes_are_reported(pristine: Path, tmp_path: Path) -> None:
    def gains(root: Path) -> None:
        (root / RUN / "Gains").mkdir(exist_ok=True)
        tiff_frame(root / RUN / "Gains" / "RUN1_a.tif", pages=1)
        tiff_frame(root / RUN / "Gains" / "RUN1_b.tif", pages=1, size=(4, 8))

    found = [(f.code, f.file) for f in findings_after(pristine, tmp_path, gains)]
    assert found == [("C-GAIN-CONSISTENT", f"{RUN}/Gains/RUN1_b.tif")]
