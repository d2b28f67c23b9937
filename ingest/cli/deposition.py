"""``ingest deposition CONFIG``: plan a deposition (``--dry-run`` prints the plan) and ingest it."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.json_failures import DOCUMENT_FORMATS, command_name, json_failures, mark_reported
from ingest.cli.regex_option import check_regexes
from ingest.cli.vocabulary import (
    dataset_option,
    format_option,
    run_option,
    storage_options_option,
    suggestion,
    workers_option,
)
from ingest.converters.viewers.neuroglancer_state import NEUROGLANCER_URL_PREFIX, url_prefix
from ingest.domain.tasks import METADATA_ONLY, Section, Selection, parse_only
from ingest.errors import UsageError

if TYPE_CHECKING:
    from ingest.cli.deposition_render import RunSourceFindings
    from ingest.pipeline.planning import PlannedDeposition


def command_path() -> str:
    """``ingest deposition`` (or ``ingest run``) as the user typed it, for the log."""
    return click.get_current_context().command_path


def _url_prefix(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    try:
        return url_prefix(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("deposition")
@click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--input", "input_url", metavar="DIR|URL", help="Input root (folder or s3:// URL); default: the config's folder."
)
@click.option(
    "--bucket-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="For a local input: the folder holding the buckets that literal bucket/key paths (key photos) name.",
)
@click.option(
    "--output", "output_url", default="portal", show_default=True, metavar="DIR|URL",
    help="Output root (folder or s3:// URL).",
)  # fmt: skip
@run_option("Only runs whose name fully matches (repeatable).")
@click.option("--exclude-run", "exclude_runs", multiple=True, metavar="REGEX", help="Skip these runs (repeatable).")
@dataset_option("Only datasets whose id fully matches (repeatable).")
@click.option(
    "--only",
    metavar="SECTIONS",
    help="Only these comma-separated sections, e.g. tomograms,annotations; one of: "
    + ", ".join(section.value for section in Section)
    + f". '{METADATA_ONLY}' rewrites metadata files only (no volume, point, mask or copied run file).",
)
@click.option("--dry-run", is_flag=True, help="Print the planned outputs and write nothing.")
@format_option(
    "text", "json", "github", "junit",
    help="text: one line per run; json: one document (also on failure); github: workflow annotations of failed "
    "and refused runs and check findings; junit: one test case per run. --dry-run prints the plan: text or json.",
)  # fmt: skip
@workers_option(
    "Local workers (1: in this process; default: chosen from the plan: in this process for a single run or "
    "under 1 GiB of source volumes, else a local cluster of one worker per core)."
)
@click.option("--scheduler", metavar="ADDRESS", help="An existing dask scheduler, e.g. tcp://host:8786.")
@click.option("--overwrite", is_flag=True, help="Rewrite outputs even when their inputs are unchanged.")
@click.option(
    "--verify",
    is_flag=True,
    help="Compare every byte of up-to-date outputs (every zarr chunk) with the manifest, and repair what differs "
    "(default: sizes, small files and sampled blocks).",
)
@click.option("--timestamp", help="last_updated_at for metadata (default: SOURCE_DATE_EPOCH or now).")
@click.option(
    "--url-prefix",
    default=NEUROGLANCER_URL_PREFIX,
    show_default=True,
    callback=_url_prefix,
    metavar="URL",
    help="Base URL of the layer sources in the Neuroglancer states (the URL the output root is served at).",
)
@storage_options_option()
@click.option(
    "--skip-source-checks",
    is_flag=True,
    help="Ingest runs whose source files disagree (raw tilts vs mdoc, tilt range, frames, gains, pixel spacing); "
    "by default such a run is refused before anything is written (`ingest validate --input DIR --deep` lists them; "
    "--dry-run does not read the sources).",
)
@click.option("--check/--no-check", "run_checks", default=True, show_default=True, help="Check the written runs.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr; print only failures (text format).")
@click.option("--verbose", "-v", is_flag=True, help="Show the log on stderr as it is written (debug records too).")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the log here (it is always kept in OUTPUT/.ingest/logs/).",
)
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
    url_prefix: str,
    storage_options: tuple[str, ...],
    skip_source_checks: bool,
    run_checks: bool,
    quiet: bool,
    verbose: bool,
    log_file: Path | None,
) -> None:
    """Ingest the deposition described by CONFIG into the canonical portal tree."""
    started = datetime.now(UTC)  # names the log; taken before the slow parts
    if dry_run and output_format not in ("text", "json"):
        raise click.BadParameter(
            f"--dry-run prints the plan as text or json, not {output_format} (`ingest validate CONFIG --input DIR "
            f"--format {output_format}` reports the planning's findings)",
            param_hint="'--format'",
        )
    if not quiet:
        click.echo(f"planning {config} ...", err=True)  # feedback before the slow parts (imports, listing)
    # Imported here, not at module level: `ingest --help` and shell completion must not pay for them.
    from ingest.pipeline.planning import InvalidConfigError, plan_from_files
    from ingest.storage.base import parse_storage_options

    for option, patterns in (("--run", runs), ("--exclude-run", exclude_runs), ("--dataset", datasets)):
        check_regexes(option, patterns)
    sections, metadata_only = _parse_only(only) if only else (None, False)
    selection = Selection(runs, exclude_runs, datasets, sections)
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
        click.echo(error.render().rstrip("\n"), err=True)  # the findings, then the one-line error
        raise
    refused: tuple[RunSourceFindings, ...] = ()
    warned: tuple[RunSourceFindings, ...] = ()
    if not skip_source_checks and not dry_run:  # the dry run reads no source file (`ingest validate --deep` does)
        options = parse_storage_options(storage_options)
        planned, refused, warned = _refuse_runs_failing_source_checks(planned, options, output_format)
    # Imported once the plan stands: a bad config or unreachable storage is reported without loading these.
    from rich.console import Console

    from ingest.cli.plan_render import plan_tree, render_plan_json
    from ingest.pipeline.execute import absolute_url, report_lines
    from ingest.pipeline.execute_settings import ExecutionSettings, WritePolicy
    from ingest.pipeline.executor_choice import choose_executor, source_size
    from ingest.pipeline.executors import DaskExecutor, Executor, SerialExecutor
    from ingest.pipeline.ingestion_log import LogLevels, quiet_lines
    from ingest.pipeline.logged_ingestion import LogSettings, execute_logged
    from ingest.pipeline.metadata import resolve_timestamp
    from ingest.pipeline.progress_display import NoProgress, open_progress
    from ingest.storage.digests import Verification

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
        metadata_only=metadata_only,
        url_prefix=url_prefix,
    )
    sources = settings.open_input()
    choice = choose_executor(
        planned.plan,
        lambda key: source_size(sources, settings.source_key(key)),
        workers=workers,
        scheduler=scheduler,
        cores=os.cpu_count() or 1,
    )
    if not quiet:
        click.echo(f"planned {len(planned.plan.runs)} run(s); running {choice.reason}", err=True)
    executor: Executor = SerialExecutor() if choice.in_process else DaskExecutor(choice.workers, choice.scheduler)

    display = NoProgress() if quiet else open_progress(len(planned.plan.runs), Console(stderr=True))
    verbose = verbose or bool(click.get_current_context().meta.get("ingest.verbose"))  # `ingest --verbose deposition`
    levels = LogLevels.of(quiet=quiet, verbose=verbose)
    refused_names = tuple(item.run for item in refused)
    logged = LogSettings(started, levels, log_file, f"{command_path()} {config}", refused_names)
    check_workers = (1 if choice.in_process else os.cpu_count() or 1) if run_checks else None
    report = execute_logged(planned.plan, settings, executor, display, logged, check_workers=check_workers)
    if output_format == "text":
        lines = quiet_lines(report_lines(report)) if quiet else report_lines(report)
        if lines:
            click.echo("\n".join(lines))
    else:
        from ingest.cli.deposition_render import render_outcome

        name = command_name(click.get_current_context())
        rendered = render_outcome(report, refused, output_format, name, warned)
        if rendered:
            click.echo(rendered, nl=not rendered.endswith("\n"))
    if not report.ok or refused:
        sys.exit(1)


def _refuse_runs_failing_source_checks(
    planned: PlannedDeposition, options: dict[str, str], output_format: str
) -> tuple[PlannedDeposition, tuple[RunSourceFindings, ...], tuple[RunSourceFindings, ...]]:
    """Check the planned runs' source files (:mod:`ingest.pipeline.source_checks`), print the findings, and drop
    the runs with an error from the plan; when no run is left, nothing is written (:class:`SourcesRefusedError`,
    exit 1, after the failure document of ``output_format`` listing every refused run). Returns the plan left,
    the refused runs and the warnings of the runs kept."""
    from dataclasses import replace

    from ingest.cli.deposition_render import RunSourceFindings, render_refusal
    from ingest.config.load import read_config
    from ingest.domain.report import Report, render_report_text
    from ingest.pipeline.source_checks import SourcesRefusedError, check_plan_sources, refuse_failing_runs

    document = read_config(planned.config_file).document
    by_run = check_plan_sources(planned.plan, planned.config, planned.input_url, document, options)
    report = Report.of(f for found in by_run.values() for f in found)
    if by_run:
        click.echo(render_report_text(report), err=True)
    plan, refused = refuse_failing_runs(planned.plan, by_run)
    checked = {
        run.run.name: RunSourceFindings(f"{run.run.dataset.name}/{run.run.name}", tuple(by_run[run.run.name]))
        for run in planned.plan.runs
        if by_run.get(run.run.name)
    }
    refused_runs = tuple(found for name, found in checked.items() if name in refused)
    warned_runs = tuple(found for name, found in checked.items() if name not in refused)
    if not refused:
        return planned, (), warned_runs
    if not plan.runs:
        error = SourcesRefusedError(report, refused)
        if output_format in DOCUMENT_FORMATS:
            name = command_name(click.get_current_context())
            click.echo(render_refusal(error.message, error.exit_code, refused_runs, output_format, name))
            mark_reported(error)
        raise error
    click.echo(
        f"refused {len(refused)} run(s) whose source files disagree: {', '.join(refused)} (nothing is written for "
        "them; --skip-source-checks ingests them anyway)",
        err=True,
    )
    return replace(planned, plan=plan), refused_runs, warned_runs


def _parse_only(only: str) -> tuple[frozenset[Section] | None, bool]:
    """``--only`` parsed; an unknown name is click's usage error with the closest known name suggested."""
    try:
        return parse_only(only)
    except UsageError as error:
        known = [section.value for section in Section] + [METADATA_ONLY]
        unknown = [name.strip() for name in only.split(",") if name.strip() and name.strip() not in known]
        hints = "".join(suggestion(name, known) for name in unknown[:1])
        raise click.BadParameter(error.message + hints, param_hint="'--only'") from None
