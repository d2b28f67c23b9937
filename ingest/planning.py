"""From a config file and two storage URLs to a Plan: validate, list the input once, read the output, plan.

This is the IO shell around the pure :func:`ingest.plan.plan_deposition`; ``ingest deposition --dry-run`` prints
what it returns, and the executor runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingest.config import load_config
from ingest.errors import ConfigError
from ingest.existing import ExistingTree, read_existing_tree
from ingest.inputs import StorageMrcHeaders, list_input, read_run_data_map
from ingest.layout import DEFAULT_LAYOUT, Layout
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan import PlanInputs, plan_deposition
from ingest.report import Report, render_text
from ingest.storage import Storage, open_storage
from ingest.tasks import Plan, Selection
from ingest.validators.config import validate_config


class InvalidConfigError(ConfigError):
    """The config has validation errors; ``report`` holds every finding of ``ingest validate``."""

    def __init__(self, report: Report, file: str) -> None:
        self.report = report
        super().__init__(
            f"the config is invalid ({len(report.errors)} error(s)); nothing was listed or written",
            where=file,
        )

    def render(self) -> str:
        """Every finding, as ``ingest validate`` prints them."""
        return render_text(self.report)


@dataclass(frozen=True)
class PlannedDeposition:
    """A plan with what it was made from: the config, and where the input and output are."""

    plan: Plan
    config: DepositionConfig
    config_file: str
    input_url: str
    source_prefix: str
    output_url: str


def plan_from_files(
    config_path: Path,
    *,
    input_url: str | None = None,
    output_url: str = "portal",
    selection: Selection | None = None,
    storage_options: Mapping[str, str] | None = None,
    layout: Layout = DEFAULT_LAYOUT,
) -> PlannedDeposition:
    """Validate ``config_path`` (refusing an invalid config before anything is listed), list the input under
    ``{input_url}/{source_prefix}`` once (default input: the config's folder), read the existing output tree and
    plan. ``storage_options`` apply to ``s3://`` URLs."""
    input_url = input_url or str(config_path.parent)
    local_input = "://" not in input_url or input_url.startswith("file://")
    report = validate_config(config_path, input_url.removeprefix("file://") if local_input else None)
    if not report.ok:
        raise InvalidConfigError(report, str(config_path))
    config = load_config(config_path).config
    existing = read_existing_tree(_open(output_url, storage_options))
    plan = plan_valid_config(
        config_path, config, input_url, existing, selection=selection, storage_options=storage_options, layout=layout
    )
    prefix = config.standardization_config.source_prefix.strip("/")
    return PlannedDeposition(plan, config, str(config_path), input_url, prefix, output_url)


def plan_valid_config(
    config_path: Path,
    config: DepositionConfig,
    input_url: str,
    existing: ExistingTree,
    *,
    selection: Selection | None = None,
    storage_options: Mapping[str, str] | None = None,
    layout: Layout = DEFAULT_LAYOUT,
) -> Plan:
    """Plan a config that passed validation: list ``{input_url}/{source_prefix}`` once, read the run data map, plan
    against ``existing``. The dry run and ``ingest validate --input`` both plan through here (one home per rule)."""
    prefix = config.standardization_config.source_prefix.strip("/")
    input_storage = _open(input_url, storage_options)
    run_data_map = config.standardization_config.run_data_map_file
    inputs = PlanInputs(
        listing=list_input(input_storage, prefix),
        run_data=read_run_data_map(input_storage, _join(prefix, run_data_map) if run_data_map else None),
        headers=StorageMrcHeaders(input_storage, prefix),
        config_file=str(config_path),
    )
    return plan_deposition(config, inputs, existing, selection=selection, layout=layout)


def _open(url: str, options: Mapping[str, str] | None) -> Storage:
    is_s3 = url.startswith(("s3://", "s3a://"))
    return open_storage(url, options if is_s3 else None)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name.strip('/')}" if prefix else name.strip("/")
