"""Execute a plan with its log kept: every run's outcome, the report and the output checks are logged (see
:mod:`ingest.pipeline.ingestion_log`), the log is published to ``{output}/.ingest/logs/`` and the ingestion summarised
in ``{output}/.ingest/last_ingestion.json``, also when the execution is interrupted or fails."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.domain.tasks import Plan
from ingest.pipeline.execute import IngestReport, RunOutcome, execute_plan, report_lines, report_totals
from ingest.pipeline.execute_check import check_written_runs
from ingest.pipeline.execute_settings import ExecutionSettings
from ingest.pipeline.executors import Executor
from ingest.pipeline.ingestion_log import IngestionLog, LogLevels, now, record_ingestion
from ingest.pipeline.progress_display import IngestProgress

_LOG = logging.getLogger("ingest.deposition")


@dataclass(frozen=True)
class LogSettings:
    """Where and how much to log: the command's start (names the log), levels, an extra ``--log-file``, and a
    description of the command (config file, options) for the log's first line."""

    started: datetime
    levels: LogLevels
    log_file: Path | None = None
    command: str = "ingest deposition"
    refused_runs: tuple[str, ...] = ()
    """The runs (``dataset/run``) the source checks refused before execution: logged and recorded in
    ``last_ingestion.json``, whose ``ok`` they make false."""


def execute_logged(
    plan: Plan,
    settings: ExecutionSettings,
    executor: Executor,
    display: IngestProgress,
    logging_: LogSettings,
    *,
    check_workers: int | None,
) -> IngestReport:
    """Execute ``plan`` (and check the written runs unless ``check_workers`` is None), logging as it goes."""
    log = IngestionLog(logging_.started, logging_.levels, logging_.log_file)
    summary: dict[str, object] = {"command": logging_.command, "started_at": logging_.started.isoformat()}
    if logging_.refused_runs:
        summary["refused"] = list(logging_.refused_runs)
    try:
        with log:
            _LOG.info("%s", logging_.command)
            _LOG.info(
                "deposition %d: %d dataset(s), %d run(s); input %s (prefix %r), output %s, timestamp %d",
                plan.deposition_id,
                len(plan.datasets),
                len(plan.runs),
                settings.input_url,
                settings.source_prefix,
                settings.output_url,
                settings.timestamp,
            )
            _LOG.info("executor: %s", type(executor).__name__)
            for run in logging_.refused_runs:
                _LOG.error("run %s REFUSED by the source checks: nothing is written for it", run)

            def on_run(outcome: RunOutcome) -> None:
                display.run_finished(outcome)
                if outcome.succeeded:
                    _LOG.info(
                        "run %s: %d written (%d metadata only), %d skipped",
                        outcome.run,
                        outcome.written,
                        outcome.metadata_only,
                        outcome.skipped,
                    )
                else:
                    _LOG.error("run %s FAILED: %s", outcome.run, outcome.error)

            try:
                with display:
                    with executor:
                        report = execute_plan(plan, settings, executor, on_run, display.volume_progressed)
                    if check_workers is not None:
                        _LOG.info("checking the written runs")
                        progress = display.checks_progressed
                        report = check_written_runs(report, settings, workers=check_workers, progress=progress)
                for line in report_lines(report):
                    _LOG.info("%s", line)
                summary.update(ok=report.ok and not logging_.refused_runs, totals=report_totals(report))
            except BaseException as error:
                summary.update(ok=False, error=f"{type(error).__name__}: {error}")
                raise
            finally:
                summary["finished_at"] = now().isoformat()
                _publish(log, settings, summary)
    finally:
        log.close()
    return report


def _publish(log: IngestionLog, settings: ExecutionSettings, summary: dict[str, object]) -> None:
    """Keep the log and the summary in the output; a failure to do so is logged, never raised over the outcome."""
    try:
        output = settings.open_output()
        summary["log"] = log.publish(output)
        record_ingestion(output, summary)
    except Exception as error:  # the ingestion's own outcome matters more than its log
        _LOG.warning("the log could not be kept in the output: %s", error)
