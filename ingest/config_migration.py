"""``ingest migrate``: write an older config upgraded to the current format version.

When the upgrade only changes ``version`` (every config in the reference corpus), the file is edited in place at the
version's exact position, so every other byte (comments, quoting, folding, indentation) is kept. Structural changes
go through ruamel.yaml's round-trip dumper, which keeps comments and key order (indentation is normalised).
The result is written atomically: a temporary file next to the destination, then a rename.
"""

from __future__ import annotations

import copy
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from ruamel.yaml import YAML

from ingest.config_versions import CURRENT_CONFIG_VERSION, Upgrade, upgrade_tree
from ingest.errors import ConfigError
from ingest.positioned_yaml import DEFAULT_LIMITS, YamlLimits, read_yaml

_INDENTED_SEQUENCE = re.compile(r"^( *)[^\s#-][^\n]*:[ \t]*\n\1  +- ", re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    """What ``migrate_config_file`` did: the upgrade (None when the config was already current) and where it wrote."""

    upgrade: Upgrade | None
    written: Path | None


def migrate_config_file(
    source: Path, destination: Path | None = None, limits: YamlLimits = DEFAULT_LIMITS
) -> Migration:
    """Upgrade the config at ``source`` and write it to ``destination`` (default: ``source`` itself).

    A config that is already current is not rewritten (unless ``destination`` differs, when it is copied as is).
    """
    document = read_yaml(source, limits)  # the same safety checks as validation: size, tags, aliases
    text = source.read_text(encoding="utf-8")
    target = destination or source
    upgrade = upgrade_tree(copy.deepcopy(document.data))
    if upgrade is None:
        if target != source:
            _write_atomically(target, text)
            return Migration(upgrade=None, written=target)
        return Migration(upgrade=None, written=None)
    migrated = _replace_version(text, document.tree) if not upgrade.changes else _round_trip(text, source)
    _write_atomically(target, migrated)
    return Migration(upgrade=upgrade, written=target)


def _replace_version(text: str, tree: yaml.Node | None) -> str:
    if not isinstance(tree, yaml.MappingNode):
        raise ConfigError("config is not a mapping", expected="a YAML mapping at the top level")
    for key, value in tree.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "version" and isinstance(value, yaml.ScalarNode):
            quote = value.style if value.style in ("'", '"') else ""
            replacement = f"{quote}{CURRENT_CONFIG_VERSION}{quote}"
            return text[: value.start_mark.index] + replacement + text[value.end_mark.index :]
    raise ConfigError("config has no version to upgrade", expected="a top-level `version` key")


def _round_trip(text: str, source: Path) -> str:
    loader = YAML(typ="rt")
    loader.preserve_quotes = True
    loader.width = 4096
    if _INDENTED_SEQUENCE.search(text):
        loader.indent(mapping=2, sequence=4, offset=2)
    tree = loader.load(text)
    if upgrade_tree(tree) is None:
        raise ConfigError("config could not be upgraded", where=str(source))
    out = io.StringIO()
    loader.dump(tree, out)
    return out.getvalue()


def _write_atomically(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
