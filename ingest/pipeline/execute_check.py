"""The output checks ``ingest deposition`` runs by default on the runs it has just written (``--no-check``: off).

Only runs that succeeded are checked (a failed run is already reported with its reason, and what it left unpublished
would only repeat it), together with the deposition and dataset metadata files. The same checks as ``ingest check``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ingest.checks.outputs import check_tree
from ingest.checks.tree_access import open_tree
from ingest.pipeline.execute import IngestReport
from ingest.pipeline.execute_settings import ExecutionSettings
from ingest.storage.base import typed_storage_options

_MATCHES_NOTHING = "(?!)"


def check_written_runs(
    report: IngestReport,
    settings: ExecutionSettings,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """``report`` with the findings of the output checks on its succeeded runs (see the module docstring);
    ``progress`` hears of each run checked."""
    succeeded = [run.run.split("/", 1) for run in report.runs if run.succeeded]
    datasets = sorted({re.escape(dataset) for dataset, _ in succeeded}) or [_MATCHES_NOTHING]
    runs = sorted({re.escape(name) for _, name in succeeded}) or [_MATCHES_NOTHING]
    options = typed_storage_options(dict(settings.storage_options)) if "://" in settings.output_url else None
    tree = open_tree(settings.output_url, options)
    findings = check_tree(tree, datasets=datasets, runs=runs, workers=workers, progress=progress)
    return replace(report, checks=findings)
