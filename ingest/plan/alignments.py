"""Plan a run's alignment: the configured one (its files copied into the alignment's folder) or, when the config
gives none, the default alignment the portal writes; ids stay stable across ingestions by identity."""

from __future__ import annotations

from typing import Any

from ingest.domain.entities import Alignment, Run
from ingest.domain.tasks import AlignmentTask, Metadata
from ingest.errors import PlanError
from ingest.models.ingestion_config import DepositionConfig
from ingest.plan.context import PlanContext, Scope, entry_sources
from ingest.plan.existing import IdAllocator, Identity, alignment_identity
from ingest.plan.merges import refuse_second_alignment
from ingest.plan.sources import Origin

IDENTITY_AFFINE = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
PORTAL_ALIGNMENT_DEFAULTS: dict[str, Any] = {
    "affine_transformation_matrix": IDENTITY_AFFINE,
    "alignment_type": "GLOBAL",
    "is_portal_standard": False,
    "tilt_offset": 0.0,
    "volume_offset": {"x": 0.0, "y": 0.0, "z": 0.0},
    "x_rotation_offset": 0.0,
    "method_type": "undefined",
}
"""What the portal writes for the alignment fields a config leaves out (identity transform, no offsets, method
undefined): its alignment importer puts these under every alignment's metadata, the default one's included."""
_OLDER_NAMES = {"volume_offset": "offset", "is_portal_standard": "is_canonical"}


def default_alignment_metadata(deposition_id: int) -> dict[str, Any]:
    """The alignment the portal writes when a config gives none (``volume_dimension`` is added by the executor:
    voxel spacing × tomogram size in Å)."""
    return {**PORTAL_ALIGNMENT_DEFAULTS, "deposition_id": deposition_id}


def with_portal_defaults(metadata: dict[str, Any]) -> dict[str, Any]:
    """A configured alignment's metadata with the portal's defaults under it (a field given under its older name,
    such as ``offset``, keeps its default out)."""
    defaults = {
        name: value
        for name, value in PORTAL_ALIGNMENT_DEFAULTS.items()
        if name not in metadata and _OLDER_NAMES.get(name) not in metadata
    }
    return {**defaults, **metadata}


def plan_alignments(
    config: DepositionConfig, context: PlanContext, run: Run, scope: Scope, tiltseries_key: str | None
) -> tuple[tuple[AlignmentTask, ...], str]:
    """The run's alignment tasks and the alignment metadata key its tomograms and annotations point at.
    Alignments name the run's tilt series (``tiltseries_path``, which the portal's importer reads) even when
    ``--only`` leaves the tilt series out."""
    layout = context.layout
    container = layout.alignment_container(run)
    existing = context.existing.metadata_in(container, "alignment_metadata.json")
    referenced: list[str] = []
    planned: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
    candidates = [(layout.alignment_metadata(Alignment(run, i)), m) for i, m in existing.items()]
    for index, entry, path, source in entry_sources("alignments", config.alignments):
        for item in context.find(source, scope, path, candidates=candidates):
            if item.origin is Origin.DESTINATION:
                referenced.append(item.key if item.key.endswith(".json") else f"{item.key}/alignment_metadata.json")
            else:
                metadata = with_portal_defaults(
                    context.entry_metadata(
                        f"alignments[{index}]", entry.metadata, scope, deposition_id=context.deposition_id
                    )
                )
                planned.append((path, metadata, item.keys))
    known = {alignment_identity(m, _file_names(m.get("files"))): i for i, m in existing.items()}
    known.update(_written_without_files(context, run, existing, planned, known))
    allocator = IdAllocator.in_container(context.existing, container, known, context.allocated)
    refuse_second_alignment(context, run, planned, existing, known)
    defaulted = not planned and not referenced
    if defaulted:
        planned.append(("default alignment", default_alignment_metadata(context.deposition_id), ()))
    tasks = []
    for path, metadata, keys in planned:
        if tiltseries_key is not None:
            metadata = {"tiltseries_path": tiltseries_key, **metadata}
        names = tuple(layout.alignment_file_name(run, key.rsplit("/", 1)[-1]) for key in keys)
        alignment_id, reused = allocator.assign(alignment_identity(metadata, names), what=path)
        alignment = Alignment(run, alignment_id)
        key = layout.alignment_metadata(alignment)
        outputs = _alignment_copies(context, alignment, path, keys)
        tasks.append(AlignmentTask(alignment, Metadata.of(metadata), key, keys, defaulted, reused, outputs))
    alignment_key = tasks[0].metadata_key if tasks else referenced[0]
    return tuple(tasks), alignment_key


def _written_without_files(
    context: PlanContext,
    run: Run,
    existing: dict[int, dict[str, Any]],
    planned: list[tuple[str, dict[str, Any], tuple[str, ...]]],
    known: dict[Identity, int],
) -> dict[Identity, int]:
    """Planned alignments matching, but for their file names, an alignment written with no ``files`` (by a version
    that did not copy alignment files yet): they keep that alignment's id rather than becoming a second one."""
    adopted: dict[Identity, int] = {}
    for _, metadata, keys in planned:
        names = tuple(context.layout.alignment_file_name(run, key.rsplit("/", 1)[-1]) for key in keys)
        identity = alignment_identity(metadata, names)
        if not keys or identity in known:
            continue
        for alignment_id, written in sorted(existing.items()):
            if not written.get("files") and alignment_identity(written, ()) == alignment_identity(metadata, ()):
                adopted[identity] = alignment_id
                break
    return adopted


def _alignment_copies(context: PlanContext, alignment: Alignment, path: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Where the alignment's source files are copied; two sources of one file name would overwrite each other."""
    outputs: dict[str, str] = {}
    for key in keys:
        output = context.layout.alignment_copy(alignment, key.rsplit("/", 1)[-1])
        if output in outputs:
            raise PlanError(
                "two alignment files have the same name",
                where=context.where(path),
                expected="distinct file names (they are copied into one alignment folder)",
                found=f"{outputs[output]!r} and {key!r}",
            )
        outputs[output] = key
    return tuple(outputs)


def _file_names(files: object) -> tuple[str, ...]:
    if not isinstance(files, list):
        return ()
    return tuple(str(path).rsplit("/", 1)[-1] for path in files)
