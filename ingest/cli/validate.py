"""``ingest validate CONFIG...``: check deposition configs and report every finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from ingest.cli.json_failures import json_failures
from ingest.cli.vocabulary import format_option, storage_options_option
from ingest.domain.report import Report, render_github, render_json, render_report_text


def _render_junit(report: Report) -> str:
    from ingest.cli.junit import render_junit

    return render_junit(report, suite_name="ingest validate")


_RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_report_text,
    "json": render_json,
    "github": render_github,
    "junit": _render_junit,
}


@click.command("validate")
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--input",
    "input_root",
    metavar="DIR|URL",
    default=None,
    help="Input root (folder or s3:// URL) the config's source_prefix is relative to (default: each config's "
    "folder; run data map only). Given, each valid config is also planned against it as `ingest deposition "
    "--dry-run` does, so every refusal of the dry run (finders matching nothing, missing files, ...) is reported here.",
)
@click.option(
    "--output",
    "output_url",
    metavar="DIR|URL",
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
    "--deep",
    is_flag=True,
    help="With --input: also read the source files each planned run finds and check them against each other as "
    "`ingest deposition` does before writing (raw tilts vs mdoc, tilt range, frames vs NumSubFrames, gains, pixel "
    "spacing vs the tilt series header): E-SOURCE-*/W-SOURCE-* codes.",
)
@format_option(
    "text", "json", "github", "junit",
    help="text: compiler-style lines; json: machine-readable; github: workflow annotations; junit: a JUnit XML "
    "report.",
)  # fmt: skip
@storage_options_option()
@click.pass_context
@json_failures
def validate(
    ctx: click.Context,
    configs: tuple[Path, ...],
    input_root: str | None,
    output_url: str | None,
    bucket_root: Path | None,
    deep: bool,
    output_format: str,
    storage_options: tuple[str, ...],
) -> None:
    """Validate deposition CONFIGs: schema, semantic rules and templates.

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file.
    """
    from ingest.pipeline.validate import exit_code, validate_configs
    from ingest.storage.base import parse_storage_options

    if deep and input_root is None:
        raise click.UsageError("--deep reads the source files: give --input DIR")
    if input_root is not None and "://" not in input_root and not Path(input_root).is_dir():
        raise click.BadParameter(f"expected a folder or an s3:// URL, found {input_root!r}", param_hint="'--input'")
    report = validate_configs(
        configs,
        input_root,
        plan=input_root is not None,
        output_url=output_url,
        bucket_root=bucket_root,
        storage_options=parse_storage_options(storage_options),
        deep=deep,
    )
    rendered = _RENDERERS[output_format](report)
    if rendered:
        click.echo(rendered)
    ctx.exit(exit_code(report))
