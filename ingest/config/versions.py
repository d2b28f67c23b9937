"""Config format versions and the in-memory upgrade of older configs to the current shape.

Facts behind the upgrade steps (see docs/validation-codes.md, "Config versions"):

* The portal's configs declare ``version: 1.0.0``, ``1.1.0`` or ``1.3.0``. The reference corpus holds configs of
  all three that the portal's validator accepts with the same schema: no key was renamed or removed between them,
  so the upgrade of a current-shaped older config only rewrites ``version``.
* Older configs listed ``.mdoc`` files among the raw-tilt sources. The portal moved them into their own
  ``collection_metadata`` section (portal issue #997); an older config still in that shape has its mdoc globs
  moved there.

This in-memory upgrade is how validation and ingestion read an older config (as the portal's ingestion reads it,
as written). ``ingest migrate`` instead applies the portal's own migration steps, which may change meaning
(``ingest.config.migration_steps``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CURRENT_CONFIG_VERSION = "1.3.0"
OLDER_CONFIG_VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
KNOWN_CONFIG_VERSIONS = (*OLDER_CONFIG_VERSIONS, CURRENT_CONFIG_VERSION)


@dataclass(frozen=True)
class Upgrade:
    """What upgrading one config did: the declared version, the version now, and each change made."""

    from_version: str
    to_version: str
    changes: tuple[str, ...]

    def describe(self) -> str:
        """One sentence for a NOTE finding or the migrate command."""
        done = "; ".join(self.changes) if self.changes else "no other change was needed"
        return f"config declares version {self.from_version}; upgraded to {self.to_version} ({done})"


def declared_version(tree: Any) -> str | None:
    """The ``version`` a config declares, as text (``1.0`` written as a number becomes ``"1.0"``)."""
    if not isinstance(tree, dict) or tree.get("version") is None:
        return None
    return str(tree["version"])


def upgrade_tree(tree: Any) -> Upgrade | None:
    """Upgrade an older config in place to :data:`CURRENT_CONFIG_VERSION`; None when nothing is to be done."""
    version = declared_version(tree)
    if version is None or version not in OLDER_CONFIG_VERSIONS:
        return None
    changes = list(_move_mdoc_globs_to_collection_metadata(tree))
    tree["version"] = CURRENT_CONFIG_VERSION
    return Upgrade(from_version=version, to_version=CURRENT_CONFIG_VERSION, changes=tuple(changes))


def _is_mdoc_glob(value: Any) -> bool:
    return isinstance(value, str) and (value.endswith(".mdoc") or "{mdoc_name}" in value)


def _move_mdoc_globs_to_collection_metadata(tree: dict[str, Any]) -> list[str]:
    rawtilts = tree.get("rawtilts")
    if not isinstance(rawtilts, list):
        return []
    moved: list[str] = []
    for entry in rawtilts:
        sources = entry.get("sources") if isinstance(entry, dict) else None
        if not isinstance(sources, list):
            continue
        for source in list(sources):
            moved.extend(_take_mdoc_globs(source))
            if isinstance(source, dict) and not _has_finder(source):
                sources.remove(source)
    if not moved:
        return []
    for entry in [e for e in rawtilts if isinstance(e, dict) and not e.get("sources")]:
        rawtilts.remove(entry)
    if not rawtilts:
        del tree["rawtilts"]
    _collection_metadata_globs(tree).extend(moved)
    return [f"moved {len(moved)} mdoc glob(s) from rawtilts to collection_metadata"]


def _take_mdoc_globs(source: Any) -> list[str]:
    if not isinstance(source, dict):
        return []
    taken: list[str] = []
    multi = source.get("source_multi_glob")
    if isinstance(multi, dict) and isinstance(multi.get("list_globs"), list):
        globs = multi["list_globs"]
        taken = [g for g in globs if _is_mdoc_glob(g)]
        for glob in taken:
            globs.remove(glob)
        if not globs:
            del source["source_multi_glob"]
    single = source.get("source_glob")
    if isinstance(single, dict) and _is_mdoc_glob(single.get("list_glob")):
        taken.append(single["list_glob"])
        del source["source_glob"]
    return taken


def _has_finder(source: dict[str, Any]) -> bool:
    return any(key not in ("parent_filters", "exclude") for key in source)


def _collection_metadata_globs(tree: dict[str, Any]) -> list[Any]:
    sections = tree.get("collection_metadata")
    if not isinstance(sections, list) or not sections:
        sections = []
        tree["collection_metadata"] = sections
    if not sections or not isinstance(sections[0], dict):
        sections.insert(0, {})
    entry = sections[0]
    sources = entry.setdefault("sources", [])
    for source in sources:
        multi = source.get("source_multi_glob") if isinstance(source, dict) else None
        if isinstance(multi, dict) and isinstance(multi.get("list_globs"), list):
            existing: list[Any] = multi["list_globs"]
            return existing
    globs: list[Any] = []
    sources.append({"source_multi_glob": {"list_globs": globs}})
    return globs
