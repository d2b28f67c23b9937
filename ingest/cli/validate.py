"""``ingest validate CONFIG...``: check deposition configs and report every finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ingest.report import Report, render_github, render_json, render_text

_RENDERERS: dict[str, Callable[[Report], str]] = {"text": render_text, "json": render_json, "github": render_github}


@click.command("validate")
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--input",
    "input_root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Input root the config's source_prefix is relative to (default: each config's folder); "
    "used to find the run data map.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(_RENDERERS)),
    default="text",
    show_default=True,
    help="text: compiler-style lines; json: machine-readable; github: workflow annotations.",
)
@click.pass_context
def validate(ctx: click.Context, configs: tuple[Path, ...], input_root: Path | None, output_format: str) -> None:
    """Validate deposition CONFIGs: schema, semantic rules and templates.

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.
    """
    from ingest.validators.config import exit_code, validate_configs

    report = validate_configs(configs, input_root)
    rendered = _RENDERERS[output_format](report)
    if rendered:
        click.echo(rendered)
    ctx.exit(exit_code(report))
