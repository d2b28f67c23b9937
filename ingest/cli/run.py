"""``ingest run CONFIG RUN_NAME [OPTIONS]``: ingest exactly one run (``ingest deposition CONFIG --run RUN_NAME``).

The command has the options of ``ingest deposition`` (listed in its own ``--help``, accepted before or after
RUN_NAME) except the run selection: ``--run`` and ``--exclude-run`` are refused, since RUN_NAME is the run.
"""

from __future__ import annotations

import re
from typing import Any

import click

from ingest.cli.deposition import deposition

_RUN_SELECTION = ("runs", "exclude_runs")
"""The parameters of ``ingest deposition`` that ``ingest run`` refuses (RUN_NAME selects the run)."""


def _refuse_selection(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    if value:
        raise click.UsageError(
            f"ingest run ingests exactly one run, RUN_NAME; {param.opts[0]} is not an option here "
            "(ingest deposition CONFIG --run REGEX selects several runs)",
            ctx,
        )
    return value


def _options() -> list[click.Parameter]:
    shared = [parameter for parameter in deposition.params if parameter.name not in ("config", *_RUN_SELECTION)]
    refused = [
        click.Option([name], multiple=True, hidden=True, expose_value=False, callback=_refuse_selection)
        for name in ("--run", "--exclude-run")
    ]
    return [*shared, *refused]


@click.pass_context
def _ingest_one_run(context: click.Context, /, run_name: str, **options: Any) -> Any:
    """Re-ingest the run RUN_NAME of CONFIG (the options are those of ``ingest deposition``)."""
    return context.invoke(deposition.callback, runs=(re.escape(run_name),), exclude_runs=(), **options)  # type: ignore[arg-type]


run = click.Command(
    "run",
    callback=_ingest_one_run,
    params=[
        next(parameter for parameter in deposition.params if parameter.name == "config"),
        click.Argument(["run_name"]),
        *_options(),
    ],
    help="Ingest the one run RUN_NAME of CONFIG into the portal tree (as ingest deposition CONFIG --run RUN_NAME). "
    "Options may come before or after RUN_NAME.",
    short_help="Ingest (or re-ingest) one run of CONFIG.",
)
