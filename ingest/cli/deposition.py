"""``ingest deposition CONFIG``: plan a deposition (``--dry-run`` prints the plan) and ingest it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ingest.cli.json_failures import json_failures
from ingest.cli.regex_option import check_regexes
from ingest.tasks import Section, Selection, parse_sections


@click.command("deposition")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--input", "input_url", help="Input root (folder or s3:// URL); default: the config's folder.")
@click.option(
    "--bucket-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="For a local input: the folder holding the buckets that literal bucket/key paths (key photos) name.",
)
@click.option("--output", "output_url", default="portal", show_default=True, help="Output root (folder or s3:// URL).")
@click.option("--run", "runs", multiple=True, metavar="REGEX", help="Only runs whose name fully matches (repeatable).")
@click.option("--exclude-run", "exclude_runs", multiple=True, metavar="REGEX", help="Skip these runs (repeatable).")
@click.option("--dataset", "datasets", multiple=True, metavar="REGEX", help="Only these datasets (repeatable).")
@click.option(
    "--only",
    metavar="SECTIONS",
    help="Only these comma-separated sections, e.g. tomograms,annotations; one of: "
    + ", ".join(section.value for section in Section)
    + ".",
)
@click.option("--dry-run", is_flag=True, help="Print the planned outputs and write nothing.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--workers", type=click.IntRange(min=1), help="Local workers (default: all cores; 1: in this process).")
@click.option("--scheduler", metavar="ADDRESS", help="An existing dask scheduler, e.g. tcp://host:8786.")
@click.option("--overwrite", is_flag=True, help="Rewrite outputs even when their inputs are unchanged.")
@click.option(
    "--verify",
    is_flag=True,
    help="Compare every byte of up-to-date outputs (every zarr chunk) with the manifest, and repair what differs "
    "(default: sizes, small files and sampled blocks).",
)
@click.option("--timestamp", help="last_updated_at for metadata (default: SOURCE_DATE_EPOCH or now).")
@click.option("--storage-option", "storage_options", multiple=True, metavar="KEY=VALUE", help="s3 settings.")
@click.option("--check/--no-check", "run_checks", default=True, show_default=True, help="Check the written runs.")
@json_failures
def deposition(
    config: Path,
    input_url: str | None,
    bucket_root: Path | None,
    output_url: str,
    runs: tuple[str, ...],
    exclude_runs: tuple[str, ...],
    datasets: tuple[str, ...],
    only: str | None,
    dry_run: bool,
    output_format: str,
    workers: int | None,
    scheduler: str | None,
    overwrite: bool,
    verify: bool,
    timestamp: str | None,
    storage_options: tuple[str, ...],
    run_checks: bool,
) -> None:
    """Ingest the deposition described by CONFIG into the canonical portal tree."""
    # Imported here, not at module level: `ingest --help` and shell completion must not pay for them.
    from ingest.planning import InvalidConfigError, plan_from_files
    from ingest.storage import parse_storage_options

    for option, patterns in (("--run", runs), ("--exclude-run", exclude_runs), ("--dataset", datasets)):
        check_regexes(option, patterns)
    selection = Selection(runs, exclude_runs, datasets, parse_sections(only) if only else None)
    try:
        planned = plan_from_files(
            config,
            input_url=input_url,
            output_url=output_url,
            selection=selection,
            storage_options=parse_storage_options(storage_options),
            bucket_root=bucket_root,
        )
    except InvalidConfigError as error:
        click.echo(error.render(), err=True, nl=False)
        raise
    # Imported once the plan stands: a bad config or unreachable storage is reported without loading these.
    from rich.console import Console

    from ingest.execute import absolute_url, execute_plan, report_lines, report_to_json
    from ingest.execute_check import check_written_runs
    from ingest.execute_settings import ExecutionSettings, WritePolicy
    from ingest.executors import DaskExecutor, Executor, SerialExecutor
    from ingest.metadata import resolve_timestamp
    from ingest.output_digests import Verification
    from ingest.plan_render import plan_tree, render_plan_json
    from ingest.progress_display import open_progress

    if dry_run:
        if output_format == "json":
            click.echo(render_plan_json(planned.plan), nl=False)
        else:
            console = Console()
            if not console.is_terminal:
                console = Console(width=400)  # never crop keys when the output goes to a file or a pipe
            console.print(plan_tree(planned.plan))
        return
    settings = ExecutionSettings(
        input_url=absolute_url(planned.input_url),
        source_prefix=planned.source_prefix,
        output_url=absolute_url(output_url),
        timestamp=resolve_timestamp(timestamp),
        storage_options=tuple(parse_storage_options(storage_options).items()),
        policy=WritePolicy.OVERWRITE if overwrite else WritePolicy.SKIP_UP_TO_DATE,
        verification=Verification.FULL if verify else Verification.QUICK,
        bucket_root=str(bucket_root.absolute()) if bucket_root is not None else None,
    )
    executor: Executor = SerialExecutor() if workers == 1 and scheduler is None else DaskExecutor(workers, scheduler)

    display = open_progress(len(planned.plan.runs), Console(stderr=True))
    with executor, display:
        report = execute_plan(planned.plan, settings, executor, display.run_finished, display.volume_progressed)
    if run_checks:
        report = check_written_runs(report, settings, workers=1 if workers == 1 else os.cpu_count() or 1)
    if output_format == "json":
        click.echo(report_to_json(report), nl=False)
    else:
        click.echo("\n".join(report_lines(report)))
    if not report.ok:
        sys.exit(1)
