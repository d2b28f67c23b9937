"""EMAN2 tomogram info files (``eman2_json``): ``info/<tomogram>_info.json`` with ``boxes_3d``.

EMAN2's tomogram boxer and template matcher store each particle as ``[x, y, z, source, score, class_id]`` in
``boxes_3d``, and name the classes in ``class_list`` (``{"0": {"name": ..., "boxsize": ...}}``). Two layouts:

* with ``apix_unbin`` (EMAN2 ≥ 2.9 tomography workflow): coordinates are centred on the tomogram and in unbinned
  pixels of ``apix_unbin`` Å; position = x · apix_unbin / voxel spacing + size / 2, which needs the
  ``voxel_spacing`` option and the tomogram size (``extra`` option ``tomogram_size`` = ``X,Y,Z``);
* without it (older files): coordinates are corner-origin pixels of the tomogram; position = x / binning.

The ``extra`` option ``label`` keeps one class by name (EMAN2's ``--label``). EMAN2 info files hold one
tomogram each, so ``filter_value`` is refused. Orientations are not part of ``boxes_3d``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ingest.converters.picks.json_files import describe_json_top_level, json_number, load_json_file
from ingest.converters.picks.registry import Picks, ReadOptions, finish_picks, register_reader
from ingest.converters.picks.tables import reject_filter_value
from ingest.errors import EmptySelectionError, InputFileError, UsageError

Box = list[object]


def _info(path: Path) -> tuple[dict[str, object], list[Box]]:
    """The info document and its ``boxes_3d``, each box checked to be a list of at least three values."""
    source = str(path)
    document = load_json_file(path)
    boxes = document.get("boxes_3d") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(boxes, list):
        raise InputFileError(
            "not an EMAN2 info file with 3-D boxes",
            where=source,
            expected='an object with a "boxes_3d" list',
            found=describe_json_top_level(document),
        )
    for index, box in enumerate(boxes):
        if not isinstance(box, list) or len(box) < 3:
            raise InputFileError(
                "box is not [x, y, z, ...]",
                where=f"{source}: box {index + 1}",
                expected="a list of at least 3 numbers",
                found=str(box),
            )
    return document, boxes


def _scores(boxes: list[Box], source: str) -> NDArray[np.float64] | None:
    """Column 5 (the score) when every box has one."""
    if not boxes or any(len(box) < 5 for box in boxes):
        return None
    return np.array([json_number(box[4], where=f"{source}: box {i + 1}", what="score") for i, box in enumerate(boxes)])


def _class_mask(document: dict[str, object], boxes: list[Box], label: str | None, source: str) -> NDArray[np.bool_]:
    if label is None:
        return np.ones(len(boxes), dtype=bool)
    classes = document.get("class_list")
    names = (
        {str(k): str(v.get("name")) for k, v in classes.items() if isinstance(v, dict)}
        if isinstance(classes, dict)
        else {}
    )
    wanted = {key for key, name in names.items() if name == label}
    mask = np.array([len(box) > 5 and str(box[5]) in wanted for box in boxes], dtype=bool)
    if not mask.any():
        raise EmptySelectionError(
            f"no box has class {label!r}",
            where=source,
            expected="one of the class names: " + (", ".join(sorted(set(names.values()))) or "(no class_list)"),
            found=repr(label),
        )
    return mask


def _spacing_and_size(options: ReadOptions, source: str) -> tuple[float, NDArray[np.float64]]:
    text = dict(options.extra).get("tomogram_size")
    if options.voxel_spacing is None or text is None:
        raise UsageError(
            "centred EMAN2 coordinates (apix_unbin) need the voxel spacing and the tomogram size",
            where=source,
            expected="the voxel_spacing and tomogram_size (X,Y,Z) options",
            found=f"voxel_spacing={options.voxel_spacing}, tomogram_size={text}",
        )
    try:
        size = np.array([float(v) for v in text.split(",")], dtype=np.float64)
    except ValueError:
        size = np.zeros(0)
    if size.shape != (3,):
        raise UsageError("bad tomogram size", where=source, expected="X,Y,Z in voxels", found=repr(text))
    return float(options.voxel_spacing), size


@register_reader("eman2_json")
def read_eman2_info(path: Path, options: ReadOptions) -> Picks:
    """The 3-D boxes of an EMAN2 tomogram info file in voxels (see the module notes for the two layouts)."""
    source = str(path)
    reject_filter_value(options.filter_value, file_format="eman2_json", source=source)
    document, boxes = _info(path)
    mask = _class_mask(document, boxes, dict(options.extra).get("label"), source)
    coordinates = np.array(
        [
            [json_number(v, where=f"{source}: box {i + 1}", what="coordinate") for v in box[:3]]
            for i, box in enumerate(boxes)
        ],
        dtype=np.float64,
    ).reshape(-1, 3)[mask]
    scores = _scores(boxes, source)
    if "apix_unbin" in document:
        apix_unbin = json_number(document["apix_unbin"], where=source, what="apix_unbin")
        spacing, size = _spacing_and_size(options, source)
        positions = coordinates * apix_unbin / spacing + size / 2
    else:
        positions = coordinates / options.binning
    return finish_picks(positions, options, source=source, scores=None if scores is None else scores[mask])
