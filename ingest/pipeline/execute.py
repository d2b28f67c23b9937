"""Run a Plan: deposition and dataset metadata first (in this process), then one task per run on an executor.

A failed run does not stop the others; the report lists every run with its written and skipped counts, or the
reason it failed, and the sections not ingested yet with their counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.domain.layout import DEFAULT_LAYOUT, ImageKind
from ingest.domain.report import Report, render_json
from ingest.domain.tasks import DatasetTask, DepositionTask, ImageCopy, Plan, Skipped
from ingest.errors import IngestError
from ingest.pipeline.execute_run import ingest_run
from ingest.pipeline.execute_settings import ExecutionSettings, RunJob, RunReport, WritePolicy
from ingest.pipeline.executors import Executor, RunTask, TaskOutcome, collect_outcomes
from ingest.pipeline.literal_files import LiteralPlaces, as_png, read_literal_file
from ingest.pipeline.manifest import Manifest, fingerprint
from ingest.pipeline.metadata import dataset_file, deposition_file, metadata_bytes
from ingest.pipeline.progress import VOLUME_PROGRESS_TOPIC, VolumeProgress
from ingest.storage.base import Storage
from ingest.storage.digests import DigestingPublisher


@dataclass(frozen=True)
class RunOutcome:
    """One run's result: counts of entities written and skipped, or the reason it failed."""

    run: str
    written: int
    skipped: int
    error: str | None
    warnings: tuple[str, ...]
    metadata_only: int = 0
    """How many of the written entities had their metadata file alone rewritten (their data unchanged)."""

    @property
    def succeeded(self) -> bool:
        """Whether the run finished without an error."""
        return self.error is None


@dataclass(frozen=True)
class IngestReport:
    """Everything an ingestion did: deposition-level entities, every run, and the skipped sections."""

    written: tuple[str, ...]
    skipped: tuple[str, ...]
    runs: tuple[RunOutcome, ...]
    skipped_sections: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    checks: Report | None = None
    """The findings of the output checks on the written runs (``None``: not checked)."""
    errors: tuple[str, ...] = ()
    """Deposition-level failures (a key photo that cannot be read): they fail only what needs the file."""
    metadata_only: tuple[str, ...] = ()
    """Deposition-level metadata files (also in ``written``) rewritten alone, their key photos kept."""

    @property
    def ok(self) -> bool:
        """Whether every run succeeded, nothing at deposition level failed and the checks found no error (the exit
        code is 0 only then)."""
        runs_ok = all(run.succeeded for run in self.runs) and not self.errors
        return runs_ok and (self.checks is None or self.checks.ok)


def execute_plan(
    plan: Plan,
    settings: ExecutionSettings,
    executor: Executor,
    on_run: Callable[[RunOutcome], None] | None = None,
    on_volume: Callable[[VolumeProgress], None] | None = None,
) -> IngestReport:
    """Write everything ``plan`` describes into the output of ``settings``.

    ``on_run`` is called as each run finishes, ``on_volume`` as volume chunks are written (wherever runs execute).
    """
    output = settings.open_output()
    output.check_writable()
    output.discard_temporaries()  # what a killed earlier invocation left half-published
    entities: list[DepositionTask | DatasetTask] = [*([plan.deposition] if plan.deposition else []), *plan.datasets]
    later = [task for task in entities if _takes_tomogram_photos(task)]  # after the runs that draw them
    first = [task for task in entities if task not in later]
    written, skipped, metadata_only, errors = _write_deposition_level(first, plan, settings, output)
    tasks = [
        RunTask(f"{run.run.dataset.name}/{run.run.name}", ingest_run, RunJob(run, plan.deposition_id, settings))
        for run in plan.runs
    ]

    def report(outcome: TaskOutcome[RunReport]) -> None:
        if on_run is not None:
            on_run(_run_outcome(outcome))

    if on_volume is not None:
        executor.listen(VOLUME_PROGRESS_TOPIC, lambda message: on_volume(VolumeProgress.from_message(message)))
    outcomes = collect_outcomes(executor, tasks, report)
    if later:
        done = _write_deposition_level(later, plan, settings, output)
        written, skipped, errors = written + done[0], skipped + done[1], errors + done[3]
        metadata_only = metadata_only + done[2]
    return IngestReport(
        tuple(written),
        tuple(skipped),
        tuple(_run_outcome(outcome) for outcome in outcomes),
        plan.skipped,
        plan.warnings,
        errors=tuple(errors),
        metadata_only=tuple(metadata_only),
    )


