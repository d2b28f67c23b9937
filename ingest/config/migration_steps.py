"""The portal's config migrations 1.0.0 → 1.1.0 → 1.2.0 → 1.3.0, one function a step.

Facts from the portal's ``ingestion_tools/scripts/schema_migration/migrate_v1_{1,2,3}_0.py`` (the step named
``migrate_v1_N_0`` produces version 1.N.0):

* **1.0.0 → 1.1.0**: ``.mdoc`` globs of the raw-tilt sources move to ``collection_metadata``; IMOD files (``.tlt``,
  ``.xf``, ``.com``, ``.xtilt``) and AreTomo3 files (``.aln``, ``.txt``, ``.csv``) move to an ``alignments`` entry of
  that ``format``, which takes the tomograms' affine matrix when it is not the identity; every alignment gets the
  ``method_type`` the tomograms imply (``FIDUCIAL`` → fiducial_based, AreTomo → projection_matching, IMOD →
  patch_tracking); every tomogram gets ``is_visualization_default: true``, the first deposition's dates when it has
  none and an identity affine matrix when it has none; ``depositions`` is required; then every empty list or
  mapping is removed (except an empty ``annotations``).
* **1.1.0 → 1.2.0**: ``standardization_config.frame_dose_rate`` (or, with ``collection_metadata``, dose rate 0)
  becomes ``metadata: {dose_rate, is_gain_corrected}`` of every ``frames`` entry without metadata; a config with
  tilt series and no ``frames`` gets a ``literal: [default]`` frames entry; ``frame_dose_rate`` is removed.
  ``is_gain_corrected`` is what the portal's script computes: whether the config has a top-level ``gain`` key
  (configs have ``gains``, so it is false in practice).
* **1.2.0 → 1.3.0**: every annotation without ``annotation_ingest_id`` gets ``<slug of annotation_object.name>-<n>``
  (lower case, runs of other characters → ``-``), ``n`` counting the ids of that base in file order.

Where the portal's script would crash on a shape it did not foresee (a raw-tilt source that is not its first
``source_multi_glob``, an alignment without metadata), the step does the evident thing instead. Deliberate
differences, each where the portal's result would be unusable: the portal stops on any config with more than one
``tomograms`` or ``rawtilts`` entry; here only when alignment files move and the tomograms' non-identity affine
matrices disagree. A generated ingest id skips a counter value already taken by a later annotation instead of
repeating it. Steps edit plain mappings and lists in place (also ruamel.yaml's round-trip tree) and return what they
changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.errors import ConfigError

_IMOD_SUFFIXES = (".tlt", ".xf", ".com", ".xtilt")
_ARETOMO3_SUFFIXES = (".aln", ".txt", ".csv")
_TOMOGRAM_DEFAULTS = ("is_visualization_default", "dates", "affine_transformation_matrix")
_IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]


class MigrationRefusedError(ConfigError):
    """A config the portal's migration cannot upgrade; ``where`` names the config path."""


@dataclass(frozen=True)
class MigrationStep:
    """One portal migration: the version it reads, the version it writes, and the edit."""

    from_version: str
    to_version: str
    apply: Callable[[dict[str, Any]], list[str]]


def _plain_copy(value: Any) -> Any:
    """A copy as plain dicts and lists (no comments or anchors of a round-trip tree come along)."""
    if isinstance(value, dict):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return value


def _entries(tree: dict[str, Any], section: str) -> list[Any]:
    value = tree.get(section)
    return value if isinstance(value, list) else []


def _metadata(entry: Any) -> dict[str, Any] | None:
    metadata = entry.get("metadata") if isinstance(entry, dict) else None
    return metadata if isinstance(metadata, dict) else None


def _glob_lists(entry: Any) -> list[list[Any]]:
    """The ``list_globs`` lists of an entry's ``source_multi_glob`` sources."""
    lists = []
    for source in entry.get("sources") or [] if isinstance(entry, dict) else []:
        multi = source.get("source_multi_glob") if isinstance(source, dict) else None
        if isinstance(multi, dict) and isinstance(multi.get("list_globs"), list):
            lists.append(multi["list_globs"])
    return lists


def _take_globs(tree: dict[str, Any], wanted: Callable[[str], bool]) -> list[str]:
    """Remove and return every raw-tilt glob for which ``wanted`` holds (emptied lists stay, as in the portal)."""
    taken: list[str] = []
    for entry in _entries(tree, "rawtilts"):
        for globs in _glob_lists(entry):
            moving = [g for g in globs if isinstance(g, str) and wanted(g)]
            for glob in moving:
                globs.remove(glob)
            taken.extend(moving)
        for source in entry.get("sources") or [] if isinstance(entry, dict) else []:
            single = source.get("source_glob") if isinstance(source, dict) else None
            if isinstance(single, dict) and isinstance(single.get("list_glob"), str) and wanted(single["list_glob"]):
                taken.append(single["list_glob"])
                del source["source_glob"]
    return taken


