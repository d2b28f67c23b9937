"""Cross-file consistency findings of ``ingest check``: a clean tree with a tilt series, its mdoc, frames and an
alignment ``.tlt`` checks clean, and each single defect trips exactly its own code (the portal's data validation)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ingest.validators.check_zarr import ChunkCoverage
from ingest.validators.outputs import check_tree
from tests.good_tree import build_good_tree

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


def mdoc_text(angles: list[float], *, axis: float = 84.7) -> str:
    """A SerialEM mdoc with one section per angle (in the given order) and a title naming the tilt axis."""
    text = (
        f"PixelSpacing = 5.0\nImageFile = RUN1.mrc\n\n[T = SerialEM: Krios    Tilt axis angle = {axis}, binning = 1]\n"
    )
    for z, angle in enumerate(angles):
        text += (
            f"\n[ZValue = {z}]\nTiltAngle = {angle:.2f}\nExposureTime = 1.0\nNumSubFrames = 4\n"
            f"SubFramePath = X:\\frames\\RUN1_{z:03d}.tif\n"
        )
    return text


def add_acquisition(root: Path) -> Path:
    """RUN1 gets what a tilt series comes with: the mdoc and frames (5 sections, 20 e/Å² each = total_flux),
    per-section parameters, and an alignment .tlt naming the tilt series."""
    run = root / RUN
    (run / "Frames").mkdir()
    (root / MDOC).write_text(mdoc_text([ANGLES[i] for i in ORDER]))
    for z in range(len(ANGLES)):
        (run / f"Frames/RUN1_{z:03d}.tif").write_bytes(b"II*\x00")
    frames = [
        {"acquisition_order": n, "accumulated_dose": 20.0 * n, "exposure_dose": 20.0, "is_gain_corrected": True}
        for n in range(len(ANGLES))
    ]
    write(root, FRAMES_META, {"deposition_id": 300, "dose_rate": 20.0, "is_gain_corrected": True, "frames": frames})
    sections = [
        {"z_index": i, "frame_acquisition_order": ORDER.index(i), "raw_angle": float(a)} for i, a in enumerate(ANGLES)
    ]
    edit(TS_META, lambda m: m.update(per_section_parameter=sections))(root)
    (root / TLT).write_text("".join(f"{a + 0.001:.3f}\n" for a in ANGLES))
    edit(f"{ALIGNMENT}/alignment_metadata.json", lambda m: m.update(tiltseries_path=TS_META))(root)
    return root


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


def section(index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["per_section_parameter"][index].update(values)


def frame(index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["frames"][index].update(values)


def angles_file(angles: list[float]) -> str:
    return "".join(f"{a}\n" for a in angles)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The plain good tree (tilt series + raw tilts only) and the same with mdoc, frames and alignment .tlt."""
    folder = tmp_path_factory.mktemp("consistency")
    basic = build_good_tree(folder / "basic", runs=("RUN1",))
    full = add_acquisition(Path(shutil.copytree(basic, folder / "full")))
    return basic, full


def findings_after(pristine: tuple[Path, Path], tmp_path: Path, variant: str, change: Callable[[Path], None]) -> Any:
    tree = Path(shutil.copytree(pristine[variant == "full"], tmp_path / "tree"))
    change(tree)
    return check_tree(tree).findings


@pytest.mark.parametrize("variant", ["basic", "full"])
def test_clean_trees_have_no_finding(pristine: tuple[Path, Path], tmp_path: Path, variant: str) -> None:
    assert findings_after(pristine, tmp_path, variant, lambda root: None) == ()


