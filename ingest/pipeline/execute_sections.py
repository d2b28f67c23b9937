"""The tilt-series metadata fields computed from its section sources (:class:`~ingest.domain.tasks.SectionSources`):
``per_section_parameter``, ``raw_tlt_path`` and ``ctf_path``, as the portal's tilt-series importer writes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest.converters.acquisition.ctf_estimates import read_ctf_estimates
from ingest.converters.acquisition.mdoc import read_mdoc_sections
from ingest.converters.acquisition.section_parameters import per_section_parameters, read_raw_tilts
from ingest.domain.tasks import SectionSources


def section_fields(sections: SectionSources, read_text: Callable[[str], str]) -> dict[str, Any]:
    """``per_section_parameter``, ``raw_tlt_path`` and ``ctf_path``; ``read_text`` reads a source key as text.
    A file that cannot be read or matched is an :class:`~ingest.errors.InputFileError` naming it."""
    raw = read_raw_tilts(read_text(sections.rawtlt_source_key), sections.rawtlt_source_key)
    mdoc_key = sections.mdoc_source_key
    mdoc = read_mdoc_sections(read_text(mdoc_key), mdoc_key) if mdoc_key is not None else ()
    ctf = None
    if sections.ctf_source_key is not None:
        ctf = read_ctf_estimates(read_text(sections.ctf_source_key), sections.ctf_source_key, sections.ctf_format or "")
    return {
        "per_section_parameter": per_section_parameters(raw, mdoc, mdoc_key or "the mdoc", ctf),
        "raw_tlt_path": sections.rawtlt_key,
        "ctf_path": sections.ctf_key,
    }
