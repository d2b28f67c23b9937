"""Regular-expression options (``--run``, ``--exclude-run``, ``--dataset``): refused as click usage errors.

A pattern that does not compile is reported before anything is read, as one line naming the option, what was
expected and what was found, with exit status 2. (Checked in the command body rather than in a click callback,
so that ``--format json`` also reports it as JSON.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import click


def check_regexes(option: str, patterns: Iterable[str]) -> None:
    """Every pattern given to ``option`` compiles, or a usage error names the option and the first bad pattern."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as error:
            raise click.BadParameter(
                f"expected a regular expression, found {pattern!r} ({error})", param_hint=f"'{option}'"
            ) from None