def _run_outcome(outcome: TaskOutcome[RunReport]) -> RunOutcome:
    result = outcome.result
    if result is None:
        return RunOutcome(outcome.key, 0, 0, outcome.error or "failed", ())
    written, skipped, metadata_only = len(result.written), len(result.skipped), len(result.metadata_only)
    return RunOutcome(outcome.key, written, skipped, None, result.warnings, metadata_only)


def _takes_tomogram_photos(task: DepositionTask | DatasetTask) -> bool:
    return isinstance(task, DatasetTask) and bool(task.fallback_photos and task.missing_photos)


def _tomogram_photos(task: DatasetTask, output: Storage) -> dict[ImageKind, str]:
    """Kind -> the key image of the first of the dataset's tomograms whose snapshot and thumbnail are in the tree,
    for the kinds the config does not give."""
    for snapshot, thumbnail in task.fallback_photos:
        if output.exists(snapshot) and output.exists(thumbnail):
            chosen: dict[ImageKind, str] = {"snapshot": snapshot, "thumbnail": thumbnail}
            return {kind: key for kind, key in chosen.items() if kind in task.missing_photos}
    return {}


def _write_deposition_level(
    entities: list[DepositionTask | DatasetTask], plan: Plan, settings: ExecutionSettings, output: Storage
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Deposition and dataset metadata (with their key photos), skipping what is up to date and rewriting only the
    metadata file when the key photos are unchanged (returns written, skipped, metadata-only and errors).

    A key photo that cannot be read (a URL that cannot be fetched, a missing file) fails only that photo: the
    error is reported, the metadata is written without it, and the entity is not recorded as up to date, so the
    next run tries again."""
    input_storage = settings.open_input()
    manifest = Manifest.load(output, "deposition")
    written: list[str] = []
    skipped: list[str] = []
    metadata_only: list[str] = []
    errors: list[str] = []
    layout = DEFAULT_LAYOUT  # the one layout (plan.layout names it)
    for task in entities:
        from_tomograms = _tomogram_photos(task, output) if isinstance(task, DatasetTask) else {}
        sources = sorted(from_tomograms.items())
        source_prints = [output.content_fingerprint(key) for _, key in sources]
        print_ = fingerprint((task, sources), source_prints)
        outputs = tuple(image.output_key for image in task.images)
        if isinstance(task, DatasetTask):
            outputs += tuple(layout.dataset_image(task.dataset, kind) for kind in from_tomograms)
        if settings.policy is WritePolicy.SKIP_UP_TO_DATE and manifest.up_to_date(
            output, task.metadata_key, print_, outputs, verification=settings.verification
        ):
            skipped.append(task.metadata_key)
            continue
        publisher = DigestingPublisher(output)
        data_print = fingerprint(("data", task.images, sources), source_prints)
        photos: dict[str, str] = {}
        data_kept = (settings.policy is WritePolicy.SKIP_UP_TO_DATE or settings.metadata_only) and manifest.data_intact(
            output, task.metadata_key, data_print, verification=settings.verification
        )
        if data_kept:  # the key photos (copied or taken from a tomogram) are unchanged: keep them as written
            photos = dict(json.loads(output.read_bytes(task.metadata_key)).get("key_photos") or {})
            metadata_only.append(task.metadata_key)
        else:
            for image in task.images:
                if _copy_image(image, input_storage, publisher, settings, errors):
                    photos[image.kind] = image.output_key
            if isinstance(task, DatasetTask):
                for kind, key in from_tomograms.items():  # the dataset's images taken from a tomogram's
                    target = layout.dataset_image(task.dataset, kind)
                    publisher.publish_bytes(target, output.read_bytes(key))
                    photos[kind] = target
        values = task.metadata.to_dict()
        if photos:
            values["key_photos"] = {**(values.get("key_photos") or {}), **photos}
        if isinstance(task, DepositionTask):
            model = deposition_file(values, plan.deposition_id, settings.timestamp, key=task.metadata_key)
        else:
            model = dataset_file(values, plan.deposition_id, settings.timestamp, key=task.metadata_key)
        publisher.publish_bytes(task.metadata_key, metadata_bytes(model))
        if data_kept or len(photos) == len(task.images) + len(from_tomograms):  # one with a failed photo: again
            kept = manifest.recorded(task.metadata_key) if data_kept else {}
            digests = {**kept, **publisher.take()}
            manifest.record(output, task.metadata_key, print_, digests, data_print=data_print)
        written.append(task.metadata_key)
    return written, skipped, metadata_only, errors


def _copy_image(
    image: ImageCopy, source: Storage, output: DigestingPublisher, settings: ExecutionSettings, errors: list[str]
) -> bool:
    """Copy a key photo as PNG: a literal read as the portal reads it (:mod:`ingest.pipeline.literal_files`), or a file
    a glob found under the source prefix. A photo that cannot be read is an error in ``errors`` (naming the URL or the
    places tried) and False: it fails only the entity that needs it."""
    what = f"{image.kind} key photo"
    try:
        if image.literal:
            places = LiteralPlaces(
                settings.input_url, settings.source_prefix, settings.bucket_root, settings.storage_options
            )
            data = as_png(
                read_literal_file(image.source, places, what=what, where=image.source), what=what, where=image.source
            )
        else:
            key = settings.source_key(image.source)
            data = as_png(source.read_bytes(key), what=what, where=source.url_of(key))
        output.publish_bytes(image.output_key, data)
    except IngestError as error:
        errors.append(f"{image.output_key}: {error.message}")
        return False
    return True


def report_to_json(report: IngestReport) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_document(report), indent=2) + "\n"


def report_document(report: IngestReport) -> dict[str, Any]:
    """The report as a JSON object (docs/json-output.md)."""
    return {
        "ok": report.ok,
        "deposition_level": {
            "written": len(report.written),
            "skipped": len(report.skipped),
            "metadata_only": len(report.metadata_only),
            "written_keys": list(report.written),
            "skipped_keys": list(report.skipped),
            "metadata_only_keys": list(report.metadata_only),
        },
        "runs": [
            {
                "run": run.run,
                "written": run.written,
                "skipped": run.skipped,
                "metadata_only": run.metadata_only,
                "error": run.error,
                "warnings": list(run.warnings),
            }
            for run in report.runs
        ],
        "totals": report_totals(report),
        "skipped_sections": {item.section: item.count for item in report.skipped_sections},
        "warnings": list(report.warnings),
        "errors": list(report.errors),
        "checks": None if report.checks is None else json.loads(render_json(report.checks)),
    }


def report_totals(report: IngestReport) -> dict[str, int]:
    """Runs succeeded and failed, and entities written and skipped by runs and at deposition level."""
    failed = sum(not run.succeeded for run in report.runs)
    return {
        "succeeded": len(report.runs) - failed,
        "failed": failed,
        "written": len(report.written) + sum(run.written for run in report.runs),
        "skipped": len(report.skipped) + sum(run.skipped for run in report.runs),
        "metadata_only": len(report.metadata_only) + sum(run.metadata_only for run in report.runs),
    }


def report_lines(report: IngestReport) -> list[str]:
    """The report as lines of text: one per run, then the skipped sections and warnings."""
    only = f" ({len(report.metadata_only)} metadata only)" if report.metadata_only else ""
    lines = [f"deposition level: {len(report.written)} written{only}, {len(report.skipped)} skipped"]
    lines.extend(f"FAILED {error}" for error in report.errors)
    for run in report.runs:
        if run.succeeded:
            only = f" ({run.metadata_only} metadata only)" if run.metadata_only else ""
            lines.append(f"ok     {run.run}: {run.written} written{only}, {run.skipped} skipped")
        else:
            lines.append(f"FAILED {run.run}: {run.error}")
    for item in report.skipped_sections:
        lines.append(f"not ingested yet: {item.section} ({item.count})")
    lines.extend(f"warning: {warning}" for warning in report.warnings)
    totals = report_totals(report)
    lines.append(
        f"{totals['succeeded']} of {len(report.runs)} runs succeeded, {totals['failed']} failed; "
        f"{totals['written']} entities written, {totals['skipped']} skipped"
        + (f"; {totals['metadata_only']} metadata files rewritten alone" if totals["metadata_only"] else "")
    )
    if report.checks is not None:
        lines.extend(_check_lines(report.checks))
    return lines


def _check_lines(checks: Report) -> list[str]:
    lines = [f"check {f.severity.value}[{f.code}] {f.location}: {f.describe()}" for f in checks.findings]
    verdict = "clean" if not checks.findings else ("ok (no errors)" if checks.ok else "FAILED")
    lines.append(f"output checks: {len(checks.errors)} error(s), {len(checks.warnings)} warning(s): {verdict}")
    return lines


def absolute_url(url: str) -> str:
    """A local path made absolute (workers may run elsewhere); URLs are kept as they are."""
    return url if "://" in url else str(Path(url).expanduser().absolute())
