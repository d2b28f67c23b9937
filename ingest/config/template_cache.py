"""Config templates rendered fast: each distinct template is parsed once (safely, by :mod:`ingest.config.templates`)
and turned into a plain ``str.format_map`` string, so planning thousands of runs does not re-parse anything."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from ingest.config.templates import Cast, Template, parse_template, render_template, render_typed


@lru_cache(maxsize=16384)
def _parsed_template(text: str) -> Template:
    return parse_template(text)


@lru_cache(maxsize=16384)
def _format_string(text: str) -> str:
    """``text`` as a ``str.format_map`` string of plain field names only (the safe parser has already refused
    attribute access, indexing, conversions and format specs), literal braces escaped."""
    pieces = _parsed_template(text).pieces
    return "".join(
        piece.replace("{", "{{").replace("}", "}}") if index % 2 == 0 else "{" + piece + "}"
        for index, piece in enumerate(pieces)
    )


def render_text(text: str, values: Mapping[str, str]) -> str:
    """``text`` with its ``{field}``s substituted (parsed once per distinct text; errors as
    :func:`ingest.config.templates.render_template` raises them)."""
    if _parsed_template(text).cast is not Cast.STR:
        return render_template(text, values)
    try:
        return _format_string(text).format_map(values)
    except KeyError:
        return render_template(text, values)


def render_value(text: str, values: Mapping[str, str]) -> str | float | int:
    """``text`` rendered, and cast when it is a typed template (``float {x}``, ``int {x}``)."""
    if _parsed_template(text).cast is Cast.STR:
        return render_text(text, values)
    return render_typed(text, values)
