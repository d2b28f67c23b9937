"""Loading deposition configs: safe YAML with positions → version upgrade → typed, validated models.

``read_config`` gives the raw positioned tree and its plain data (for validators that must see everything, even an
invalid config); ``load_config`` gives a config that passed every check of ``ingest validate``, or raises
:class:`~ingest.errors.ConfigError` naming the first problem and how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.config.positioned_yaml import DEFAULT_LIMITS, YamlDocument, YamlLimits, plain_data, read_yaml_tree
from ingest.config.rules.schema import schema_findings
from ingest.config.rules.semantic import semantic_findings
from ingest.config.rules.templates import locate_run_data_map, template_findings
from ingest.config.versions import Upgrade, declared_version, upgrade_tree
from ingest.domain.report import Report
from ingest.errors import ConfigError
from ingest.models.ingestion_config import DepositionConfig


@dataclass(frozen=True)
class RawConfig:
    """A config as read from disk, upgraded in memory to the current version but not yet validated.

    ``document.tree`` is the positioned YAML node graph, ``document.data`` the same content as plain Python data;
    ``upgrade`` says what the version upgrade did (None for a current config).
    """

    document: YamlDocument
    declared_version: str | None
    upgrade: Upgrade | None

    @property
    def file(self) -> str:
        """The config's file name as given."""
        return self.document.file


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config: the typed model, the positioned YAML tree it came from, and the file name."""

    config: DepositionConfig
    tree: yaml.Node | None
    file: str
    upgrade: Upgrade | None = None


def read_config(path: Path | str, limits: YamlLimits = DEFAULT_LIMITS) -> RawConfig:
    """Read and upgrade a config; raise :class:`~ingest.config.positioned_yaml.YamlReadError` when it is not safe
    YAML."""
    tree = read_yaml_tree(Path(path), limits)
    data = plain_data(tree, str(path), limits)
    version = declared_version(data)
    upgrade = upgrade_tree(data)
    return RawConfig(
        document=YamlDocument(file=str(path), tree=tree, data=data), declared_version=version, upgrade=upgrade
    )


def load_config(
    path: Path | str, input_root: Path | str | None = None, limits: YamlLimits = DEFAULT_LIMITS
) -> LoadedConfig:
    """Read, upgrade and validate a config; raise ``ConfigError`` if it has any error.

    The checks are those of ``ingest validate``: schema, offline semantic rules, and templates against the run data
    map found under ``input_root`` (default: the config's folder). Warnings do not stop loading.
    """
    raw = read_config(path, limits)
    model, findings = schema_findings(raw.document)
    run_map, _ = locate_run_data_map(raw.document, Path(input_root) if input_root else Path(path).parent)
    report = Report.of((*findings, *semantic_findings(raw.document), *template_findings(raw.document, run_map)))
    if model is None or not report.ok:
        first = report.errors[0]
        more = len(report.errors) - 1
        suffix = f" (and {more} more error(s); run `ingest validate {raw.file}`)" if more else ""
        raise ConfigError(
            f"[{first.code}] {first.describe()}{suffix}",
            where=first.location,
        )
    return LoadedConfig(config=model, tree=raw.document.tree, file=raw.file, upgrade=raw.upgrade)
