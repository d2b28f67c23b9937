"""Fuzzing source files: MRC headers at their extremes, pick files of every format, mdoc files.

Seeds are small valid files (written here, or by ``ingest example``); mutations set header fields to extremes,
truncate, append garbage, put huge numbers, NaN and infinities in cells, change column counts and nest JSON
deeply. Each case runs ``ingest convert volume``, ``ingest convert picks`` or an ``ingest deposition`` of the
mdoc; the property is in tests/fuzz_harness.py.
"""

from __future__ import annotations

import json
import math
import re
import struct
from pathlib import Path

import emfile
import mrcfile
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.pipeline.example import write_example
from tests.fuzz_harness import fuzz, run_case, sandbox

INT_EXTREMES = [0, 1, -1, 2, 4, 6, 12, 101, 255, 2**15, 2**16, 2**31 - 1, -(2**31)]
FLOAT_EXTREMES = [0.0, -0.0, 1e-45, -1.0, 1e38, -1e38, 3.4028235e38, math.nan, math.inf, -math.inf]

HEADER_FIELDS: dict[str, tuple[int, str, list[object]]] = {
    "nx": (0, "<i", INT_EXTREMES), "ny": (4, "<i", INT_EXTREMES), "nz": (8, "<i", INT_EXTREMES),
    "mode": (12, "<i", [*INT_EXTREMES, 3, 9, 10, 16]), "nxstart": (16, "<i", INT_EXTREMES),
    "nystart": (20, "<i", INT_EXTREMES), "nzstart": (24, "<i", INT_EXTREMES), "mx": (28, "<i", INT_EXTREMES),
    "my": (32, "<i", INT_EXTREMES), "mz": (36, "<i", INT_EXTREMES), "cella.x": (40, "<f", FLOAT_EXTREMES),
    "cella.y": (44, "<f", FLOAT_EXTREMES), "cella.z": (48, "<f", FLOAT_EXTREMES),
    "cellb.alpha": (52, "<f", FLOAT_EXTREMES), "mapc": (64, "<i", INT_EXTREMES), "mapr": (68, "<i", INT_EXTREMES),
    "maps": (72, "<i", INT_EXTREMES), "dmin": (76, "<f", FLOAT_EXTREMES), "dmax": (80, "<f", FLOAT_EXTREMES),
    "dmean": (84, "<f", FLOAT_EXTREMES), "ispg": (88, "<i", INT_EXTREMES), "nsymbt": (92, "<i", INT_EXTREMES),
    "exttyp": (104, "4s", [b"FEI1", b"CCP4", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"]),
    "nversion": (108, "<i", INT_EXTREMES), "origin.x": (196, "<f", FLOAT_EXTREMES),
    "map": (208, "4s", [b"MAP ", b"\x00\x00\x00\x00", b"PAM ", b"\xff\xfe\xfd\xfc"]),
    "machst": (212, "4s", [b"DA\x00\x00", b"\x11\x11\x00\x00", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"]),
    "rms": (216, "<f", FLOAT_EXTREMES), "nlabl": (220, "<i", INT_EXTREMES),
}  # fmt: skip
"""Every MRC2014 header field this pipeline reads (offset, struct format, extreme values)."""


@pytest.fixture(scope="module")
def mrc_seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("mrc") / "seed.mrc"
    with mrcfile.new(str(path)) as mrc:
        mrc.set_data(np.arange(4 * 6 * 8, dtype=np.float32).reshape(4, 6, 8))
        mrc.voxel_size = 10.0
    return path.read_bytes()


@fuzz(examples=100)
@given(
    data=st.data(),
    kind=st.sampled_from(["tomogram", "tiltseries", "semantic-mask", "instance-mask"]),
    tail=st.sampled_from(["keep", "truncate", "append"]),
)
def test_mrc_headers_at_their_extremes_end_in_a_documented_exit(
    mrc_seed: bytes, data: st.DataObject, kind: str, tail: str
) -> None:
    content = bytearray(mrc_seed)
    for name in data.draw(st.lists(st.sampled_from(sorted(HEADER_FIELDS)), min_size=1, max_size=3, unique=True)):
        offset, layout, values = HEADER_FIELDS[name]
        struct.pack_into(layout, content, offset, data.draw(st.sampled_from(values)))
    if tail == "truncate":
        content = content[: data.draw(st.integers(0, len(content) - 1))]
    elif tail == "append":
        content += data.draw(st.binary(min_size=1, max_size=64))
    with sandbox() as folder:
        (folder / "in.mrc").write_bytes(bytes(content))
        out = folder / "out"
        out.mkdir()
        args = ["convert", "volume", "in.mrc", "out/v.zarr", "--voxel-spacing", "10", "--mrc", "out/v.mrc"]
        mask = ["--threshold", "1"] if kind == "semantic-mask" else []
        run_case("mrc header", [*args, "--kind", kind, "--workers", "1", *mask], folder, [out])


def _star(columns: list[str], rows: list[list[object]], block: str = "particles") -> str:
    header = "\n".join(f"_{name} #{index}" for index, name in enumerate(columns, start=1))
    body = "\n".join("  ".join(str(cell) for cell in row) for row in rows)
    return f"# version 30001\n\ndata_{block}\n\nloop_\n{header}\n{body}\n"


RELION3 = ["rlnCoordinateX", "rlnCoordinateY", "rlnCoordinateZ", "rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi"]
RELION4 = [*RELION3, "rlnTomoName", "rlnOriginXAngst", "rlnOriginYAngst", "rlnOriginZAngst"]
RELION5 = ["rlnTomoName", "rlnCenteredCoordinateXAngst", "rlnCenteredCoordinateYAngst", "rlnCenteredCoordinateZAngst"]
STOPGAP = ["tomo_num", "orig_x", "orig_y", "orig_z", "x_shift", "y_shift", "z_shift", "phi", "psi", "the"]

TEXT_SEEDS: dict[str, str] = {
    "csv": "1,2,3\n4,5,6\n",
    "csv_with_header": "x,y,z\n1,2,3\n4,5,6\n",
    "tsv": "1\t2\t3\n4\t5\t6\n",
    "tardis": "IDs,X,Y,Z\n1,2,3,4\n2,5,6,7\n",
    "relion3_star": _star(RELION3, [[4, 8, 12, 90, 45, 180], [1, 2, 3, 0, 0, 0]]),
    "tomoman_relion_star": _star(RELION3, [[4, 8, 12, 90, 45, 180]]),
    "relion4_star": _star(RELION4, [[4, 8, 12, 90, 45, 180, "TS_001", 1, 2, 3]]),
    "relion5_star": _star(RELION5, [["TS_001", 10, 20, 30]]),
    "stopgap_star": _star(STOPGAP, [[1, 4, 8, 12, -1.2, -2.4, -3.2, 90, 180, 45]], block="stopgap_motivelist"),
    "dynamo_tbl": " ".join(
        ["1", "1", "1", "0", "0", "0", "-155.55", "63.924", "197.81"] + ["0"] * 14 + ["10", "20", "30"]
    )
    + "\n",
    "copick": json.dumps(
        {
            "pickable_object_name": "p",
            "user_id": "u",
            "session_id": "0",
            "run_name": "TS_001",
            "voxel_spacing": 10,
            "points": [{"location": {"x": 10, "y": 20, "z": 30}, "transformation_": np.eye(4).tolist()}],
        }
    ),
    "eman2_json": json.dumps({"boxes_3d": [[10, 20, 30, "manual", 0.0, 0]], "class_list": {"0": {"name": "p"}}}),
}
"""One small valid file per text format."""

NUMBERS = re.compile(r"-?\d+(\.\d+)?")
HOSTILE_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "1e308", "9" * 400, "0x10", "", "1,5", "null"]


@st.composite
def mutated_pick_text(draw: st.DrawFn, seed: str) -> bytes:
    """``seed`` with hostile numbers, changed column counts, deep nesting, truncation or garbage."""
    text = seed
    action = draw(st.sampled_from(["numbers", "columns", "nest", "truncate", "garbage", "lines"]))
    if action == "numbers":
        matches = list(NUMBERS.finditer(text))
        for match in sorted(draw(st.lists(st.sampled_from(matches), min_size=1, max_size=4, unique_by=id)),
                            key=lambda m: -m.start()):  # fmt: skip
            text = text[: match.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + text[match.end() :]
    elif action == "columns":
        lines = text.splitlines()
        index = draw(st.integers(0, len(lines) - 1))
        separator = "\t" if "\t" in lines[index] else "," if "," in lines[index] else " "
        cells = lines[index].split(separator)
        count = draw(st.integers(0, len(cells) + 3))
        lines[index] = separator.join((cells + ["7"] * count)[:count])
        text = "\n".join(lines) + "\n"
    elif action == "nest":
        depth = draw(st.sampled_from([10, 100, 999, 5000, 100_000]))
        at = draw(st.integers(0, len(text)))
        text = text[:at] + "[" * depth + "]" * depth + text[at:]
    elif action == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif action == "lines":
        text = text + text.splitlines()[-1] * draw(st.integers(1, 3)) + "\n"
    else:
        return text.encode() + draw(st.binary(min_size=1, max_size=100))
    return text.encode("utf-8", "surrogatepass")


EXTREME_WORDS = [b"\xff\xff\xff\x7f", b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\xff\xff\xff\xff"]
"""Four-byte words: int32 max, NaN, +inf (little-endian floats), -1."""


@pytest.fixture(scope="module")
def binary_seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("binary")
    motive = np.zeros((1, 20, 2), dtype=np.float32)
    motive[0, 7:10, :] = [[10, 11], [20, 21], [30, 31]]
    emfile.write(folder / "m.em", motive, overwrite=True)
    return {"tom_em": (folder / "m.em").read_bytes(), "mod": b"IMODV1.2" + b"\x00" * 232 + b"OBJT" + b"\x00" * 176}


FORMAT_OPTIONS = {"relion5_star": ["--tomogram-size", "64,64,64"], "copick": ["--voxel-spacing", "10"]}


def _convert_picks(file_format: str, content: bytes, shape: str) -> None:
    with sandbox() as folder:
        (folder / "picks.in").write_bytes(content)
        out = folder / "out"
        out.mkdir()
        args = ["convert", "picks", "picks.in", "out/p.ndjson", "--from", file_format, "--shape", shape]
        run_case(f"picks {file_format}", [*args, *FORMAT_OPTIONS.get(file_format, [])], folder, [out])


@pytest.mark.parametrize("file_format", sorted(TEXT_SEEDS))
@fuzz(examples=25)
@given(data=st.data(), shape=st.sampled_from(["point", "oriented-point"]))
def test_text_pick_files_end_in_a_documented_exit(file_format: str, data: st.DataObject, shape: str) -> None:
    _convert_picks(file_format, data.draw(mutated_pick_text(TEXT_SEEDS[file_format])), shape)


@pytest.mark.parametrize("file_format", ["tom_em", "mod"])
@fuzz(examples=25)
@given(data=st.data(), shape=st.sampled_from(["point", "oriented-point"]))
def test_binary_pick_files_end_in_a_documented_exit(
    binary_seeds: dict[str, bytes], file_format: str, data: st.DataObject, shape: str
) -> None:
    content = bytearray(binary_seeds[file_format])
    action = data.draw(st.sampled_from(["truncate", "flip", "append", "garbage"]))
    if action == "truncate":
        content = content[: data.draw(st.integers(0, len(content)))]
    elif action == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            offset = data.draw(st.integers(0, len(content) - 4))
            content[offset : offset + 4] = data.draw(st.sampled_from(EXTREME_WORDS))
    elif action == "append":
        content += data.draw(st.binary(min_size=1, max_size=200))
    else:
        content = bytearray(data.draw(st.binary(max_size=300)))
    _convert_picks(file_format, bytes(content), data.draw(st.sampled_from(["point", "oriented-point"])))


@pytest.fixture(scope="module")
def example_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example-seed")
    write_example(folder)
    return folder


MDOC_VALUES = [
    "",
    "nan",
    "inf",
    "-1e400",
    "1e400",
    "X:\\..\\..\\etc\\passwd",
    "/abs/path.tif",
    "-1",
    "9" * 50,
    "[",
    "=",
]


@fuzz(examples=12)
@given(data=st.data())
def test_mdoc_files_end_in_a_documented_exit(example_seed: Path, data: st.DataObject) -> None:
    seed = (example_seed / "phantom" / "tiltseries" / "TS_001.mdoc").read_text()
    lines = seed.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["value", "delete", "bracket", "garbage"]))
        if action == "value" and "=" in lines[index]:
            lines[index] = lines[index].split("=")[0] + "= " + data.draw(st.sampled_from(MDOC_VALUES))
        elif action == "delete":
            del lines[index]
        elif action == "bracket":
            lines[index] = data.draw(st.sampled_from(["[ZValue = ]", "[ZValue = 0]", "[ZValue = -5]", "[", "]"]))
        else:
            lines[index] = data.draw(st.text(max_size=12))
        if not lines:
            break
    with sandbox(example_seed) as folder:
        (folder / "phantom" / "tiltseries" / "TS_001.mdoc").write_text("\n".join(lines), errors="surrogatepass")
        out = folder / "out"
        args = ["deposition", "example.yaml", "--output", "out", "--workers", "1", "--no-check", "--run", "TS_001"]
        run_case("mdoc", [*args, "--only", "frames", "--timestamp", "2026-03-01"], folder, [out])
