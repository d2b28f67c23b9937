"""Honest selections for ``ingest check``: nothing to check, or filters that select nothing, are errors.

A check that finds no file to verify would otherwise report "clean", and a CI job pointed at the wrong folder
or at a dataset that was never written would pass. :func:`require_selection` raises
:class:`NothingToCheckError` (exit status 2) saying what the tree holds instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.domain.tree_roles import CANONICAL, TreeLayout, dataset_and_run
from ingest.errors import UsageError

_SHOWN = 8


class NothingToCheckError(UsageError):
    """The tree, or the part of it the filters select, holds nothing to check (exit status 2)."""


def require_selection(
    location: str,
    keys: Sequence[str],
    *,
    datasets: Sequence[str] = (),
    runs: Sequence[str] = (),
    layout: TreeLayout = CANONICAL,
) -> None:
    """Raise :class:`NothingToCheckError` when ``keys`` (the tree's listing) leave nothing to check.

    ``datasets`` and ``runs`` are full-match regexes (of dataset ids and run names), as :func:`check_tree` takes them.
    """
    tree_keys = [key for key in keys if not layout.is_bookkeeping(key)]
    if not tree_keys:
        found = f"only the pipeline's records ({len(keys)} file(s) under .ingest/)" if keys else "an empty folder"
        raise NothingToCheckError(
            "nothing to check", where=location, expected="a portal tree (dataset folders)", found=found
        )
    placed = [dataset_and_run(key) for key in tree_keys]
    present = sorted({dataset for dataset, _ in placed if dataset is not None})
    dataset_patterns = [re.compile(pattern) for pattern in datasets]

    def wanted(dataset: str | None) -> bool:
        return dataset is not None and (not datasets or any(p.fullmatch(dataset) for p in dataset_patterns))

    if datasets and not any(wanted(dataset) for dataset in present):
        raise NothingToCheckError(
            "no dataset matches --dataset",
            where=location,
            expected="a dataset matching " + _listed(datasets),
            found=_datasets(present),
        )
    if runs:
        patterns = [re.compile(pattern) for pattern in runs]
        in_datasets = sorted({run for dataset, run in placed if run is not None and wanted(dataset)})
        if not any(pattern.fullmatch(run) for run in in_datasets for pattern in patterns):
            found = "runs " + _listed(in_datasets) if in_datasets else "no runs"
            raise NothingToCheckError(
                "no run matches --run", where=location, expected="a run matching " + _listed(runs), found=found
            )


def _datasets(present: Sequence[str]) -> str:
    return "datasets " + _listed(present) if present else "no dataset folders"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
