"""The portal's own database importer (``../shared/portal-importer``) as a test oracle for the trees we write.

``portal_import(tree, dataset_id, *deposition_ids)`` loads a tree with the importer that fills the CryoET Data
Portal's database and returns its ``compare.json`` (exit code, importer error, rows per table against the tree's
entities). Tests marked ``needs_portal_importer`` skip, naming the reason, when the importer is not set up
(``setup.sh`` has not run for ``PORTAL_IMPORTER_HOME``) or when the process may not run its database (not root);
``.ci/run`` sets it up. Checks of one home queue on a lock and take 15-30 s each: mark such tests ``slow``.
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

IMPORTER = Path(
    os.environ.get("PORTAL_IMPORTER_DIR") or Path(__file__).resolve().parents[2] / "shared" / "portal-importer"
)
"""The portal-importer folder: ``PORTAL_IMPORTER_DIR``, else ``shared/portal-importer`` beside the repository."""

HOME = Path(
    os.environ.get("PORTAL_IMPORTER_HOME")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "portal-importer"
)
"""Where ``setup.sh`` built the importer, its database and its S3 server."""


def why_portal_importer_is_not_ready() -> str | None:
    """None when the importer can run here, else why not."""
    if not (IMPORTER / "check_tree.sh").is_file():
        return f"no portal importer at {IMPORTER} (set PORTAL_IMPORTER_DIR)"
    if not (HOME / "setup.done").is_file():
        return f"portal importer not set up: run {IMPORTER}/setup.sh as root (PORTAL_IMPORTER_HOME={HOME})"
    if os.geteuid() != 0 and (HOME / "pg").owner() != getpass.getuser():
        return "the portal importer runs its database as another user and so needs root"
    return None


_REASON = why_portal_importer_is_not_ready()
needs_portal_importer = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


def portal_import(tree: Path, dataset_id: int | str, *deposition_ids: int | str, tmp_path: Path) -> dict[str, Any]:
    """Import TREE with the portal's importer; its ``compare.json`` plus ``stdout`` (the printed table).

    Exit 2 (``oracle_not_ready``: a server did not start, say, while another process of the machine used the
    shared home) says nothing about the tree, so the check is tried once more before the result is returned."""
    out = tmp_path / "portal-import.json"
    command = ["bash", str(IMPORTER / "check_tree.sh"), "--json", str(out), str(tree), str(dataset_id)]
    for attempt in range(2):
        proc = subprocess.run(
            [*command, *(str(d) for d in deposition_ids)], capture_output=True, text=True, timeout=1800, check=False
        )
        if proc.returncode != 2 or attempt == 1:
            break
        time.sleep(5)
    report: dict[str, Any] = json.loads(out.read_text())
    assert report["exit_code"] == proc.returncode, proc.stdout + proc.stderr
    report["stdout"] = proc.stdout + proc.stderr
    return report


def assert_imports_one_row_per_entity(report: dict[str, Any]) -> None:
    """The import succeeded and no counted table is short (rows merged or lost)."""
    assert report["exit_code"] == 0, report["stdout"]
    assert report["short"] == [], report["stdout"]
