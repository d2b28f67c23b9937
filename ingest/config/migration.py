"""``ingest migrate``: older configs upgraded with the portal's migration steps (``config_migration_steps``).

When the upgrade only changes ``version``, the text is edited at the version's exact position, so every other byte
(comments, quoting, folding, indentation) is kept. Structural changes go through ruamel.yaml's round-trip dumper,
which keeps comments and key order (indentation is normalised); new sections are appended at the end. Files are
written atomically: a temporary file next to the destination, then a rename.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML

from ingest.config.migration_steps import MIGRATION_STEPS
from ingest.config.positioned_yaml import DEFAULT_LIMITS, YamlLimits, read_yaml
from ingest.config.versions import CURRENT_CONFIG_VERSION, KNOWN_CONFIG_VERSIONS, Upgrade, declared_version
from ingest.errors import ConfigError

_INDENTED_SEQUENCE = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*\n\1  +- ", re.MULTILINE)


class UnsupportedVersionError(ConfigError):
    """The config declares no version or one that no migration reads (exit status 2, like unreadable input)."""

    exit_code = 2


@dataclass(frozen=True)
class MigratedConfig:
    """One config after migration: its source, what the upgrade did (None when already current) and the text."""

    source: Path
    upgrade: Upgrade | None
    text: str


def migrate_config(
    source: Path, target_version: str = CURRENT_CONFIG_VERSION, limits: YamlLimits = DEFAULT_LIMITS
) -> MigratedConfig:
    """Read the config at ``source`` and upgrade it to ``target_version`` (nothing is written).

    Raises :class:`UnsupportedVersionError` for a config that declares no known version, and
    :class:`~ingest.config.migration_steps.MigrationRefusedError` for a config a step cannot upgrade.
    """
    document = read_yaml(source, limits)  # the same safety checks as validation: size, tags, aliases
    text = source.read_text(encoding="utf-8")
    version = declared_version(document.data)
    if version not in KNOWN_CONFIG_VERSIONS:
        raise UnsupportedVersionError(
            "unsupported config format version",
            where=f"{source}: version",
            expected=f"one of {', '.join(KNOWN_CONFIG_VERSIONS)}",
            found=repr(version) if version is not None else "no version",
        )
    if target_version not in KNOWN_CONFIG_VERSIONS:
        raise UnsupportedVersionError(
            "unsupported target version", expected=f"one of {', '.join(KNOWN_CONFIG_VERSIONS)}", found=target_version
        )
    data = copy.deepcopy(document.data)
    changes = _apply_steps(data, version, target_version, str(source))
    if data.get("version") == version:
        return MigratedConfig(source=source, upgrade=None, text=text)
    upgrade = Upgrade(from_version=version, to_version=target_version, changes=tuple(changes))
    if not changes:
        migrated = _replace_version(text, document.tree, target_version)
    else:
        migrated = _round_trip(text, version, target_version, str(source))
    return MigratedConfig(source=source, upgrade=upgrade, text=migrated)


def _apply_steps(tree: dict[str, Any], version: str, target_version: str, file: str) -> list[str]:
    changes: list[str] = []
    last = KNOWN_CONFIG_VERSIONS.index(target_version)
    for step in MIGRATION_STEPS:
        if step.from_version != tree.get("version") or KNOWN_CONFIG_VERSIONS.index(step.to_version) > last:
            continue
        try:
            changes.extend(step.apply(tree))
        except ConfigError as error:
            error.where = f"{file}: {error.where}" if error.where else file
            error.what = f"cannot migrate {step.from_version} to {step.to_version}: {error.what}"
            raise
        tree["version"] = step.to_version
    return changes


def _replace_version(text: str, tree: yaml.Node | None, target_version: str) -> str:
    if not isinstance(tree, yaml.MappingNode):
        raise ConfigError("config is not a mapping", expected="a YAML mapping at the top level")
    for key, value in tree.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "version" and isinstance(value, yaml.ScalarNode):
            quote = value.style if value.style in ("'", '"') else ""
            replacement = f"{quote}{target_version}{quote}"
            return text[: value.start_mark.index] + replacement + text[value.end_mark.index :]
    raise ConfigError("config has no version to upgrade", expected="a top-level `version` key")


def _round_trip(text: str, version: str, target_version: str, file: str) -> str:
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    loader.width = 4096
    if _INDENTED_SEQUENCE.search(text):
        loader.indent(mapping=2, sequence=4, offset=2)
    loader.representer.add_representer(type(None), _represent_null)
    tree = loader.load(text)
    tree["version"] = version  # the same spelling as the plain data (a quoted or numeric version)
    _apply_steps(tree, version, target_version, file)
    out = io.StringIO()
    loader.dump(tree, out)
    return out.getvalue()


def _represent_null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")