def _multi_glob_of(entry: dict[str, Any]) -> list[Any]:
    """The first ``source_multi_glob`` list of ``entry``, appended as a new source when it has none."""
    lists = _glob_lists(entry)
    if lists:
        return lists[0]
    globs: list[Any] = []
    entry.setdefault("sources", []).append({"source_multi_glob": {"list_globs": globs}})
    return globs


def _mdoc_to_collection_metadata(tree: dict[str, Any]) -> list[str]:
    moved = _take_globs(tree, lambda glob: glob.endswith(".mdoc"))
    if not moved:
        return []
    if not _entries(tree, "collection_metadata"):
        tree["collection_metadata"] = [{}]
    first = tree["collection_metadata"][0]
    _multi_glob_of(first).extend(moved)
    return [f"moved {len(moved)} mdoc glob(s) from rawtilts to collection_metadata"]


def _non_identity_affines(tree: dict[str, Any]) -> list[Any]:
    found = []
    for tomogram in _entries(tree, "tomograms"):
        matrix = (_metadata(tomogram) or {}).get("affine_transformation_matrix")
        if matrix and not _is_identity(matrix):
            found.append(matrix)
    return found


def _is_identity(matrix: Any) -> bool:
    try:
        return (
            all(
                abs(float(matrix[i][j]) - _IDENTITY[i][j]) <= 1e-8 + 1e-5 * abs(_IDENTITY[i][j])
                for i in range(4)
                for j in range(4)
            )
            and len(matrix) == 4
        )
    except (TypeError, ValueError, IndexError, KeyError):
        return False


def _rawtilts_to_alignments(tree: dict[str, Any]) -> list[str]:
    imod = _take_globs(tree, lambda glob: glob.endswith(_IMOD_SUFFIXES))
    aretomo = _take_globs(tree, lambda glob: glob.endswith(_ARETOMO3_SUFFIXES))
    if not imod and not aretomo:
        return []
    affines = _non_identity_affines(tree)
    if any(matrix != affines[0] for matrix in affines):
        raise MigrationRefusedError(
            "alignment files move from rawtilts to alignments, but the tomograms give different affine matrices",
            where="tomograms",
            expected="one non-identity affine_transformation_matrix (or none) to give the new alignment",
            found=f"{len(affines)} different ones",
        )
    alignments = tree.get("alignments")
    if not isinstance(alignments, list):
        alignments = tree["alignments"] = []
    changes = []
    for kind, files in (("IMOD", imod), ("ARETOMO3", aretomo)):
        if not files:
            continue
        same = [a for a in alignments if (_metadata(a) or {}).get("format") == kind]
        if same:
            alignment = same[-1]
            _multi_glob_of(alignment).extend(files)
        else:
            alignment = {"metadata": {"format": kind}, "sources": [{"source_multi_glob": {"list_globs": files}}]}
            alignments.append(alignment)
        if affines:
            alignment["metadata"]["affine_transformation_matrix"] = _plain_copy(affines[-1])
        changes.append(f"moved {len(files)} {kind} alignment glob(s) from rawtilts to alignments")
    return changes


def _alignment_method_types(tree: dict[str, Any]) -> list[str]:
    tomograms = [m for m in map(_metadata, _entries(tree, "tomograms")) if m is not None]
    alignments = [a for a in _entries(tree, "alignments") if isinstance(a, dict)]
    if not tomograms or not alignments:
        return []
    method = None
    for metadata in tomograms:  # the last tomogram that implies a method wins, as in the portal's loop
        software = str(metadata.get("reconstruction_software") or "").lower()
        if metadata.get("fiducial_alignment_status", "NON_FIDUCIAL") == "FIDUCIAL":
            method = "fiducial_based"
        elif "aretomo" in software:
            method = "projection_matching"
        elif "imod" in software:
            method = "patch_tracking"
    if method is None:
        return []
    changed = 0
    for alignment in alignments:
        metadata = alignment.setdefault("metadata", {})
        if metadata.get("method_type") != method:
            metadata["method_type"] = method
            changed += 1
    return [f"set method_type {method} on {changed} alignment(s)"] if changed else []


