"""Checks on annotation files: ndJSON points against their declared shape and tomogram, masks, and meshes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ingest.checks.codes import check_finding
from ingest.checks.mrc import MrcHeader
from ingest.checks.ome_zarr import VolumeSample
from ingest.converters.volumes.kind import VolumeKind
from ingest.domain.report import Finding

ROTATION_TOLERANCE = 1e-6
FINDINGS_PER_CODE = 5
POINT_TYPES = {"Point": "point", "OrientedPoint": "orientedPoint", "InstanceSegmentation": "instancePoint"}
MASK_KINDS = {
    "SegmentationMask": VolumeKind.SEMANTIC_MASK,
    "SemanticSegmentationMask": VolumeKind.SEMANTIC_MASK,
    "InstanceSegmentationMask": VolumeKind.INSTANCE_MASK,
}


MESH_SHAPES = {"Mesh", "TriangularMesh", "TriangularMeshGroup"}


def mesh_findings(content: bytes, *, key: str) -> list[Finding]:
    """A mesh file must load as a binary glTF (glb) holding at least one triangle."""
    from ingest.converters.annotations.meshes import face_count, load_glb
    from ingest.errors import InputFileError

    try:
        triangles = face_count(load_glb(content, where=key))
    except InputFileError as error:
        return [check_finding("C-MESH-GLB", "not a readable glb mesh", file=key, found=error.found)]
    if triangles == 0:
        return [check_finding("C-MESH-GLB", "the glb mesh has no triangle", file=key, expected="a triangle or more")]
    return []


@dataclass(frozen=True)
class _Line:
    number: int
    type: str
    location: tuple[float, float, float]
    rotation: Any
    instance_id: Any


def ndjson_findings(
    content: bytes, *, key: str, shape: str, object_count: Any, tomogram_shape: tuple[int, int, int] | None
) -> list[Finding]:
    """Every problem of one ndJSON point file whose metadata declares ``shape`` and ``object_count``."""
    findings: list[Finding] = []
    lines: list[_Line] = []
    text = content.decode("utf-8", errors="replace")
    rows = text.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    for number, row in enumerate(rows, start=1):
        parsed = _parse_line(row)
        if isinstance(parsed, str):
            findings.append(_line_finding("C-NDJSON-PARSE", parsed, key, number))
        else:
            lines.append(_Line(number, *parsed))
    expected_type = POINT_TYPES.get(shape)
    for line in lines:
        if line.type != expected_type:
            findings.append(
                _line_finding(
                    "C-NDJSON-TYPE",
                    f"type does not match the shape {shape}",
                    key,
                    line.number,
                    expected=expected_type,
                    found=line.type,
                )
            )
    findings.extend(_rotation_findings(key, [line for line in lines if line.type == "orientedPoint"]))
    if tomogram_shape is not None:
        findings.extend(_outside_findings(key, lines, tomogram_shape))
    if shape == "InstanceSegmentation":
        count = len({str(line.instance_id) for line in lines})
        what = "distinct instance ids"
    else:
        count, what = len(rows), "lines"
    if object_count != count:
        findings.append(
            check_finding(
                "C-NDJSON-COUNT",
                f"{what} differ from the metadata's object_count",
                file=key,
                expected=object_count,
                found=count,
            )
        )
    return _capped(findings)


def point_count(content: bytes, shape: str) -> int:
    """The objects of one ndJSON point file as the portal counts them: lines, or distinct instance ids."""
    rows = [row for row in content.decode("utf-8", errors="replace").split("\n") if row]
    if shape != "InstanceSegmentation":
        return len(rows)
    parsed = [_parse_line(row) for row in rows]
    return len({str(line[3]) for line in parsed if not isinstance(line, str)})


def object_count_finding(object_count: Any, counts: dict[str, int], metadata_key: str) -> Finding | None:
    """An annotation with several point files: the portal's object_count is the largest count of its files
    (``importers/annotation.py``: ``max`` over the annotation's sources), so each file may hold fewer."""
    largest = max(counts.values())
    if object_count == largest:
        return None
    return check_finding(
        "C-NDJSON-COUNT",
        "object_count is not the largest object count of the annotation's point files",
        file=metadata_key,
        path="object_count",
        expected=f"{largest} ({', '.join(f'{key}: {count}' for key, count in sorted(counts.items()))})",
        found=object_count,
    )


def _parse_line(row: str) -> tuple[str, tuple[float, float, float], Any, Any] | str:
    try:
        item = json.loads(row)
    except json.JSONDecodeError as error:
        return f"not JSON ({error.msg})"
    if not isinstance(item, dict):
        return "a line must be one JSON object"
    location = item.get("location")
    if not isinstance(location, dict) or not all(
        isinstance(location.get(axis), int | float) and not isinstance(location.get(axis), bool) for axis in "xyz"
    ):
        return "location must be an object with numeric x, y, z"
    point = (float(location["x"]), float(location["y"]), float(location["z"]))
    if item.get("type") == "instancePoint" and not isinstance(item.get("instance_id"), int):
        return "an instancePoint needs an integer instance_id"
    return str(item.get("type")), point, item.get("xyz_rotation_matrix"), item.get("instance_id")


def _line_finding(code: str, message: str, key: str, number: int, **details: Any) -> Finding:
    finding = check_finding(code, message, file=key, **details)
    return Finding(
        finding.severity,
        finding.code,
        finding.message,
        file=key,
        line=number,
        expected=finding.expected,
        found=finding.found,
    )


def _rotation_findings(key: str, lines: Sequence[_Line]) -> Iterator[Finding]:
    for line in lines:
        try:
            matrix = np.asarray(line.rotation, dtype=float)
        except (TypeError, ValueError):
            matrix = np.zeros(0)
        if matrix.shape != (3, 3):
            yield _line_finding(
                "C-NDJSON-ROTATION", "xyz_rotation_matrix must be a 3×3 matrix", key, line.number, found=line.rotation
            )
            continue
        error = float(np.max(np.abs(matrix @ matrix.T - np.eye(3))))
        determinant = float(np.linalg.det(matrix))
        if error > ROTATION_TOLERANCE or abs(determinant - 1.0) > ROTATION_TOLERANCE:
            yield _line_finding(
                "C-NDJSON-ROTATION",
                "rotation is not orthonormal with determinant +1",
                key,
                line.number,
                expected="R·Rᵀ = I, det R = 1",
                found=f"max |R·Rᵀ - I| = {error:.2g}, det = {determinant:.6g}",
            )


def _outside_findings(key: str, lines: Sequence[_Line], shape: tuple[int, int, int]) -> Iterator[Finding]:
    size_xyz = (shape[2], shape[1], shape[0])
    for line in lines:
        if any(not 0 <= c <= n for c, n in zip(line.location, size_xyz, strict=True)):
            yield _line_finding(
                "C-NDJSON-OUTSIDE",
                "point outside its tomogram",
                key,
                line.number,
                expected=f"0 <= x, y, z <= {size_xyz}",
                found=line.location,
            )


def _capped(findings: list[Finding]) -> list[Finding]:
    """At most a few findings per code and file, the last one saying how many more there were."""
    counts = Counter((f.code, f.file) for f in findings)
    seen: Counter[tuple[str, str | None]] = Counter()
    kept: list[Finding] = []
    for finding in findings:
        group = (finding.code, finding.file)
        seen[group] += 1
        if seen[group] < FINDINGS_PER_CODE or counts[group] == FINDINGS_PER_CODE:
            kept.append(finding)
        elif seen[group] == FINDINGS_PER_CODE:
            more = counts[group] - FINDINGS_PER_CODE + 1
            kept.append(
                Finding(
                    finding.severity,
                    finding.code,
                    f"{finding.message} (and {more - 1} more like it)",
                    file=finding.file,
                    line=finding.line,
                    expected=finding.expected,
                    found=finding.found,
                )
            )
    return kept


def mask_findings(
    *,
    key: str,
    kind: VolumeKind,
    mrc: MrcHeader | None,
    sample: VolumeSample | None,
    tomogram_shape: tuple[int, int, int] | None,
    object_count: Any,
) -> list[Finding]:
    """Shape and value problems of one mask file (``mrc`` for an MRC, ``sample`` for an OME-Zarr)."""
    findings: list[Finding] = []
    shape = mrc.shape if mrc is not None else (sample.shape if sample is not None else None)
    if tomogram_shape is not None and shape is not None and tuple(shape) != tuple(tomogram_shape):
        findings.append(
            check_finding(
                "C-MASK-SHAPE", "mask shape differs from its tomogram's", file=key, expected=tomogram_shape, found=shape
            )
        )
    values = _sampled_values(sample)
    if kind is VolumeKind.SEMANTIC_MASK:
        bad: list[float] = sorted(set(values) - {0, 1})
        if mrc is not None and (mrc.dmin < 0 or mrc.dmax > 1):
            bad = bad or [mrc.dmin if mrc.dmin < 0 else mrc.dmax]
        if bad:
            findings.append(
                check_finding(
                    "C-MASK-VALUES",
                    "a binary mask holds values other than 0 and 1",
                    file=key,
                    expected="0 or 1",
                    found=bad[:10],
                )
            )
    elif kind is VolumeKind.INSTANCE_MASK and sample is not None:
        findings.extend(_label_findings(key, sample, values, object_count))
    return findings


def _sampled_values(sample: VolumeSample | None) -> list[int]:
    return [] if sample is None else sorted(sample.values)


def _label_findings(key: str, sample: VolumeSample, values: list[int], object_count: Any) -> Iterator[Finding]:
    if sample.label_values is None:
        yield check_finding("C-MASK-LABELS", "an instance mask needs image-label metadata", file=f"{key}/.zattrs")
        return
    declared = [v for v in sample.label_values if v != 0]
    if object_count is not None and len(declared) != object_count:
        yield check_finding(
            "C-MASK-LABELS",
            "image-label lists a different number of labels than object_count",
            file=f"{key}/.zattrs",
            expected=object_count,
            found=len(declared),
        )
    undeclared = sorted(set(values) - {0} - set(declared))
    absent = sorted(set(declared) - set(values)) if sample.complete else []
    if absent:
        yield check_finding(
            "C-MASK-LABELS",
            "image-label lists labels the data does not hold",
            file=key,
            expected=declared[:10],
            found=f"missing {absent[:10]}",
        )
    if undeclared:
        yield check_finding(
            "C-MASK-LABELS",
            "the data holds labels image-label does not list",
            file=key,
            expected=declared[:10],
            found=undeclared[:10],
        )