# code -> (tree variant, one defect, the file the finding names)
CONSISTENCY_MUTATIONS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "C-TILT-FILE": ("full", text(RAWTLT, angles_file(ANGLES) + "ten\n"), RAWTLT),
    "C-TILT-RAWTLT-COUNT": ("basic", text(RAWTLT, angles_file(list(range(-20, 21, 5)))), RAWTLT),
    "C-TILT-RAWTLT-MDOC": ("full", both(remove(TLT), text(RAWTLT, angles_file([-20, -10, 0, 12, 20]))), RAWTLT),
    "C-TILT-MDOC-COUNT": (
        "basic",
        both(
            remove(RAWTLT),
            edit(TS_META, lambda m: m["tilt_range"].update(max=10)),
            put_mdoc([0, -10, 10, -20]),
        ),
        MDOC,
    ),
    "C-TILT-RANGE": ("full", edit(TS_META, lambda m: m["tilt_range"].update(min=-50)), TS_META),
    "C-TILT-AXIS": ("full", edit(TS_META, lambda m: m.update(tilt_axis=60.0)), TS_META),
    "C-TILT-SECTION": ("full", edit(TS_META, section(2, z_index=7)), TS_META),
    "C-TILT-SECTION-MDOC": ("full", edit(TS_META, section(3, raw_angle=11.0)), TS_META),
    "C-TILT-SECTION-FRAMES": (
        "full",
        both(
            remove(MDOC, *(f"{RUN}/Frames/RUN1_{z:03d}.tif" for z in range(5))),
            edit(FRAMES_META, lambda m: m.update(frames=[{**f, "exposure_dose": 25.0} for f in m["frames"][:4]])),
        ),
        TS_META,
    ),
    "C-ALN-TLT": ("full", text(TLT, angles_file([-20, -10, 0, 15, 20])), TLT),
    "C-FRAMES-MDOC": ("full", remove(f"{RUN}/Frames/RUN1_004.tif"), FRAMES_META),
    "C-FRAMES-DOSE": ("full", edit(TS_META, lambda m: m.update(total_flux=150)), TS_META),
    "C-FRAMES-ORDER": (
        "full",
        both(edit(FRAMES_META, frame(1, accumulated_dose=60.0)), edit(FRAMES_META, frame(3, accumulated_dose=20.0))),
        FRAMES_META,
    ),
    "C-META-VALUES": ("basic", edit(TS_META, lambda m: m.update(total_flux=0)), TS_META),
    "C-FRAMES-GAIN": ("full", edit(FRAMES_META, lambda m: m.update(is_gain_corrected=False)), FRAMES_META),
}


@pytest.mark.parametrize("code", sorted(CONSISTENCY_MUTATIONS))
def test_one_defect_trips_exactly_its_code(pristine: tuple[Path, Path], tmp_path: Path, code: str) -> None:
    variant, change, named = CONSISTENCY_MUTATIONS[code]
    findings = findings_after(pristine, tmp_path, variant, change)
    assert {f.code for f in findings} == {code}, [f"{f.code} {f.file} {f.describe()}" for f in findings]
    assert any(f.file == named for f in findings), [f.file for f in findings]


def test_thirty_raw_tilts_beside_fewer_sections_are_reported_also_in_depth(
    pristine: tuple[Path, Path], tmp_path: Path
) -> None:
    tree = Path(shutil.copytree(pristine[0], tmp_path / "tree"))
    (tree / RAWTLT).write_text(angles_file([-58.0 + 4 * i for i in range(30)]))
    for chunks in (ChunkCoverage.SAMPLE, ChunkCoverage.EVERY):
        found = [f for f in check_tree(tree, chunks=chunks).findings if f.code == "C-TILT-RAWTLT-COUNT"]
        assert [(f.file, f.expected, f.found) for f in found] == [(RAWTLT, "at most 5", "30")]


def test_tilt_range_narrower_than_the_mdoc_angles_is_reported(pristine: tuple[Path, Path], tmp_path: Path) -> None:
    tree = Path(shutil.copytree(pristine[0], tmp_path / "tree"))
    both(
        remove(RAWTLT),
        put_mdoc([float(a) for a in range(-60, 61, 3)]),
        edit(TS_META, lambda m: m.update(tilt_range={"min": -50, "max": 45}, tilt_step=5)),
    )(tree)
    found = check_tree(tree).findings
    assert {f.code for f in found} == {"C-TILT-RANGE"}
    assert found[0].file == TS_META and found[0].path == "tilt_range" and MDOC in found[0].message
