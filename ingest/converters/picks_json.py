"""Loading JSON pick files with errors that name the file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.errors import InputFileError


def load_json_file(path: Path) -> object:
    """The parsed JSON document of ``path``; invalid JSON is an error at its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError("file not found", where=str(path)) from None
    except UnicodeDecodeError as error:
        raise InputFileError("not UTF-8 text", where=str(path), expected="a JSON file", found=str(error)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            "invalid JSON", where=f"{path}:{error.lineno}:{error.colno}", expected="a JSON document", found=error.msg
        ) from None


def json_number(value: object, *, where: str, what: str) -> float:
    """``value`` as a finite float; booleans, text, null, NaN and infinity are errors naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputFileError(f"{what} is not a number", where=where, expected="a number", found=json.dumps(value))
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise InputFileError(f"{what} is not finite", where=where, expected="a finite number", found=str(value))
    return number


def describe_json_top_level(document: object) -> str:
    """What a JSON document holds at its top, for "found" in errors: its keys for an object, else its type."""
    return "keys " + ", ".join(document) if isinstance(document, dict) else type(document).__name__