def _tomogram_defaults(tree: dict[str, Any]) -> list[str]:
    deposition = _metadata(_entries(tree, "depositions")[0]) if _entries(tree, "depositions") else None
    changed = 0
    for metadata in map(_metadata, _entries(tree, "tomograms")):
        if not metadata:
            continue
        before = [metadata.get(key) for key in _TOMOGRAM_DEFAULTS]
        metadata["is_visualization_default"] = True
        if not metadata.get("dates") and deposition and deposition.get("dates"):
            metadata["dates"] = _plain_copy(deposition["dates"])
        if not metadata.get("affine_transformation_matrix"):
            metadata["affine_transformation_matrix"] = [list(row) for row in _IDENTITY]
        changed += before != [metadata.get(key) for key in _TOMOGRAM_DEFAULTS]
    return [f"set {', '.join(_TOMOGRAM_DEFAULTS)} defaults in {changed} tomogram entr(ies)"] if changed else []


def _remove_empty(node: Any, path: str, removed: list[str]) -> None:
    if isinstance(node, dict):
        for key in list(node):
            value = node[key]
            if isinstance(value, (dict, list)):
                _remove_empty(value, f"{path}.{key}" if path else str(key), removed)
                if not value and key != "annotations":
                    del node[key]
                    removed.append(f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index in reversed(range(len(node))):
            value = node[index]
            if isinstance(value, (dict, list)):
                _remove_empty(value, f"{path}[{index}]", removed)
                if not value:
                    del node[index]
                    removed.append(f"{path}[{index}]")


def upgrade_1_0_to_1_1(tree: dict[str, Any]) -> list[str]:
    """The portal's ``migrate_v1_1_0``: raw tilts split into collection metadata and alignments; defaults."""
    changes = _mdoc_to_collection_metadata(tree)
    changes += _rawtilts_to_alignments(tree)
    changes += _alignment_method_types(tree)
    changes += _tomogram_defaults(tree)
    if "depositions" not in tree:
        raise MigrationRefusedError(
            "a 1.1.0 config needs a depositions section", where="depositions", expected="depositions", found="none"
        )
    removed: list[str] = []
    _remove_empty(tree, "", removed)
    if removed:
        changes.append(f"removed {len(removed)} empty field(s) ({', '.join(sorted(removed))})")
    return changes


def upgrade_1_1_to_1_2(tree: dict[str, Any]) -> list[str]:
    """The portal's ``migrate_v1_2_0``: ``frame_dose_rate`` becomes frames metadata."""
    standardization = tree.get("standardization_config")
    standardization = standardization if isinstance(standardization, dict) else {}
    dose_rate = standardization.get("frame_dose_rate", 0)
    changes = []
    if dose_rate or "collection_metadata" in tree:
        if "frames" not in tree and _entries(tree, "tiltseries"):
            tree["frames"] = [{"sources": [{"literal": {"value": ["default"]}}]}]
            changes.append("added a frames entry (literal default) for the tilt series")
        filled = 0
        for entry in _entries(tree, "frames"):
            if isinstance(entry, dict) and "metadata" not in entry:
                entry["metadata"] = {"dose_rate": dose_rate, "is_gain_corrected": "gain" in tree}
                filled += 1
        if filled:
            changes.append(f"set frames metadata dose_rate {dose_rate} on {filled} entr(ies)")
    if "frame_dose_rate" in standardization:
        del standardization["frame_dose_rate"]
        changes.append("removed standardization_config.frame_dose_rate")
    return changes


def _slug(name: Any) -> str:
    if not name:
        return "unknown"
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")


def upgrade_1_2_to_1_3(tree: dict[str, Any]) -> list[str]:
    """The portal's ``migrate_v1_3_0``: every annotation gets an ``annotation_ingest_id``."""
    metadatas = [m for m in map(_metadata, _entries(tree, "annotations")) if m]
    taken = {str(m["annotation_ingest_id"]) for m in metadatas if "annotation_ingest_id" in m}
    counts: dict[str, int] = {}
    generated = []
    for metadata in metadatas:
        if "annotation_ingest_id" in metadata:
            base = re.sub(r"-\d+$", "", str(metadata["annotation_ingest_id"]))
            counts[base] = counts.get(base, 0) + 1
            continue
        annotation_object = metadata.get("annotation_object")
        base = _slug(annotation_object.get("name", "unknown") if isinstance(annotation_object, dict) else "unknown")
        counts[base] = counts.get(base, 0) + 1
        while f"{base}-{counts[base]}" in taken:
            counts[base] += 1
        metadata["annotation_ingest_id"] = f"{base}-{counts[base]}"
        taken.add(metadata["annotation_ingest_id"])
        generated.append(metadata["annotation_ingest_id"])
    return [f"generated annotation_ingest_id {', '.join(generated)}"] if generated else []


MIGRATION_STEPS = (
    MigrationStep("1.0.0", "1.1.0", upgrade_1_0_to_1_1),
    MigrationStep("1.1.0", "1.2.0", upgrade_1_1_to_1_2),
    MigrationStep("1.2.0", "1.3.0", upgrade_1_2_to_1_3),
)
"""The portal's steps in order; a config runs every step from its declared version on."""
