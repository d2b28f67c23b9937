"""Click parameter types for numbers that must be finite (and, for some options, positive).

``click.FLOAT`` accepts ``nan`` and ``inf``, and ``click.FloatRange`` lets ``nan`` through (every comparison with
it is false): a ``--threshold nan`` silently selected no voxel. These types refuse them with click's usage error
(exit 2) naming the option.
"""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteFloat(click.ParamType[float]):
    """A finite float, optionally greater than ``above``."""

    name = "number"

    def __init__(self, above: float | None = None) -> None:
        self.above = above

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """``value`` as a float, or click's usage error saying what was expected."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.above is not None and not number > self.above:
            self.fail(f"{value!r} is not greater than {self.above:g}", param, ctx)
        return number


FINITE = FiniteFloat()
POSITIVE = FiniteFloat(above=0.0)
