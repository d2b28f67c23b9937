"""Plan a deposition: from a config, one listing of the input and the existing output tree to a :class:`Plan`.

Planning is pure (no IO: listings, headers and existing metadata are read at the edge) and deterministic:
the same inputs give the same plan, ids included. It walks the hierarchy of docs/design.md §2 — deposition,
datasets, runs, then per run its tilt series, alignments, voxel spacings, tomograms and annotations — evaluating
each section's finders in the scope of its parents, rendering templates with the run data map, and taking every
output key from the layout. Selection (runs, datasets, sections) filters the plan, not the code path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from ingest.config.input_paths import URL_PREFIXES, literal_source
from ingest.domain.entities import Dataset, Deposition, Run
from ingest.domain.layout import DEFAULT_LAYOUT, ImageKind, Layout
from ingest.domain.tasks import (
    CopyTask,
    DatasetTask,
    DepositionTask,
    ImageCopy,
    Metadata,
    Plan,
    RunPlan,
    Section,
    Selection,
    VoxelSpacingPlan,
    total_skipped,
)
from ingest.errors import PlanError
from ingest.models.ingestion_config import DatasetEntity, DepositionConfig, KeyPhotoEntity, RunEntity
from ingest.plan.context import PlanContext, PlanInputs, Scope, config_metadata, entry_sources, render_metadata
from ingest.plan.existing import ExistingTree
from ingest.plan.glob_vars import entity_values, root_values
from ingest.plan.run import plan_run
from ingest.plan.sources import Found, Origin

__all__ = ["PlanInputs", "plan_deposition", "select_sections"]

E = TypeVar("E", DatasetEntity, RunEntity)


def plan_deposition(
    config: DepositionConfig,
    inputs: PlanInputs,
    existing: ExistingTree,
    *,
    selection: Selection | None = None,
    layout: Layout = DEFAULT_LAYOUT,
) -> Plan:
    """Plan the whole deposition described by ``config`` (see the module docstring)."""
    selection = selection or Selection()
    context = PlanContext(inputs, existing, layout, config.standardization_config.deposition_id)
    deposition, scope = _plan_deposition_entity(config, context)  # sets the deposition id the entity names
    datasets = _find_datasets(config, context, scope)
    dataset_tasks = []
    runs: list[RunPlan] = []
    left_out = False  # a finder may match only in runs the selection leaves out
    for dataset, dataset_scope, metadata in datasets:
        if not selection.wants_dataset(dataset.name):
            left_out = True
            continue
        planned = []
        for run, run_path in _find_runs(config, context, dataset, dataset_scope):
            if selection.wants_run(run.name):
                planned.append(plan_run(config, context, run, dataset_scope, run_path=run_path))
            else:
                left_out = True
        runs.extend(planned)
        if metadata is not None:
            task = _dataset_task(config, context, dataset, dataset_scope, metadata)
            dataset_tasks.append(replace(task, fallback_photos=_tomogram_photos(planned)))
    if not left_out:
        context.check_every_finder_matched()
    if not runs:
        raise PlanError(
            "no run is selected",
            where=inputs.config_file,
            expected="at least one run matching the runs finders and --run/--exclude-run/--dataset",
            found=f"{len(datasets)} dataset(s), no selected run",
        )
    plan = Plan(
        deposition_id=context.deposition_id,
        layout=layout.name,
        deposition=deposition,
        datasets=tuple(dataset_tasks),
        runs=tuple(runs),
        skipped=total_skipped(item for run in runs for item in run.skipped),
        warnings=tuple(context.warnings),
    )
    return select_sections(plan, selection)


def _tomogram_photos(runs: Sequence[RunPlan]) -> tuple[tuple[str, str], ...]:
    """The (snapshot, thumbnail) key images of the tomograms of ``runs``, in plan order."""
    pairs = []
    for run in runs:
        for tomogram in run.tomograms:
            photos = dict(tomogram.key_photo)
            if "snapshot" in photos and "thumbnail" in photos:
                pairs.append((photos["snapshot"], photos["thumbnail"]))
    return tuple(pairs)


def _plan_deposition_entity(config: DepositionConfig, context: PlanContext) -> tuple[DepositionTask | None, Scope]:
    """The deposition as the portal derives it: the id is the name the ``depositions`` finders give (every metadata
    file names it); ``standardization_config.deposition_id`` only when it agrees (a warning says when it does not).
    Sets ``context.deposition_id``."""
    found: list[tuple[int, int, Found]] = []
    root = Scope(root_values(), {})
    for index, entry in enumerate(config.depositions):
        for number, source in enumerate(entry.sources):
            for item in context.find(source, root, f"depositions[{index}].sources[{number}]"):
                found.append((index, _deposition_id(item, context, f"depositions[{index}]"), item))
    if not found:
        raise PlanError("the depositions section finds no deposition", where=context.where("depositions"))
    if len({deposition_id for _, deposition_id, _ in found}) > 1:
        context.warnings.append(f"depositions: several deposition ids found; using {found[0][1]}")
    index, deposition_id, item = found[0]
    configured = config.standardization_config.deposition_id
    if configured != deposition_id:
        context.warnings.append(
            f"standardization_config.deposition_id is {configured} but the depositions section names "
            f"{deposition_id}: every metadata file names {deposition_id}, as the portal's importers do"
        )
    context.deposition_id = deposition_id
    deposition = Deposition(deposition_id)
    folder = context.layout.deposition_metadata(deposition).rsplit("/", 1)[0]
    path = item.key if item.keys else None
    values = entity_values("deposition", str(deposition_id), path=path, output_path=folder)
    scope = root.within("deposition", str(deposition_id), **values)
    entry = config.depositions[index]
    if entry.metadata is None:
        key = context.layout.deposition_metadata(deposition)
        if key not in context.existing.metadata:
            context.warnings.append(
                f"deposition {deposition_id} has no metadata in the config and {key} is not in the output tree: "
                "the portal's importer refuses entities whose deposition it cannot find"
            )
        return None, scope
    metadata = render_metadata(config_metadata(entry.metadata), scope.values)
    images, referenced = _key_photos(config.deposition_keyphotos, context, scope, "deposition_keyphotos", deposition)
    metadata = {**metadata, "key_photos": referenced} if referenced else metadata
    key = context.layout.deposition_metadata(deposition)
    return DepositionTask(deposition, Metadata.of(metadata), key, images), scope


def _deposition_id(item: Found, context: PlanContext, path: str) -> int:
    try:
        return int(item.name)
    except ValueError:
        raise PlanError(
            "a deposition id is not an integer", where=context.where(path), expected="an integer", found=item.name
        ) from None


def _key_photos(
    entries: Sequence[KeyPhotoEntity] | None,
    context: PlanContext,
    scope: Scope,
    section: str,
    owner: Deposition | Dataset,
) -> tuple[tuple[ImageCopy, ...], dict[str, str]]:
    """The key photos to copy into the owner's ``Images/`` folder, and those already in the output tree
    (a ``destination_glob``), referenced by their keys. A glob names each photo by its kind (``name_regex``
    giving ``snapshot`` or ``thumbnail``)."""
    images: list[ImageCopy] = []
    referenced: dict[str, str] = {}
    for index, entry in enumerate(entries or ()):
        for number, source in enumerate(entry.sources):
            path = f"{section}[{index}].sources[{number}]"
            found = context.find(source, scope, path)
            if source.literal is not None:
                for kind in ("snapshot", "thumbnail") if found else ():
                    value = getattr(source.literal.value, kind)
                    if value is not None:
                        literal = _image_source(str(render_metadata(value, scope.values)), context, path)
                        images.append(ImageCopy(kind, literal, _image_key(context, owner, kind), literal=True))
                continue
            for item in found:
                kind = item.name.rsplit(".", 1)[0] if item.name.endswith(".png") else item.name
                if kind not in {"snapshot", "thumbnail"}:
                    raise PlanError(
                        "a key photo found by a glob is neither the snapshot nor the thumbnail",
                        where=context.where(path),
                        expected="a name_regex giving 'snapshot' or 'thumbnail' (or snapshot.png, thumbnail.png)",
                        found=f"{item.name!r} from {item.key!r}",
                    )
                if item.origin is Origin.DESTINATION:
                    referenced[kind] = item.key
                else:
                    images.append(
                        ImageCopy(kind, _image_source(item.key, context, path), _image_key(context, owner, kind))
                    )
    return tuple(images), referenced


_IMAGE_SUFFIXES = (".png", ".gif", ".jpg", ".jpeg")


def _image_source(source: str, context: PlanContext, path: str) -> str:
    """``source`` when it can be copied as ``{kind}.png``: a URL, or a PNG, GIF or JPEG file (converted to PNG);
    a literal path that would lead outside the input or bucket root is refused (:func:`literal_source`)."""
    literal_source(source, where=context.where(path))
    if source.startswith(URL_PREFIXES) or source.lower().endswith(_IMAGE_SUFFIXES):
        return source
    raise PlanError(
        "a key photo given as a file is not an image",
        where=context.where(path),
        expected="a .png, .gif or .jpg file (copied to Images/snapshot.png or Images/thumbnail.png), or a URL",
        found=repr(source),
    )


def _image_key(context: PlanContext, owner: Deposition | Dataset, kind: str) -> str:
    picture: ImageKind = "snapshot" if kind == "snapshot" else "thumbnail"
    if isinstance(owner, Deposition):
        return context.layout.deposition_image(owner, picture)
    return context.layout.dataset_image(owner, picture)


def _find_datasets(
    config: DepositionConfig, context: PlanContext, scope: Scope
) -> list[tuple[Dataset, Scope, dict[str, object] | None]]:
    found: list[tuple[Dataset, Scope, dict[str, object] | None]] = []
    for entry, path, item in _first_of_each_name(config.datasets, "datasets", context, scope):
        try:
            dataset = Dataset(item.name)
        except PlanError as error:
            raise unsafe_name_error(error, context, path, item) from None
        values = entity_values(
            "dataset",
            dataset.name,
            path=item.key if item.keys else None,
            output_path=context.layout.dataset_dir(dataset),
        )
        dataset_scope = scope.within("dataset", dataset.name, **values)
        metadata = None
        if entry.metadata is not None:
            metadata = render_metadata(config_metadata(entry.metadata), dataset_scope.values)
        found.append((dataset, dataset_scope, metadata))
    return found


def _dataset_task(
    config: DepositionConfig, context: PlanContext, dataset: Dataset, scope: Scope, metadata: dict[str, object]
) -> DatasetTask:
    images, referenced = _key_photos(config.dataset_keyphotos, context, scope, "dataset_keyphotos", dataset)
    metadata = {**metadata, "key_photos": referenced} if referenced else metadata
    return DatasetTask(dataset, Metadata.of(metadata), context.layout.dataset_metadata(dataset), images)


def _find_runs(
    config: DepositionConfig, context: PlanContext, dataset: Dataset, scope: Scope
) -> list[tuple[Run, str | None]]:
    """The dataset's runs, each with the key it was found at (None for a literal)."""
    runs: list[tuple[Run, str | None]] = []
    for _, path, item in _first_of_each_name(config.runs, "runs", context, scope):
        try:
            runs.append((Run(dataset, item.name), item.key if item.keys else None))
        except PlanError as error:
            raise unsafe_name_error(error, context, path, item) from None
    return runs


