"""Refusals of the silent merges docs/design.md §4 forbids: entities the portal's database importer would fold
into one row (its keys: alignments by run and deposition; one tilt series per run). Tomograms need no refusal of
their own: the importer keys their rows on voxel spacing, deposition, processing, processing software and
reconstruction method, all part of the tomogram identity key, and two tomograms with one identity are refused
when their ids are assigned (:class:`ingest.plan.existing.IdAllocator`)."""

from __future__ import annotations

from typing import Any

from ingest.domain.entities import Alignment, Run
from ingest.errors import PlanError
from ingest.plan.context import PlanContext
from ingest.plan.existing import Identity, alignment_identity


def refuse_second_alignment(
    context: PlanContext,
    run: Run,
    planned: list[tuple[str, dict[str, Any], tuple[str, ...]]],
    existing: dict[int, dict[str, Any]],
    known: dict[Identity, int],
) -> None:
    """The portal's importer keys alignments by run and deposition: a second alignment of this deposition in the
    run (planned now, or already in the tree under another identity) would silently replace the first."""
    expected = "at most one alignment of a deposition in a run (the portal's importer merges the others)"
    if len(planned) > 1:
        raise PlanError(
            f"run {run.name!r} would get {len(planned)} alignments of deposition {context.deposition_id}",
            where=context.where(planned[1][0]),
            expected=expected,
            found=", ".join(path for path, _, _ in planned),
        )
    for path, metadata, keys in planned:
        names = tuple(key.rsplit("/", 1)[-1] for key in keys)
        if alignment_identity(metadata, names) in known:
            continue
        ours = [i for i, m in existing.items() if m.get("deposition_id") == context.deposition_id]
        if ours:
            raise PlanError(
                f"run {run.name!r} already holds an alignment of deposition {context.deposition_id} that differs "
                "from the configured one; this one would be a second",
                where=context.where(path),
                expected=expected + "; remove the old alignment folder to replace it",
                found=", ".join(context.layout.alignment_metadata(Alignment(run, i)) for i in sorted(ours)),
            )
