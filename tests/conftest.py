"""Shared fixtures: the reference corpus (optional tier) and small helpers for writing test inputs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def corpus_root() -> Path | None:
    """The reference corpus named by ``INGEST_CORPUS``, or None when it is not set or absent."""
    value = os.environ.get("INGEST_CORPUS")
    if not value:
        return None
    path = Path(value)
    return path if path.is_dir() else None


@pytest.fixture
def corpus() -> Path:
    """The reference corpus folder; tests using it are skipped when ``INGEST_CORPUS`` is not set."""
    root = corpus_root()
    if root is None:
        pytest.skip("INGEST_CORPUS is not set: the reference-corpus tier does not run")
    return root