def _first_of_each_name(
    entries: Sequence[E], section: str, context: PlanContext, scope: Scope
) -> Iterator[tuple[E, str, Found]]:
    """Each item the entries' finders find whose name was not found before, with its entry and config path."""
    seen: set[str] = set()
    for _, entry, path, source in entry_sources(section, entries):
        for item in context.find(source, scope, path):
            if item.name not in seen:
                seen.add(item.name)
                yield entry, path, item


def unsafe_name_error(error: PlanError, context: PlanContext, path: str, item: Found) -> PlanError:
    """``error`` (an unsafe entity name) located at the finder and key that produced the name."""
    origin = f"from {item.key!r}" if item.keys else f"from a {item.origin.value} value"
    return PlanError(error.what, where=context.where(path), expected=error.expected, found=f"{error.found} {origin}")


def select_sections(plan: Plan, selection: Selection) -> Plan:
    """``plan`` with only the tasks of the sections ``--only`` names (all of them when it names none)."""
    if selection.only is None:
        return plan
    runs = tuple(
        RunPlan(
            run=run.run,
            metadata_key=run.metadata_key if selection.wants(Section.RUNS) else None,
            tiltseries=run.tiltseries if selection.wants(Section.TILTSERIES) else (),
            alignments=run.alignments if selection.wants(Section.ALIGNMENTS) else (),
            voxel_spacings=tuple(
                VoxelSpacingPlan(
                    vs.voxel_spacing,
                    vs.tomograms if selection.wants(Section.TOMOGRAMS) else (),
                    vs.annotations if selection.wants(Section.ANNOTATIONS) else (),
                    vs.key_images if selection.wants(Section.KEY_IMAGES) else (),
                    vs.precomputed if selection.wants(Section.NEUROGLANCER) else (),
                    vs.neuroglancer if selection.wants(Section.NEUROGLANCER) else (),
                )
                for vs in run.voxel_spacings
            ),
            skipped=run.skipped,
            copies=tuple(task for task in run.copies if _copy_wanted(task, selection)),
            frames=run.frames if selection.wants(Section.FRAMES) else (),
            identified_objects=run.identified_objects if selection.wants(Section.IDENTIFIED_OBJECTS) else (),
        )
        for run in plan.runs
    )
    return Plan(
        deposition_id=plan.deposition_id,
        layout=plan.layout,
        deposition=plan.deposition if selection.wants(Section.DEPOSITIONS) else None,
        datasets=plan.datasets if selection.wants(Section.DATASETS) else (),
        runs=runs,
        skipped=plan.skipped,
        warnings=plan.warnings,
    )


def _copy_wanted(task: CopyTask, selection: Selection) -> bool:
    """Whether ``--only`` keeps a copy: its section is selected, or it is the acquisition file that selected frames
    metadata names (copied with it, so that the path the metadata holds exists)."""
    if selection.wants(task.section):
        return True
    return task.section is Section.COLLECTION_METADATA and selection.wants(Section.FRAMES)
