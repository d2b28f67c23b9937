"""Template values ("glob variables") at each level of the hierarchy, as the portal's importers provide them.

The portal formats every glob with the variables of the entity's parents (its ``get_glob_vars``): for each parent
kind ``K`` found so far (deposition, dataset, run, voxel spacing) ``{K_name}``, ``{int_K_name}`` (when the name is an
integer), ``{K_path}`` (where the finder found it) and ``{K_output_path}`` (its folder in the output tree), plus
``{output_path}`` (the output root) and, for a run, every column of the run data map and the names the older
run maps give (``{mapped_tomo_name}``, ``{mapped_frame_name}``, ``{mapped_ts_name}``). A parent's values win over a
run data map column of the same name, as in the portal (the parents' variables are applied last).

Deliberate differences: ``{K_path}`` is the key relative to ``{input}/{source_prefix}`` (a literal has none) and
``{K_output_path}`` / ``{output_path}`` are relative to the output root (``""`` for the root), because globs here
are matched against listings relative to those roots; a glob written as the portal writes it
(``{run_output_path}/Reconstructions/VoxelSpacing*``) matches the same files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

MAPPED_NAMES = {
    "mapped_tomo_name": "run_to_tomo_map_csv",
    "mapped_frame_name": "run_to_frame_map_csv",
    "mapped_ts_name": "run_to_ts_map_csv",
}
"""The run-map variables and the ``standardization_config`` key of the map each comes from."""

ENTITY_KINDS = ("deposition", "dataset", "run", "voxel_spacing")
"""The parent kinds whose variables planning provides (the parents of every section planned here)."""

ENTITY_SUFFIXES = ("name", "path", "output_path")


def portal_glob_vars() -> frozenset[str]:
    """Every built-in variable name (run data map columns aside) a template may use."""
    names = {f"{kind}_{suffix}" for kind in ENTITY_KINDS for suffix in ENTITY_SUFFIXES}
    names |= {f"int_{kind}_name" for kind in ENTITY_KINDS}
    return frozenset(names | {"output_path"} | set(MAPPED_NAMES))


def root_values() -> dict[str, str]:
    """The variables every template sees: the output root."""
    return {"output_path": ""}


def entity_values(kind: str, name: str, *, path: str | None, output_path: str) -> dict[str, str]:
    """The variables of one found entity: its name (and integer name), where it was found, its output folder."""
    values = {f"{kind}_name": name, f"{kind}_output_path": output_path}
    with contextlib.suppress(ValueError):
        values[f"int_{kind}_name"] = str(int(name))
    if path is not None:
        values[f"{kind}_path"] = path
    return values


def run_values(
    name: str,
    *,
    path: str | None,
    output_path: str,
    run_data: Mapping[str, str],
    mapped: Mapping[str, str],
    parents: Mapping[str, str],
) -> dict[str, str]:
    """A run's variables: its own, then its run data map columns and run-map names, then (winning) its parents'
    variables and its output folder, in the order the portal applies them."""
    values = entity_values("run", name, path=path, output_path=output_path)
    values.update(run_data)
    values.update(mapped)
    for key in parents:
        values.pop(key, None)
    values["run_output_path"] = output_path
    return values
