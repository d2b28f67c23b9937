"""The reading options of one annotation source entry, typed: what the executors need to read and convert its
files and to describe them in the annotation's metadata, built once by the planner
(:func:`ingest.plan.annotation_options.source_options`) from the entry rendered for one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AxisOrder = Literal["xyz", "zyx"]
"""The order of the coordinate columns of a pick file."""


@dataclass(frozen=True)
class AnnotationSourceOptions:
    """One annotation source entry's options, with the schema's defaults where the entry gives none.

    Picks: ``binning`` divides pixel coordinates, ``order`` of the coordinate columns, ``filter_value`` selects the
    run's rows, ``delimiter`` and ``columns`` are for CSV/TSV; ``mesh_source_path`` is an oriented point's particle
    mesh (an input key, as the entry gives it). Masks: ``threshold`` (None: keep the voxels labelled
    ``mask_label``), ``rescale`` to the tomogram's size. Meshes: ``scale_factor`` to Å, ``mesh_name`` in a group
    file. ``is_visualization_default`` and ``is_portal_standard`` are None when the entry does not say.

    ``entry`` is the canonical JSON (sorted keys) of the rendered entry the options were built from. It is their
    identity, never read back: equality and hashing cover it, and :meth:`__repr__` shows it as the JSON hand-off
    it replaces did, because the manifest fingerprints a task by its ``repr``
    (:func:`ingest.pipeline.manifest.fingerprint`) and trees ingested before must stay up to date.
    """

    binning: float = 1.0
    order: AxisOrder = "xyz"
    filter_value: str | None = None
    delimiter: str | None = None
    columns: str | None = None
    mesh_source_path: str | None = None
    mask_label: int = 1
    threshold: float | None = None
    rescale: bool = False
    scale_factor: float = 1.0
    mesh_name: str | None = None
    is_visualization_default: bool | None = None
    is_portal_standard: bool | None = None
    entry: str = "{}"

    def __repr__(self) -> str:
        """``Metadata(text='<entry>')``: the text every manifest fingerprint of an annotation was made from."""
        return f"Metadata(text={self.entry!r})"
