"""``ingest validate CONFIG...``: check deposition configs and report every finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ingest.domain.report import Report, render_github, render_json, render_report_text

_RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_report_text,
    "json": render_json,
    "github": render_github,
}


@click.command("validate")
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--input",
    "input_root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Input root the config's source_prefix is relative to (default: each config's folder; run data map "
    "only). Given, each valid config is also planned against it as `ingest deposition --dry-run` does, so every "
    "refusal of the dry run (finders matching nothing, missing files, ...) is reported here.",
)
@click.option(
    "--output",
    "output_url",
    default=None,
    help="With --input: the output tree the dry run would read (for destination_glob / destination_filter "
    "finders); default: an empty tree.",
)
@click.option(
    "--bucket-root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="A local folder holding the buckets: literal bucket/key paths (key photos) must exist as DIR/bucket/key.",
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
def validate(
    ctx: click.Context,
    configs: tuple[Path, ...],
    input_root: Path | None,
    output_url: str | None,
    bucket_root: Path | None,
    output_format: str,
) -> None:
    """Validate deposition CONFIGs: schema, semantic rules and templates.

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.
    """
    from ingest.pipeline.validate import exit_code, validate_configs

    report = validate_configs(
        configs, input_root, plan=input_root is not None, output_url=output_url, bucket_root=bucket_root
    )
    rendered = _RENDERERS[output_format](report)
    if rendered:
        click.echo(rendered)
    ctx.exit(exit_code(report))
