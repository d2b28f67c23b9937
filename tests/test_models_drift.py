"""The committed models are exactly what ``python -m ingest.models.generate`` makes from ``schema/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.models.generate import MODELS_DIR, SCHEMA_NAMES

pytest.importorskip("linkml", reason="linkml (a development dependency) regenerates the models")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every file generated afresh into a temporary folder (generation takes a few seconds, so once)."""
    from ingest.models.generate import generate

    return generate(tmp_path_factory.mktemp("models"))


def test_generation_writes_every_committed_file(regenerated: list[Path]) -> None:
    expected = {f"{name}{suffix}" for name in SCHEMA_NAMES for suffix in ("_generated.py", ".py", ".schema.json")}
    assert {path.name for path in regenerated} == expected


def test_generated_files_match_the_committed_ones(regenerated: list[Path]) -> None:
    stale = [
        path.name
        for path in regenerated
        if path.read_text(encoding="utf-8") != (MODELS_DIR / path.name).read_text(encoding="utf-8")
    ]
    assert stale == [], "run `python -m ingest.models.generate` and commit the result"


def test_generation_embeds_no_date_or_tool_version(regenerated: list[Path]) -> None:
    for path in regenerated:
        text = path.read_text(encoding="utf-8")
        assert "generation_date" not in text
        assert "metamodel_version" not in text
