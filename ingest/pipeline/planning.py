"""From a config file and two storage URLs to a Plan: validate, list the input once, read the output, plan.

This is the IO shell around the pure :func:`ingest.plan.deposition.plan_deposition`; ``ingest deposition --dry-run``
prints what it returns, and the executor runs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml

from ingest.config.input_paths import KeyGuard, LocalRootGuard, OpenGuard, input_key, outside_root_error, resolves_under
from ingest.config.load import load_config
from ingest.config.locations import located
from ingest.domain.layout import DEFAULT_LAYOUT, Layout
from ingest.domain.report import Report, render_report_text
from ingest.domain.tasks import Plan, Selection
from ingest.errors import ConfigError, InputFileError
from ingest.models.ingestion_config import DepositionConfig
from ingest.pipeline.existing_tree import read_existing_tree
from ingest.pipeline.inputs import RunMaps, StorageMrcHeaders, list_input, read_run_data_map, read_run_name_map
from ingest.pipeline.validate import validate_config
from ingest.plan.deposition import PlanInputs, plan_deposition
from ingest.plan.existing import ExistingTree
from ingest.plan.glob_vars import MAPPED_NAMES
from ingest.storage.base import Storage, open_storage
from ingest.storage.local import LocalStorage

T = TypeVar("T")


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
        return render_report_text(self.report)


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
    bucket_root: Path | None = None,
) -> PlannedDeposition:
    """Validate ``config_path`` (refusing an invalid config before anything is listed), list the input under
    ``{input_url}/{source_prefix}`` once (default input: the config's folder), read the existing output tree and
    plan. ``storage_options`` apply to ``s3://`` URLs."""
    input_url = input_url or str(config_path.parent)
    local_input = "://" not in input_url or input_url.startswith("file://")
    report = validate_config(
        config_path, input_url.removeprefix("file://") if local_input else None, bucket_root=bucket_root
    )
    if not report.ok:
        raise InvalidConfigError(report, str(config_path))
    loaded = load_config(config_path)
    config = loaded.config
    existing = read_existing_tree(_open(output_url, storage_options))
    plan = plan_valid_config(
        config_path,
        config,
        input_url,
        existing,
        selection=selection,
        storage_options=storage_options,
        layout=layout,
        config_tree=loaded.tree,
    )
    prefix = source_prefix_key(config, _open(input_url, storage_options), PlanContextLocator(str(config_path), None))
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
    config_tree: yaml.Node | None = None,
) -> Plan:
    """Plan a config that passed validation: read the input as :func:`read_plan_inputs` does (one listing, the
    run data map and run maps, all confined to the input root) and plan against ``existing``. The dry run and
    ``ingest validate --input`` plan through here, so the finders' rules live in one place (``config_tree``, the
    positioned YAML, puts ``file:line:col`` into planning errors)."""
    input_storage = _open(input_url, storage_options)
    inputs = read_plan_inputs(config, input_storage, config_file=str(config_path), config_tree=config_tree)
    return plan_deposition(config, inputs, existing, selection=selection, layout=layout)


def read_plan_inputs(
    config: DepositionConfig, storage: Storage, *, config_file: str, config_tree: yaml.Node | None = None
) -> PlanInputs:
    """Everything planning reads from the input storage: the listing under ``source_prefix``, the run data map and
    the older run maps (each confined to the input root: a path leading outside is refused naming its config key),
    MRC headers on request, and the guard against symbolic links leading outside the input root."""
    settings = config.standardization_config
    locate = PlanContextLocator(config_file, config_tree)
    prefix = source_prefix_key(config, storage, locate)
    run_data_key = None
    if settings.run_data_map_file:
        run_data_key = _confined(storage, prefix, settings.run_data_map_file, locate("run_data_map_file"))
    maps = {}
    for variable, setting in MAPPED_NAMES.items():
        name = getattr(settings, setting, None)
        if name:
            key = _confined(storage, prefix, name, locate(setting))
            maps[variable] = _named_by(locate(setting), functools.partial(read_run_name_map, storage, key))
    return PlanInputs(
        listing=list_input(storage, prefix),
        run_data=_named_by(locate("run_data_map_file"), lambda: read_run_data_map(storage, run_data_key)),
        headers=StorageMrcHeaders(storage, prefix),
        config_file=config_file,
        run_maps=RunMaps(maps),
        guard=_guard(storage, prefix),
        config_tree=config_tree,
    )


def source_prefix_key(config: DepositionConfig, storage: Storage, locate: PlanContextLocator) -> str:
    """``standardization_config.source_prefix`` as a key under the input root (``""`` for the root itself);
    a prefix leading outside the root is refused."""
    prefix = config.standardization_config.source_prefix.strip("/")
    return input_key("", prefix, where=locate("source_prefix"), root=storage.url) if prefix else ""


class PlanContextLocator:
    """``standardization_config.<key>`` of the config as ``file:line:col path`` for messages."""

    def __init__(self, config_file: str, tree: yaml.Node | None) -> None:
        self.config_file, self.tree = config_file, tree

    def __call__(self, key: str) -> str:
        return located(self.config_file, self.tree, f"standardization_config.{key}")


def _named_by(where: str, read: Callable[[], T]) -> T:
    """``read()``; an input error is located at the config key that names the file (``where``), the file and
    line it names kept in the message."""
    try:
        return read()
    except InputFileError as error:
        if error.where is None or error.where.startswith(where):
            raise
        what = f"{error.what}: {error.where}"
        raise InputFileError(what, where=where, expected=error.expected, found=error.found) from None


def _confined(storage: Storage, prefix: str, name: str, where: str) -> str:
    """The key of the file ``name`` (relative to the source prefix), refused when it leads outside the input
    root, also through a symbolic link on a local disk."""
    key = input_key(prefix, name, where=where, root=storage.url)
    if isinstance(storage, LocalStorage) and not resolves_under(f"{storage.root}/{key}", storage.root):
        raise outside_root_error(name, where, storage.url)
    return key


def _guard(storage: Storage, prefix: str) -> KeyGuard:
    if isinstance(storage, LocalStorage):
        return LocalRootGuard(f"{storage.root}/{prefix}", storage.root)
    return OpenGuard()


def _open(url: str, options: Mapping[str, str] | None) -> Storage:
    is_s3 = url.startswith(("s3://", "s3a://"))
    return open_storage(url, options if is_s3 else None)
