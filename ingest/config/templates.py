"""Typed, safe templates for config strings such as ``{run_name}/*.mrc`` and ``float {tilt_min}``.

A template is literal text with ``{field}`` placeholders; ``{{`` and ``}}`` stand for literal braces. A field is a
plain name (letters, digits, ``_`` and ``-``; the portal's run data maps use columns like ``ts-tilt_range-max``).
Everything ``str.format`` would do beyond substitution is refused: attribute access (``{run_name.__class__}``),
indexing (``{x[0]}``), conversions (``{x!r}``), format specs (``{x:>4}``), positional fields (``{}``, ``{0}``).
Nothing is evaluated; rendering is plain string substitution from a mapping of strings.

A template that starts with ``float `` or ``int `` is *typed*: the rest is rendered and cast, so
``float {tilt_min}`` with ``tilt_min = "-60"`` gives ``-60.0``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ingest.errors import ConfigError

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
_POSITIONAL = re.compile(r"\d*\Z")


class TemplateProblem(StrEnum):
    """Why a template was refused."""

    MALFORMED = "malformed"
    UNSAFE = "unsafe"
    UNKNOWN_FIELD = "unknown-field"
    NOT_A_NUMBER = "not-a-number"


class TemplateError(ConfigError):
    """A template that cannot be parsed, is unsafe, names an unknown field, or renders a non-number for a cast."""

    def __init__(
        self, what: str, *, problem: TemplateProblem, expected: str | None = None, found: str | None = None
    ) -> None:
        self.problem = problem
        super().__init__(what, expected=expected, found=found)


class Cast(StrEnum):
    """The type a typed template renders to."""

    STR = "str"
    FLOAT = "float"
    INT = "int"


@dataclass(frozen=True)
class Template:
    """A parsed template: literal pieces interleaved with field names, plus the cast of a typed template.

    ``pieces`` alternates literal text and field names, starting and ending with literal text, so
    ``pieces[1::2]`` are the fields in order of appearance.
    """

    text: str
    cast: Cast
    pieces: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """Field names in order of appearance, without duplicates."""
        return tuple(dict.fromkeys(self.pieces[1::2]))


def parse_template(text: str) -> Template:
    """Parse ``text`` into a :class:`Template`; raise :class:`TemplateError` on anything that is not a plain field."""
    cast, body = _split_cast(text)
    return Template(text=text, cast=cast, pieces=_scan(text, body))


def template_fields(text: str) -> tuple[str, ...]:
    """The field names ``text`` refers to, in order and without duplicates (``TemplateError`` if malformed)."""
    return parse_template(text).fields


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Substitute every field of ``text`` from ``values`` (a typed prefix such as ``float `` is kept verbatim).

    An unknown field raises :class:`TemplateError` naming the field and the known ones.
    """
    template = parse_template(text)
    prefix = "" if template.cast is Cast.STR else f"{template.cast.value} "
    return prefix + _substitute(template, values)


def render_typed(text: str, values: Mapping[str, str]) -> str | float | int:
    """Render ``text`` and apply its cast: ``"float {x}"`` gives a float, ``"int {x}"`` an int, else a string."""
    template = parse_template(text)
    rendered = _substitute(template, values)
    if template.cast is Cast.STR:
        return rendered
    return cast_rendered(rendered, template.cast, template=text)


def cast_rendered(rendered: str, cast: Cast, *, template: str) -> str | float | int:
    """Cast an already rendered value; ``TemplateError`` names the template when the value is not a number."""
    value = rendered.strip()
    try:
        if cast is Cast.FLOAT:
            return float(value)
        if cast is Cast.INT:
            return _to_int(value)
    except ValueError:
        raise TemplateError(
            f"template {template!r} rendered a value that is not {_article(cast)} {cast.value}",
            problem=TemplateProblem.NOT_A_NUMBER,
            expected=f"{_article(cast)} {cast.value}",
            found=repr(rendered),
        ) from None
    return rendered


def _to_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        number = float(value)  # "4.0" in a CSV column is still the integer 4; "4.5" is not
        if not number.is_integer():
            raise
        return int(number)


def _article(cast: Cast) -> str:
    return "an" if cast is Cast.INT else "a"


def _split_cast(text: str) -> tuple[Cast, str]:
    """The cast and the rest: ``float {x}``, or ``float{x}`` (the space is optional, as in the portal's schema)."""
    for cast in (Cast.FLOAT, Cast.INT):
        rest = text.removeprefix(cast.value)
        if rest != text and (rest.startswith(" ") or rest.startswith("{")):
            return cast, rest.lstrip(" ")
    return Cast.STR, text


def _substitute(template: Template, values: Mapping[str, str]) -> str:
    out: list[str] = []
    for index, piece in enumerate(template.pieces):
        if index % 2 == 0:
            out.append(piece)
            continue
        if piece not in values:
            known = ", ".join(sorted(values)) or "none"
            raise TemplateError(
                f"template {template.text!r} uses unknown field {{{piece}}}",
                problem=TemplateProblem.UNKNOWN_FIELD,
                expected=f"one of: {known}",
                found=piece,
            )
        out.append(str(values[piece]))
    return "".join(out)


def _scan(text: str, body: str) -> tuple[str, ...]:
    """Split ``body`` into literal text and field names, checking braces and field syntax."""
    pieces: list[str] = []
    literal: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if char == "}":
            if body.startswith("}}", position):
                literal.append("}")
                position += 2
                continue
            raise _malformed(text, "a single '}' with no opening '{' (write '}}' for a literal brace)")
        if char != "{":
            literal.append(char)
            position += 1
            continue
        if body.startswith("{{", position):
            literal.append("{")
            position += 2
            continue
        end = body.find("}", position + 1)
        nested = body.find("{", position + 1)
        if end < 0:
            raise _malformed(text, "a '{' that is never closed (write '{{' for a literal brace)")
        if 0 <= nested < end:
            raise _malformed(text, "a '{' inside a field (nested fields are not supported)")
        pieces.append("".join(literal))
        literal = []
        pieces.append(_check_field(text, body[position + 1 : end]))
        position = end + 1
    pieces.append("".join(literal))
    return tuple(pieces)


def _check_field(text: str, field: str) -> str:
    if _FIELD_NAME.match(field):
        return field
    if "." in field or "[" in field:
        what = "attribute access" if "." in field else "indexing"
        raise TemplateError(
            f"template {text!r} uses {what} in field {{{field}}}; only plain names are allowed",
            problem=TemplateProblem.UNSAFE,
            expected="a plain field name such as {run_name}",
            found=f"{{{field}}}",
        )
    if "!" in field or ":" in field:
        raise TemplateError(
            f"template {text!r} uses a conversion or format spec in field {{{field}}}; they are not supported",
            problem=TemplateProblem.UNSAFE,
            expected="a plain field name such as {run_name}",
            found=f"{{{field}}}",
        )
    if _POSITIONAL.match(field):
        raise TemplateError(
            f"template {text!r} has a positional field {{{field}}}; fields must be named",
            problem=TemplateProblem.UNSAFE,
            expected="a plain field name such as {run_name}",
            found=f"{{{field}}}",
        )
    raise TemplateError(
        f"template {text!r} has an invalid field name {{{field}}}",
        problem=TemplateProblem.MALFORMED,
        expected="letters, digits, '_' and '-', starting with a letter or '_'",
        found=f"{{{field}}}",
    )


def _malformed(text: str, problem: str) -> TemplateError:
    return TemplateError(
        f"template {text!r} is malformed: {problem}",
        problem=TemplateProblem.MALFORMED,
        expected="balanced braces",
        found=text,
    )
