"""Typed, safe templates: field extraction, rendering, casts, and everything str.format would allow but we refuse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.config.templates import (
    Cast,
    TemplateError,
    TemplateProblem,
    parse_template,
    render_template,
    render_typed,
    template_fields,
)
from ingest.errors import ConfigError


def test_fields_in_order_without_duplicates() -> None:
    assert template_fields("{run_name}/{dataset_name}/{run_name}.mrc") == ("run_name", "dataset_name")


def test_dashed_column_names_are_fields() -> None:
    assert template_fields("float {ts-tilt_range-max}") == ("ts-tilt_range-max",)


def test_doubled_braces_are_literal() -> None:
    assert template_fields("a{{b}}c") == ()
    assert render_template("{{x}}{run_name}", {"run_name": "r1"}) == "{x}r1"


def test_plain_text_has_no_fields() -> None:
    assert template_fields("tomo_*.mrc") == ()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{run_name.__class__}", "attribute access"),
        ("{x[0]}", "indexing"),
        ("{x!r}", "conversion"),
        ("{x:>10}", "format spec"),
        ("{}", "positional"),
        ("{0}", "positional"),
        ("{a b}", "invalid field name"),
        ("{run_name", "never closed"),
        ("run_name}", "single '}'"),
        ("{a{b}}", "nested"),
    ],
)
def test_unsafe_or_malformed_templates_are_refused(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        template_fields(text)


def test_unknown_field_names_the_field_and_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        render_template("{run_nam}/x", {"run_name": "r", "dataset_name": "d"})
    message = caught.value.message
    assert "run_nam" in message
    assert "dataset_name, run_name" in message


def test_float_cast() -> None:
    assert render_typed("float {t}", {"t": "-60"}) == -60.0
    assert isinstance(render_typed("float {t}", {"t": "3"}), float)


def test_cast_without_a_space_is_a_cast_and_a_lookalike_word_is_not() -> None:
    assert render_typed("float{t}", {"t": "-60"}) == -60.0
    assert render_typed("int{q}", {"q": "4"}) == 4
    assert render_typed("floaty{t}", {"t": "1"}) == "floaty1"


def test_int_cast_accepts_integral_float_text() -> None:
    assert render_typed("int {q}", {"q": "4"}) == 4
    assert render_typed("int {q}", {"q": "4.0"}) == 4


def test_int_cast_refuses_fraction() -> None:
    with pytest.raises(ConfigError, match="not an int"):
        render_typed("int {q}", {"q": "4.5"})


def test_float_cast_refuses_text() -> None:
    with pytest.raises(ConfigError, match="not a float") as caught:
        render_typed("float {t}", {"t": "IMOD"})
    assert caught.value.found == "'IMOD'"


def test_untyped_render_keeps_string() -> None:
    assert render_typed("{t}", {"t": "5"}) == "5"


def test_render_template_keeps_cast_prefix() -> None:
    assert render_template("float {t}", {"t": "1.5"}) == "float 1.5"


def test_parse_reports_cast() -> None:
    assert parse_template("int {x}").cast is Cast.INT
    assert parse_template("integer {x}").cast is Cast.STR


_names = st.from_regex(r"[a-z_][a-z0-9_\-]{0,8}", fullmatch=True)
_literals = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)), max_size=8)


@given(st.lists(st.tuples(_literals, _names), max_size=5), _literals, st.data())
def test_render_substitutes_every_field(parts: list[tuple[str, str]], tail: str, data: st.DataObject) -> None:
    text = "".join(f"{lit}{{{name}}}" for lit, name in parts) + tail
    values = {name: data.draw(_literals) for _, name in parts}
    expected = "".join(lit + values[name] for lit, name in parts) + tail
    assert render_template(text, values) == expected
    assert set(template_fields(text)) == {name for _, name in parts}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{run_name.__class__}", TemplateProblem.UNSAFE),
        ("{x!s}", TemplateProblem.UNSAFE),
        ("{run_name", TemplateProblem.MALFORMED),
    ],
)
def test_template_errors_say_which_problem(text: str, problem: TemplateProblem) -> None:
    with pytest.raises(TemplateError) as caught:
        template_fields(text)
    assert caught.value.problem is problem
