"""Template values for synthesizing a config's inputs: the run data map (the real one beside the config, or one
made up with every column the templates use), the run-to-name maps, and free fields whose values are invented
together with the path that uses them.

A field the synthesizer controls (a run-data-map column that is made up, a ``mapped_*_name`` without a map file)
becomes a wildcard in the glob it appears in; the filled path then tells its value (:func:`fill_template`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthetic_paths import invent_path

from ingest.config.rules.templates import BUILTIN_FIELDS

_FIELD = re.compile(r"\{([^{}]*)\}")
_WILDCARDS = re.compile(r"\*+|\?+|\[[^\]]+\]")
MAPS = {"run_to_tomo_map_csv": "mapped_tomo_name", "run_to_frame_map_csv": "mapped_frame_name"}
MAPS["run_to_ts_map_csv"] = "mapped_ts_name"

# Values for metadata slots filled from a made-up run data map (enums need one of their values).
_SLOT_VALUES = {
    "fiducial_alignment_status": "FIDUCIAL",
    "reconstruction_method": "WBP",
    "processing": "raw",
    "min": "-60",
    "max": "60",
    "tilt_series_quality": "4",
    "dose_rate": "2.5",
    "total_flux": "100",
    "tilt_axis": "84",
    "tilt_step": "3",
    "is_aligned": "false",
    "ctf_corrected": "false",
    "binning_from_frames": "1",
}
_SOFTWARE = ("software", "align_software")


def fields_of(text: str) -> list[str]:
    """The ``{field}`` names of a template."""
    return _FIELD.findall(text)


def metadata_slots(node: Any, key: str = "") -> list[tuple[str, str]]:
    """(slot name, template text) of every templated string in a metadata tree."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for name, value in node.items():
            found.extend(metadata_slots(value, str(name)))
    elif isinstance(node, list):
        for value in node:
            found.extend(metadata_slots(value, key))
    elif isinstance(node, str) and "{" in node:
        found.append((key, node))
    return found


def slot_value(slot: str, cast: bool) -> str:
    """A plausible value of a made-up column used in metadata slot ``slot``."""
    if slot in _SLOT_VALUES:
        return _SLOT_VALUES[slot]
    if any(slot.endswith(word) for word in _SOFTWARE):
        return "IMOD"
    if "voxel_spacing" in slot or "pixel_spacing" in slot:
        return "10.0"
    return "1" if cast else "synthetic"


@dataclass
class RunValues:
    """The template values of one run: built-ins, its run-data-map row and the mapped names; ``free`` are the
    fields whose values are still to be invented (they become wildcards)."""

    values: dict[str, str]
    free: set[str] = field(default_factory=set)


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV/TSV run data map with a header."""
    text = path.read_text(encoding="utf-8-sig")
    delimiter = "\t" if "\t" in text.splitlines()[0] else ","
    return [dict(row) for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)]


def read_pairs(path: Path) -> dict[str, str]:
    """A headerless two-column CSV (run name, mapped name)."""
    return {row[0]: row[1] for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) if len(row) > 1}


def table_text(rows: list[dict[str, str]], columns: list[str], tab: bool) -> str:
    """A run data map with ``columns`` (``run_name`` first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter="\t" if tab else ",", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in columns})
    return out.getvalue()


def _glob_regex(text: str, free: Mapping[str, str]) -> str:
    """A regular expression equivalent to glob ``text`` in which each marker of ``free`` (marker → field) is a
    named group (repeated fields must repeat their value)."""
    out: list[str] = []
    seen: set[str] = set()
    position = 0
    pattern = re.compile("|".join(map(re.escape, free)) or "$^")
    for match in pattern.finditer(text):
        out.append(_literal_regex(text[position : match.start()]))
        name = free[match.group(0)]
        group = re.sub(r"\W", "_", name)
        out.append(f"(?P={group})" if name in seen else f"(?P<{group}>[^/]+?)")
        seen.add(name)
        position = match.end()
    out.append(_literal_regex(text[position:]))
    return "".join(out)


def _literal_regex(text: str) -> str:
    out, position = [], 0
    for match in _WILDCARDS.finditer(text):
        out.append(re.escape(text[position : match.start()]))
        token = match.group(0)
        out.append("[^/]*" if token.startswith("*") else "[^/]" * len(token) if token.startswith("?") else token)
        position = match.end()
    out.append(re.escape(text[position:]))
    return "".join(out)


def fill_template(
    template: str,
    run: RunValues,
    *,
    invent: Callable[[str], str | None] | None = None,
    **finder: Any,
) -> str | None:
    """The concrete key for ``template``: known fields substituted, free fields made wildcards, the path invented
    (``invent_path`` with ``finder``'s regexes) and the free fields' values read back into ``run``."""
    markers: dict[str, str] = {}
    rendered = template
    for name in dict.fromkeys(fields_of(template)):
        if name in run.values:
            rendered = rendered.replace("{" + name + "}", run.values[name])
        elif name in run.free:
            marker = f"\x00{len(markers)}\x00"
            markers[marker] = name
            rendered = rendered.replace("{" + name + "}", marker)
        else:
            return None
    glob = rendered
    for marker in markers:
        glob = glob.replace(marker, "*")
    path = invent(glob) if invent is not None else invent_path(glob, **finder)
    if path is None:
        return None
    if markers:
        found = re.fullmatch(_glob_regex(rendered.strip("/"), markers), path)
        if found is None:
            return None
        for name in markers.values():
            value = found.group(re.sub(r"\W", "_", name))
            run.values[name] = value
            run.free.discard(name)
    return path


PROVIDED = frozenset(
    {"run_name", "int_run_name", "dataset_name", "deposition_name", "voxel_spacing_name", "int_voxel_spacing_name"}
    | {"run_output_path", "dataset_output_path", "deposition_output_path", "output_path", *MAPS.values()}
)


def builtin(name: str) -> bool:
    """Whether the synthesizer knows ``name``'s value without a run-data-map column (other built-ins such as
    ``tomogram_name`` in a source glob come from the run data map, as in the portal's glob variables)."""
    return name in PROVIDED and name in BUILTIN_FIELDS
