"""Loading JSON pick files with errors that name the file, line and column."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ingest.errors import InputFileError

MAX_JSON_DEPTH = 64
"""Pick files nest a few levels (copick: points → location/transformation); deeper documents are refused before
any reader walks them recursively."""


def load_json_file(path: Path) -> object:
    """The parsed JSON document of ``path``; invalid JSON is an error at its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("file not found", where=str(path)) from None
    except UnicodeDecodeError as error:
        raise InputFileError("not UTF-8 text", where=str(path), expected="a JSON file", found=str(error)) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            "invalid JSON", where=f"{path}:{error.lineno}:{error.colno}", expected="a JSON document", found=error.msg
        ) from None
    except RecursionError:
        document = None  # nested deeper than Python's parser recurses: reported below like any too-deep document
    depth = nesting_depth(document, MAX_JSON_DEPTH + 1) if document is not None else MAX_JSON_DEPTH + 1
    if depth > MAX_JSON_DEPTH:
        raise InputFileError(
            "JSON nested too deeply",
            where=str(path),
            expected=f"a pick file nested at most {MAX_JSON_DEPTH} levels",
            found=f"more than {MAX_JSON_DEPTH} levels",
        )
    return document


def nesting_depth(document: object, limit: int) -> int:
    """How deeply lists and objects nest in ``document`` (a scalar is 0), counted up to ``limit`` without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest >= limit:
                return deepest
            stack.extend((child, depth) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def json_number(value: object, *, where: str, what: str) -> float:
    """``value`` as a finite float; booleans, text, null, NaN and infinity are errors naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputFileError(f"{what} is not a number", where=where, expected="a number", found=json.dumps(value))
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range (hundreds of digits)
        number = math.inf
    if number != number or number in (float("inf"), float("-inf")):
        found = str(value) if len(str(value)) <= 40 else f"a {len(str(value))}-digit number"
        raise InputFileError(f"{what} is not finite", where=where, expected="a finite number", found=found)
    return number


def describe_json_top_level(document: object) -> str:
    """What a JSON document holds at its top, for "found" in errors: its keys for an object, else its type."""
    return "keys " + ", ".join(document) if isinstance(document, dict) else type(document).__name__
